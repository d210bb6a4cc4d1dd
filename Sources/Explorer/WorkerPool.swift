import Foundation
import Synchronization

/// The threads of a search beyond the caller's: started once, they run `work(w)` each time
/// the caller calls `run` (which runs `work(0)` itself and returns once every thread's
/// call has returned), until `close`.
///
/// A breadth-first search hands out such a round every millisecond or two. Parking a
/// thread between rounds and waking it for the next (as `DispatchQueue.concurrentPerform`
/// does) costs tens of microseconds each way on a virtual machine, and each round waits
/// for its slowest thread. So a thread that is done first spins for up to `spins` reads
/// of a counter (some tens of microseconds), and only then parks on a condition: on a
/// busy round it never parks, and on an idle machine it spends only that time spinning.
/// While it spins it calls `idle` now and then: a search's threads help the store grow
/// there (`VisitedStates.helpGrow`).
///
/// `@unchecked Sendable`: `generation`, `running` and `ended` are atomic; `closing` is
/// written before `generation` moves (releasing) and read after it is seen to (acquiring).
final class WorkerPool: @unchecked Sendable {
    /// Threads in all, the caller's among them.
    let threads: Int
    /// Rounds begun (plus one for `close`): a thread that has run `seen` rounds waits for
    /// it to pass `seen`.
    private let generation = Atomic<Int>(0)
    /// Threads (other than the caller's) that have not finished the current round.
    private let running = Atomic<Int>(0)
    /// Threads that have ended (after `close`).
    private let ended = Atomic<Int>(0)
    private let condition = NSCondition()
    @exclusivity(unchecked) private var closing = false
    private let work: @Sendable (Int) -> Void
    private let idle: @Sendable () -> Void
    /// Reads of a counter a waiting thread makes before it parks.
    static let spins = 1 << 16

    /// Starts `threads - 1` threads that run `work(1)`…`work(threads - 1)` in each round.
    /// A thread that waits (for a round, or for the others to finish one) calls `idle()`
    /// now and then while it spins.
    init(threads: Int, work: @escaping @Sendable (Int) -> Void, idle: @escaping @Sendable () -> Void = {}) {
        precondition(threads >= 1)
        self.threads = threads
        self.work = work
        self.idle = idle
        for w in 1..<threads {
            let thread = Thread { [self] in loop(w) }
            thread.name = "mmcheck-\(w)"
            thread.start()
        }
    }

    /// One round: `work(w)` for every thread `w`, `work(0)` on this one. Returns once all
    /// have returned; what they wrote is then visible here.
    func run() {
        precondition(!closing, "a closed pool runs nothing")
        running.store(threads - 1, ordering: .relaxed)
        begin()
        work(0)
        if threads > 1 { wait { self.running.load(ordering: .acquiring) == 0 } }
    }

    /// Ends the threads, and returns once they have ended: neither `work` nor `idle` runs
    /// afterwards, so what they refer to may go. The pool runs nothing afterwards.
    func close() {
        guard !closing else { return }
        closing = true
        begin()
        wait { self.ended.load(ordering: .acquiring) == self.threads - 1 }
    }

    /// Moves `generation` on and wakes the threads parked on it.
    private func begin() {
        condition.lock()
        generation.add(1, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
    }

    /// Thread `w`: a round each time `generation` moves, until the pool closes.
    private func loop(_ w: Int) {
        var seen = 0
        while true {
            wait { self.generation.load(ordering: .acquiring) != seen }
            seen += 1
            if closing { break }
            work(w)
            if running.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { wake() }
        }
        ended.add(1, ordering: .releasing)
        wake()
    }

    /// Wakes the threads parked on the condition (each checks what it waits for).
    private func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes the threads parked while they wait, so that each calls `idle()` once more:
    /// there is work for them there.
    func nudge() { wake() }

    /// Returns once `done()`: spinning first, then parked on the condition (every change
    /// a waiter waits for is followed by a broadcast under its lock), calling `idle()`
    /// now and then as it spins and each time it is woken.
    private func wait(until done: () -> Bool) {
        for i in 0..<WorkerPool.spins {
            if done() { return }
            if i & 15 == 15 { idle() }
        }
        condition.lock()
        while !done() {
            condition.wait()
            condition.unlock()
            idle()
            condition.lock()
        }
        condition.unlock()
    }
}
