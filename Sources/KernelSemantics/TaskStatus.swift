/// A task slot's `status` field (SEMANTICS.md §2.2). The unpacked state holds the raw values:
/// code that reads it compares with `rawValue`, so the hot path stays plain `Int32` work.
enum TaskStatus: Int32, Sendable, CaseIterable {
    case unused = 0, runnable, running, exiting
    /// Fine mode: a clone's child before copy_mm has finished (not yet schedulable).
    case forming
}
