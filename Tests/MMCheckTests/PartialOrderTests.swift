import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// Two independent processes: A steps a to a + 1, modulo `cycle` (or up to `cycle` - 1 when
/// `cyclic` is false), B steps b to b + 1 up to `bLimit`. The reduced set is A's step
/// when A can move (A's steps touch only a, so they are independent of B's), else B's.
/// Reaching `target` violates property 0.
final class TwoProcessSystem: TransitionSystem {
    let cycle: UInt64, bLimit: UInt64, cyclic: Bool
    let target: (UInt64, UInt64)?
    let stateWords = 2
    let propertyNames = ["reached-target"]
    var hasReduction: Bool { true }

    init(cycle: UInt64, bLimit: UInt64, cyclic: Bool, target: (UInt64, UInt64)? = nil) {
        self.cycle = cycle
        self.bLimit = bLimit
        self.cyclic = cyclic
        self.target = target
    }

    func initialStates(into buffer: SuccessorBuffer) {
        _ = buffer.nextState()
        buffer.commit(label: 0)
    }

    private func stepA(_ a: UInt64) -> UInt64? { a + 1 < cycle ? a + 1 : cyclic ? 0 : nil }

    private func emit(_ a: UInt64, _ b: UInt64, label: UInt32, into buffer: SuccessorBuffer) {
        let out = buffer.nextState()
        out[0] = a
        out[1] = b
        if let t = target, t == (a, b) {
            buffer.commit(label: label, violation: 0)
        } else {
            buffer.commit(label: label)
        }
    }

    func expand(_ s: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) {
        if let a = stepA(s[0]) { emit(a, s[1], label: 1, into: buffer) }
        if s[1] < bLimit { emit(s[0], s[1] + 1, label: 2, into: buffer) }
    }

    func expandReduced(_ s: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool {
        if reducedSet(s, into: buffer) { return true }
        expand(s, into: buffer)
        return false
    }

    func reducedSet(_ s: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool {
        guard let a = stepA(s[0]), s[1] < bLimit else { return false }
        emit(a, s[1], label: 1, into: buffer)
        return true
    }

    /// Without the cycle, A's steps raise a, and no reduced step lowers it.
    var reductionIsAcyclic: Bool { !cyclic }

    func makeWorker() -> (any TransitionSystem)? {
        TwoProcessSystem(cycle: cycle, bLimit: bLimit, cyclic: cyclic, target: target)
    }
}

@Suite struct PartialOrderSearchTests {
    static func run(_ system: TransitionSystem, _ options: SearchOptions) -> SearchResult {
        Search(system: system, options: options).run()
    }

    /// A on 0...2 without a cycle, B on 0...2: the full graph is the 3 × 3 grid (9 states,
    /// 12 steps); the reduced one is the path (0,0) (1,0) (2,0) (2,1) (2,2): A first, then
    /// B once A cannot move (5 states, 4 steps; (0,0) and (1,0) expanded reduced, the
    /// others in full: only B can move there). That is what a search with a depth limit
    /// stores. Without one, the steps are merged: (1,0), whose reduced set is one step, is
    /// passed through and not stored, so 4 states are stored, on 3 levels of merged steps,
    /// and the same 4 steps are taken, 1 of them from a state passed through.
    @Test(arguments: [SearchOptions.Order.breadthFirst, .depthFirst])
    func aGridReducesToOnePath(_ order: SearchOptions.Order) {
        let system = TwoProcessSystem(cycle: 3, bLimit: 2, cyclic: false)
        let full = Self.run(system, SearchOptions(order: order))
        #expect(full.states == 9 && full.transitions == 12 && full.reducedStates == 0 && full.passedStates == 0)
        #expect(full.fullStates == 9)
        let reduced = Self.run(system, SearchOptions(order: order, maxDepth: 10, partialOrder: true))
        #expect(reduced.states == 5 && reduced.transitions == 4 && reduced.reducedStates == 2)
        #expect(reduced.passedStates == 0 && reduced.fullStates == 3 && reduced.depth == 4)
        let merged = Self.run(system, SearchOptions(order: order, partialOrder: true))
        #expect(merged.states == 4 && merged.transitions == 4 && merged.reducedStates == 1)
        #expect(merged.passedStates == 1 && merged.fullStates == 3 && merged.depth == 3)
    }

    /// A on 0...4 and B on 0...2, (3,0) violating: the reduced graph is the path (0,0)
    /// (1,0) (2,0) and then the violating step. (1,0) is passed through; (2,0), whose one
    /// reduced step violates, is not, so the violation is found from a stored state, and
    /// the trace, rebuilt through the state passed through, is A's three steps.
    @Test(arguments: [1, 2])
    func aMergedChainStopsBeforeAViolation(_ threads: Int) {
        let system = TwoProcessSystem(cycle: 5, bLimit: 2, cyclic: false, target: (3, 0))
        let merged = Self.run(system, SearchOptions(threads: threads, partialOrder: true))
        #expect(merged.ending == .violation && merged.states == 2 && merged.passedStates == 1)
        #expect(merged.counterexamples.first?.path == [1, 1, 1])
        let fingerprints = Self.run(system, SearchOptions(threads: threads, fingerprint: true, partialOrder: true))
        #expect(fingerprints.counterexamples.first?.path == [1, 1, 1])
    }

    /// A cycles through 0, 1, 2: taking only A's step would go round (0,0) (1,0) (2,0)
    /// forever and never let B move (the ignoring problem). The proviso expands (2,0) in
    /// full, as its reduced successor (0,0) is stored already, and so on for each row:
    /// breadth-first numbers (0,0) (1,0) (2,0) (2,1) (0,1) (1,1) (1,2) (2,2) (0,2), and
    /// (2,0) and (1,1) close a cycle; the states of row 2 have only A's step (4 states
    /// reduced, 5 in full, 11 steps).
    @Test(arguments: [1, 2])
    func theProvisoBreaksEveryCycle(_ threads: Int) {
        let system = TwoProcessSystem(cycle: 3, bLimit: 2, cyclic: true)
        let reduced = Self.run(system, SearchOptions(threads: threads, partialOrder: true))
        #expect(reduced.states == 9 && reduced.transitions == 11 && reduced.reducedStates == 4)
        #expect(reduced.fullStates == 5)
        let dfs = Self.run(system, SearchOptions(order: .depthFirst, partialOrder: true))
        #expect(dfs.states == 9 && dfs.transitions == 11 && dfs.reducedStates == 4)
    }

    /// The same system with (0,2) violating: without the proviso it would never be reached.
    /// Found with a real trace (every step an enabled one of the full graph), of length 8
    /// in the reduced graph where the shortest is 2: A twice round, with B between.
    @Test func aViolationBeyondACycleIsFound() {
        let system = TwoProcessSystem(cycle: 3, bLimit: 2, cyclic: true, target: (0, 2))
        let full = Self.run(system, SearchOptions())
        #expect(full.counterexamples.first?.path.count == 2)
        let reduced = Self.run(system, SearchOptions(partialOrder: true))
        #expect(reduced.ending == .violation)
        #expect(reduced.counterexamples.first?.path == [1, 1, 2, 1, 1, 2, 1, 1])
    }

    /// With fingerprints the store keeps the numbers of the last two levels' states
    /// (`LevelNumbers`), so the proviso and the rebuilt trace are the exact search's: the
    /// same 9 states, 11 steps and 4 reduced, and the same 8-step trace, on 1 and 2 threads.
    @Test func fingerprintsKeepTheProvisoAndTheTrace() {
        let cyclic = TwoProcessSystem(cycle: 3, bLimit: 2, cyclic: true)
        for threads in [1, 2] {
            let reduced = Self.run(cyclic, SearchOptions(threads: threads, fingerprint: true, partialOrder: true))
            #expect(reduced.states == 9 && reduced.transitions == 11 && reduced.reducedStates == 4)
        }
        let target = TwoProcessSystem(cycle: 3, bLimit: 2, cyclic: true, target: (0, 2))
        for threads in [1, 2] {
            let found = Self.run(target, SearchOptions(threads: threads, fingerprint: true, partialOrder: true))
            #expect(found.ending == .violation)
            #expect(found.counterexamples.first?.path == [1, 1, 2, 1, 1, 2, 1, 1])
        }
    }
}

/// The reduction of fine mode (`Machine+Independence.swift`) on the corpus: the same
/// verdict and the same set of violated properties with and without it, never more states.
@Suite struct PartialOrderModelTests {
    /// Fine models (the shipped ones and every bug and near-miss model run in fine mode) at
    /// bounds small enough for a debug build.
    static let cases: [(String, (Int, Int, Int))] = [
        ("models/linux-6-fine.mmc", (2, 2, 2)),
        ("models/linux-2.6-fine.mmc", (2, 2, 2)),
        ("models/linux-6-exec-fine.mmc", (2, 2, 2)),
        ("models/linux-6-exec-rt-fine.mmc", (2, 2, 2)),
        ("models/linux-6-shootdown-fine.mmc", (2, 1, 1)),
        ("models/linux-6-holders-fine.mmc", (2, 1, 1)),
    ]

    static func run(
        _ file: String, _ b: (Int, Int, Int), _ options: SearchOptions, symmetry: Bool = false
    ) throws -> SearchResult {
        let model = try Fixture.load(file, mode: .fine)
        let system = KernelSystem(model: model, bounds: Bounds(cpus: b.0, tasks: b.1, mms: b.2), symmetry: symmetry)
        return Search(system: system, options: options).run()
    }

    static func violated(_ r: SearchResult) -> [Int] { r.violationCounts.indices.filter { r.violationCounts[$0] > 0 } }

    @Test(arguments: cases)
    func theShippedFineModelsPassWithFewerStates(_ c: (String, (Int, Int, Int))) throws {
        let full = try Self.run(c.0, c.1, SearchOptions(threads: 2))
        let reduced = try Self.run(c.0, c.1, SearchOptions(threads: 2, partialOrder: true))
        #expect(full.ending == .exhausted && reduced.ending == .exhausted)
        #expect(reduced.states <= full.states && reduced.transitions <= full.transitions)
        // The shootdown variant is not reduced (its IPIs are another CPU's steps), nor a
        // model with outside holders (they reach tasks that are not their CPU's).
        let reduces = !c.0.contains("shootdown") && !c.0.contains("holders")
        #expect((reduced.passedStates > 0) == reduces)
        #expect((reduced.states < full.states) == reduces)
        if !reduces { #expect((reduced.states, reduced.transitions) == (full.states, full.transitions)) }
    }

    /// linux-6-fine at its own bounds (2,2,2), counted: 1,386,989 states and 2,850,104
    /// steps in full; the reduced graph (what a search with a depth limit, which merges no
    /// step, stores) has 655,621 states and 791,596 steps, 567,988 of the states expanded
    /// with one step (with the proviso, which the model needs none of, 732,830 states).
    /// Merged, exactly those 567,988 are passed through and the other 87,633 stored. A state
    /// reached from two places is walked from each: states are passed 568,860 times, 872
    /// more than there are, and as many more steps are taken, 792,468. No stored state has
    /// a reduced set then: each is expanded in full, as the 87,633 of the reduced graph were.
    @Test func linux6FineCounts() throws {
        let reduced = try Self.run(
            "models/linux-6-fine.mmc", (2, 2, 2), SearchOptions(maxDepth: 1000, partialOrder: true))
        #expect(reduced.ending == .exhausted && reduced.passedStates == 0 && reduced.fullStates == 87_633)
        #expect(reduced.states == 655_621 && reduced.transitions == 791_596 && reduced.reducedStates == 567_988)
        let merged = try Self.run("models/linux-6-fine.mmc", (2, 2, 2), SearchOptions(threads: 2, partialOrder: true))
        #expect(merged.states == 87_633 && merged.transitions == 792_468 && merged.reducedStates == 0)
        #expect(merged.passedStates == 568_860 && merged.fullStates == 87_633)
        #expect(merged.states == reduced.states - reduced.reducedStates)
        #expect(merged.transitions - merged.passedStates == reduced.transitions - reduced.reducedStates)
    }

    static let bugModels: [String] =
        Fixture.modelFiles(under: "models/bugs") + Fixture.modelFiles(under: "models/near-misses")

    /// Every bug and near-miss model in fine mode at (2,2,1): with `--all`, the same
    /// properties violated (and the same verdict) with and without the reduction.
    /// A model the reduction does not apply to (shootdown, outside holders) has nothing to
    /// compare: `Search` runs the very same search with and without `--por` when the
    /// system has no reduction (`theShippedFineModelsPassWithFewerStates` checks that on
    /// the shipped models), so only that it has none is checked.
    @Test(arguments: bugModels)
    func everyBugModelViolatesTheSameProperties(_ file: String) throws {
        let model = try Fixture.load(file, mode: .fine)
        let reduces = KernelSystem(model: model, bounds: Bounds(cpus: 2, tasks: 2, mms: 1)).hasReduction
        #expect(reduces == !(model.actions.contains(.shootdown) || model.reachesOtherTasks), "\(file)")
        guard reduces else { return }
        var all = SearchOptions(findAll: true)
        all.threads = 2
        all.partialOrder = true
        let reduced = try Self.run(file, (2, 2, 1), all)
        all.partialOrder = false
        let full = try Self.run(file, (2, 2, 1), all)
        #expect(Self.violated(full) == Self.violated(reduced), "\(file)")
        #expect(reduced.states <= full.states, "\(file)")
    }

    /// Fingerprints with the reduction are the exact reduced search (barring a collision,
    /// which these small spaces do not have): every bug and near-miss model the reduction
    /// applies to, in fine mode at (2,2,1), has with `--all` the same states, steps,
    /// reduced states and violating steps per property as the exact reduced search, and
    /// stopping at the first violation the same trace, which replays to it.
    @Test(arguments: bugModels)
    func fingerprintsWithTheReductionAreTheExactReducedSearch(_ file: String) throws {
        let model = try Fixture.load(file, mode: .fine)
        let bounds = Bounds(cpus: 2, tasks: 2, mms: 1)
        guard KernelSystem(model: model, bounds: bounds).hasReduction else { return }
        let exactAll = try Self.run(file, (2, 2, 1), SearchOptions(findAll: true, threads: 2, partialOrder: true))
        let all = try Self.run(
            file, (2, 2, 1), SearchOptions(findAll: true, threads: 2, fingerprint: true, partialOrder: true))
        #expect(
            (all.states, all.transitions, all.reducedStates, all.violationCounts)
                == (exactAll.states, exactAll.transitions, exactAll.reducedStates, exactAll.violationCounts),
            "\(file)")
        let exact = try Self.run(file, (2, 2, 1), SearchOptions(threads: 2, partialOrder: true))
        let first = try Self.run(file, (2, 2, 1), SearchOptions(threads: 2, fingerprint: true, partialOrder: true))
        #expect(first.ending == exact.ending, "\(file)")
        #expect(first.counterexamples.map(\.path) == exact.counterexamples.map(\.path), "\(file)")
        guard let trace = first.counterexamples.first else { return }
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: trace.path)
        #expect(replay.finalBreach.map { Int($0.code) } == trace.property, "\(file)")
    }

    /// The ground of `KernelSystem.reductionIsAcyclic`, checked rather than argued: the
    /// model code jumps only forward, and from every state reachable in the full graph of
    /// the shipped fine models the reduction applies to, at (2,2,1), and of every bug and
    /// near-miss model it applies to, at (2,2,1) too, the step a reduced set takes raises
    /// `Machine.progress`, which renaming leaves as it is (on the shipped models). Counted: 61,401 states for
    /// linux-6-fine, of which 57,100 have a reduced set.
    @Test func reducedStepsMakeProgress() throws {
        var checked: [String: (states: Int, reduced: Int)] = [:]
        let shipped = Self.cases.map(\.0).filter { !$0.contains("shootdown") && !$0.contains("holders") }
        for file in shipped + Self.bugModels {
            let model = try Fixture.load(file, mode: .fine)
            #expect(model.jumpsOnlyForward, "\(file)")
            // Renaming is checked on the shipped models (it costs most of the time in a debug build).
            let system = KernelSystem(
                model: model, bounds: Bounds(cpus: 2, tasks: 2, mms: 1), symmetry: shipped.contains(file))
            guard system.hasReduction else { continue }
            #expect(system.reductionIsAcyclic, "\(file)")
            checked[file] = try Self.everyReducedStepMakesProgress(system, file)
        }
        #expect(checked["models/linux-6-fine.mmc"].map { [$0.states, $0.reduced] } == [61_401, 57_100])
        // A backward jump (which no model file can make) would leave the proviso on.
        var looping = try Fixture.load("models/linux-6-fine.mmc")
        let last = looping.code.count - 1
        looping.code[last] = Instruction(.jump, 0, 0, Int32(last - 1), site: looping.code[last].site)
        #expect(!looping.jumpsOnlyForward)
        #expect(!KernelSystem(model: looping, bounds: Bounds(cpus: 2, tasks: 2, mms: 1)).reductionIsAcyclic)
    }

    /// Takes every state of `system` reachable in its full graph (`Fixture.packedLevels`, no
    /// symmetry applied) and checks that each reduced step raises the machine's progress and
    /// that canonicalizing keeps it; returns the states and how many had a reduced set.
    static func everyReducedStepMakesProgress(
        _ system: KernelSystem, _ file: String
    ) throws -> (states: Int, reduced: Int) {
        let words = system.stateWords
        let unpacked = UnsafeMutablePointer<Int32>.allocate(capacity: system.layout.fieldCount)
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer {
            unpacked.deallocate()
            scratch.deallocate()
        }
        func progress(_ s: UnsafePointer<UInt64>) -> Int {
            system.layout.unpack(s, into: unpacked)
            return system.machine.progress(unpacked)
        }
        let states = Fixture.packedLevels(system).joined()
        var reduced = 0
        let successors = SuccessorBuffer(stateWords: words)
        for state in states {
            try state.withUnsafeBufferPointer { p in
                let s = try #require(p.baseAddress)
                let before = progress(s)
                if system.isSymmetric {
                    scratch.update(from: s, count: words)
                    system.canonicalize(scratch)
                    #expect(progress(scratch) == before, "\(file): renaming changed the progress")
                }
                successors.reset()
                guard system.expandReduced(s, into: successors) else { return }
                reduced += 1
                for k in 0..<successors.count where successors.violation(k) < 0 {
                    #expect(progress(successors.state(k)) > before, "\(file): a reduced step made no progress")
                }
            }
        }
        return (states.count, reduced)
    }

    /// linux-6-fine at (2,2,2) with fingerprints and the reduction: `linux6FineCounts`'s
    /// exact counts with merged steps, on 1 and 2 threads.
    @Test func linux6FineCountsWithFingerprints() throws {
        for threads in [1, 2] {
            let r = try Self.run(
                "models/linux-6-fine.mmc", (2, 2, 2),
                SearchOptions(threads: threads, fingerprint: true, partialOrder: true))
            #expect(r.states == 87_633 && r.transitions == 792_468 && r.passedStates == 568_860)
        }
    }

    /// The reduction is computed on the real state a representative is, and its successors
    /// are canonicalized: with symmetry the same verdict, never more orbits, and the same
    /// result on 1, 2 and 4 threads (and the traces replay: `Search` checks every step).
    @Test func withSymmetryAndThreads() throws {
        let file = "models/linux-6-fine.mmc"
        let plain = try Self.run(file, (2, 2, 2), SearchOptions(), symmetry: true)
        var results: [SearchResult] = []
        for threads in [1, 2, 4] {
            results.append(
                try Self.run(file, (2, 2, 2), SearchOptions(threads: threads, partialOrder: true), symmetry: true))
        }
        #expect(
            results.allSatisfy { ThreadsTests.same($0, results[0]) && $0.reducedStates == results[0].reducedStates })
        #expect(results[0].ending == .exhausted && results[0].states < plain.states)
    }

    /// A bug only a fine interleaving shows is still caught, with a trace that replays, on
    /// 1 and 2 threads alike and depth-first.
    @Test func theMmdropRaceIsStillCaught() throws {
        let file = "models/bugs/mmdrop-not-atomic.mmc"
        let full = try Self.run(file, (2, 2, 2), SearchOptions())
        let one = try Self.run(file, (2, 2, 2), SearchOptions(partialOrder: true))
        let two = try Self.run(file, (2, 2, 2), SearchOptions(threads: 2, partialOrder: true))
        let dfs = try Self.run(file, (2, 2, 2), SearchOptions(order: .depthFirst, partialOrder: true))
        #expect(ThreadsTests.same(one, two))
        for r in [one, two, dfs] {
            #expect(r.ending == .violation)
            #expect(r.counterexamples.map(\.property) == full.counterexamples.map(\.property))
        }
        #expect(one.counterexamples[0].path.count >= full.counterexamples[0].path.count)
    }
}
