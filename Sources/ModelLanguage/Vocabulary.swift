/// The value types of the model language.
public enum ValueType: String, Sendable, Equatable {
    case task, mm, how
    /// A counter value (`m.count`, `m.users`) or a number literal.
    case int = "number"
    /// The acting CPU (`cpu`), usable only as `cpu.prev_mm` / `cpu.curr`.
    case cpu
    /// The type of a parameter declared with an unknown type: already reported, so
    /// anything done with it is accepted without further errors.
    case invalid
}

/// The kinds of a `clone`: the `how` argument of `copy_mm`.
public enum CloneKind: Int32, Sendable, CaseIterable {
    case thread = 0, fork = 1, kthread = 2
    public var name: String {
        switch self {
        case .thread: return "thread"
        case .fork: return "fork"
        case .kthread: return "kthread"
        }
    }
}

/// The actions a model can switch on with `actions ...`. `shootdown` is listed there too,
/// though it is a configuration rather than an action: it switches on the
/// CONFIG_MMU_LAZY_TLB_SHOOTDOWN variant (lazy users hold no count; `free` first moves every
/// CPU still borrowing the mm lazily to `init_mm`).
public struct ActionSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let schedule = ActionSet(rawValue: 1)
    public static let exit = ActionSet(rawValue: 2)
    public static let cloneThread = ActionSet(rawValue: 4)
    public static let cloneFork = ActionSet(rawValue: 8)
    public static let cloneKthread = ActionSet(rawValue: 16)
    public static let exec = ActionSet(rawValue: 32)
    public static let useMM = ActionSet(rawValue: 64)
    public static let unuseMM = ActionSet(rawValue: 128)
    public static let cloneFail = ActionSet(rawValue: 256)
    public static let shootdown = ActionSet(rawValue: 512)
    public static let anyClone: ActionSet = [.cloneThread, .cloneFork, .cloneKthread]

    /// The name each action has in a model file.
    static let names: [(String, ActionSet)] = [
        ("schedule", .schedule), ("exit", .exit),
        ("clone_thread", .cloneThread), ("clone_fork", .cloneFork), ("clone_kthread", .cloneKthread),
        ("exec", .exec), ("use_mm", .useMM), ("unuse_mm", .unuseMM), ("clone_fail", .cloneFail),
        ("shootdown", .shootdown),
    ]

    /// The names of the actions in the set, in declaration order.
    public var names: [String] { ActionSet.names.filter { contains($0.1) }.map(\.0) }
}

/// The routines the checker knows by name, with the parameter types each must have: the
/// entry routines the actions call, and the helpers an action calls directly (`mmget` and
/// `mmput` around use_mm/unuse_mm) or a shootdown model must route its lazy references
/// through (`mmgrab_lazy_tlb`, `mmdrop_lazy_tlb`).
enum EntryRoutine: CaseIterable {
    case contextSwitch, finishTaskSwitch, exitMM, copyMM, execMmap
    case kthreadUseMM, kthreadUnuseMM, badForkCleanupMM
    case mmget, mmput, mmgrabLazyTLB, mmdropLazyTLB

    var name: String {
        switch self {
        case .contextSwitch: return "context_switch"
        case .finishTaskSwitch: return "finish_task_switch"
        case .exitMM: return "exit_mm"
        case .copyMM: return "copy_mm"
        case .execMmap: return "exec_mmap"
        case .kthreadUseMM: return "kthread_use_mm"
        case .kthreadUnuseMM: return "kthread_unuse_mm"
        case .badForkCleanupMM: return "bad_fork_cleanup_mm"
        case .mmget: return "mmget"
        case .mmput: return "mmput"
        case .mmgrabLazyTLB: return "mmgrab_lazy_tlb"
        case .mmdropLazyTLB: return "mmdrop_lazy_tlb"
        }
    }

    var parameterTypes: [ValueType] {
        switch self {
        case .contextSwitch: return [.task, .task]
        case .finishTaskSwitch, .exitMM, .badForkCleanupMM: return [.task]
        case .copyMM: return [.task, .task, .how]
        case .execMmap, .kthreadUseMM, .kthreadUnuseMM: return [.task, .mm]
        case .mmget, .mmput, .mmgrabLazyTLB, .mmdropLazyTLB: return [.mm]
        }
    }

    var signature: String {
        switch self {
        case .contextSwitch: return "context_switch(prev: task, next: task)"
        case .finishTaskSwitch: return "finish_task_switch(prev: task)"
        case .exitMM: return "exit_mm(t: task)"
        case .copyMM: return "copy_mm(parent: task, child: task, how: how)"
        case .execMmap: return "exec_mmap(t: task, new: mm)"
        case .kthreadUseMM: return "kthread_use_mm(t: task, m: mm)"
        case .kthreadUnuseMM: return "kthread_unuse_mm(t: task, m: mm)"
        case .badForkCleanupMM: return "bad_fork_cleanup_mm(child: task)"
        case .mmget, .mmput, .mmgrabLazyTLB, .mmdropLazyTLB: return "\(name)(m: mm)"
        }
    }

    /// Whether the actions in `actions` need this routine to be defined.
    func isRequired(by actions: ActionSet) -> Bool {
        switch self {
        case .contextSwitch: return actions.contains(.schedule)
        case .finishTaskSwitch: return false
        case .exitMM: return actions.contains(.exit)
        case .copyMM: return !actions.isDisjoint(with: .anyClone) || actions.contains(.cloneFail)
        case .execMmap: return actions.contains(.exec)
        case .kthreadUseMM, .mmget: return actions.contains(.useMM)
        case .kthreadUnuseMM, .mmput: return actions.contains(.unuseMM)
        case .badForkCleanupMM: return actions.contains(.cloneFail)
        case .mmgrabLazyTLB, .mmdropLazyTLB: return actions.contains(.shootdown)
        }
    }

    /// Whether a definition's signature is checked even when no enabled action needs it.
    /// The action entry routines have a fixed meaning; the helpers (`mmget`, `mmput`, the
    /// lazy-TLB pair) are ordinary routines of the file until an action calls them.
    var isCheckedWhenDefined: Bool {
        switch self {
        case .mmget, .mmput, .mmgrabLazyTLB, .mmdropLazyTLB: return false
        default: return true
        }
    }
}

/// Built-in operations a routine can call.
enum Primitive: String, CaseIterable {
    case free, exitMmap = "exit_mmap", switchMM = "switch_mm", newMM = "new_mm"
}

/// Names with a fixed meaning in expressions.
enum Constant {
    /// The mm reference encodings shared with the kernel semantics.
    static let none: Int32 = 0
    static let initMM: Int32 = 1

    static func value(of name: String) -> (Int32, ValueType)? {
        switch name {
        case "none": return (none, .mm)
        case "init_mm": return (initMM, .mm)
        case "thread": return (CloneKind.thread.rawValue, .how)
        case "fork": return (CloneKind.fork.rawValue, .how)
        case "kthread": return (CloneKind.kthread.rawValue, .how)
        default: return nil
        }
    }

    static let reserved: Set<String> = [
        "none", "init_mm", "thread", "fork", "kthread", "cpu", "let", "if", "else", "return",
        "is", "not", "and", "or", "routine", "irqs_off", "atomic",
    ]
}
