/// Which statements the explored steps executed (`mmcheck check --coverage`): for each
/// site (a statement as reached through one chain of inlined calls), how many taken steps
/// executed it. A step that was not taken (it waited for a lock, a free mm slot or a
/// shootdown) counts for nothing, though its code ran as far as the wait; a violating step
/// counts up to its failing statement.
final class CoverageCounter {
    /// Executions per site, summed over taken steps.
    private(set) var hits: [Int]
    /// The sites the step in hand executed so far, in order, each once per run of it.
    private var pending: [Int32] = []
    private var last: Int32 = -1

    init(sites: Int) {
        hits = Array(repeating: 0, count: sites)
        pending.reserveCapacity(64)
    }

    /// The interpreter runs an instruction of `site`: a new statement when the previous
    /// instruction was of another one.
    @inline(__always)
    func note(_ site: Int32) {
        guard site != last else { return }
        last = site
        pending.append(site)
    }

    /// The step in hand ends: counted when it was taken.
    func finishStep(taken: Bool) {
        if taken {
            for site in pending where hits.indices.contains(Int(site)) { hits[Int(site)] += 1 }
        }
        pending.removeAll(keepingCapacity: true)
        last = -1
    }

    /// Adds another counter's hits (a worker thread's).
    func add(_ other: CoverageCounter) {
        for i in hits.indices where i < other.hits.count { hits[i] += other.hits[i] }
    }
}
