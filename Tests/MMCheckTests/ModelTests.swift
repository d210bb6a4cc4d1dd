import Testing
@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// The shipped models: each gives its expected verdict at its declared bounds, and each
/// counterexample re-executes step by step from the initial state to the violation it claims.
@Suite struct ShippedModelTests {
    static let correctModels = Fixture.modelFiles(under: "models")
    static let bugModels = Fixture.modelFiles(under: "models/bugs")

    static let nearMisses = Fixture.modelFiles(under: "models/near-misses")

    /// The committed baseline row of a model at its declared bounds: the suite lists every
    /// shipped model there, so verdict and shortest-trace length come from results/, not
    /// from numbers repeated here.
    static func baselineRow(_ file: String, _ bounds: Bounds) throws -> Suite.Row {
        try #require(SuiteTests.baseline.first {
            $0.key == Suite.Entry(model: file, cpus: bounds.cpus, tasks: bounds.tasks, mms: bounds.mms).key
        }, "\(file) at its declared bounds is not in results/baseline.txt")
    }

    @Test func theCorpusIsWhereTheTestsLook() {
        #expect(Self.correctModels.contains("models/linux-6.mmc"))
        #expect(Self.correctModels.count >= 3)
        #expect(Self.bugModels.count >= 15)
        #expect(Self.nearMisses.count >= 3)
    }

    @Test(arguments: correctModels + nearMisses)
    func correctModelPasses(_ file: String) throws {
        let model = try Fixture.load(file)
        #expect(model.expectation == .pass)
        let result = Fixture.explore(model, Fixture.bounds(of: model))
        #expect(result.ending == .exhausted)
        #expect(result.counterexamples.isEmpty)
        #expect(result.violationCounts.allSatisfy { $0 == 0 })
    }

    @Test(arguments: bugModels)
    func bugModelFailsAsExpectedWithAReplayableShortestTrace(_ file: String) throws {
        let model = try Fixture.load(file)
        guard case .violation(let expected) = model.expectation else {
            Issue.record("\(file) does not expect a violation")
            return
        }
        let bounds = Fixture.bounds(of: model)
        let result = Fixture.explore(model, bounds)
        #expect(result.ending == .violation)
        let counterexample = try #require(result.counterexamples.first)
        #expect(Property.outcomeNames[counterexample.property] == expected)
        let row = try Self.baselineRow(file, bounds)
        #expect(row.verdict == "violation:\(expected)")
        #expect(counterexample.path.count == row.trace)

        // Re-execute from the initial state: every step enabled, the last one violating.
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.entries.count == counterexample.path.count)
        #expect(replay.entries.dropLast().allSatisfy { $0.breach == nil })
        #expect(replay.finalBreach?.property?.name == expected)

        // Depth-first search also finds a violation of the expected property's model.
        let dfs = Fixture.explore(model, bounds, SearchOptions(order: .depthFirst))
        #expect(dfs.ending == .violation)
        #expect((dfs.counterexamples.first?.path.count ?? 0) >= counterexample.path.count)
    }

    @Test func replayRejectsAStepThatIsNotEnabled() throws {
        let model = try Fixture.load("models/linux-6.mmc")
        let system = KernelSystem(model: model, bounds: Bounds(cpus: 1, tasks: 2, mms: 2))
        // exit(init) on cpu0 before init was ever scheduled there.
        let path = [Step.exit(cpu: 0, task: 0)]
        #expect(throws: Replay.Failure.notEnabled(index: 0, step: Step(label: path[0])!)) {
            try Replay(system: system, path: path)
        }
        let ok = [Step.schedule(cpu: 0, next: 0), Step.exit(cpu: 0, task: 0)]
        let replay = try Replay(system: system, path: ok)
        #expect(replay.finalBreach == nil)
        #expect(replay.entries[1].after.tasks[0].status == StateLayout.exiting)
    }
}

/// Exact reachable-state counts of linux-6 (coarse mode).
@Suite struct StateCountTests {
    /// (1 CPU, 1 task slot, 1 mm slot), by hand. Actions: schedule on cpu0, exit(init);
    /// clone is never enabled (the only task slot is init's). init_mm.count starts at 2.
    ///   S0  idle0 current (active init_mm); init runnable, mm = active = mm0 (users 1, count 1)
    ///   S1  schedule(idle0 -> init): kernel -> user, idle0's init_mm borrow parked in
    ///       prev_mm and dropped: init_mm.count 1; init running
    ///   S2  from S1, schedule(init -> idle0): user -> kernel, idle0 borrows mm0 and grabs
    ///       it: mm0.count 2; init runnable
    ///   S3  from S1, exit(init): grab (count 2), init.mm = none, mmput: users 0,
    ///       exit_mmap, drop (count 1); init exiting, still running lazily on mm0
    ///   S4  from S3, schedule(init -> idle0): kernel -> kernel, the borrow is handed to
    ///       idle0; init dead. mm0 stays live (count 1) held only by idle0: no user task
    ///       is left to switch to, so it is never dropped — a zombie, not a leak (B16).
    ///   from S2, schedule(idle0 -> init) drops idle0's borrow: back to S1.
    /// States S0..S4 = 5; transitions S0:1, S1:2, S2:1, S3:1, S4:0 = 5; depth 3 (S4).
    @Test func smallestBoundCountedByHand() throws {
        let r = Fixture.explore(try Fixture.load("models/linux-6.mmc"), Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect(r.ending == .exhausted)
        #expect((r.states, r.transitions, r.depth) == (5, 5, 3))
    }

    static let counts: [(bounds: (Int, Int, Int), states: Int, transitions: Int, depth: Int)] = [
        ((1, 2, 2), 56, 116, 10),
        ((2, 2, 2), 340, 1_028, 12),
        ((2, 3, 3), 9_773, 49_800, 17),
    ]

    @Test(arguments: 0..<counts.count)
    func largerBounds(_ i: Int) throws {
        let c = Self.counts[i]
        let bounds = Bounds(cpus: c.bounds.0, tasks: c.bounds.1, mms: c.bounds.2)
        let r = Fixture.explore(try Fixture.load("models/linux-6.mmc"), bounds)
        #expect(r.ending == .exhausted)
        #expect((r.states, r.transitions, r.depth) == (c.states, c.transitions, c.depth))
        let dfs = Fixture.explore(try Fixture.load("models/linux-6.mmc"), bounds, SearchOptions(order: .depthFirst))
        #expect((dfs.states, dfs.transitions) == (c.states, c.transitions))
    }

    /// linux-6-exec at (1 CPU, 1 task slot, 2 mm slots), by hand. With one mm slot exec is
    /// never enabled (mm0 is init's until init is dead), so (1, 1, 1) is linux-6's 5 states;
    /// the second slot lets init exec. S0..S3 as in linux-6 above (S2: idle0 borrows mm0;
    /// S3: init exited, running lazily on mm0), and:
    ///   S4  from S1, exec(init): new mm1 (users 1, count 1), init.mm = active = mm1,
    ///       mmput(mm0): users 0, exit_mmap, drop: mm0 freed
    ///   S5  from S3, schedule(init -> idle0): init dead, idle0 keeps mm0 (linux-6's S4)
    ///   S6  from S4, schedule(init -> idle0): idle0 borrows mm1 (count 2)
    ///   S7  from S4, exit(init): init exiting on mm1 (users 0, count 1)
    ///   S8  from S7, schedule(init -> idle0): init dead, idle0 keeps mm1
    ///   from S4, exec(init) takes mm0 again and frees mm1: that is S1; from S6,
    ///   schedule(idle0 -> init) is S4; from S2, S1.
    /// States S0..S8 = 9; transitions S0:1, S1:3, S2:1, S3:1, S4:3, S5:0, S6:1, S7:1,
    /// S8:0 = 11; depth 4 (S8).
    @Test func execSmallestBoundCountedByHand() throws {
        let model = try Fixture.load("models/linux-6-exec.mmc")
        let one = Fixture.explore(model, Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect((one.states, one.transitions, one.depth) == (5, 5, 3))
        let r = Fixture.explore(model, Bounds(cpus: 1, tasks: 1, mms: 2))
        #expect(r.ending == .exhausted)
        #expect((r.states, r.transitions, r.depth) == (9, 11, 4))
    }

    /// Between whole actions the three eras reach the same states: they differ only in how
    /// a switch moves references around inside one action, which coarse mode cannot see.
    @Test func erasAgreeBetweenActions() throws {
        let bounds = Bounds(cpus: 2, tasks: 2, mms: 2)
        for file in ["models/linux-2.4.mmc", "models/linux-2.6.mmc"] {
            let r = Fixture.explore(try Fixture.load(file), bounds)
            #expect((r.states, r.transitions) == (340, 1_028), "\(file)")
        }
    }
}
