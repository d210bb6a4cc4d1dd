/// The numbers of the states of the last two breadth-first levels, by fingerprint: what a
/// `FingerprintStore` needs for the partial-order proviso (`Search.closesCycle`), which
/// asks whether a successor already seen is numbered at or before the state expanded.
///
/// While level L is expanded, `current` maps the fingerprints of level L's states to their
/// numbers and `next` those of the states it adds (level L + 1); a fingerprint in neither
/// belongs to an earlier level, numbered before every state of level L. So the number is
/// known exactly where the proviso's answer depends on it. `levelBegins` drops `current`
/// and makes `next` current. Each map is open addressing with linear probing (a fingerprint
/// is never 0, which marks an empty slot), and doubles past three quarters full.
///
/// `@exclusivity(unchecked)`: written by the one thread that inserts, and read by the
/// others only while no one inserts (`FingerprintStore.markStored`).
final class LevelNumbers {
    private let budget: MemoryBudget
    @exclusivity(unchecked) private var current: Map
    @exclusivity(unchecked) private var next: Map

    init(budget: MemoryBudget) {
        self.budget = budget
        current = Map(bits: 10, budget: budget)
        next = Map(bits: 10, budget: budget)
    }

    var bytesAllocated: Int { current.bytes + next.bytes }

    /// The level whose states were `next` is now expanded: its map becomes `current`.
    func levelBegins() {
        current.free(budget)
        current = next
        next = Map(bits: 10, budget: budget)
    }

    /// Forgets every number (the search is over), giving their memory back.
    func clear() {
        levelBegins()
        levelBegins()
    }

    /// Notes that the state with fingerprint `f` was just added as number `n` (it belongs
    /// to the next level). False when the map could not grow.
    @inline(__always)
    func added(_ f: UInt64, number n: Int) -> Bool {
        next.insert(f, UInt32(truncatingIfNeeded: n), budget)
    }

    /// The number of the state with fingerprint `f` if it is of the level being expanded
    /// or the next, else nil (an earlier level).
    @inline(__always)
    func number(_ f: UInt64) -> Int? {
        next.find(f) ?? current.find(f)
    }

    deinit {
        current.free(budget)
        next.free(budget)
    }

    /// One map, fingerprint → number: 2^bits keys, then 2^bits numbers, in one zeroed block.
    private struct Map {
        let block: UnsafeMutableRawPointer
        let keys: UnsafeMutablePointer<UInt64>
        let values: UnsafeMutablePointer<UInt32>
        let bits: Int
        var count = 0

        /// A first, small map, charged to the budget even past its limit (as the stores' first blocks).
        init(bits: Int, budget: MemoryBudget) {
            budget.charge(Map.bytes(bits))
            guard let map = Map(bits: bits) else { fatalError("mmcheck: cannot allocate a level's numbers") }
            self = map
        }

        /// A map of 2^bits empty slots whose bytes the budget has granted already; nil when
        /// the system has no memory for it.
        private init?(bits: Int) {
            guard let block = LargeBlock.allocate(Map.bytes(bits)) else { return nil }
            self.block = block
            self.bits = bits
            keys = block.bindMemory(to: UInt64.self, capacity: 1 << bits)
            values = (block + (1 << bits) * 8).bindMemory(to: UInt32.self, capacity: 1 << bits)
        }

        static func bytes(_ bits: Int) -> Int { (1 << bits) * 12 }
        var bytes: Int { Map.bytes(bits) }

        func free(_ budget: MemoryBudget) {
            LargeBlock.free(block, bytes)
            budget.release(bytes)
        }

        @inline(__always)
        private func home(_ f: UInt64) -> Int { Int(truncatingIfNeeded: f >> UInt64(64 - bits)) }

        @inline(__always)
        func find(_ f: UInt64) -> Int? {
            assert(f != 0, "a fingerprint is never 0")
            let mask = (1 << bits) - 1
            var i = home(f)
            while true {
                let k = keys[i]
                if k == f { return Int(values[i]) }
                if k == 0 { return nil }
                i = (i + 1) & mask
            }
        }

        /// Adds f → n (f is not in the map); false when the map is full and cannot grow.
        mutating func insert(_ f: UInt64, _ n: UInt32, _ budget: MemoryBudget) -> Bool {
            if (count + 1) * 4 > (1 << bits) * 3 {
                guard budget.reserve(Map.bytes(bits + 1)) else { return false }
                guard var larger = Map(bits: bits + 1) else {
                    budget.release(Map.bytes(bits + 1))
                    return false
                }
                for i in 0..<(1 << bits) where keys[i] != 0 { larger.place(keys[i], values[i]) }
                free(budget)
                self = larger
            }
            place(f, n)
            return true
        }

        @inline(__always)
        private mutating func place(_ f: UInt64, _ n: UInt32) {
            let mask = (1 << bits) - 1
            var i = home(f)
            while keys[i] != 0 {
                assert(keys[i] != f, "a fingerprint added twice")
                i = (i + 1) & mask
            }
            keys[i] = f
            values[i] = n
            count += 1
        }
    }
}
