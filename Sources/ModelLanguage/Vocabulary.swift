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

/// The actions a model can switch on with `actions ...`.
public struct ActionSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let schedule = ActionSet(rawValue: 1)
    public static let exit = ActionSet(rawValue: 2)
    public static let cloneThread = ActionSet(rawValue: 4)
    public static let cloneFork = ActionSet(rawValue: 8)
    public static let cloneKthread = ActionSet(rawValue: 16)
    public static let exec = ActionSet(rawValue: 32)
    public static let anyClone: ActionSet = [.cloneThread, .cloneFork, .cloneKthread]

    /// The name each action has in a model file.
    static let names: [(String, ActionSet)] = [
        ("schedule", .schedule), ("exit", .exit),
        ("clone_thread", .cloneThread), ("clone_fork", .cloneFork), ("clone_kthread", .cloneKthread),
        ("exec", .exec),
    ]
    /// Actions of the protocol that this version does not model yet.
    static let planned: Set<String> = ["use_mm", "unuse_mm", "shootdown"]

    /// The names of the actions in the set, in declaration order.
    public var names: [String] { ActionSet.names.filter { contains($0.1) }.map(\.0) }
}

/// The routines the actions call, with the parameter types each must have.
enum EntryRoutine: CaseIterable {
    case contextSwitch, finishTaskSwitch, exitMM, copyMM, execMmap

    var name: String {
        switch self {
        case .contextSwitch: return "context_switch"
        case .finishTaskSwitch: return "finish_task_switch"
        case .exitMM: return "exit_mm"
        case .copyMM: return "copy_mm"
        case .execMmap: return "exec_mmap"
        }
    }

    var parameterTypes: [ValueType] {
        switch self {
        case .contextSwitch: return [.task, .task]
        case .finishTaskSwitch: return [.task]
        case .exitMM: return [.task]
        case .copyMM: return [.task, .task, .how]
        case .execMmap: return [.task, .mm]
        }
    }

    var signature: String {
        switch self {
        case .contextSwitch: return "context_switch(prev: task, next: task)"
        case .finishTaskSwitch: return "finish_task_switch(prev: task)"
        case .exitMM: return "exit_mm(t: task)"
        case .copyMM: return "copy_mm(parent: task, child: task, how: how)"
        case .execMmap: return "exec_mmap(t: task, new: mm)"
        }
    }

    /// Whether the actions in `actions` need this routine to be defined.
    func isRequired(by actions: ActionSet) -> Bool {
        switch self {
        case .contextSwitch: return actions.contains(.schedule)
        case .finishTaskSwitch: return false
        case .exitMM: return actions.contains(.exit)
        case .copyMM: return !actions.isDisjoint(with: .anyClone)
        case .execMmap: return actions.contains(.exec)
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
