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

    /// The largest raw value each mode stores: coarse mode without vfork needs 2 bits.
    static func largest(fine: Bool, vfork: Bool) -> Int32 {
        vfork ? vforkWaiting.rawValue : fine ? forming.rawValue : exiting.rawValue
    }
}
