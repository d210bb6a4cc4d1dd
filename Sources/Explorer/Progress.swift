/// Where a running search is, for progress lines (like TLC's): the current level (its
/// depth), states stored, transitions taken, states waiting to be expanded, seconds so far
/// and bytes the search holds.
public struct SearchProgress: Sendable, Equatable {
    public var level: Int
    public var states: Int
    public var transitions: Int
    public var queue: Int
    public var seconds: Double
    public var bytes: Int

    public init(level: Int, states: Int, transitions: Int, queue: Int, seconds: Double, bytes: Int) {
        self.level = level
        self.states = states
        self.transitions = transitions
        self.queue = queue
        self.seconds = seconds
        self.bytes = bytes
    }
}

/// Calls `report` with the search's progress `firstAfter` seconds into the search and then
/// every `every` seconds. The search calls `tick` once every 4096 expansions (a clock read),
/// so it costs nothing per state.
public final class ProgressReporter {
    let report: (SearchProgress) -> Void
    let every: Double
    private var next: Double

    public init(firstAfter: Double, every: Double, report: @escaping (SearchProgress) -> Void) {
        self.report = report
        self.every = every
        next = firstAfter
    }

    /// Reports if a report is due at `seconds` into the search.
    func tick(_ seconds: Double, _ progress: @autoclosure () -> SearchProgress) {
        guard seconds >= next else { return }
        report(progress())
        next = seconds + every
    }
}
