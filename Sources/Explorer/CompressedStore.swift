/// Tree compression, one level deep (Laarman, van de Pol and Weber, "Parallel Recursive
/// State Compression for Free", SPIN 2011, as in LTSmin's tree store; SPIN's COLLAPSE
/// is the same idea with more parts): each state is cut into two parts, its first
/// `splitWords` words and the rest. Each distinct part is stored once, exactly, in a
/// `StateStore` of its own, which numbers it; the state itself is kept as the pair of its
/// parts' numbers, 8 bytes, in a set of such pairs, with the states still to be expanded
/// at their packed width in a `RecordArena`, as in the `FingerprintStore`.
///
/// The set holds `mixed(left, right)`: the pair as one 64-bit word (left number + 1 in the
/// high half, right number in the low one) put through a bijection that spreads its bits.
/// A bijection maps distinct pairs to distinct words, so the set is exact: a state is
/// found exactly when it was stored. (A `FingerprintSet` keeps nonzero words; the pair's
/// word is nonzero, and the bijection keeps 0 at 0.) It pays when parts repeat: a
/// transition system whose parts vary nearly independently (`TransitionSystem.splitWords`)
/// stores few of them, and a state costs about its 8 bytes in the set.
///
/// States expanded are given back chunk by chunk, so a counterexample is rebuilt by
/// searching again (`Search`), as with fingerprints. With `numbers` (partial-order
/// reduction) it keeps the numbers of the last two levels' states (`LevelNumbers`) for
/// the proviso, as the `FingerprintStore` does.
final class CompressedStore: VisitedStates {
    let stateWords: Int
    let stateBytes: Int
    /// Words of the first part.
    let splitWords: Int
    private let left: StateStore
    private let right: StateStore
    private let pairs: FingerprintSet
    private let frontier: Frontier

    init(stateWords: Int, stateBytes: Int, splitWords: Int, numbers: Bool = false, budget: MemoryBudget) {
        precondition(stateWords > 0 && stateBytes > 0 && stateBytes <= stateWords * 8)
        precondition(
            splitWords >= 1 && splitWords < stateWords && stateBytes > splitWords * 8, "two parts, each with bytes")
        self.stateWords = stateWords
        self.stateBytes = stateBytes
        self.splitWords = splitWords
        left = StateStore(stateWords: splitWords, budget: budget)
        right = StateStore(stateWords: stateWords - splitWords, stateBytes: stateBytes - splitWords * 8, budget: budget)
        pairs = FingerprintSet(budget: budget)
        frontier = Frontier(stateWords: stateWords, stateBytes: stateBytes, numbers: numbers, budget: budget)
    }

    var count: Int { frontier.count }
    var bytesAllocated: Int {
        left.bytesAllocated + right.bytesAllocated + pairs.bytesAllocated + frontier.bytesAllocated
    }
    /// Distinct first and second parts stored.
    var parts: (left: Int, right: Int) { (left.count, right.count) }

    func levelBegins() { frontier.levelBegins() }

    /// The word the set keeps for the parts numbered `l` and `r`: never 0, and distinct
    /// pairs give distinct words (MurmurHash3's 64-bit finaliser: xor-shifts and odd
    /// multipliers, each a bijection of 64-bit words, and 0 stays 0).
    @inline(__always)
    static func mixed(_ l: Int, _ r: Int) -> UInt64 {
        assert(l >= 0 && l < StateStore.maximumCount && r >= 0 && r < StateStore.maximumCount)
        var h = UInt64(truncatingIfNeeded: l &+ 1) << 32 | UInt64(truncatingIfNeeded: r)
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    @inline(__always)
    private func second(_ s: UnsafePointer<UInt64>) -> UnsafePointer<UInt64> { s + splitWords }

    /// A state's key is its pair's word once both halves are stored (`markStored` finds it
    /// on the threads), 0 before: `insert` then stores the halves, which numbers them.
    @inline(__always)
    func key(_ s: UnsafePointer<UInt64>) -> UInt64 { 0 }

    /// `insert`, with `key` the pair's word `markStored` found (stored halves keep their
    /// numbers, so it stays right), or 0 when a half was missing then.
    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, key: UInt64, link: UInt32) -> (index: Int, inserted: Bool) {
        assert(key == 0 || key == pair(s), "a stale pair")
        return key == 0 ? insert(s, link: link) : insert(s, pair: key)
    }

    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, link: UInt32) -> (index: Int, inserted: Bool) {
        let l = left.insert(s).index
        guard l != StateStore.full else { return (StateStore.full, false) }
        let r = right.insert(second(s)).index
        guard r != StateStore.full else { return (StateStore.full, false) }
        return insert(s, pair: CompressedStore.mixed(l, r))
    }

    /// Adds the state `s` whose halves are stored, with the pair's word `pair`.
    @inline(__always)
    private func insert(_ s: UnsafePointer<UInt64>, pair: UInt64) -> (index: Int, inserted: Bool) {
        guard let isNew = pairs.insert(pair) else { return (StateStore.full, false) }
        guard isNew else { return (frontier.number(pair), false) }
        // The set now holds the pair; without room in the queue the search stops.
        let n = frontier.add(s, key: pair)
        return (n, n != StateStore.full)
    }

    /// The pair's word if both parts of `s` are stored (`s` may then be stored), else nil
    /// (`s` is new).
    @inline(__always)
    private func pair(_ s: UnsafePointer<UInt64>) -> UInt64? {
        guard let l = left.find(s, key: left.key(s)) else { return nil }
        let t = second(s)
        guard let r = right.find(t, key: right.key(t)) else { return nil }
        return CompressedStore.mixed(l, r)
    }

    @inline(__always)
    func contains(_ s: UnsafePointer<UInt64>) -> Bool {
        guard let p = pair(s) else { return false }
        return pairs.contains(p)
    }

    /// A pipeline of four stages: the halves' home slots are prefetched, then the stored
    /// halves their runs name, then the halves are looked up and the pair's home slot
    /// prefetched, then the pair is looked up.
    func markStored(in buffer: SuccessorBuffer, from: Int, to: Int) {
        let hashes = buffer.hashes
        buffer.inLookupPipeline(
            from: from, to: to,
            first: { k in
                let s = buffer.state(k)
                left.prefetchHome(left.key(s))
                right.prefetchHome(right.key(second(s)))
            },
            second: { k in
                let s = buffer.state(k)
                left.prefetchRecord(key: left.key(s))
                right.prefetchRecord(key: right.key(second(s)))
            },
            third: { k in
                let p = pair(buffer.state(k)) ?? 0
                hashes[k] = p
                if p != 0 { pairs.prefetch(p) }
            },
            last: { k in
                let p = hashes[k]
                if p != 0 && pairs.contains(p) {
                    // Its number when the proviso needs it, else unknown.
                    hashes[k] = frontier.storedNumber(p)
                    buffer.markAlreadyStored(k)
                }
            })
    }

    func load(_ i: Int, into out: UnsafeMutablePointer<UInt64>) { frontier.load(i, into: out) }
    func loadShared(_ i: Int, into out: UnsafeMutablePointer<UInt64>) { frontier.loadShared(i, into: out) }
    func expanded(below i: Int) { frontier.expanded(below: i) }

    func discard() {
        left.release()
        right.release()
        pairs.discard()
        frontier.clear()
    }

    func link(_ i: Int) -> UInt32 { preconditionFailure("a compressed store keeps no links") }
}
