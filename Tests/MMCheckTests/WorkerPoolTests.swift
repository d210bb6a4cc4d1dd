import Foundation
import Synchronization
import Testing

@testable import Explorer

/// The threads of a breadth-first search (`WorkerPool`), and the growth of the exact store
/// they share (`StateStore.helpGrow`).
@Suite struct WorkerPoolTests {
    /// Each round runs `work(w)` once for every thread, and `run` returns only when every
    /// one has: the counts it wrote are all there, round after round, without a lock.
    @Test(arguments: [1, 2, 4])
    func everyRoundRunsEveryThreadOnceAndWaitsForThem(_ threads: Int) {
        let counts = Counts(threads)
        let pool = WorkerPool(threads: threads, work: { w in counts.bump(w) })
        for round in 1...2_000 {
            pool.run()
            for w in 0..<threads where counts.value(w) != round {
                Issue.record("round \(round): thread \(w) ran \(counts.value(w)) times")
                return
            }
        }
        pool.close()
    }

    /// A growth shared with a helper thread that calls `helpGrow` all along (so that it
    /// takes parts of every rebuild it can) leaves a table in which every state inserted
    /// is found, under its number, and no other is: 300,000 states, so the last growths
    /// have several parts. The same insertions on a store that grows alone number the
    /// states the same.
    @Test func aGrowthSharedWithAHelperLosesNoState() {
        let n = 300_000
        let shared = StateStore(stateWords: 2, stateBytes: 12, initialCapacity: 16)
        shared.sharesGrowth = true
        let alone = StateStore(stateWords: 2, stateBytes: 12, initialCapacity: 16)
        let helper = Helper(shared)
        let thread = Thread { helper.help() }
        thread.start()
        var s: [UInt64] = [0, 0]
        for i in 0..<n {
            s = [UInt64(i) &* 0x9E37_79B9, UInt64(i % 977)]
            let a = shared.insert(s, link: 0), b = alone.insert(s, link: 0)
            if a.index != i || !a.inserted || b.index != i {
                Issue.record("state \(i) inserted as \(a), alone \(b)")
                break
            }
        }
        helper.done.store(true, ordering: .releasing)
        while !helper.left.load(ordering: .acquiring) {}
        #expect(shared.count == n)
        var missing = 0, wrong = 0
        for i in 0..<n {
            s = [UInt64(i) &* 0x9E37_79B9, UInt64(i % 977)]
            if let found = shared.find(s, key: shared.key(s)) {
                if found != i { wrong += 1 }
            } else {
                missing += 1
            }
            s[1] += 1_000
            if shared.contains(s) { wrong += 1 }
        }
        #expect(missing == 0)
        #expect(wrong == 0)
    }

    /// With no helper, a store that shares its growths takes every part itself.
    @Test func aSharedGrowthWithNoHelperStillEnds() {
        let store = StateStore(stateWords: 1, initialCapacity: 16)
        store.sharesGrowth = true
        for i in 0..<200_000 { _ = store.insert([UInt64(i) << 3], link: 0) }
        #expect(store.count == 200_000)
        #expect((0..<200_000).allSatisfy { store.contains([UInt64($0) << 3]) })
        #expect(!store.contains([1]))
    }
}

/// Per-thread counters, each written by its own thread only.
private final class Counts: @unchecked Sendable {
    private let values: UnsafeMutablePointer<Int>
    init(_ n: Int) {
        values = .allocate(capacity: n)
        values.initialize(repeating: 0, count: n)
    }
    deinit { values.deallocate() }
    func bump(_ w: Int) { values[w] += 1 }
    func value(_ w: Int) -> Int { values[w] }
}

/// A thread that helps `store` grow until told to stop.
private final class Helper: @unchecked Sendable {
    let store: StateStore
    let done = Atomic<Bool>(false)
    let left = Atomic<Bool>(false)
    init(_ store: StateStore) { self.store = store }
    func help() {
        while !done.load(ordering: .acquiring) { store.helpGrow() }
        left.store(true, ordering: .releasing)
    }
}
