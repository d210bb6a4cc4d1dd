/// The action catalogue (SEMANTICS.md §3): every kind of step the kernel semantics takes,
/// each declared once, in `spec`. What the rest of the checker knows about an action
/// derives from its entry here: the names that switch it on in a model file, the routines
/// its code runs and the input registers it passes them (the compiler's emit loop, the
/// "needs routine" errors), when it is enabled (the explorer's enumeration), what a trace
/// line carries (the trace file's writer and reader, the help text). What cannot derive —
/// how the machine runs it and how a trace prints it — is an exhaustive `switch` over this
/// type, so a new case does not compile until each is written.
///
/// The raw value is the step label's kind field (5 bits): keep it below 32.
public enum Action: UInt32, Sendable, CaseIterable {
    case schedule = 0
    case exit, clone, exec, useMM, unuseMM, cloneFail
    /// Fine mode: the next statement of whatever is in progress on the CPU.
    case proceed
    /// Fine mode with shootdown: a CPU takes the IPI that moves its task off the mm being
    /// freed (its active_mm, lazily borrowed) to init_mm, so that a waiting free can go on.
    case shootdown
    /// clone(CLONE_VM | CLONE_VFORK): the child shares the parent's mm, and the parent
    /// sleeps until the child execs or exits (kernel/fork.c: wait_for_vfork_done;
    /// complete_vfork_done from mm_release).
    case vfork
    /// Outside holders (SEMANTICS.md §3.12): a task reads another task's memory through
    /// get_task_mm (access_process_vm: get_task_mm, access_remote_vm, mmput).
    case getTaskMM
    /// A /proc/<pid>/mem file: opened (proc_mem_open: the file keeps an mm_count reference in
    /// a holder slot), read or written (mem_rw), closed (mem_release).
    case procOpen, procAccess, procRelease
    /// The OOM killer marks a victim (mark_oom_victim: signal->oom_mm keeps an mm_count
    /// reference in a holder slot), the OOM reaper reaps it, and the signal struct goes
    /// (free_signal_struct drops the reference).
    case oomKill, oomReap, oomRelease

    /// A named input of an action's code: input `spec.inputs[i]` is in register i.
    public enum Input: Int, Sendable, Equatable, CaseIterable {
        case prev, next, task, parent, child, how, mm
        /// The task an outside holder reaches (get_task_mm's argument).
        case target
        /// A holder slot.
        case holder

        /// What the input holds, as the language types it.
        var type: ValueType {
            switch self {
            case .prev, .next, .task, .parent, .child, .target: return .task
            case .mm: return .mm
            case .holder: return .holder
            case .how: return .how
            }
        }
    }

    /// A field of a step in a trace line (`step clone cpu=0 parent=0 child=2 how=fork`);
    /// `cpu=` comes first in every step and is not listed.
    public enum Parameter: String, Sendable, Equatable {
        /// A task slot, or `idle` (the CPU's idle task).
        case next
        /// A task slot.
        case task, parent, child
        /// A `CloneKind` name.
        case how
        /// An mm slot number.
        case mm
        /// A task slot an outside holder reaches.
        case target
        /// A holder slot.
        case holder
    }

    /// The outside holders whose references live in holder slots: which family a slot
    /// belongs to says which actions may use it (the slot's stored kind is 1 + the raw
    /// value; 0 is a free slot).
    public enum HolderFamily: Int32, Sendable, CaseIterable {
        case procFile = 0
        case oomVictim = 1
    }

    /// When a task action (one the current task of a CPU takes) is enabled, besides its
    /// task running on the CPU with nothing of its own in progress.
    public struct Requirements: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// The task is not a kernel thread inside use_mm (which may only unuse).
        public static let notUsingMM = Requirements(rawValue: 1)
        /// The task has an mm / has none.
        public static let hasMM = Requirements(rawValue: 2)
        public static let hasNoMM = Requirements(rawValue: 4)
        /// The task is a kernel thread (PF_KTHREAD; models that switch on use_mm).
        public static let kthread = Requirements(rawValue: 8)
        /// A task slot is free: the child takes the lowest one.
        public static let freeTaskSlot = Requirements(rawValue: 16)
        /// An mm slot is free (the step makes a new mm).
        public static let freeMMSlot = Requirements(rawValue: 32)
        /// One step for each live mm slot with users > 0 (its `mm=` parameter).
        public static let eachLiveMM = Requirements(rawValue: 64)
        /// One step for each live task slot (its `target=` parameter): not free, not forming.
        public static let eachTarget = Requirements(rawValue: 128)
        /// A holder slot is free: the step takes the lowest one (its `holder=` parameter).
        public static let freeHolder = Requirements(rawValue: 256)
        /// One step for each holder slot of the action's family that holds an mm.
        public static let eachHolder = Requirements(rawValue: 512)
    }

    /// Who may take the action.
    enum Enabling: Sendable, Equatable {
        /// Every CPU, to each runnable task and to its idle task (SEMANTICS.md §3.1).
        case scheduler
        /// The current task of a CPU, running, meeting the requirements of the switch that
        /// turned the action on.
        case task
        /// Fine mode: a CPU with a schedule or a task action in progress.
        case inProgress
        /// Fine mode with shootdown: a CPU on an mm (its task's active_mm) whose free waits
        /// for its IPI.
        case awaitedCPU
    }

    /// A name that switches the action on in a model's `actions` line.
    public struct Switch: Sendable {
        public let name: String
        let flag: ActionSet
        /// The clone kind the child gets (clone, clone_fail: per switch; vfork: always).
        let how: CloneKind?
        let requires: Requirements
        /// Another switch this one makes no sense without, and the error saying so.
        let needs: (flags: ActionSet, message: String)?
        /// The switch gives one variant per switch of this other action that is on, with
        /// its clone kind and requirements (clone_fail fails each clone that is on).
        let variantsOf: Action?

        init(
            _ name: String, _ flag: ActionSet, how: CloneKind? = nil, requires: Requirements = [],
            variantsOf: Action? = nil, needs: (ActionSet, String)? = nil
        ) {
            self.name = name
            self.flag = flag
            self.how = how
            self.requires = requires
            self.needs = needs.map { (flags: $0.0, message: $0.1) }
            self.variantsOf = variantsOf
        }
    }

    /// An entry routine the action's code calls, with the inputs passed as its arguments.
    struct Call: Sendable {
        let routine: EntryRoutine
        let arguments: [Input]
        /// The action runs without it when the model does not define it.
        let optional: Bool
        init(_ routine: EntryRoutine, _ arguments: [Input], optional: Bool = false) {
            self.routine = routine
            self.arguments = arguments
            self.optional = optional
        }
    }

    /// Everything declared about one action.
    public struct Spec: Sendable {
        /// Its name in traces, in the help and in messages.
        public let name: String
        let switches: [Switch]
        let enabling: Enabling
        /// The inputs of its code, in register order.
        let inputs: [Input]
        /// The code it runs: these routines, inlined in order.
        let calls: [Call]
        /// Routines the action needs though its code does not call them (shootdown: the
        /// lazy-TLB helpers every lazy reference must go through).
        let needsRoutines: [EntryRoutine]
        /// Its trace line's fields after `cpu=`.
        public let parameters: [Parameter]
        /// A sample trace line, and what it means, for the help.
        public let example: (step: String, note: String)
        /// The holder family whose slots the action fills (`freeHolder`) or uses (`eachHolder`).
        public var holderFamily: HolderFamily? = nil
    }

    public var spec: Spec {
        switch self {
        case .schedule:
            return Spec(
                name: "schedule", switches: [Switch("schedule", .schedule)], enabling: .scheduler,
                inputs: [.prev, .next],
                calls: [Call(.contextSwitch, [.prev, .next]), Call(.finishTaskSwitch, [.prev], optional: true)],
                needsRoutines: [], parameters: [.next],
                example: ("schedule cpu=0 next=0", "next=idle: the CPU's idle task"))
        case .exit:
            return Spec(
                name: "exit", switches: [Switch("exit", .exit, requires: .notUsingMM)], enabling: .task,
                inputs: [.task], calls: [Call(.exitMM, [.task])], needsRoutines: [], parameters: [.task],
                example: ("exit cpu=0 task=0", "the task exits: exit_mm"))
        case .clone:
            return Spec(
                name: "clone",
                switches: [
                    Switch("clone_thread", .cloneThread, how: .thread, requires: [.notUsingMM, .hasMM, .freeTaskSlot]),
                    Switch(
                        "clone_fork", .cloneFork, how: .fork,
                        requires: [.notUsingMM, .hasMM, .freeTaskSlot, .freeMMSlot]),
                    Switch("clone_kthread", .cloneKthread, how: .kthread, requires: [.hasNoMM, .freeTaskSlot]),
                ],
                enabling: .task, inputs: [.parent, .child, .how], calls: [Call(.copyMM, [.parent, .child, .how])],
                needsRoutines: [], parameters: [.parent, .child, .how],
                example: ("clone cpu=0 parent=0 child=2 how=fork", "the child takes the lowest free slot"))
        case .exec:
            return Spec(
                name: "exec", switches: [Switch("exec", .exec, requires: [.notUsingMM, .freeMMSlot])],
                enabling: .task, inputs: [.task, .mm], calls: [Call(.execMmap, [.task, .mm])],
                needsRoutines: [], parameters: [.task],
                example: ("exec cpu=0 task=0", "the new mm is the lowest free slot"))
        case .useMM:
            return Spec(
                name: "use_mm", switches: [Switch("use_mm", .useMM, requires: [.kthread, .hasNoMM, .eachLiveMM])],
                enabling: .task, inputs: [.task, .mm],
                calls: [Call(.mmget, [.mm]), Call(.kthreadUseMM, [.task, .mm])], needsRoutines: [],
                parameters: [.task, .mm],
                example: ("use_mm cpu=0 task=1 mm=0", "a kernel thread starts using mm slot 0"))
        case .unuseMM:
            return Spec(
                name: "unuse_mm",
                switches: [
                    Switch(
                        "unuse_mm", .unuseMM, requires: [.kthread, .hasMM],
                        needs: (
                            .useMM,
                            "action 'unuse_mm' needs action 'use_mm': without it no kernel thread ever uses an mm"
                        ))
                ],
                enabling: .task, inputs: [.task, .mm],
                calls: [Call(.kthreadUnuseMM, [.task, .mm]), Call(.mmput, [.mm])], needsRoutines: [],
                parameters: [.task], example: ("unuse_mm cpu=0 task=1", "it stops using its mm"))
        case .cloneFail:
            return Spec(
                name: "clone_fail",
                switches: [
                    Switch(
                        "clone_fail", .cloneFail, variantsOf: .clone,
                        needs: (
                            .anyClone,
                            "action 'clone_fail' needs a clone action to fail (clone_thread, clone_fork or clone_kthread)"
                        ))
                ],
                enabling: .task, inputs: [.parent, .child, .how],
                calls: [Call(.copyMM, [.parent, .child, .how]), Call(.badForkCleanupMM, [.child])],
                needsRoutines: [], parameters: [.parent, .child, .how],
                example: ("clone_fail cpu=0 parent=0 child=2 how=thread", "copy_mm, then the fork error path"))
        case .proceed:
            return Spec(
                name: "proceed", switches: [], enabling: .inProgress, inputs: [], calls: [], needsRoutines: [],
                parameters: [], example: ("proceed cpu=0", "fine mode: the CPU's next statement"))
        case .shootdown:
            return Spec(
                name: "shootdown", switches: [Switch("shootdown", .shootdown)], enabling: .awaitedCPU,
                inputs: [], calls: [], needsRoutines: [.mmgrabLazyTLB, .mmdropLazyTLB], parameters: [.mm],
                example: ("shootdown cpu=1 mm=0", "fine mode: cpu1 takes the IPI freeing mm slot 0"))
        case .vfork:
            return Spec(
                name: "vfork",
                switches: [Switch("vfork", .vfork, how: .vfork, requires: [.notUsingMM, .hasMM, .freeTaskSlot])],
                enabling: .task, inputs: [.parent, .child, .how], calls: [Call(.copyMM, [.parent, .child, .how])],
                needsRoutines: [], parameters: [.parent, .child],
                example: ("vfork cpu=0 parent=0 child=2", "the parent sleeps until the child execs or exits"))
        case .getTaskMM:
            return Spec(
                name: "get_task_mm", switches: [Switch("get_task_mm", .getTaskMM, requires: .eachTarget)],
                enabling: .task, inputs: [.target], calls: [Call(.accessProcessVM, [.target])],
                needsRoutines: [], parameters: [.task, .target],
                example: ("get_task_mm cpu=0 task=0 target=1", "task 0 reads task 1's memory: access_process_vm"))
        case .procOpen, .procAccess, .procRelease, .oomKill, .oomReap, .oomRelease:
            return holderSpec
        }
    }

    /// The specs of the holder actions: an open (a free holder slot, a target task), an
    /// access and a release (a holder slot of the family).
    private var holderSpec: Spec {
        let family: HolderFamily = [.procOpen, .procAccess, .procRelease].contains(self) ? .procFile : .oomVictim
        // (name and switch, flag, entry routine, sample trace line, what it means)
        let (name, flag, routine, step, note): (String, ActionSet, EntryRoutine, String, String) =
            switch self {
            case .procOpen:
                (
                    "proc_open", .procOpen, .procMemOpen, "task=0 target=1 holder=0",
                    "task 0 opens /proc/<task 1>/mem into holder slot 0"
                )
            case .procAccess:
                ("proc_access", .procAccess, .memRW, "task=0 holder=0", "a read of the file in holder slot 0: mem_rw")
            case .procRelease:
                (
                    "proc_release", .procRelease, .memRelease, "task=0 holder=0",
                    "the file in holder slot 0 is closed: mem_release"
                )
            case .oomKill:
                (
                    "oom_kill", .oomKill, .markOOMVictim, "task=0 target=1 holder=0",
                    "task 1 becomes an OOM victim; slot 0 is its oom_mm"
                )
            case .oomReap:
                (
                    "oom_reap", .oomReap, .oomReapTaskMM, "task=0 holder=0",
                    "the OOM reaper reaps the victim of holder slot 0"
                )
            default:  // .oomRelease (`spec` sends only the six holder actions here)
                (
                    "oom_release", .oomRelease, .freeSignalStruct, "task=0 holder=0",
                    "the victim's signal struct goes: free_signal_struct"
                )
            }
        let example = ("\(name) cpu=0 \(step)", note)
        let opens = self == .procOpen || self == .oomKill
        return Spec(
            name: name,
            switches: [Switch(name, flag, requires: opens ? [.eachTarget, .freeHolder] : .eachHolder)],
            enabling: .task, inputs: opens ? [.target, .holder] : [.holder],
            calls: [Call(routine, opens ? [.holder, .target] : [.holder])], needsRoutines: [],
            parameters: opens ? [.task, .target, .holder] : [.task, .holder], example: example, holderFamily: family)
    }

    /// The register of input `input` in this action's code, if the action has it.
    public func register(of input: Input) -> Int32? { spec.inputs.firstIndex(of: input).map(Int32.init) }

    /// The most input registers of any action.
    static let inputRegisters = Action.allCases.map { $0.spec.inputs.count }.max() ?? 0

    /// The clone kind every step of this action has, when its trace line does not say it
    /// (vfork: always `vfork`).
    public var impliedHow: CloneKind? {
        spec.parameters.contains(.how) ? nil : spec.switches.lazy.compactMap(\.how).first
    }

    /// The clone kinds a step of this action can carry: its switches' (or, for a switch with
    /// `variantsOf`, that action's).
    public var hows: [CloneKind] {
        spec.switches.flatMap { s in s.variantsOf.map { $0.hows } ?? s.how.map { [$0] } ?? [] }
    }

    /// Whether a switch in `actions` turns this action on.
    func isOn(in actions: ActionSet) -> Bool { spec.switches.contains { actions.contains($0.flag) } }
}

/// The kinds of a `clone`: the `how` argument of `copy_mm`. `vfork` is CLONE_VM |
/// CLONE_VFORK: the kernel's copy_mm tests only CLONE_VM, so a faithful model treats it as
/// `thread`; the vfork action passes it so that a model can tell the two apart. Each name
/// is a constant of the model language (and a reserved word); the raw value fits the step
/// label's 2-bit `how` field.
public enum CloneKind: Int32, Sendable, CaseIterable {
    case thread = 0
    case fork = 1
    case kthread = 2
    case vfork = 3
    public var name: String {
        switch self {
        case .thread: return "thread"
        case .fork: return "fork"
        case .kthread: return "kthread"
        case .vfork: return "vfork"
        }
    }
}

/// The names a model can switch on with `actions ...`, one bit each, declared with their
/// action in `Action.spec`. `shootdown` is a configuration as much as an action: it
/// switches on the CONFIG_MMU_LAZY_TLB_SHOOTDOWN variant (lazy users hold no count; `free`
/// first moves every CPU whose task's active_mm is the mm to `init_mm`, each by its IPI step).
public struct ActionSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let schedule = ActionSet(rawValue: 1)
    static let exit = ActionSet(rawValue: 2)
    static let cloneThread = ActionSet(rawValue: 4)
    static let cloneFork = ActionSet(rawValue: 8)
    static let cloneKthread = ActionSet(rawValue: 16)
    static let exec = ActionSet(rawValue: 32)
    public static let useMM = ActionSet(rawValue: 64)
    static let unuseMM = ActionSet(rawValue: 128)
    static let cloneFail = ActionSet(rawValue: 256)
    public static let shootdown = ActionSet(rawValue: 512)
    public static let vfork = ActionSet(rawValue: 1024)
    static let getTaskMM = ActionSet(rawValue: 2048)
    static let procOpen = ActionSet(rawValue: 4096)
    static let procAccess = ActionSet(rawValue: 8192)
    static let procRelease = ActionSet(rawValue: 16384)
    static let oomKill = ActionSet(rawValue: 32768)
    static let oomReap = ActionSet(rawValue: 65536)
    static let oomRelease = ActionSet(rawValue: 131_072)
    /// The switches of actions that use holder slots.
    public static let holderActions: ActionSet = [
        .procOpen, .procAccess, .procRelease, .oomKill, .oomReap, .oomRelease,
    ]
    static let anyClone: ActionSet = [.cloneThread, .cloneFork, .cloneKthread]

    /// Every switch, in catalogue order.
    public static let switches: [Action.Switch] = Action.allCases.flatMap { $0.spec.switches }

    /// The name each switch has in a model file.
    static let names: [(String, ActionSet)] = switches.map { ($0.name, $0.flag) }

    /// The names of the switches in the set, in catalogue order.
    var names: [String] { ActionSet.names.filter { contains($0.1) }.map(\.0) }
}

/// One way a task action is enabled in a model: the action, with the clone kind its child
/// gets and what the acting task and the state must offer. The explorer enumerates these
/// for the current task of each CPU.
public struct TaskActionVariant: Sendable {
    public let action: Action
    public let how: CloneKind
    public let requires: Action.Requirements
    /// The step names a child slot (its `child=` parameter).
    public let takesChild: Bool
    /// The holder family of the slots the action fills or uses (`Action.HolderFamily`
    /// raw value; -1: none).
    public let holderFamily: Int32

    init(action: Action, how: CloneKind, requires: Action.Requirements) {
        self.action = action
        self.how = how
        self.requires = requires
        takesChild = action.spec.parameters.contains(.child)
        holderFamily = action.spec.holderFamily?.rawValue ?? -1
    }

    /// The task actions `actions` switches on, in catalogue order (a switch with
    /// `variantsOf` once for each switch of that action that is on).
    public static func enabled(by actions: ActionSet) -> [TaskActionVariant] {
        var out: [TaskActionVariant] = []
        for action in Action.allCases where action.spec.enabling == .task {
            for s in action.spec.switches where actions.contains(s.flag) {
                if let other = s.variantsOf {
                    for o in other.spec.switches where actions.contains(o.flag) {
                        out.append(TaskActionVariant(action: action, how: o.how ?? .thread, requires: o.requires))
                    }
                } else {
                    out.append(TaskActionVariant(action: action, how: s.how ?? .thread, requires: s.requires))
                }
            }
        }
        return out
    }
}
