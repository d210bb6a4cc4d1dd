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
        try #require(
            SuiteTests.baseline.first {
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
        // Breadth-first finishes the level of its first violation: the expected property
        // is among those violated at the shortest length.
        let counterexample = try #require(
            result.counterexamples.first { Property.outcomeNames[$0.property] == expected })
        #expect(result.counterexamples.allSatisfy { $0.path.count == counterexample.path.count })
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
        #expect(replay.entries[1].after.tasks[0].status == TaskStatus.exiting)
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
        try Self.expectHandCount("models/linux-6-exec.mmc", at: Bounds(cpus: 1, tasks: 1, mms: 2), (9, 11, 4))
    }

    /// A model that extends linux-6 has linux-6's five states at (1, 1, 1), where none of
    /// its new steps is enabled, and `counted` (states, transitions, depth; and the states
    /// per breadth-first level, when given) at `bounds`, as worked out by hand.
    static func expectHandCount(
        _ file: String, at bounds: Bounds, _ counted: (Int, Int, Int), levels: [Int]? = nil
    ) throws {
        let model = try Fixture.load(file)
        let one = Fixture.explore(model, Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect((one.states, one.transitions, one.depth) == (5, 5, 3))
        let r = Fixture.explore(model, bounds)
        #expect(r.ending == .exhausted)
        #expect((r.states, r.transitions, r.depth) == counted)
        if let levels { #expect(Fixture.levels(model, bounds).map(\.count) == levels) }
    }

    /// linux-6-all at (1 CPU, 2 task slots, 1 mm slot), by hand: the smallest bound with a
    /// kernel thread (kthreadd) to use mm0. At (1, 1, 1) it is linux-6's 5 states: no kernel
    /// thread, no free slot. Notation: I init (slot 0), K kthreadd (slot 1, kthread), a task
    /// as mm/active_mm ("-" none, "i" init_mm, "0" mm0), "idle(x)" idle0 current on x, mm0
    /// as users/count, "im" init_mm.count (2 at boot, 1 once idle0's boot borrow is dropped).
    /// mm0 lives as long as anything borrows it, so exec and clone_fork (a free mm slot) are
    /// never enabled; clone needs a dead task's slot. The 38 states, in families:
    ///   A  I and K alive, K not using mm0 (5): S0 boot idle(i), I 0/0, K -/-, 1/1, im 2;
    ///      S1 I running, im 1; S2 K running -/i, im 2; S3 K running -/0, 1/2 (lazy grab);
    ///      S4 idle(0), 1/2. Steps: S0 -> S1, S2; S1 -> S3, S4, exit; S2 -> S1, S0, exit,
    ///      use_mm; S3 -> S1, S4, exit, use_mm (grab, then drop the lazy ref: S7);
    ///      S4 -> S1, S3. 15 transitions.
    ///   U  K inside use_mm, 0/0 (6): S7 K running, 2/2; S14 I running, K runnable 0/0;
    ///      S15 idle(0), 2/3; S24 I exiting -/0, 1/3; with I dead: S32 K running, 1/2;
    ///      S33 idle(0), 1/3. K only schedules or unuses: S7 -> S14, S15, unuse_mm -> S3;
    ///      S14 -> S7, S15, exit -> S24; S15 -> S14, S7; S24 -> S32, S33; S32 -> S33,
    ///      unuse_mm (mmput tears mm0 down: 0/1, K keeps the lazy ref) -> S10; S33 -> S32.
    ///      13 transitions.
    ///   E  one task exiting, the other runnable (3): S5 I exiting -/0, 0/1 (torn down, I's
    ///      lazy ref left); S6 K exiting -/i; S8 K exiting -/0, 1/2. Each switches to the
    ///      other task or to idle0, and dies: S5 -> S10, S11; S6 -> S12, S13; S8 -> S12, S21.
    ///      6 transitions.
    ///   I alone, slot 1 free (4): S12 I running, 1/1, im 1; S13 idle(i), im 2; S21 idle(0),
    ///      1/2; S22 I exiting -/0, 0/1. S12 -> S21, exit -> S22, clone_thread -> S23,
    ///      clone_fail(thread) -> S12 (mmget, then the error path's mmput); S13 -> S12;
    ///      S21 -> S12; S22 -> S25. 7 transitions.
    ///   I and its thread U in slot 1, 0/0 (5): S23 I running, 2/1; S29 U running; S30
    ///      idle(0), 2/2; S31 I exiting, 1/2; S38 U exiting, 1/2. S23 -> S29, S30, S31;
    ///      S29 -> S23, S30, S38; S30 -> S23, S29; S31 -> S39, S40; S38 -> S12, S21.
    ///      12 transitions.
    ///   U alone, slot 0 free (3): S39, S40, S41, the mirror of S12, S21, S22 (no im-2
    ///      state: that one needs K to die first). S39 -> S40, S41, clone_thread -> S29,
    ///      clone_fail -> S39; S40 -> S39; S41 -> S25. 6 transitions.
    ///   Kernel threads on the zombie mm0 (0/1, init dead; use_mm needs users > 0) (11):
    ///      K alone: S10 K running -/0, S11 idle(0), S19 K exiting; K and its kthread child C
    ///      (slot 0): S20 K running, S26 C running, S27 idle(0), S28 K exiting, S34 C
    ///      exiting; C alone: S35 C running, S36 idle(0), S37 C exiting. S10 -> S11, S19,
    ///      clone_kthread -> S20, clone_fail -> S10; S11 -> S10; S19 -> S25; S20 -> S26,
    ///      S27, S28; S26 -> S20, S27, S34; S27 -> S26, S20; S28 -> S35, S36; S34 -> S10,
    ///      S11; S35 -> S36, S37, clone_kthread -> S26, clone_fail -> S35; S36 -> S35;
    ///      S37 -> S25. 24 transitions.
    ///   S25 every slot free, idle0 keeps the zombie mm0 (B16): no step.
    /// 5 + 6 + 3 + 4 + 5 + 3 + 11 + 1 = 38 states, 15 + 13 + 6 + 7 + 12 + 6 + 24 = 83
    /// transitions. Levels: S0 | S1 S2 | S3 S4 S5 S6 S7 | S8 S10 S11 S12 S13 S14 S15 |
    /// S19 S20 S21 S22 S23 S24 | S25 S26 S27 S28 S29 S30 S31 S32 S33 | S34 S35 S36 S38 S39
    /// S40 | S37 S41: depth 7.
    @Test func allSmallestBoundCountedByHand() throws {
        try Self.expectHandCount(
            "models/linux-6-all.mmc", at: Bounds(cpus: 1, tasks: 2, mms: 1), (38, 83, 7),
            levels: [1, 2, 5, 7, 6, 9, 6, 2])
    }

    /// linux-6-shootdown at (1, 2, 1), by hand, in the notation above. Lazy users hold no
    /// count (im stays 2 = 1 + cpus; mm0's count is 1 plus one per use_mm), so mm0 is freed
    /// by the put that takes its users to 0, the shootdown first moving every CPU that runs
    /// on it lazily to init_mm. The freed slot then lets exec and fork run: "A" below is
    /// whatever mm slot 0 holds (mm0, or a new mm once mm0 is freed), and X a task that has
    /// exec'd (a user task, no longer a kthread).
    ///   A  (5): S0 boot; S1 I running; S2 K running -/i; S3 K running -/0, 1/1; S4 idle(0).
    ///      As in linux-6-all: S0 -> S1, S2; S1 -> S3, S4, exit; S2 -> S1, S0, exit, use_mm;
    ///      S3 -> S1, S4, exit, use_mm (-> S7); S4 -> S1, S3. 15 transitions.
    ///   U  K inside use_mm (6): S7 K running, 2/2; S13 I running; S14 idle(0); S21 I
    ///      exiting, 1/2; S33 K running, I dead, 1/2; S34 idle(0). S7 -> S13, S14, unuse ->
    ///      S3; S13 -> S7, S14, exit -> S21; S14 -> S13, S7; S21 -> S33, S34; S33 -> S34,
    ///      unuse_mm (mmput frees mm0; K is shot to init_mm) -> S9; S34 -> S33. 13.
    ///   E  (3): S5 I exiting -/i: exit frees mm0 at once, shooting I itself; S6 K exiting
    ///      -/i; S8 K exiting -/0. S5 -> S9, S10; S6 -> S11, S12; S8 -> S11, S15. 6.
    ///   I alone (4): S11 I running 1/1; S12 idle(i); S15 idle(0); S19 I exiting -/i, mm0
    ///      freed. S11 -> S15, S19, clone_thread -> S20, clone_fail -> S11; S12 -> S11;
    ///      S15 -> S11; S19 -> S22. 7.
    ///   I and its thread U (5): S20 I running, 2/1; S30 U running; S31 idle(0); S32 I
    ///      exiting, 1/1; S42 U exiting. S20 -> S30, S31, S32; S30 -> S20, S31, S42; S31 ->
    ///      S20, S30; S32 -> S17, S23; S42 -> S11, S15. 12.
    ///   U alone (3): S17 U (or X, the same state) running on A, 1/1; S23 idle(A); S24 U exiting -/i, A
    ///      freed. S17 -> S23, S24, clone_thread -> S30, clone_fail -> S17; S23 -> S17;
    ///      S24 -> S22. 6.
    ///   Kernel threads with no mm left, all on init_mm (11): K alone: S9 K running -/i,
    ///      S10 idle(i), S16 K exiting; K and its kthread child C (slot 0): S18 K running,
    ///      S26 C running, S27 idle(i), S28 K exiting, S35 C exiting; C alone: S37 C
    ///      running, S38 idle(i), S44 C exiting. S9 -> S10, S16, exec -> S17 (K becomes X),
    ///      clone_kthread -> S18, clone_fail -> S9; S10 -> S9; S16 -> S22; S18 -> S26, S27,
    ///      S28, exec -> S29; S26 -> S18, S27, S35, exec -> S1 (C execs in slot 0 with K
    ///      runnable: the boot's S1 again); S27 -> S26, S18; S28 -> S37, S38; S35 -> S9,
    ///      S10; S37 -> S38, S44, exec -> S11, clone_kthread -> S26, clone_fail -> S37;
    ///      S38 -> S37; S44 -> S22. 28.
    ///   X (slot 1, on A) and C (slot 0, kthread): the slot mirror of A, U and E (11): S29 X
    ///      running, 1/1; S39 C running -/A; S40 idle(A); S46 C inside use_mm, 2/2; S47 X
    ///      running; S48 idle(A); S49 X exiting, 1/2; S50 C running, X dead; S51 idle(A);
    ///      S41 X exiting, A freed; S45 C exiting -/A. S29 -> S39, S40, exit -> S41;
    ///      S39 -> S29, S40, exit -> S45, use_mm -> S46; S40 -> S29, S39; S46 -> S47, S48,
    ///      unuse -> S39; S47 -> S46, S48, exit -> S49; S48 -> S47, S46; S49 -> S50, S51;
    ///      S50 -> S51, unuse -> S37; S51 -> S50; S41 -> S37, S38; S45 -> S17, S23. 26.
    ///   S22 every slot free, idle0 on init_mm, no mm: no step.
    /// 5 + 6 + 3 + 4 + 5 + 3 + 11 + 11 + 1 = 49 states; 15 + 13 + 6 + 7 + 12 + 6 + 28 + 26
    /// = 113 transitions. Levels: S0 | S1 S2 | S3-S7 | S8-S14 | S15-S21 | S22 S23 S24 S26-S34
    /// | S35 S37-S42 | S44 S45 S46 | S47 S48 | S49 | S50 S51: depth 10.
    @Test func shootdownSmallestBoundCountedByHand() throws {
        try Self.expectHandCount(
            "models/linux-6-shootdown.mmc", at: Bounds(cpus: 1, tasks: 2, mms: 1), (49, 113, 10),
            levels: [1, 2, 5, 7, 7, 12, 7, 3, 2, 1, 2])
    }

    /// linux-6-all and linux-6-shootdown at the bounds linux-6 is counted at.
    static let extensionCounts: [(model: String, bounds: (Int, Int, Int), states: Int, transitions: Int, depth: Int)] =
        [
            ("models/linux-6-all.mmc", (1, 2, 2), 146, 362, 13),
            ("models/linux-6-all.mmc", (2, 2, 2), 1_052, 3_768, 15),
            ("models/linux-6-all.mmc", (2, 3, 3), 42_472, 252_168, 20),
            ("models/linux-6-shootdown.mmc", (1, 2, 2), 126, 322, 13),
            ("models/linux-6-shootdown.mmc", (2, 2, 2), 544, 2_148, 13),
            ("models/linux-6-shootdown.mmc", (2, 3, 3), 22_067, 136_800, 18),
        ]

    @Test(arguments: 0..<extensionCounts.count)
    func extensionModelsAtLargerBounds(_ i: Int) throws {
        let c = Self.extensionCounts[i]
        let bounds = Bounds(cpus: c.bounds.0, tasks: c.bounds.1, mms: c.bounds.2)
        let model = try Fixture.load(c.model)
        let r = Fixture.explore(model, bounds)
        #expect(r.ending == .exhausted)
        #expect((r.states, r.transitions, r.depth) == (c.states, c.transitions, c.depth), "\(c.model) at \(bounds)")
        let dfs = Fixture.explore(model, bounds, SearchOptions(order: .depthFirst))
        #expect((dfs.states, dfs.transitions) == (c.states, c.transitions))
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

/// Progress reports come every 4096 expansions when due (here always due), with counts
/// that only grow and a queue that is what is stored but not yet expanded.
@Suite struct ProgressTests {
    @Test func reportsEvery4096ExpansionsWhenDue() throws {
        let model = try Fixture.load("models/linux-6.mmc")
        let box = Reports()
        let reporter = ProgressReporter(firstAfter: 0, every: 0) { box.all.append($0) }
        let system = KernelSystem(model: model, bounds: Bounds(cpus: 3, tasks: 3, mms: 3))
        let result = Search(system: system, progress: reporter).run()
        #expect(result.states == 92_005)
        // Breadth-first expands every state once: a report after each 4096th.
        #expect(box.all.count == 92_005 / 4096)
        for (k, p) in box.all.enumerated() {
            #expect(p.states - p.queue == 4096 * (k + 1))  // expanded so far
            #expect(p.states <= result.states && p.transitions <= result.transitions && p.level <= result.depth)
            if k > 0 {
                let q = box.all[k - 1]
                #expect(p.states >= q.states && p.transitions > q.transitions && p.level >= q.level)
            }
        }
        // Not yet due: no report at all.
        let quiet = Reports()
        let later = ProgressReporter(firstAfter: 1e9, every: 1) { quiet.all.append($0) }
        _ = Search(system: KernelSystem(model: model, bounds: Bounds(cpus: 3, tasks: 3, mms: 3)), progress: later).run()
        #expect(quiet.all.isEmpty)
    }

    final class Reports: @unchecked Sendable { var all: [SearchProgress] = [] }
}

/// Breadth-first on several threads: the threads only expand, and one thread takes their
/// successors in the order a single thread would, so every number and every counterexample
/// (label by label) is the same for 1, 2 and 4 threads, limits included.
@Suite struct ThreadsTests {
    static let cases: [(String, (Int, Int, Int), Bool)] = [
        ("models/linux-6.mmc", (2, 3, 3), false),
        ("models/linux-6.mmc", (3, 2, 2), false),
        ("models/linux-6-all.mmc", (2, 3, 3), false),
        ("models/linux-6-vfork.mmc", (2, 3, 3), false),
        ("models/linux-6.mmc", (3, 3, 3), true),
        ("models/linux-6-exec-fine.mmc", (1, 2, 2), false),
        ("models/linux-6-shootdown-fine.mmc", (2, 2, 1), false),
        ("models/bugs/exit-mm-without-grab.mmc", (2, 3, 3), false),
        ("models/bugs/vfork-without-mmget.mmc", (2, 3, 3), false),
        ("models/bugs/mmdrop-not-atomic.mmc", (1, 2, 2), false),
        ("models/bugs/kthread-use-mm-skip-grab-shootdown.mmc", (2, 3, 3), true),
    ]

    static func run(
        _ file: String, _ b: (Int, Int, Int), symmetry: Bool, _ options: SearchOptions
    ) throws
        -> SearchResult
    {
        let model = try Fixture.load(file)
        let system = KernelSystem(model: model, bounds: Bounds(cpus: b.0, tasks: b.1, mms: b.2), symmetry: symmetry)
        let search = Search(system: system, options: options)
        #expect(search.threads == options.effectiveThreads)
        return search.run()
    }

    static func same(_ a: SearchResult, _ b: SearchResult) -> Bool {
        a.ending == b.ending && a.states == b.states && a.transitions == b.transitions && a.depth == b.depth
            && a.violationCounts == b.violationCounts
            && a.counterexamples.map(\.path) == b.counterexamples.map(\.path)
            && a.counterexamples.map(\.property) == b.counterexamples.map(\.property)
    }

    @Test(arguments: cases)
    func everyThreadCountFindsTheSame(_ c: (String, (Int, Int, Int), Bool)) throws {
        for options in [SearchOptions(), SearchOptions(findAll: true), SearchOptions(maxStates: 5_000)] {
            let one = options
            var two = options, four = options
            two.threads = 2
            four.threads = 4
            let r1 = try Self.run(c.0, c.1, symmetry: c.2, one)
            let r2 = try Self.run(c.0, c.1, symmetry: c.2, two)
            let r4 = try Self.run(c.0, c.1, symmetry: c.2, four)
            #expect(Self.same(r1, r2) && Self.same(r1, r4), "\(c.0) \(c.1) \(options)")
        }
    }

    /// A memory limit stops the search at the same point whatever the threads.
    @Test func theMemoryLimitStopsAlike() throws {
        var options = SearchOptions(memoryLimit: 2 << 20)
        let r1 = try Self.run("models/linux-6.mmc", (3, 4, 4), symmetry: false, options)
        options.threads = 2
        let r2 = try Self.run("models/linux-6.mmc", (3, 4, 4), symmetry: false, options)
        #expect(r1.ending == .limit("memory limit 2 MiB reached"))
        #expect(Self.same(r1, r2))
    }

    /// Depth-first and depth-limited searches run on one thread.
    @Test func depthFirstAndDepthLimitsUseOneThread() throws {
        #expect(SearchOptions(order: .depthFirst, threads: 4).effectiveThreads == 1)
        #expect(SearchOptions(maxDepth: 5, threads: 4).effectiveThreads == 1)
        #expect(SearchOptions(threads: 4).effectiveThreads == 4)
        let model = try Fixture.load("models/linux-6.mmc")
        let search = Search(
            system: KernelSystem(model: model, bounds: Bounds(cpus: 2, tasks: 3, mms: 3)),
            options: SearchOptions(order: .depthFirst, threads: 4))
        #expect(search.threads == 1)
    }
}
