/// Hash compaction: a `FingerprintSet` of the 64-bit hashes of the states seen, and a
/// `RecordArena` of the states still to be expanded, at their packed byte width.
///
/// Two states with the same fingerprint count as one, so a state can be missed (with the
/// probability the search reports); states that have been expanded are given back to the
/// system chunk by chunk. A counterexample is rebuilt by searching again (`Search`).
///
/// With `numbers` (partial-order reduction) it also keeps the numbers of the last two
/// levels' states (`LevelNumbers`), so that a lookup names a state seen before by its
/// number wherever the proviso needs it: the reduced search is then the exact one's.
final class FingerprintStore: VisitedStates {
    let stateWords: Int
    let stateBytes: Int
    private let fingerprints: FingerprintSet
    private let frontier: Frontier

    init(stateWords: Int, stateBytes: Int, numbers: Bool = false, budget: MemoryBudget) {
        precondition(stateWords > 0 && stateBytes > 0 && stateBytes <= stateWords * 8)
        self.stateWords = stateWords
        self.stateBytes = stateBytes
        fingerprints = FingerprintSet(budget: budget)
        frontier = Frontier(stateWords: stateWords, stateBytes: stateBytes, numbers: numbers, budget: budget)
    }

    var count: Int { frontier.count }
    var bytesAllocated: Int { fingerprints.bytesAllocated + frontier.bytesAllocated }

    func levelBegins() { frontier.levelBegins() }

    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, link: UInt32) -> (index: Int, inserted: Bool) {
        insert(s, key: key(s), link: link)
    }

    /// The state's fingerprint.
    @inline(__always)
    func key(_ s: UnsafePointer<UInt64>) -> UInt64 { FingerprintSet.fingerprint(StateStore.hash(s, stateWords)) }

    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, key f: UInt64, link: UInt32) -> (index: Int, inserted: Bool) {
        assert(f == key(s), "a stale fingerprint")
        guard let isNew = fingerprints.insert(f) else {
            return (StateStore.full, false)
        }
        guard isNew else { return (frontier.number(f), false) }
        // The set now holds the fingerprint; without room in the queue the search stops.
        let n = frontier.add(s, key: f)
        return (n, n != StateStore.full)
    }

    @inline(__always)
    func contains(_ s: UnsafePointer<UInt64>) -> Bool {
        fingerprints.contains(key(s))
    }

    func markStored(in buffer: SuccessorBuffer, from: Int, to: Int) {
        let hashes = buffer.hashes
        buffer.inLookupPipeline(
            from: from, to: to,
            first: { k in
                hashes[k] = key(buffer.state(k))
                fingerprints.prefetch(hashes[k])
            },
            second: { _ in },
            last: { k in
                if fingerprints.contains(hashes[k]) {
                    // Its number when the proviso needs it, else unknown.
                    hashes[k] = frontier.storedNumber(hashes[k])
                    buffer.markAlreadyStored(k)
                }
            })
    }

    func load(_ i: Int, into out: UnsafeMutablePointer<UInt64>) { frontier.load(i, into: out) }
    func loadShared(_ i: Int, into out: UnsafeMutablePointer<UInt64>) { frontier.loadShared(i, into: out) }
    func expanded(below i: Int) { frontier.expanded(below: i) }

    func discard() {
        fingerprints.discard()
        frontier.clear()
    }

    func link(_ i: Int) -> UInt32 { preconditionFailure("a fingerprint store keeps no links") }
}
