import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if _endian(big)
    #error("StateStore keeps a state's leading bytes in little-endian order")
#endif

/// The set of visited states, exactly: every state at its packed byte width in a
/// `RecordArena`, numbered in the order first seen, and a compact open-addressing index.
///
/// - A state of `stateWords` words whose bits past `stateBytes` are zero (the system packs
///   canonically) is kept as its first `stateBytes` bytes, with no padding.
/// - Each index slot is 32 bits: the state's number + 1 in the low `tableBits` bits (0
///   marks an empty slot) and, above them, that many fewer bits of the state's hash as a
///   tag, which rejects most mismatches without reading the state. The table has
///   2^tableBits slots, linear probing, and doubles past `maximumLoad`; it is rebuilt from
///   the arena (the old table is freed first, so a growth never holds both).
/// - A parent link (32 bits) is kept per state only when asked for (depth-first search);
///   breadth-first search rebuilds a counterexample without them.
///
/// Because states are numbered in insertion order, a breadth-first search uses the arena
/// as its queue. Every growth asks the `MemoryBudget` first; when it refuses (or the
/// system has no memory left), `insert` stores nothing and returns `StateStore.full`.
///
/// `@exclusivity(unchecked)`: the fields are touched on every state of the search, by the
/// one thread that inserts; other threads only look up while no one inserts, and enter
/// states in a grown table while the one that grew it waits for them (`helpGrow`).
public final class StateStore {
    /// Words per state, as the system hands them over.
    let stateWords: Int
    /// Bytes kept per state.
    let stateBytes: Int
    /// Most states a store can hold (numbers and links are 32-bit).
    public static let maximumCount = Int(UInt32.max - 1)
    /// The index `insert` returns when a new state could not be stored.
    static let full = -1
    /// The table doubles when an insertion would fill more than this share of its slots.
    static let maximumLoad = 0.9

    let budget: MemoryBudget
    private let arena: RecordArena
    private let links: RecordArena?
    @exclusivity(unchecked) private var table: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) private var tableBits: Int {
        didSet { sizeChanged() }
    }
    /// Worked out from `tableBits` whenever it changes, as every lookup needs them: the
    /// slot mask, the mask of a slot's number, and the shifts that make a hash's tag.
    @exclusivity(unchecked) private var slotMask = 0
    @exclusivity(unchecked) private var indexMask: UInt32 = 0
    @exclusivity(unchecked) private var tagShift: UInt64 = 0
    @exclusivity(unchecked) private var tagPlace: UInt32 = 0
    /// Insertions allowed before the table grows.
    @exclusivity(unchecked) private var tableLimit: Int
    /// Other threads may help rebuild a grown table (`helpGrow`), so its slots are then
    /// claimed with compare-and-swap.
    @exclusivity(unchecked) var sharesGrowth = false
    /// Called when a shared rebuild begins, to wake threads that could help.
    var growthBegins: (@Sendable () -> Void)?
    /// A rebuild open to helpers: its parts (`rebuildPart` states each; 0 when none is
    /// open), the next part to take, the parts finished, and the helpers inside.
    private let rebuildParts = Atomic<Int>(0)
    private let rebuildNext = Atomic<Int>(0)
    private let rebuildDone = Atomic<Int>(0)
    private let rebuildHelpers = Atomic<Int>(0)
    /// States per part of a shared rebuild.
    static let rebuildPart = 1 << 16

    /// Number of distinct states stored.
    var count: Int { arena.count }

    /// A store for states of `stateWords` words that fit in `stateBytes` bytes (default: all
    /// of them), with a parent link per state if `links`. Its first table has room for
    /// about `initialCapacity` states; that first block is charged to the budget even past
    /// its limit (the next growth is then refused).
    init(
        stateWords: Int, stateBytes: Int? = nil, links: Bool = false, initialCapacity: Int = 1 << 12,
        budget: MemoryBudget = .unlimited
    ) {
        precondition(stateWords > 0)
        let bytes = stateBytes ?? stateWords * 8
        precondition(bytes > 0 && bytes <= stateWords * 8)
        self.stateWords = stateWords
        self.stateBytes = bytes
        self.budget = budget
        arena = RecordArena(recordBytes: bytes, budget: budget)
        // The same for every number of threads, so that a memory limit stops alike.
        arena.preparesAhead = true
        self.links = links ? RecordArena(recordBytes: 4, budget: budget) : nil
        var bits = 4
        while Double(1 << bits) * StateStore.maximumLoad < Double(initialCapacity) { bits += 1 }
        tableBits = bits
        tableLimit = StateStore.limit(bits)
        budget.charge((1 << bits) * 4)
        guard let t = LargeBlock.allocate((1 << bits) * 4) else {
            fatalError("mmcheck: cannot allocate the first state table")
        }
        table = t.bindMemory(to: UInt32.self, capacity: 1 << bits)
        precondition(lookupDistance > 0 && lookupDistance & (lookupDistance - 1) == 0)
        sizeChanged()
    }

    deinit {
        LargeBlock.free(UnsafeMutableRawPointer(table), (1 << tableBits) * 4)
        budget.release((1 << tableBits) * 4)
    }

    /// Bytes held by the states, the links and the index.
    var bytesAllocated: Int { arena.bytesAllocated + (links?.bytesAllocated ?? 0) + (1 << tableBits) * 4 }

    /// Copies stored state `i` into `out` (`stateWords` words).
    @inline(__always)
    func load(_ i: Int, into out: UnsafeMutablePointer<UInt64>) {
        assert(i >= 0 && i < count, "state index out of range")
        PackedBytes.load(arena.record(i), bytes: stateBytes, into: out, words: stateWords)
    }

    /// `load`, on a thread other than the one that inserts, which may be inserting
    /// meanwhile: state `i` must have been stored before this thread was handed it.
    @inline(__always)
    func loadShared(_ i: Int, into out: UnsafeMutablePointer<UInt64>) {
        PackedBytes.load(arena.sharedRecord(i), bytes: stateBytes, into: out, words: stateWords)
    }

    /// The link stored with state `i` (a store made with `links`).
    @inline(__always)
    func link(_ i: Int) -> UInt32 {
        assert(i >= 0 && i < count, "state index out of range")
        guard let links else { preconditionFailure("this store keeps no links") }
        return links.record(i).load(as: UInt32.self)
    }

    /// Inserts `s` with `link` if it is new. Returns its index and whether it was inserted;
    /// the index is `StateStore.full` when `s` is new and there is no room for it.
    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, link: UInt32 = 0) -> (index: Int, inserted: Bool) {
        insert(s, key: StateStore.hash(s, stateWords), link: link)
    }

    /// The state's hash.
    @inline(__always)
    func key(_ s: UnsafePointer<UInt64>) -> UInt64 { StateStore.hash(s, stateWords) }

    /// `insert`, with `h` the state's hash.
    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, key h: UInt64, link: UInt32) -> (index: Int, inserted: Bool) {
        assertCanonical(s)
        assert(h == StateStore.hash(s, stateWords), "a stale hash")
        var slot = lookup(s, h)
        if table[slot] != 0 { return (Int(table[slot] & indexMask) - 1, false) }
        if count == tableLimit {
            guard count < StateStore.maximumCount, grow() else { return (StateStore.full, false) }
            slot = lookup(s, h)
        }
        guard let record = arena.append() else { return (StateStore.full, false) }
        if let links {
            // The arena and the links keep the same length: without a link, no state.
            guard let l = links.append() else {
                arena.removeLast()
                return (StateStore.full, false)
            }
            l.storeBytes(of: link, as: UInt32.self)
        }
        record.copyMemory(from: UnsafeRawPointer(s), byteCount: stateBytes)
        table[slot] = tag(h) | UInt32(truncatingIfNeeded: count)
        return (count - 1, true)
    }

    /// The number of `s` (hash `h`) if it is stored, else nil: a lookup only, which other
    /// threads may make while no one inserts.
    @inline(__always)
    func find(_ s: UnsafePointer<UInt64>, key h: UInt64) -> Int? {
        let entry = table[lookup(s, h)]
        return entry == 0 ? nil : Int(entry & indexMask) - 1
    }

    /// Prefetches the state named by the first slot of `h`'s run with a matching tag (most
    /// likely the state a lookup of hash `h` compares with), if there is one. Returns that
    /// slot (or the empty one that ends the run) and the state: a lookup may go on from
    /// there, as the slots before it hold other tags.
    @inline(__always) @discardableResult
    func prefetchRecord(key h: UInt64) -> (slot: Int, record: UnsafeRawPointer?) {
        let mask = slotMask
        let t = tag(h)
        var slot = Int(truncatingIfNeeded: h) & mask
        while table[slot] != 0 && table[slot] & ~indexMask != t { slot = (slot + 1) & mask }
        let entry = table[slot]
        guard entry != 0 else { return (slot, nil) }
        // Both ends: a record may straddle two cache lines.
        let record = arena.record(Int(entry & indexMask) - 1)
        Prefetch.read(record)
        Prefetch.read(record + (stateBytes - 1))
        return (slot, UnsafeRawPointer(record))
    }

    /// Prefetches the home slot of hash `h`, where a lookup starts.
    @inline(__always)
    func prefetchHome(_ h: UInt64) { Prefetch.read(table + (Int(truncatingIfNeeded: h) & slotMask)) }

    /// Gives back the states, links and index, their memory released to the budget: the
    /// store must not be used afterwards (its table is left too small for its count).
    func release() {
        arena.release(below: Int.max)
        links?.release(below: Int.max)
        LargeBlock.free(UnsafeMutableRawPointer(table), (1 << tableBits) * 4)
        budget.release((1 << tableBits) * 4)
        tableBits = 4
        tableLimit = 0
        budget.charge(16 * 4)
        guard let t = LargeBlock.allocate(16 * 4) else { fatalError("mmcheck: cannot allocate a state table") }
        table = t.bindMemory(to: UInt32.self, capacity: 16)
    }

    /// Gives back the arena's chunk made ahead (`RecordArena.preparesAhead`): no more
    /// states will be stored.
    func releaseSpare() { arena.releaseSpare() }

    /// Whether `s` is stored.
    @inline(__always)
    func contains(_ s: UnsafePointer<UInt64>) -> Bool {
        table[lookup(s, key(s))] != 0
    }

    /// In a pipeline: a successor's hash is taken and its home slot prefetched; then its
    /// run is read up to the first slot with a matching tag (or the empty one that ends it),
    /// whose state (most likely the one sought) is prefetched; then the lookup goes on from
    /// that slot, on cached memory. The slots before it hold other tags, so no lookup needs
    /// them again, and no one inserts meanwhile (`VisitedStates.markStored`).
    func markStored(in buffer: SuccessorBuffer, from: Int, to: Int) {
        let mask = slotMask, numberMask = indexMask, tagMask = ~indexMask
        let hashes = buffer.hashes
        // Where each successor's lookup goes on, and the state that slot names: written by
        // the second stage, read by the last one `lookupDistance` successors later, so a
        // ring of twice that many.
        let ring = 2 * lookupDistance
        withUnsafeTemporaryAllocation(of: (slot: Int, record: UnsafeRawPointer?).self, capacity: ring) { resume in
            buffer.inLookupPipeline(
                from: from, to: to,
                first: { k in
                    let h = key(buffer.state(k))
                    hashes[k] = h
                    prefetchHome(h)
                },
                second: { k in resume[k & (ring - 1)] = prefetchRecord(key: hashes[k]) },
                last: { k in
                    let s = buffer.state(k), t = tag(hashes[k])
                    var (slot, record) = resume[k & (ring - 1)]
                    while let candidate = record {
                        if PackedBytes.equal(candidate, s, bytes: stateBytes) {
                            // Its number, for the partial-order proviso (`Search.closesCycle`).
                            hashes[k] = UInt64(table[slot] & numberMask) - 1
                            buffer.markAlreadyStored(k)
                            return
                        }
                        // The next slot of the run with the same tag, if there is one.
                        repeat { slot = (slot + 1) & mask } while table[slot] != 0 && table[slot] & tagMask != t
                        let entry = table[slot]
                        record = entry == 0 ? nil : UnsafeRawPointer(arena.record(Int(entry & numberMask) - 1))
                    }
                })
        }
    }

    /// The slot holding `s` (hash `h`), or the empty slot where it would go.
    @inline(__always)
    private func lookup(_ s: UnsafePointer<UInt64>, _ h: UInt64) -> Int {
        let mask = slotMask
        let t = tag(h), tagMask = ~indexMask
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = table[slot]
            if entry == 0 { return slot }
            if entry & tagMask == t && PackedBytes.equal(arena.record(Int(entry & indexMask) - 1), s, bytes: stateBytes)
            {
                return slot
            }
            slot = (slot + 1) & mask
        }
    }

    /// Sets the masks and shifts for `tableBits`: the low `tableBits` bits of a slot are a
    /// state's number + 1, and the bits above them its hash's top bits (none from 32 up).
    private func sizeChanged() {
        slotMask = (1 << tableBits) - 1
        indexMask = tableBits >= 32 ? UInt32.max : (1 << UInt32(tableBits)) - 1
        tagShift = UInt64(min(32 + tableBits, 63))
        tagPlace = UInt32(min(tableBits, 31))
    }

    /// The hash bits a slot keeps above the state's number.
    @inline(__always)
    private func tag(_ h: UInt64) -> UInt32 {
        (UInt32(truncatingIfNeeded: h &>> tagShift) &<< tagPlace) & ~indexMask
    }

    /// Insertions a table of 2^bits slots takes (the number + 1 must also fit in its bits).
    private static func limit(_ bits: Int) -> Int {
        min(Int(Double(1 << bits) * maximumLoad), (1 << bits) - 1, maximumCount)
    }

    /// The unused bytes of a state are zero (so the kept bytes are the whole state).
    @inline(__always)
    private func assertCanonical(_ s: UnsafePointer<UInt64>) {
        #if DEBUG
            let raw = UnsafeRawPointer(s)
            for b in stateBytes..<(stateWords * 8) {
                assert(raw.load(fromByteOffset: b, as: UInt8.self) == 0, "a state has bits past its byte width")
            }
        #endif
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

    /// Doubles the table: frees it, then rebuilds a table twice its size from the arena
    /// (whose states are read in order). If the larger table cannot be had, the old size
    /// is rebuilt and the growth fails.
    private func grow() -> Bool {
        let oldBytes = (1 << tableBits) * 4
        guard tableBits < 32, budget.reserve(oldBytes) else { return false }
        LargeBlock.free(UnsafeMutableRawPointer(table), oldBytes)
        if let t = LargeBlock.allocate(oldBytes * 2) {
            table = t.bindMemory(to: UInt32.self, capacity: 1 << (tableBits + 1))
            tableBits += 1
        } else {
            budget.release(oldBytes)
            guard let t = LargeBlock.allocate(oldBytes) else {
                fatalError("mmcheck: out of memory rebuilding the state table")
            }
            table = t.bindMemory(to: UInt32.self, capacity: 1 << tableBits)
            rebuild()
            return false
        }
        tableLimit = StateStore.limit(tableBits)
        rebuild()
        return true
    }

    /// Enters every stored state in the (empty) table. Alone (`sharesGrowth` off, or a
    /// small table) in order; else in parts of `rebuildPart` states that threads calling
    /// `helpGrow` meanwhile take too, the last ones this thread waits for.
    private func rebuild() {
        let parts = (count + StateStore.rebuildPart - 1) / StateStore.rebuildPart
        guard sharesGrowth && parts > 1 else {
            rebuild(0..<count, shared: false)
            return
        }
        rebuildNext.store(0, ordering: .relaxed)
        rebuildDone.store(0, ordering: .relaxed)
        // Publishes the new table with the parts.
        rebuildParts.store(parts, ordering: .sequentiallyConsistent)
        growthBegins?()
        takeParts(parts)
        while rebuildDone.load(ordering: .acquiring) < parts {}
        // Closed: a helper that comes later sees no parts, and one that came earlier has
        // left before the table is used (or rebuilt again).
        rebuildParts.store(0, ordering: .sequentiallyConsistent)
        while rebuildHelpers.load(ordering: .sequentiallyConsistent) != 0 {}
    }

    /// Any thread, while the one that inserts may be growing the table (it reads the
    /// store at no other time): takes parts of an open rebuild until none is left.
    func helpGrow() {
        guard rebuildParts.load(ordering: .relaxed) > 0 else { return }
        rebuildHelpers.add(1, ordering: .sequentiallyConsistent)
        let parts = rebuildParts.load(ordering: .sequentiallyConsistent)
        if parts > 0 { takeParts(parts) }
        rebuildHelpers.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Rebuilds parts of the open rebuild of `parts` parts until none is left to take.
    private func takeParts(_ parts: Int) {
        while true {
            let p = rebuildNext.add(1, ordering: .relaxed).oldValue
            guard p < parts else { return }
            rebuild(p * StateStore.rebuildPart..<min(count, (p + 1) * StateStore.rebuildPart), shared: true)
            rebuildDone.add(1, ordering: .releasing)
        }
    }

    /// Enters the stored states `range` in the table: their hashes are taken and their
    /// home slots prefetched `lookupDistance` states before they are entered, so that the
    /// misses of successive entries overlap. `shared`: other threads enter states at
    /// once, so a slot is claimed with compare-and-swap.
    private func rebuild(_ range: Range<Int>, shared: Bool) {
        let mask = slotMask
        let d = lookupDistance
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: d + stateWords) { space in
            let hashes = space.baseAddress.unsafelyUnwrapped, state = hashes + d
            for i in range.lowerBound..<(range.upperBound + d) {
                // The hash of state j sits where state i's goes: enter j, then hash i.
                let j = i - d
                if j >= range.lowerBound {
                    let h = hashes[j & (d - 1)]
                    let entry = tag(h) | UInt32(truncatingIfNeeded: j + 1)
                    var slot = Int(truncatingIfNeeded: h) & mask
                    if shared {
                        table.withMemoryRebound(to: Atomic<UInt32>.self, capacity: mask + 1) { slots in
                            while !slots[slot].compareExchange(expected: 0, desired: entry, ordering: .relaxed)
                                .exchanged
                            {
                                slot = (slot + 1) & mask
                            }
                        }
                    } else {
                        while table[slot] != 0 { slot = (slot + 1) & mask }
                        table[slot] = entry
                    }
                }
                if i < range.upperBound {
                    loadShared(i, into: state)
                    let h = StateStore.hash(state, stateWords)
                    hashes[i & (d - 1)] = h
                    Prefetch.read(table + (Int(truncatingIfNeeded: h) & mask))
                }
            }
        }
    }
}
