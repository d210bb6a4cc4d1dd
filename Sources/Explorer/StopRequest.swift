import Synchronization

/// A request from outside a search that it stop (an interrupt, a signal). Safe to set from
/// a signal handler or another thread: one atomic flag, read once per expanded state.
public final class StopRequest: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks every search that checks this request to stop.
    public func request() { flag.store(true, ordering: .relaxed) }

    /// Whether a stop has been requested.
    @inline(__always)
    public var isRequested: Bool { flag.load(ordering: .relaxed) }
}
