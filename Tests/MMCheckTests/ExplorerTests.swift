import Testing
@testable import Explorer

/// A grid walk: states (x, y) with 0 <= x, y < n, steps x+1 and y+1; stepping onto
/// `target` violates property 0. n² states, 2·n·(n-1) steps, depth 2(n-1).
final class GridSystem: TransitionSystem {
    let n: UInt64
    let target: (UInt64, UInt64)?
    let stateWords = 2
    let propertyNames = ["reached-target"]

    init(n: UInt64, target: (UInt64, UInt64)? = nil) {
        self.n = n
        self.target = target
    }

    func initialStates(into buffer: SuccessorBuffer) {
        _ = buffer.nextState()
        buffer.commit(label: 0)
    }

    func expand(_ s: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) {
        let x = s[0], y = s[1]
        for (label, nx, ny) in [(UInt32(1), x + 1, y), (UInt32(2), x, y + 1)] where nx < n && ny < n {
            let out = buffer.nextState()
            out[0] = nx
            out[1] = ny
            if let t = target, t == (nx, ny) {
                buffer.commit(label: label, violation: 0)
            } else {
                buffer.commit(label: label)
            }
        }
    }
}

@Suite struct StateStoreTests {
    @Test func insertsFindsAndRejectsDuplicatesAcrossGrowth() {
        let store = StateStore(stateWords: 3, initialCapacity: 16)
        var words = [UInt64](repeating: 0, count: 3)
        for i in 0..<50_000 {
            words = [UInt64(i), UInt64(i) &* 0x9E37_79B9, UInt64(i % 7)]
            let (index, inserted) = words.withUnsafeBufferPointer { store.insert($0.baseAddress!) }
            #expect(inserted)
            #expect(index == i)
        }
        #expect(store.count == 50_000)
        for i in stride(from: 0, to: 50_000, by: 997) {
            words = [UInt64(i), UInt64(i) &* 0x9E37_79B9, UInt64(i % 7)]
            let (index, inserted) = words.withUnsafeBufferPointer { store.insert($0.baseAddress!) }
            #expect(!inserted)
            #expect(index == i)
            #expect(store.state(i)[1] == UInt64(i) &* 0x9E37_79B9)
        }
        words = [50_001, 1, 1]
        #expect(!words.withUnsafeBufferPointer { store.contains($0.baseAddress!) })
        #expect(store.count == 50_000)
    }

    @Test func statesDifferingOnlyInTheLastWordAreDistinct() {
        let store = StateStore(stateWords: 2)
        for last in 0..<1000 {
            let words: [UInt64] = [42, UInt64(last)]
            #expect(words.withUnsafeBufferPointer { store.insert($0.baseAddress!) }.inserted)
        }
        #expect(store.count == 1000)
    }
}

@Suite struct SearchTests {
    @Test func breadthFirstCountsEveryStateAndTransition() {
        let r = Search(system: GridSystem(n: 10)).run()
        #expect(r.ending == .exhausted)
        #expect(r.states == 100)
        #expect(r.transitions == 2 * 10 * 9)
        #expect(r.depth == 18)
        #expect(r.counterexamples.isEmpty)
    }

    @Test func depthFirstReachesTheSameStates() {
        let r = Search(system: GridSystem(n: 10), options: SearchOptions(order: .depthFirst)).run()
        #expect(r.ending == .exhausted)
        #expect(r.states == 100)
        #expect(r.transitions == 180)
    }

    @Test func breadthFirstCounterexampleIsShortestAndReplays() {
        let r = Search(system: GridSystem(n: 10, target: (3, 2))).run()
        #expect(r.ending == .violation)
        #expect(r.counterexamples.count == 1)
        let path = r.counterexamples[0].path
        #expect(path.count == 5)
        #expect(path.filter { $0 == 1 }.count == 3)
        #expect(path.filter { $0 == 2 }.count == 2)
    }

    @Test func findAllCountsEveryViolatingStep() {
        // (3, 2) is entered from (2, 2) and from (3, 1).
        let r = Search(system: GridSystem(n: 10, target: (3, 2)), options: SearchOptions(findAll: true)).run()
        #expect(r.ending == .exhausted)
        #expect(r.violationCounts == [2])
        #expect(r.states == 99)
    }

    @Test func stateLimitIsIncompleteNotPass() {
        let r = Search(system: GridSystem(n: 10), options: SearchOptions(maxStates: 50)).run()
        #expect(r.ending == .limit("state limit 50 reached"))
        #expect(r.states == 50)
        let exact = Search(system: GridSystem(n: 10), options: SearchOptions(maxStates: 100)).run()
        #expect(exact.ending == .exhausted)
    }

    @Test func depthLimitIsIncompleteOnlyIfSomethingLiesBeyond() {
        let cut = Search(system: GridSystem(n: 10), options: SearchOptions(maxDepth: 17)).run()
        #expect(cut.ending == .limit("search depth limit 17 reached"))
        let full = Search(system: GridSystem(n: 10), options: SearchOptions(maxDepth: 18)).run()
        #expect(full.ending == .exhausted)
        #expect(full.states == 100)
        let dfs = Search(system: GridSystem(n: 10), options: SearchOptions(order: .depthFirst, maxDepth: 18)).run()
        #expect(dfs.ending == .exhausted)
    }
}
