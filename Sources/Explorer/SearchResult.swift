/// What a search found and what it cost.
public struct SearchResult: Sendable {
    /// Why the search ended.
    public enum Ending: Sendable, Equatable {
        /// Every reachable state was explored.
        case exhausted
        /// Stopped at the first violation.
        case violation
        /// A limit was hit before the state space was exhausted.
        case limit(String)
    }

    /// One counterexample: the labels of the steps from an initial state, the last step
    /// being the one that violated `property`. An empty path means the initial state
    /// `initialIndex` itself violates it.
    public struct Counterexample: Sendable, Equatable {
        public var property: Int
        var initialIndex: Int
        public var path: [UInt32]
    }

    public var ending: Ending
    /// Distinct states stored.
    public var states: Int
    /// Every firing of an enabled step from an explored state, violating ones included.
    public var transitions: Int
    /// Deepest level reached (the initial states are level 0).
    public var depth: Int
    /// Violating steps seen, per property index.
    public var violationCounts: [Int]
    /// The first counterexample found for each violated property, in the order found.
    public var counterexamples: [Counterexample]
    /// States expanded with a reduced set of steps (partial-order reduction) and not
    /// again in full; the other expanded states had every enabled step expanded.
    public var reducedStates: Int = 0
    /// States expanded with every enabled step: without a reduction every expanded state;
    /// with one, those where it found no single independent step, or the proviso asked for
    /// all (each counted once).
    public var fullStates: Int = 0
    /// States passed through on merged steps (partial-order reduction): each a state whose
    /// reduced set is one step, taken without storing it, counted each time it was; their
    /// steps are among `transitions`.
    public var passedStates: Int = 0
    /// Wall-clock seconds spent searching.
    public var seconds: Double
    /// Bytes held by the state store and the search's own arrays at the end.
    public var searchBytes: Int
}
