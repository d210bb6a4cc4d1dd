/// A checked model file, compiled for execution.
///
/// Each enabled action has an entry point into `code`; the action's inputs are in the
/// first registers, in the order `Action.spec.inputs` declares them.
public struct CompiledModel: Sendable {
    /// What the model's author says a run finds.
    public enum Expectation: Sendable, Equatable {
        case pass
        case violation(String)
    }

    /// How actions interleave: each a single step, or each statement a step.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        case coarse, fine
    }

    /// A statement boundary in fine mode: where a step may end and another CPU's step (or,
    /// if `preemptible`, a preemption of this CPU; if `interruptible`, an IPI to it) may
    /// come in between.
    public struct YieldPoint: Sendable, Equatable {
        /// The `.yield` instruction; execution resumes after it.
        public var pc: Int
        /// Outside `irqs_off` regions and routines, outside `preempt_off` ones unless the
        /// model is `preempt_rt`, and not in the schedule action (whether the model is
        /// `preemptible` at all is the model's, not the point's).
        public var preemptible: Bool
        /// Outside `irqs_off` regions and routines: an IPI may come in here.
        public var interruptible: Bool
        /// The registers that must survive the pause (the action's inputs and every
        /// register read later before it is written), in the order they are saved.
        public var saved: [Int32]
        /// The action this point belongs to.
        public var action: Action
    }

    /// What a register holds, as far as renaming and dangling marks care.
    public enum RegisterKind: UInt8, Sendable {
        case other, task, mm, holder
    }

    /// The kind of each register yield point `y` saves, in the order they are saved.
    public func savedKinds(_ y: YieldPoint) -> [RegisterKind] {
        let action = Int(y.action.rawValue)
        return y.saved.map { r in
            taskRegisters[action].contains(r)
                ? .task
                : mmRegisters[action].contains(r) ? .mm : holderRegisters[action].contains(r) ? .holder : .other
        }
    }

    /// A number set in the file, with where it was set (for error messages).
    public struct Setting: Sendable, Equatable {
        public var value: Int
        public var location: SourceLocation
        /// The number as written in the file (quote this, not `value`, in messages).
        public var text: String
        init(value: Int, location: SourceLocation, text: String) {
            self.value = value
            self.location = location
            self.text = text
        }
    }

    public var path: String
    public var name: String
    var sourceLines: [String]
    public var expectation: Expectation
    public var cpus: Setting?
    public var tasks: Setting?
    public var mms: Setting?
    public var cap: Setting?
    public var actions: ActionSet
    /// Coarse (an action is one step) or fine (a statement is one step).
    public var mode: Mode
    /// CONFIG_PREEMPT: in fine mode, a task may be switched out at a preemptible yield point.
    public var preemptible: Bool
    /// CONFIG_PREEMPT_RT: spinlock_t sections (`preempt_off`) do not keep the task from
    /// being preempted (the yield points say so already; this is for what a run prints).
    public var preemptRT: Bool
    /// Fine mode's statement boundaries (empty in coarse mode).
    public var yields: [YieldPoint]
    /// The most registers saved at any yield point of the schedule action, and of the
    /// task actions (every action but schedule).
    public var scheduleFrameSize: Int
    public var taskFrameSize: Int
    /// The registers of each action (by `Action.rawValue`) that hold mm references:
    /// when an mm is freed, those holding it are marked dangling.
    public var mmRegisters: [[Int32]]
    /// The registers of each action that hold task ids (what a symmetry permutes).
    var taskRegisters: [[Int32]]
    /// The registers of each action that hold holder slots (renamed with them).
    var holderRegisters: [[Int32]]
    /// `holders N`: the holder slots (open /proc files, OOM victims' signal structs) the
    /// holder actions use (0 when the model does not set it).
    public var holders: Setting?
    /// Some action's code takes a task_lock: fine mode keeps a lock bit per task slot.
    public var usesTaskLock: Bool
    public var code: [Instruction]
    /// Each action's first instruction in `code` (by `Action.rawValue`; nil: the action is
    /// off, or has no code).
    public var entries: [Int?]
    /// The site of bad_fork_cleanup_mm's declaration (where a failed child that still holds
    /// a reference is reported), when clone_fail is on.
    public var cleanupSite: Int32?
    public var registerCount: Int
    public var sites: [Site]
    /// What compiles but probably does not mean what it says (a routine nothing calls, a
    /// statement that never runs), in source order. Each prints as
    /// `file:line:column: warning: message` with `formatted(path:)`.
    public var warnings: [Diagnostic] = []

    /// The most holder slots a model may have.
    public static let maxHolders = 4

    /// The number of holder slots (0 without `holders`).
    public var holderSlots: Int { holders?.value ?? 0 }

    /// Some action's step reaches a task that is not its CPU's (get_task_mm, the holder
    /// actions) or takes another action's lock (`task_lock`): partial-order reduction's
    /// independence argument does not cover such models.
    public var reachesOtherTasks: Bool {
        !actions.isDisjoint(with: ActionSet.holderActions.union(.getTaskMM)) || usesTaskLock
    }

    /// Every jump of `code` goes to a later instruction, so a run of an action's code
    /// passes each instruction at most once and reaches its yield points in the order of
    /// their addresses. The language has no loops and inlines every call (a routine that
    /// calls itself is an error), so this holds for every model the compiler accepts;
    /// partial-order reduction's proviso rests on it (`KernelSystem.reductionIsAcyclic`).
    public var jumpsOnlyForward: Bool {
        code.indices.allSatisfy { !code[$0].operation.isJump || Int(code[$0].c) > $0 }
    }

    /// Registers holding an action's inputs.
    public static let inputRegisters = Action.inputRegisters

    /// The first instruction of `action`'s code, if it has code in this model.
    public func entry(_ action: Action) -> Int? { entries[Int(action.rawValue)] }

    /// The number of lines of the model's source.
    public var sourceLineCount: Int { sourceLines.count }

    /// A line (1-based) as written, indentation kept, for excerpts ("" past the end).
    public func sourceLineAsWritten(_ line: Int) -> String {
        guard line >= 1, line <= sourceLines.count else { return "" }
        var text = Substring(sourceLines[line - 1])
        while let l = text.last, l == " " || l == "\t" || l == "\r" { text.removeLast() }
        return String(text)
    }

    /// The trimmed source text of a line (1-based), for messages.
    public func sourceLine(_ line: Int) -> String {
        guard line >= 1, line <= sourceLines.count else { return "" }
        return sourceLines[line - 1].trimmingWhitespace()
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
