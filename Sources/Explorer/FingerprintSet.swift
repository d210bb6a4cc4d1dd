#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A set of nonzero 64-bit fingerprints: an ordered hash table (Amble and Knuth's ordered
/// linear probing) of 2^tableBits slots plus an overflow tail.
///
/// A fingerprint's home slot is its top `tableBits` bits, so homes rise with the value, and
/// the table keeps its entries in ascending order, each at or after its home with no empty
/// slot between: a lookup scans from the home while the entries are smaller, and an
/// insertion shifts the rest of its run one slot right. Only the fingerprint is kept (8
/// bytes a slot, 0 marks an empty one); the table doubles past `maximumLoad`, or when a run
/// would pass the end of the tail. When the budget or the system refuses a larger table
/// (the old one is held while the entries move), the table is filled further, up to
/// `fullLoad`, with longer runs, before an insertion fails: a search that would need a
/// table twice as large for its last few states can still end. (Ordered runs keep a
/// lookup short even then: it stops at the first larger entry.)
///
/// `@exclusivity(unchecked)`: touched once per lookup, by the one thread that inserts;
/// other threads only look up while no one inserts.
final class FingerprintSet {
    static let maximumLoad = 0.9
    /// The load an insertion fails past, once a larger table has been refused.
    static let fullLoad = 0.99

    private let budget: MemoryBudget
    @exclusivity(unchecked) private var table: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var tableBits: Int
    /// Slots, the overflow tail included.
    @exclusivity(unchecked) private var slots: Int
    @exclusivity(unchecked) private(set) var count = 0
    /// A larger table was refused: no growth is tried again.
    @exclusivity(unchecked) private var refused = false

    /// A set whose first table is charged to the budget even past its limit.
    init(budget: MemoryBudget, initialBits: Int = 12) {
        self.budget = budget
        tableBits = initialBits
        slots = FingerprintSet.slots(initialBits)
        budget.charge(slots * 8)
        guard let t = LargeBlock.allocate(slots * 8) else {
            fatalError("mmcheck: cannot allocate the first fingerprint table")
        }
        table = t.bindMemory(to: UInt64.self, capacity: slots)
    }

    deinit {
        LargeBlock.free(UnsafeMutableRawPointer(table), slots * 8)
        budget.release(slots * 8)
    }

    /// Slots of a table with 2^bits home slots: the tail takes the runs that pass the last home.
    private static func slots(_ bits: Int) -> Int { (1 << bits) + 1024 + (1 << bits) / 64 }

    var bytesAllocated: Int { slots * 8 }

    /// The nonzero value stored for hash `h`.
    @inline(__always)
    static func fingerprint(_ h: UInt64) -> UInt64 { h == 0 ? 1 : h }

    @inline(__always)
    private func home(_ f: UInt64) -> Int { Int(truncatingIfNeeded: f >> UInt64(64 - tableBits)) }

    /// Prefetches `f`'s home slot, where the run `contains` scans starts.
    @inline(__always)
    func prefetch(_ f: UInt64) { Prefetch.read(table + home(f)) }

    @inline(__always)
    func contains(_ f: UInt64) -> Bool {
        assert(f != 0)
        var i = home(f)
        while i < slots {
            let e = table[i]
            if e == f { return true }
            if e == 0 || e > f { return false }
            i += 1
        }
        return false
    }

    /// Gives the table back for a table of the first size, empty.
    func discard() {
        LargeBlock.free(UnsafeMutableRawPointer(table), slots * 8)
        budget.release(slots * 8)
        tableBits = 4
        slots = FingerprintSet.slots(tableBits)
        count = 0
        budget.charge(slots * 8)
        guard let t = LargeBlock.allocate(slots * 8) else { fatalError("mmcheck: cannot allocate a fingerprint table") }
        table = t.bindMemory(to: UInt64.self, capacity: slots)
    }

    /// Adds `f`. Returns whether it was new, or nil when it is new and there is no room.
    @inline(__always)
    func insert(_ f: UInt64) -> Bool? {
        assert(f != 0)
        let homes = Double(1 << tableBits)
        if Double(count + 1) > homes * FingerprintSet.maximumLoad && (refused || !grow()) {
            refused = true
            if Double(count + 1) > homes * FingerprintSet.fullLoad { return contains(f) ? false : nil }
        }
        while true {
            switch place(f) {
            case .some(let inserted): return inserted
            case .none:
                guard !refused, grow() else {
                    refused = true
                    return nil
                }
            }
        }
    }

    /// Puts `f` in its place: true if new, false if present, nil if its run would pass the tail.
    @inline(__always)
    private func place(_ f: UInt64) -> Bool? {
        var i = home(f)
        while i < slots {
            let e = table[i]
            if e == f { return false }
            if e == 0 {
                table[i] = f
                count += 1
                return true
            }
            if e > f { break }
            i += 1
        }
        var j = i
        while j < slots && table[j] != 0 { j += 1 }
        guard j < slots else { return nil }
        (table + i + 1).update(from: table + i, count: j - i)
        table[i] = f
        count += 1
        return true
    }

    /// Doubles the table (both are held while the entries move, in order, to the new one).
    private func grow() -> Bool {
        var bits = tableBits + 1
        while bits < 63 {
            let newSlots = FingerprintSet.slots(bits)
            guard budget.reserve(newSlots * 8) else { return false }
            guard let raw = LargeBlock.allocate(newSlots * 8) else {
                budget.release(newSlots * 8)
                return false
            }
            let n = raw.bindMemory(to: UInt64.self, capacity: newSlots)
            var last = -1
            var fits = true
            for i in 0..<slots where table[i] != 0 {
                let e = table[i]
                let p = max(Int(truncatingIfNeeded: e >> UInt64(64 - bits)), last + 1)
                guard p < newSlots else {
                    fits = false
                    break
                }
                n[p] = e
                last = p
            }
            guard fits else {
                // A run passed the new tail (not seen in practice): try a larger table.
                LargeBlock.free(raw, newSlots * 8)
                budget.release(newSlots * 8)
                bits += 1
                continue
            }
            LargeBlock.free(UnsafeMutableRawPointer(table), slots * 8)
            budget.release(slots * 8)
            table = n
            slots = newSlots
            tableBits = bits
            return true
        }
        return false
    }
}
