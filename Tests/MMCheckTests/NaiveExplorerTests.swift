import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// The naive explorer (NaiveExplorer.swift: plain structs, hand-written linux-6 routines, a
/// `Set`-based BFS, nothing shared with the production checker) and the production checker
/// on models/linux-6.mmc must reach the same numbers, and those must be the known ones.
@Suite struct NaiveExplorerTests {
    /// The hand count at (1, 1, 1) and StateCountTests' known counts at larger bounds.
    static let counts = [((1, 1, 1), 5, 5, 3)] + StateCountTests.counts

    @Test(arguments: 0..<counts.count)
    func naiveAndProductionAgree(_ i: Int) throws {
        let c = Self.counts[i]
        let (cpus, tasks, mms) = c.bounds

        let naive = NaiveExplorer(cpus: cpus, tasks: tasks, mms: mms).run()
        #expect(
            naive.violationCount == 0, "naive explorer found violations:\n\(naive.violations.joined(separator: "\n"))")

        let bounds = Bounds(cpus: cpus, tasks: tasks, mms: mms)
        #expect(NaiveExplorer(cpus: cpus, tasks: tasks, mms: mms).cap == bounds.cap)
        let production = Fixture.explore(try Fixture.load("models/linux-6.mmc"), bounds)
        #expect(production.ending == .exhausted)
        #expect(production.counterexamples.isEmpty)

        #expect(
            (naive.states, naive.transitions, naive.depth)
                == (production.states, production.transitions, production.depth),
            "at \(bounds): naive \(naive.states)/\(naive.transitions)/\(naive.depth), levels \(naive.levelSizes)")
        #expect((naive.states, naive.transitions, naive.depth) == (c.states, c.transitions, c.depth))
        #expect((production.states, production.transitions, production.depth) == (c.states, c.transitions, c.depth))
        #expect(naive.levelSizes.reduce(0, +) == naive.states)
        #expect(naive.levelSizes.count == naive.depth + 1)
    }

    /// The smallest bound level by level, as counted by hand in StateCountTests: S0; S1;
    /// S2 (init switched back out) and S3 (init exited); S4 (init dead, mm0 a zombie on idle0).
    @Test func smallestBoundLevelByLevel() {
        let r = NaiveExplorer(cpus: 1, tasks: 1, mms: 1).run()
        #expect(r.levelSizes == [1, 1, 2, 1])
    }

    /// The naive explorer's own checks are not vacuous: a broken routine trips them.
    @Test func naiveChecksCatchABrokenState() {
        let explorer = NaiveExplorer(cpus: 1, tasks: 2, mms: 2)
        var s = explorer.initialState()
        s.mms[0].count = 0
        #expect(explorer.invariantViolation(s)?.property == "free-at-zero")
        s = explorer.initialState()
        s.tasks[0].mm = nil
        s.tasks[0].activeMM = nil
        #expect(explorer.invariantViolation(s)?.property == "no-leak")
        s = explorer.initialState()
        s.cpus[0].idleActiveMM = .slot(1)
        #expect(explorer.invariantViolation(s)?.property == "no-use-after-free")
    }
}
