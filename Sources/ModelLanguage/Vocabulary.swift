/// The value types of the model language.
enum ValueType: String, Sendable, Equatable {
    case task, mm, how
    /// A holder slot (an open /proc file, an OOM victim's signal struct).
    case holder
    /// A counter value (`m.count`, `m.users`) or a number literal.
    case int = "number"
    /// The acting CPU (`cpu`), usable only as `cpu.prev_mm` / `cpu.curr`.
    case cpu
    /// The type of a parameter declared with an unknown type: already reported, so
    /// anything done with it is accepted without further errors.
    case invalid
}

/// The routines the checker knows by name, with the parameter types each must have: the
/// entry routines the actions call, and the helpers an action calls directly (`mmget` and
/// `mmput` around use_mm/unuse_mm) or a shootdown model must route its lazy references
/// through (`mmgrab_lazy_tlb`, `mmdrop_lazy_tlb`).
enum EntryRoutine: CaseIterable {
    case contextSwitch, finishTaskSwitch, exitMM, copyMM, execMmap
    case kthreadUseMM, kthreadUnuseMM, badForkCleanupMM
    case mmget, mmput, mmgrabLazyTLB, mmdropLazyTLB
    case accessProcessVM, procMemOpen, memRW, memRelease, markOOMVictim, oomReapTaskMM, freeSignalStruct

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
        case .accessProcessVM: return "access_process_vm"
        case .procMemOpen: return "proc_mem_open"
        case .memRW: return "mem_rw"
        case .memRelease: return "mem_release"
        case .markOOMVictim: return "mark_oom_victim"
        case .oomReapTaskMM: return "oom_reap_task_mm"
        case .freeSignalStruct: return "free_signal_struct"
        }
    }

    var parameterTypes: [ValueType] {
        switch self {
        case .contextSwitch: return [.task, .task]
        case .finishTaskSwitch, .exitMM, .badForkCleanupMM: return [.task]
        case .copyMM: return [.task, .task, .how]
        case .execMmap, .kthreadUseMM, .kthreadUnuseMM: return [.task, .mm]
        case .mmget, .mmput, .mmgrabLazyTLB, .mmdropLazyTLB: return [.mm]
        case .accessProcessVM: return [.task]
        case .procMemOpen, .markOOMVictim: return [.holder, .task]
        case .memRW, .memRelease, .oomReapTaskMM, .freeSignalStruct: return [.holder]
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
        case .accessProcessVM: return "access_process_vm(t: task)"
        case .procMemOpen, .markOOMVictim: return "\(name)(h: holder, t: task)"
        case .memRW, .memRelease, .oomReapTaskMM, .freeSignalStruct: return "\(name)(h: holder)"
        }
    }

    /// Whether the switches in `actions` need this routine to be defined: an action they
    /// turn on calls it (and it is not optional there) or needs it (`Action.Spec`).
    func isRequired(by actions: ActionSet) -> Bool {
        Action.allCases.contains { action in
            let spec = action.spec
            return action.isOn(in: actions)
                && (spec.calls.contains { $0.routine == self && !$0.optional } || spec.needsRoutines.contains(self))
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
    case free
    case exitMmap = "exit_mmap"
    case switchMM = "switch_mm"
    case newMM = "new_mm"
    /// access_remote_vm(m): a use of m's address space (an outside holder reading it).
    case accessRemoteVM = "access_remote_vm"
}

/// Names with a fixed meaning in expressions.
enum Constant {
    static func value(of name: String) -> (Int32, ValueType)? {
        switch name {
        case "none": return (Ref.none, .mm)
        case "init_mm": return (Ref.initMM, .mm)
        default:
            // The clone kinds of the catalogue: `thread`, `fork`, ...
            return CloneKind.allCases.first { $0.name == name }.map { ($0.rawValue, .how) }
        }
    }

    static let reserved: Set<String> = Set(CloneKind.allCases.map(\.name)).union([
        "none", "init_mm", "cpu", "let", "if", "else", "return",
        "is", "not", "and", "or", "routine", "irqs_off", "preempt_off", "atomic", "task_lock",
    ])
}
