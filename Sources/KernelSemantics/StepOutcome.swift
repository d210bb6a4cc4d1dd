/// What one step run on the `Machine` came to: the successor is in `machine.work` for
/// `done` and `paused`, the state at the failing statement for `violated`; a `blocked` or
/// `awaitingShootdown` step is not enabled and leaves nothing to use.
///
/// A small value (a tag and a `Breach`, no references): returning it allocates nothing.
enum StepOutcome: Sendable, Equatable {
    /// The step ran; its action ran to the end.
    case done
    /// Fine mode: the step ran and its action paused at yield point `at`.
    case paused(at: Int32)
    /// The step violated a property, or the model's code cannot run (`Property.modelErrorCode`).
    case violated(Breach)
    /// Fine mode: the step makes a new mm and no mm slot is free (an allocation waits for
    /// memory).
    case blocked
    /// Fine mode with shootdown: the step frees mm reference `mm`, which another CPU may
    /// still run on (lazily, without having taken its shootdown IPI, or inside a switch or
    /// an irqs_off region): the free waits.
    case awaitingShootdown(mm: Int32)

    /// Whether the step ran, leaving its successor in `machine.work`.
    @inline(__always)
    var ran: Bool {
        switch self {
        case .done, .paused: return true
        case .violated, .blocked, .awaitingShootdown: return false
        }
    }

    /// The violation the step ended in, if any.
    var breach: Breach? {
        if case .violated(let b) = self { return b }
        return nil
    }

    /// The yield point where the step paused, or -1 (its action ran to the end, or it did
    /// not run).
    var pausedAt: Int32 {
        if case .paused(let y) = self { return y }
        return -1
    }
}
