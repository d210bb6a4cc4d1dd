/// The set of visited states: fixed-width packed states in one contiguous array, in the
/// order they were first seen, indexed by an open-addressing hash table.
///
/// Each table slot is one word: the upper 32 bits of the state's hash (to reject most
/// mismatches without touching the state) and the state's index + 1 (0 marks an empty
/// slot). The table doubles at 3/4 load; the state array doubles when full. Because states
/// are kept in insertion order, a breadth-first search uses the array itself as its queue.
public final class StateStore {
    /// Words per state.
    public let stateWords: Int
    /// Number of distinct states stored.
    @exclusivity(unchecked) public private(set) var count = 0
    /// Most states a store can hold (indices are 32-bit).
    public static let maximumCount = Int(UInt32.max - 1)

    @exclusivity(unchecked) private var states: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var stateCapacity: Int
    @exclusivity(unchecked) private var table: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var tableMask: Int

    public init(stateWords: Int, initialCapacity: Int = 1 << 12) {
        precondition(stateWords > 0)
        self.stateWords = stateWords
        var cap = 16
        while cap < initialCapacity { cap <<= 1 }
        stateCapacity = cap
        states = .allocate(capacity: cap * stateWords)
        let slots = cap * 2
        table = .allocate(capacity: slots)
        table.initialize(repeating: 0, count: slots)
        tableMask = slots - 1
    }

    deinit {
        states.deallocate()
        table.deallocate()
    }

    /// Bytes held by the state array and the hash table.
    public var bytesAllocated: Int { stateCapacity * stateWords * 8 + (tableMask + 1) * 8 }

    /// The stored state with index `i`.
    @inline(__always)
    public func state(_ i: Int) -> UnsafePointer<UInt64> { UnsafePointer(states + i * stateWords) }

    /// Inserts `s` if it is new. Returns its index and whether it was inserted.
    @inline(__always)
    public func insert(_ s: UnsafePointer<UInt64>) -> (index: Int, inserted: Bool) {
        let h = StateStore.hash(s, stateWords)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & tableMask
        while true {
            let entry = table[slot]
            if entry == 0 { break }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(entry & 0xFFFF_FFFF) - 1
                if equal(states + index * stateWords, s) { return (index, false) }
            }
            slot = (slot + 1) & tableMask
        }
        if count == stateCapacity { growStates() }
        let index = count
        (states + index * stateWords).update(from: s, count: stateWords)
        count += 1
        table[slot] = tag | UInt64(index + 1)
        if count * 4 > (tableMask + 1) * 3 { growTable() }
        return (index, true)
    }

    /// Whether `s` is stored.
    public func contains(_ s: UnsafePointer<UInt64>) -> Bool {
        let h = StateStore.hash(s, stateWords)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & tableMask
        while true {
            let entry = table[slot]
            if entry == 0 { return false }
            if entry & 0xFFFF_FFFF_0000_0000 == tag,
               equal(states + (Int(entry & 0xFFFF_FFFF) - 1) * stateWords, s) { return true }
            slot = (slot + 1) & tableMask
        }
    }

    @inline(__always)
    private func equal(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>) -> Bool {
        for i in 0..<stateWords where a[i] != b[i] { return false }
        return true
    }

    /// A 64-bit hash of a packed state (multiply–xorshift mixing per word, then a
    /// SplitMix64 finaliser, so that both the low bits and the tag bits are well spread).
    @inline(__always)
    public static func hash(_ s: UnsafePointer<UInt64>, _ words: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: words &+ 1)
        for i in 0..<words {
            h ^= s[i] &* 0xBF58_476D_1CE4_E5B9
            h = (h << 27 | h >> 37) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 30
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 27
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return h
    }

    private func growStates() {
        let newCapacity = stateCapacity * 2
        let n = UnsafeMutablePointer<UInt64>.allocate(capacity: newCapacity * stateWords)
        n.moveInitialize(from: states, count: count * stateWords)
        states.deallocate()
        states = n
        stateCapacity = newCapacity
    }

    private func growTable() {
        let oldSlots = tableMask + 1
        let newSlots = oldSlots * 2
        let n = UnsafeMutablePointer<UInt64>.allocate(capacity: newSlots)
        n.initialize(repeating: 0, count: newSlots)
        let mask = newSlots - 1
        for i in 0..<oldSlots {
            let entry = table[i]
            if entry == 0 { continue }
            // Re-derive the slot from the stored index: the tag holds only the high bits.
            let index = Int(entry & 0xFFFF_FFFF) - 1
            var slot = Int(truncatingIfNeeded: StateStore.hash(states + index * stateWords, stateWords)) & mask
            while n[slot] != 0 { slot = (slot + 1) & mask }
            n[slot] = entry
        }
        table.deallocate()
        table = n
        tableMask = mask
    }
}
