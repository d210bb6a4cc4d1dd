#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The set of visited states: fixed-width packed states in one contiguous array, in the
/// order they were first seen, each with a 32-bit link (the search's parent index),
/// indexed by an open-addressing hash table.
///
/// Each table slot is one word: the upper 32 bits of the state's hash (to reject most
/// mismatches without touching the state) and the state's index + 1 (0 marks an empty
/// slot). The table doubles at 3/4 load; the state and link arrays double when full.
/// Because states are kept in insertion order, a breadth-first search uses the array itself
/// as its queue. Every growth asks the `MemoryBudget` first; when it refuses (or the
/// system has no memory left), `insert` stores nothing and returns `StateStore.full`.
///
/// `@exclusivity(unchecked)`: the stored properties are touched on every state of the
/// search, by this class alone, never re-entrantly.
public final class StateStore {
    /// Words per state.
    let stateWords: Int
    /// Number of distinct states stored.
    @exclusivity(unchecked) private(set) var count = 0
    /// Most states a store can hold (indices and links are 32-bit, 0 marks an empty slot).
    public static let maximumCount = Int(UInt32.max - 1)
    /// The index `insert` returns when a new state could not be stored.
    static let full = -1

    let budget: MemoryBudget
    @exclusivity(unchecked) private var states: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var links: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) private var stateCapacity: Int
    @exclusivity(unchecked) private var table: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var tableMask: Int

    /// A store whose first blocks hold `initialCapacity` states. Those first blocks are
    /// charged to the budget even past its limit (the next growth is then refused).
    init(stateWords: Int, initialCapacity: Int = 1 << 12, budget: MemoryBudget = .unlimited) {
        precondition(stateWords > 0)
        self.stateWords = stateWords
        self.budget = budget
        var cap = 16
        while cap < initialCapacity { cap <<= 1 }
        let slots = cap * 2
        budget.charge(cap * (stateWords * 8 + 4) + slots * 8)
        guard let s = malloc(cap * stateWords * 8), let l = malloc(cap * 4), let t = calloc(slots, 8) else {
            fatalError("mmcheck: cannot allocate the first \(cap) states")
        }
        states = s.bindMemory(to: UInt64.self, capacity: cap * stateWords)
        links = l.bindMemory(to: UInt32.self, capacity: cap)
        table = t.bindMemory(to: UInt64.self, capacity: slots)
        stateCapacity = cap
        tableMask = slots - 1
    }

    deinit {
        free(states)
        free(links)
        free(table)
        budget.release(bytesAllocated)
    }

    /// Bytes held by the state array, the links and the hash table.
    var bytesAllocated: Int { stateCapacity * (stateWords * 8 + 4) + (tableMask + 1) * 8 }

    /// The stored state with index `i`.
    @inline(__always)
    func state(_ i: Int) -> UnsafePointer<UInt64> {
        assert(i >= 0 && i < count, "state index out of range")
        return UnsafePointer(states + i * stateWords)
    }

    /// The link stored with state `i`.
    @inline(__always)
    func link(_ i: Int) -> UInt32 {
        assert(i >= 0 && i < count, "state index out of range")
        return links[i]
    }

    /// Inserts `s` with `link` if it is new. Returns its index and whether it was inserted;
    /// the index is `StateStore.full` when `s` is new and there is no room for it.
    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, link: UInt32 = 0) -> (index: Int, inserted: Bool) {
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
        if count == stateCapacity {
            guard growStates() else { return (StateStore.full, false) }
        }
        if (count + 1) * 4 > (tableMask + 1) * 3 {
            guard growTable() else { return (StateStore.full, false) }
            // The slots moved: find the free one again.
            slot = Int(truncatingIfNeeded: h) & tableMask
            while table[slot] != 0 { slot = (slot + 1) & tableMask }
        }
        let index = count
        (states + index * stateWords).update(from: s, count: stateWords)
        links[index] = link
        count += 1
        table[slot] = tag | UInt64(index + 1)
        return (index, true)
    }

    /// Whether `s` is stored.
    func contains(_ s: UnsafePointer<UInt64>) -> Bool {
        let h = StateStore.hash(s, stateWords)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & tableMask
        while true {
            let entry = table[slot]
            if entry == 0 { return false }
            if entry & 0xFFFF_FFFF_0000_0000 == tag,
                equal(states + (Int(entry & 0xFFFF_FFFF) - 1) * stateWords, s)
            {
                return true
            }
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
    static func hash(_ s: UnsafePointer<UInt64>, _ words: Int) -> UInt64 {
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

    /// Doubles the state and link arrays in place (`realloc`: on Linux large blocks are
    /// remapped, not copied, so only the growth is charged).
    private func growStates() -> Bool {
        let newCapacity = min(stateCapacity * 2, StateStore.maximumCount)
        guard newCapacity > stateCapacity else { return false }
        let extra = (newCapacity - stateCapacity) * (stateWords * 8 + 4)
        guard budget.reserve(extra) else { return false }
        guard let s = realloc(states, newCapacity * stateWords * 8) else {
            budget.release(extra)
            return false
        }
        states = s.bindMemory(to: UInt64.self, capacity: newCapacity * stateWords)
        // On failure the state array is larger but still valid; it keeps its charge.
        guard let l = realloc(links, newCapacity * 4) else { return false }
        links = l.bindMemory(to: UInt32.self, capacity: newCapacity)
        stateCapacity = newCapacity
        return true
    }

    /// Doubles the hash table: both tables are held while entries move.
    private func growTable() -> Bool {
        let oldSlots = tableMask + 1
        let newSlots = oldSlots * 2
        guard budget.reserve(newSlots * 8) else { return false }
        guard let raw = calloc(newSlots, 8) else {
            budget.release(newSlots * 8)
            return false
        }
        let n = raw.bindMemory(to: UInt64.self, capacity: newSlots)
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
        free(table)
        budget.release(oldSlots * 8)
        table = n
        tableMask = mask
        return true
    }
}
