import ModelLanguage

/// The optional fields of a task slot (SEMANTICS.md §2.2), declared once: each is stored
/// only in models that switch on an action needing it, so other models keep their packed
/// widths and state counts. The layout, the packing, the readable state, the trace and the
/// symmetry renaming derive from a field's `content`; only the actions that read or write it
/// name it.
public enum TaskField: Int, Sendable, CaseIterable {
    /// PF_KTHREAD: 0 or 1.
    case kthread
    /// A vfork child's `vfork_done`: 0, or 1 + the slot of the parent waiting for it.
    case vforkParent
    /// Fine mode: the task's alloc_lock (`task_lock`) is held: 0 or 1. Stored only in fine
    /// models whose code takes it (`CompiledModel.usesTaskLock`).
    case taskLock

    /// What a field holds, which says how it is packed and renamed.
    public enum Content: Sendable {
        /// 0 or 1.
        case flag
        /// 0 (none) or 1 + a task slot: renamed with the task slots.
        case taskLink
    }

    public var content: Content {
        switch self {
        case .kthread, .taskLock: return .flag
        case .vforkParent: return .taskLink
        }
    }

    /// Whether a model with the switches `actions` stores it; `taskLock`: a fine model
    /// whose code takes a task_lock.
    public func isStored(actions: ActionSet, taskLock: Bool) -> Bool {
        switch self {
        case .kthread: return actions.contains(.useMM)
        case .vforkParent: return actions.contains(.vfork)
        case .taskLock: return taskLock
        }
    }

    /// Its name in traces (`t2.vfork_done`).
    public var name: String {
        switch self {
        case .kthread: return "kthread"
        case .vforkParent: return "vfork_done"
        case .taskLock: return "alloc_lock"
        }
    }
}
