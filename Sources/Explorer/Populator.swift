import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A thread of the lowest priority that faults in memory blocks handed to it before their
/// owner first writes them.
///
/// On a virtual machine whose host backs guest memory only when it is first touched (as
/// here: the first write to fresh memory costs about 2.5 ms per MiB, later ones 0.1 ms),
/// whoever first writes a block pays for it: a store's merge, which the other threads
/// then wait for. This thread asks the kernel to fault the block in
/// (`MADV_POPULATE_WRITE`, Linux 5.14; elsewhere, or when it fails, nothing is done and
/// the owner pays as before). It runs under `SCHED_IDLE`, so it takes only time no other
/// thread wants: the cores the search leaves idle. Faulting in changes no byte, so a
/// block may be handed over while its owner writes it, and one given back meanwhile only
/// makes the call fail.
///
/// `@unchecked Sendable`: `queue`, `closing` and `ended` are read and written under
/// `condition`.
final class Populator: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(address: Int, bytes: Int)] = []
    private var closing = false
    private var ended = false

    init() {
        let thread = Thread { [self] in loop() }
        thread.name = "mmcheck-populate"
        thread.start()
    }

    /// Asks for `bytes` at `block` to be faulted in, after the blocks asked for before.
    func populate(_ block: UnsafeMutableRawPointer, bytes: Int) {
        condition.lock()
        queue.append((Int(bitPattern: block), bytes))
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread (after the block it is faulting in, if any) and returns once it
    /// has ended.
    func close() {
        condition.lock()
        closing = true
        queue = []
        condition.broadcast()
        while !ended { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        #if os(Linux)
            // SCHED_IDLE (5): below every nice level.
            var param = sched_param(sched_priority: 0)
            _ = pthread_setschedparam(pthread_self(), 5, &param)
        #endif
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if closing {
                ended = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let block = queue.removeFirst()
            condition.unlock()
            #if os(Linux)
                if let address = UnsafeMutableRawPointer(bitPattern: block.address) {
                    _ = madvise(address, block.bytes, MADV_POPULATE_WRITE)
                }
            #endif
        }
    }
}
