/// How a search runs: order, limits, and whether it stops at the first violation.
public struct SearchOptions: Sendable, Equatable {
    /// The order states are expanded in.
    public enum Order: String, Sendable {
        case breadthFirst = "bfs"
        case depthFirst = "dfs"
    }

    public var order: Order
    /// Keep going after a violation, counting violating steps per property.
    public var findAll: Bool
    /// Stop (incomplete) once this many distinct states are stored.
    public var maxStates: Int?
    /// Do not expand states deeper than this (incomplete if anything new lay beyond).
    public var maxDepth: Int?
    /// Most bytes the search's own structures (state store, hash table, parent links,
    /// depth-first stack) may hold; past it the search ends, incomplete. Nil: no limit.
    public var memoryLimit: Int?
    /// Threads that expand states: breadth-first without a depth limit only (otherwise one).
    /// The result does not depend on it.
    public var threads: Int
    /// Hash compaction: keep a 64-bit fingerprint per state instead of the state
    /// (breadth-first only); a state whose fingerprint collides with another's is missed.
    public var fingerprint: Bool
    /// Tree compression: keep each state as the numbers of its two parts, each part stored
    /// once (`CompressedStore`; breadth-first only, not with `fingerprint`). Exact.
    public var compress: Bool
    /// Partial-order reduction: expand a reduced set of steps where the system has one
    /// (`TransitionSystem.expandReduced`), with the proviso that keeps it sound.
    public var partialOrder: Bool

    /// The threads a search with these options uses: `threads` breadth-first without a
    /// depth limit, else one.
    public var effectiveThreads: Int { order == .breadthFirst && maxDepth == nil ? threads : 1 }

    /// The store gives expanded states back (fingerprints, compression): a counterexample
    /// is then rebuilt by searching again.
    var forgetsExpandedStates: Bool { fingerprint || compress }

    public init(
        order: Order = .breadthFirst, findAll: Bool = false, maxStates: Int? = nil, maxDepth: Int? = nil,
        memoryLimit: Int? = nil, threads: Int = 1, fingerprint: Bool = false, partialOrder: Bool = false,
        compress: Bool = false
    ) {
        self.compress = compress
        self.partialOrder = partialOrder
        self.fingerprint = fingerprint
        self.threads = max(1, threads)
        self.order = order
        self.findAll = findAll
        self.maxStates = maxStates
        self.maxDepth = maxDepth
        self.memoryLimit = memoryLimit
    }
}
