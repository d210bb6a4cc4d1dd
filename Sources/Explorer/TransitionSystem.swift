/// A finite transition system over fixed-width packed states, as the explorer sees it.
///
/// The explorer knows nothing of what a state means: a state is `stateWords` 64-bit words,
/// an action is an opaque 32-bit label, and a violation is an index into `propertyNames`.
/// Two states are the same state exactly when their words are equal, so a conforming
/// system must pack canonically (unused bits zero).
public protocol TransitionSystem: AnyObject {
    /// Width of one packed state in 64-bit words.
    var stateWords: Int { get }
    /// Bytes of a packed state that can be nonzero: its words' bytes past this many (in
    /// little-endian order) are always zero, and the store keeps only these.
    var stateBytes: Int { get }
    /// The compressed store (`CompressedStore`) keeps a state as its first `splitWords` words
    /// and the rest, each part stored once: a system that can should pack the fields that
    /// vary together in the same part. At least 1 and less than `stateWords`, with some of
    /// the state's `stateBytes` in the second part: the store needs states of two words or more.
    var splitWords: Int { get }
    /// Names of the outcomes a step can report, indexed by the outcome code in `SuccessorBuffer`.
    var propertyNames: [String] { get }
    /// Writes the initial states (each checked: an initial state may already violate a property).
    func initialStates(into buffer: SuccessorBuffer)
    /// Writes every enabled step from `state`: the successor, the step's label, and whether
    /// the step violated a property. Must not allocate per call once `buffer` has grown.
    func expand(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer)
    /// Whether `expandReduced` can expand less than every step.
    var hasReduction: Bool { get }
    /// Writes the steps of a reduced set from `state` (partial-order reduction), or every
    /// enabled step as `expand` does; returns true in the first case. A reduced set is
    /// nonempty when some step is enabled, its steps are independent of every step outside
    /// it that can come before them, and invisible to the properties; unless
    /// `reductionIsAcyclic`, the search must then see that no cycle of states is closed by
    /// reduced sets alone (it expands the state again in full when one of its reduced
    /// successors is already stored: the proviso).
    func expandReduced(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool
    /// Writes the steps of the reduced set `expandReduced` would take from `state` and
    /// returns true, or writes nothing and returns false when it would expand every step.
    func reducedSet(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool
    /// Whether no cycle of states can be made of reduced sets' steps alone: every such step
    /// makes progress that no step of a reduced set undoes. Every cycle of the reduced graph
    /// then has a state expanded in full already, and the search needs no proviso; without a
    /// depth limit it also passes through, without storing, each state whose reduced set
    /// (`reducedSet`) is one step that violates nothing (`Search.passThrough`).
    var reductionIsAcyclic: Bool { get }
    /// Whether the system has a symmetry: `canonicalize` then maps every state to the
    /// representative of its orbit, and the search stores representatives only.
    var isSymmetric: Bool { get }
    /// Replaces `state` by its orbit's representative (states in one orbit have the same
    /// steps up to the symmetry, with the same violations).
    func canonicalize(_ state: UnsafeMutablePointer<UInt64>)
    /// Whether the system can put off the checks of its state properties: those a state
    /// violates or not by itself, whatever step reached it, and the same on every state of
    /// its orbit. A stored state has passed them, so a search can check them only on the
    /// successors it does not find stored (`setDefersStateChecks`, `stateViolation`).
    var canDeferStateChecks: Bool { get }
    /// From now on (`on`) `expand` flags only the violations of the steps themselves and
    /// leaves the state properties to `stateViolation`; or (not `on`) checks them again.
    func setDefersStateChecks(_ on: Bool)
    /// The state property `state` violates (the first, in the order `expand` checks them),
    /// or `SuccessorBuffer.noViolation`.
    func stateViolation(_ state: UnsafePointer<UInt64>) -> Int32
    /// A new system like this one, with its own working memory, for another thread to call
    /// `expand` and `canonicalize` on while this one is idle; nil: the system is used from
    /// one thread only.
    func makeWorker() -> (any TransitionSystem)?
}

extension TransitionSystem {
    public var stateBytes: Int { stateWords * 8 }
    public var splitWords: Int { max(1, stateWords / 2) }
    public func makeWorker() -> (any TransitionSystem)? { nil }
    var isSymmetric: Bool { false }
    public var hasReduction: Bool { false }
    public var reductionIsAcyclic: Bool { false }
    public func expandReduced(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool {
        expand(state, into: buffer)
        return false
    }
    public func reducedSet(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool { false }
    public var canDeferStateChecks: Bool { false }
    public func setDefersStateChecks(_ on: Bool) {}
    public func stateViolation(_ state: UnsafePointer<UInt64>) -> Int32 { SuccessorBuffer.noViolation }
    func canonicalize(_ state: UnsafeMutablePointer<UInt64>) {}
}
