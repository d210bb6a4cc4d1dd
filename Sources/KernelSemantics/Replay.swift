import Explorer

/// Re-executes a path of steps from the initial state, checking that each step is enabled,
/// and records every state on the way: the basis of printed counterexamples, of
/// `--trace-out` files and of the tests that re-check each counterexample.
public struct Replay: Sendable {
    /// One step of a replayed path.
    public struct Entry: Sendable {
        public var step: Step
        /// schedule: the task switched away from (the CPU's current task before the step).
        public var prev: Int32
        public var before: KernelState
        /// The state after the step, or at the failing statement for a violating step.
        public var after: KernelState
        /// The violation this step ends in, if any.
        public var breach: Breach?
        /// Fine mode: the statement the step started with (a site index, -1 in coarse
        /// mode), the yield point where it paused (-1: its action ran to the end), and for a
        /// schedule, the yield point where the task it switched out was paused (-1: none,
        /// else this step is a preemption).
        public var site: Int32 = -1
        var pausedAt: Int32 = -1
        public var preemptedAt: Int32 = -1
    }

    /// Why a path does not replay.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownLabel(index: Int, label: UInt32)
        case notEnabled(index: Int, step: Step)
        case stepsAfterViolation(index: Int)
        public var description: String {
            switch self {
            case .unknownLabel(let i, let label): return "step \(i + 1): label \(label) is not a step"
            case .notEnabled(let i, _):
                return "step \(i + 1) is not enabled in the state reached by the steps before it"
            case .stepsAfterViolation(let i): return "step \(i + 1) comes after the step that violated a property"
            }
        }
    }

    public var initial: KernelState
    /// A violation of the initial state itself (a model cannot cause one; kept for completeness).
    public var initialBreach: Breach?
    public var entries: [Entry]

    /// The breach the path ends in, if it ends in one.
    public var finalBreach: Breach? { entries.last?.breach ?? initialBreach }

    /// Replays `path` on `system` from its initial state.
    public init(system: KernelSystem, path: [UInt32]) throws(Failure) {
        let layout = system.layout
        let machine = system.machine
        let boot = machine.loadInitialState()
        initial = KernelState(layout: layout, fields: machine.work)
        initialBreach = boot.breach
        entries = []
        var words = [UInt64](repeating: 0, count: layout.words)
        words.withUnsafeMutableBufferPointer { layout.pack(machine.work, into: $0.baseAddress!) }
        let buffer = SuccessorBuffer(stateWords: layout.words)
        for (i, label) in path.enumerated() {
            if entries.last?.breach != nil || initialBreach != nil { throw .stepsAfterViolation(index: i) }
            guard let step = Step(label: label) else { throw .unknownLabel(index: i, label: label) }
            buffer.reset()
            words.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
            guard (0..<buffer.count).contains(where: { buffer.label($0) == label }) else {
                throw .notEnabled(index: i, step: step)
            }
            words.withUnsafeBufferPointer { system.load($0.baseAddress!) }
            let prev = machine.current(step.cpu)
            let preemptedAt = step.kind == .schedule ? machine.taskPausedAt(prev) : -1
            let before = KernelState(layout: layout, fields: machine.base)
            let outcome = system.run(step)
            let after = KernelState(layout: layout, fields: machine.work)
            entries.append(
                Entry(
                    step: step, prev: prev, before: before, after: after, breach: outcome.breach,
                    site: machine.fine ? machine.startSite : -1, pausedAt: outcome.pausedAt,
                    preemptedAt: preemptedAt))
            if outcome.ran {
                words = [UInt64](repeating: 0, count: layout.words)
                words.withUnsafeMutableBufferPointer { layout.pack(machine.work, into: $0.baseAddress!) }
            }
        }
    }
}
