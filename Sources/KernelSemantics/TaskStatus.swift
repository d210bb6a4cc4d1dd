import ModelLanguage

/// A task slot's `status` field (SEMANTICS.md §2.2). The unpacked state holds the raw values:
/// code that reads it compares with `rawValue`, so the hot path stays plain `Int32` work.
public enum TaskStatus: Int32, Sendable, CaseIterable {
    case unused = 0
    case runnable, running, exiting
    /// Fine mode: a clone's child before copy_mm has finished (not yet schedulable).
    case forming
    /// A vfork parent waiting for its child to exec or exit (wait_for_vfork_done): not
    /// schedulable, though it stays on its CPU until that CPU switches away.
    case vforkWaiting

    /// Whether a model in this mode with these switches can reach the status.
    func occurs(fine: Bool, actions: ActionSet) -> Bool {
        switch self {
        case .unused, .runnable, .running, .exiting: return true
        case .forming: return fine
        case .vforkWaiting: return actions.contains(.vfork)
        }
    }

    /// The largest raw value such a model stores (coarse mode without vfork: 3, 2 bits).
    static func largest(fine: Bool, actions: ActionSet) -> Int32 {
        allCases.filter { $0.occurs(fine: fine, actions: actions) }.map(\.rawValue).max() ?? 0
    }
}
