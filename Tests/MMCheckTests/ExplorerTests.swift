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
            var loaded = [UInt64](repeating: 7, count: 3)
            loaded.withUnsafeMutableBufferPointer { store.load(i, into: $0.baseAddress!) }
            #expect(loaded == words)
        }
        words = [50_001, 1, 1]
        #expect(!words.withUnsafeBufferPointer { store.contains($0.baseAddress!) })
        #expect(store.count == 50_000)
    }

    @Test func keepsOnlyTheStatesBytesAndLoadsThemBackZeroPadded() {
        // 11 bytes of a 2-word state: the last 5 bytes are always zero.
        let store = StateStore(stateWords: 2, stateBytes: 11, initialCapacity: 16)
        for i in 0..<20_000 {
            let words: [UInt64] = [UInt64(i) &* 0x9E37_79B9_7F4A_7C15, UInt64(i % 65_536) << 8 | 0xAB]
            #expect(words.withUnsafeBufferPointer { store.insert($0.baseAddress!) } == (i, true))
        }
        for i in stride(from: 0, to: 20_000, by: 331) {
            let words: [UInt64] = [UInt64(i) &* 0x9E37_79B9_7F4A_7C15, UInt64(i % 65_536) << 8 | 0xAB]
            var loaded = [UInt64](repeating: .max, count: 2)
            loaded.withUnsafeMutableBufferPointer { store.load(i, into: $0.baseAddress!) }
            #expect(loaded == words)
            #expect(words.withUnsafeBufferPointer { store.insert($0.baseAddress!) } == (i, false))
        }
        // 20,000 states in 11-byte records and a 32-bit index of 2^15 slots (90% load at most).
        #expect(store.count == 20_000)
        #expect(store.bytesAllocated < 2 * 20_000 * 11 + (1 << 15) * 4 + 4096)
    }

    @Test func keepsLinksOnlyWhenAsked() {
        let store = StateStore(stateWords: 1, links: true)
        for i in 0..<100 {
            var word = UInt64(i) + 1
            _ = withUnsafePointer(to: &word) { store.insert($0, link: UInt32(99 - i)) }
        }
        #expect((0..<100).allSatisfy { store.link($0) == UInt32(99 - $0) })
        let plain = StateStore(stateWords: 1)
        #expect(plain.bytesAllocated < store.bytesAllocated)
    }

    @Test(arguments: [8, 15])
    func anArenaNumbersRecordsAcrossGrowingChunksAndGivesBackWholeOnes(_ bytes: Int) {
        let budget = MemoryBudget(limit: Int.max)
        // Chunks of 256, 256, 512, ... records (together rampRecords), then as many as fit
        // in 4 MiB each: 2^19 records of 8 bytes; 279,620 of 15 (not a power of two).
        let arena = RecordArena(recordBytes: bytes, budget: budget)
        let steady = (4 << 20) / bytes, ramp = arena.rampRecords
        #expect(arena.steadyRecords == steady)
        #expect(ramp <= steady && 2 * ramp > steady && ramp & (ramp - 1) == 0)
        let n = ramp + 2 * steady + 5
        for i in 0..<n { arena.append()?.storeBytes(of: UInt64(i), as: UInt64.self) }
        // (The last record's 8 bytes fit: a 15-byte record holds them.)
        #expect(arena.count == n)
        #expect((0..<n).allSatisfy { arena.record($0).loadUnaligned(as: UInt64.self) == UInt64($0) })
        let before = budget.used
        arena.release(below: ramp + 7)  // the first steady chunk still has records in use
        #expect(budget.used == before - ramp * bytes)
        #expect(arena.record(ramp + 7).loadUnaligned(as: UInt64.self) == UInt64(ramp + 7))
        #expect(arena.record(n - 1).loadUnaligned(as: UInt64.self) == UInt64(n - 1))
        // Held: the ramp and three steady chunks.
        arena.release(below: Int.max)
        #expect(budget.used == before - (ramp + 3 * steady) * bytes)
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

/// The grid walk with the symmetry that swaps x and y (a representative has x <= y), any
/// initial states (each may violate at once), and a symmetric set of violating targets.
final class SymmetricGridSystem: TransitionSystem {
    let n: UInt64
    let initial: [(x: UInt64, y: UInt64, violates: Bool)]
    let targets: Set<[UInt64]>
    let symmetric: Bool
    let stateWords = 2
    let propertyNames = ["reached-target"]
    var isSymmetric: Bool { symmetric }

    init(
        n: UInt64, initial: [(x: UInt64, y: UInt64, violates: Bool)] = [(0, 0, false)],
        targets: Set<[UInt64]> = [], symmetric: Bool = true
    ) {
        self.n = n
        self.initial = initial
        self.targets = targets
        self.symmetric = symmetric
    }

    func initialStates(into buffer: SuccessorBuffer) {
        for s in initial {
            let out = buffer.nextState()
            out[0] = s.x
            out[1] = s.y
            buffer.commit(label: 0, violation: s.violates ? 0 : SuccessorBuffer.noViolation)
        }
    }

    /// Label 1 steps x, label 2 steps y; nil when the step leaves the grid.
    func step(_ label: UInt32, from s: [UInt64]) -> [UInt64]? {
        let next = label == 1 ? [s[0] + 1, s[1]] : [s[0], s[1] + 1]
        return next[0] < n && next[1] < n ? next : nil
    }

    func expand(_ s: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) {
        for label in [UInt32(1), 2] {
            guard let next = step(label, from: [s[0], s[1]]) else { continue }
            let out = buffer.nextState()
            out[0] = next[0]
            out[1] = next[1]
            buffer.commit(label: label, violation: targets.contains(next) ? 0 : SuccessorBuffer.noViolation)
        }
    }

    func canonicalize(_ state: UnsafeMutablePointer<UInt64>) {
        if state[0] > state[1] { (state[0], state[1]) = (state[1], state[0]) }
    }
}

@Suite struct SymmetricSearchTests {
    /// Counted by hand: the n² grid has (n² + n) / 2 orbits under the swap (Burnside: the
    /// swap fixes the n diagonal states); a representative (x <= y) steps x when x < n - 1
    /// and y when y < n - 1: (55 - 1) + 45 = 99 transitions at n = 10.
    @Test func countsOrbitsAndTheirSteps() {
        let r = Search(system: SymmetricGridSystem(n: 10)).run()
        #expect(r.ending == .exhausted)
        #expect(r.states == 55)
        #expect(r.transitions == 99)
        #expect(r.depth == 18)
    }

    /// Initial states in one orbit are stored once; the depth is the least distance from
    /// any of them ((9, 9) is 17 steps from (0, 1) and from (1, 0)).
    @Test func severalInitialStates() {
        let initial: [(x: UInt64, y: UInt64, violates: Bool)] = [(0, 0, false), (0, 1, false), (1, 0, false)]
        let plain = Search(system: SymmetricGridSystem(n: 10, initial: initial, symmetric: false)).run()
        #expect(plain.states == 100)
        #expect(plain.depth == 17)
        let reduced = Search(system: SymmetricGridSystem(n: 10, initial: initial)).run()
        #expect(reduced.states == 55)
        #expect(reduced.depth == 17)
    }

    @Test func aViolatingInitialStateIsAnEmptyCounterexample() {
        let initial: [(x: UInt64, y: UInt64, violates: Bool)] = [(0, 0, false), (5, 4, true)]
        for symmetric in [false, true] {
            let r = Search(system: SymmetricGridSystem(n: 10, initial: initial, symmetric: symmetric)).run()
            #expect(r.ending == .violation)
            #expect(r.counterexamples == [.init(property: 0, initialIndex: 1, path: [])])
            #expect(r.violationCounts == [1])
        }
    }

    /// The trace is rebuilt over real states, not representatives: its labels, applied to
    /// the real initial state, stay on the grid and end on a target; and it is as short
    /// as without the reduction.
    @Test func aSymmetricTraceIsRealAndShortest() {
        let targets: Set<[UInt64]> = [[3, 1], [1, 3]]
        for symmetric in [false, true] {
            for order in [SearchOptions.Order.breadthFirst, .depthFirst] {
                let system = SymmetricGridSystem(
                    n: 10, initial: [(2, 0, false)], targets: targets, symmetric: symmetric)
                let r = Search(system: system, options: SearchOptions(order: order)).run()
                #expect(r.counterexamples.count == 1)
                guard let c = r.counterexamples.first else { continue }
                var state: [UInt64] = [2, 0]
                for label in c.path {
                    guard let next = system.step(label, from: state) else {
                        Issue.record("label \(label) leaves the grid from \(state)")
                        break
                    }
                    state = next
                }
                #expect(targets.contains(state), "symmetric \(symmetric), \(order): ends at \(state)")
                if order == .breadthFirst { #expect(c.path.count == 2, "(2,0) -> (3,0) -> (3,1)") }
            }
        }
    }
}

@Suite struct ResourceUsageTests {
    /// `bench` reports each search's own peak: the high-water mark can be started again.
    @Test func aPeakCanBeStartedAgain() throws {
        #if os(Linux)
            let size = 64 << 20
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: size)
            let high = try #require(ResourceUsage.residentHighWaterBytes())
            block.deallocate()
            #expect(ResourceUsage.resetPeakResident())
            let after = try #require(ResourceUsage.residentHighWaterBytes())
            #expect(after < high - size / 2)
        #endif
    }
}
