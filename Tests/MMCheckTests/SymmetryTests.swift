import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// Symmetry reduction: the representative is the same for every renaming of a state, the
/// reduced search stores exactly one state per orbit of the reachable states, and verdicts
/// and shortest-trace lengths do not change.
@Suite struct SymmetryTests {
    /// Every reachable state, packed, by a plain breadth-first search over a `Set`.
    static func reachable(_ system: KernelSystem) -> [[UInt64]] {
        let words = system.stateWords
        let buffer = SuccessorBuffer(stateWords: words)
        var seen = Set<[UInt64]>()
        var all: [[UInt64]] = []
        system.initialStates(into: buffer)
        var head = 0
        while true {
            for i in 0..<buffer.count where buffer.violation(i) == SuccessorBuffer.noViolation {
                let s = Array(UnsafeBufferPointer(start: buffer.state(i), count: words))
                if seen.insert(s).inserted { all.append(s) }
            }
            guard head < all.count else { return all }
            buffer.reset()
            all[head].withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
            head += 1
        }
    }

    static func canonical(_ s: [UInt64], _ symmetry: Symmetry) -> [UInt64] {
        var c = s
        c.withUnsafeMutableBufferPointer { symmetry.canonicalize($0.baseAddress!) }
        return c
    }

    /// Every permutation of 0..<n.
    static func permutations(_ n: Int) -> [[Int]] {
        guard n > 0 else { return [[]] }
        return permutations(n - 1).flatMap { p in
            (0...p.count).map { i in
                var q = p
                q.insert(n - 1, at: i)
                return q
            }
        }
    }

    /// A model of a case: a file, or (`FILE with holders N`) a file with its `holders`
    /// setting changed.
    static func load(_ name: String) throws -> CompiledModel {
        guard let at = name.range(of: " with holders ") else { return try Fixture.load(name) }
        let file = String(name[..<at.lowerBound]), holders = String(name[at.upperBound...])
        let text = try String(contentsOfFile: Repository.path(file), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix("holders ") ? "holders \(holders)" : String($0)
        }
        return try Fixture.compile(lines.joined(separator: "\n"), path: file)
    }

    /// The packed image of packed state `s` under a renaming (holders: the identity when empty).
    static func image(
        _ s: [UInt64], _ layout: StateLayout, _ symmetry: Symmetry, cpus: [Int], tasks: [Int], mms: [Int],
        holders: [Int] = []
    ) -> [UInt64] {
        let unpacked = UnsafeMutablePointer<Int32>.allocate(capacity: layout.fieldCount)
        let renamed = UnsafeMutablePointer<Int32>.allocate(capacity: layout.fieldCount)
        defer {
            unpacked.deallocate()
            renamed.deallocate()
        }
        layout.initializeConstants(unpacked)
        s.withUnsafeBufferPointer { layout.unpack($0.baseAddress!, into: unpacked) }
        symmetry.image(of: unpacked, cpus: cpus, tasks: tasks, mms: mms, holders: holders, into: renamed)
        var out = [UInt64](repeating: 0, count: layout.words)
        out.withUnsafeMutableBufferPointer { layout.pack(renamed, into: $0.baseAddress!) }
        return out
    }

    static let exactCases: [(String, (Int, Int, Int))] = [
        ("models/linux-6.mmc", (2, 3, 3)),
        ("models/linux-6.mmc", (3, 2, 2)),
        ("models/linux-6-all.mmc", (2, 2, 2)),
        ("models/linux-6-exec.mmc", (2, 3, 3)),
        ("models/linux-6.mmc", (3, 3, 2)),
        ("models/linux-6-shootdown.mmc", (2, 2, 2)),
        ("models/linux-6-fine.mmc", (1, 2, 2)),
        ("models/linux-6-exec-fine.mmc", (1, 2, 2)),
        ("models/linux-6-exec-rt-fine.mmc", (1, 2, 2)),
        ("models/linux-6-shootdown-fine.mmc", (2, 2, 1)),
        ("models/linux-2.6-fine.mmc", (1, 2, 2)),
        ("models/linux-6-vfork.mmc", (2, 3, 2)),
        ("models/linux-6-holders.mmc", (2, 2, 2)),
        ("models/linux-6-holders-fine.mmc", (2, 1, 1)),
        ("models/linux-6-holders-fine.mmc with holders 2", (1, 1, 1)),
        ("models/linux-6-holders-fine.mmc with holders 2", (2, 1, 1)),
    ]

    /// The successors of a state expanded, as a set of packed states, with the number of
    /// violating steps.
    static func successors(_ s: [UInt64], _ system: KernelSystem) -> (Set<[UInt64]>, Int) {
        let buffer = SuccessorBuffer(stateWords: system.stateWords)
        s.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
        var out = Set<[UInt64]>(), violations = 0
        for i in 0..<buffer.count {
            if buffer.violation(i) != SuccessorBuffer.noViolation {
                violations += 1
                continue
            }
            out.insert(Array(UnsafeBufferPointer(start: buffer.state(i), count: system.stateWords)))
        }
        return (out, violations)
    }

    /// Renaming commutes with the steps: the successors of a renamed state are the renamed
    /// successors, up to the representative (a new task or mm takes the lowest free slot,
    /// which a renaming of the free slots moves). This is what makes the reduction sound,
    /// and it fails for a field that holds a task id or an mm reference and that
    /// `Symmetry` does not rename (a new action's state included: vfork's parent links are
    /// in the vfork model's states).
    @Test(arguments: [
        ("models/linux-6-vfork.mmc", (2, 3, 2)), ("models/linux-6-all.mmc", (2, 3, 2)),
        ("models/linux-6-shootdown-fine.mmc", (2, 2, 1)), ("models/linux-6-exec-fine.mmc", (1, 3, 2)),
        ("models/linux-6-holders.mmc", (2, 2, 2)), ("models/linux-6-holders-fine.mmc with holders 2", (2, 1, 1)),
    ])
    func renamingCommutesWithSteps(_ c: (String, (Int, Int, Int))) throws {
        let model = try Self.load(c.0)
        let bounds = Bounds(cpus: c.1.0, tasks: c.1.1, mms: c.1.2)
        let system = KernelSystem(model: model, bounds: bounds)
        let symmetry = Symmetry(layout: system.layout, model: model)
        let states = Self.reachable(system)
        var random = SplitMix64(seed: 9)
        let stride = max(1, states.count / 1500)
        let p = Self.permutations(bounds.cpus), q = Self.permutations(bounds.tasks), m = Self.permutations(bounds.mms)
        let h = Self.permutations(system.layout.holders)
        for k in Swift.stride(from: 0, to: states.count, by: stride) {
            let s = states[k]
            let (cpus, tasks, mms) = (p[random.below(p.count)], q[random.below(q.count)], m[random.below(m.count)])
            let holders = h[random.below(h.count)]
            func rename(_ x: [UInt64]) -> [UInt64] {
                Self.image(x, system.layout, symmetry, cpus: cpus, tasks: tasks, mms: mms, holders: holders)
            }
            let (next, bad) = Self.successors(s, system)
            let (renamedNext, renamedBad) = Self.successors(rename(s), system)
            func canonical(_ set: Set<[UInt64]>) -> Set<[UInt64]> { Set(set.map { Self.canonical($0, symmetry) }) }
            guard canonical(Set(next.map(rename))) == canonical(renamedNext), bad == renamedBad else {
                Issue.record(
                    "\(c.0) at \(bounds): state \(k) renamed by cpus \(cpus) tasks \(tasks) mms \(mms) holders \(holders) has other successors"
                )
                return
            }
        }
    }

    /// For every reachable state and every renaming of CPUs, tasks, mms and holders, the renamed
    /// state has the same representative (so the representative is a function of the
    /// orbit), and the reduced search stores as many states as there are distinct
    /// representatives of reachable states (so it explores exactly the orbits).
    @Test(arguments: exactCases)
    func oneRepresentativePerOrbit(_ c: (String, (Int, Int, Int))) throws {
        let model = try Self.load(c.0)
        let bounds = Bounds(cpus: c.1.0, tasks: c.1.1, mms: c.1.2)
        let system = KernelSystem(model: model, bounds: bounds)
        let symmetry = Symmetry(layout: system.layout, model: model)
        let states = Self.reachable(system)
        let cpuPerms = Self.permutations(bounds.cpus), taskPerms = Self.permutations(bounds.tasks)
        let mmPerms = Self.permutations(bounds.mms), holderPerms = Self.permutations(system.layout.holders)
        // Every renaming on a sample of states (all of them when there are few), one
        // random renaming on every state.
        let stride = max(1, states.count / 400)
        var representatives = Set<[UInt64]>()
        var generator = SystemRandomNumberGenerator()
        for (k, s) in states.enumerated() {
            let r = Self.canonical(s, symmetry)
            representatives.insert(r)
            #expect(Self.canonical(r, symmetry) == r)
            let renamings: [([Int], [Int], [Int], [Int])] =
                k % stride == 0
                ? cpuPerms.flatMap { p in
                    taskPerms.flatMap { q in mmPerms.flatMap { m in holderPerms.map { (p, q, m, $0) } } }
                }
                : [
                    (
                        cpuPerms.randomElement(using: &generator)!, taskPerms.randomElement(using: &generator)!,
                        mmPerms.randomElement(using: &generator)!, holderPerms.randomElement(using: &generator)!
                    )
                ]
            for (p, q, m, h) in renamings {
                let renamed = Self.image(s, system.layout, symmetry, cpus: p, tasks: q, mms: m, holders: h)
                guard Self.canonical(renamed, symmetry) == r else {
                    Issue.record(
                        "\(c.0) at \(bounds): state \(k) renamed by cpus \(p) tasks \(q) mms \(m) holders \(h) has another representative"
                    )
                    return
                }
            }
        }
        let reduced = Search(system: KernelSystem(model: model, bounds: bounds, symmetry: true)).run()
        #expect(reduced.ending == .exhausted)
        #expect(reduced.states == representatives.count)
        #expect(reduced.states < states.count)
    }

    /// linux-6 at (2, 1, 1): one task, one mm, so the only renaming is the swap of the two
    /// CPUs. By Burnside's lemma the orbits are (15 + F) / 2, F the states the swap leaves
    /// as they are: both CPUs idle on the same active_mm, which happens three times: at
    /// boot (both on init_mm, init runnable), and with both lazily on init's mm (init ran
    /// on each CPU and was switched out) while init is runnable or has exited (idle never
    /// switches to idle, so neither borrow is ever dropped). (15 + 3) / 2 = 9.
    @Test func twoCPUsOneTaskCountedByHand() throws {
        let model = try Fixture.load("models/linux-6.mmc")
        let bounds = Bounds(cpus: 2, tasks: 1, mms: 1)
        let system = KernelSystem(model: model, bounds: bounds)
        let symmetry = Symmetry(layout: system.layout, model: model)
        let states = Self.reachable(system)
        #expect(states.count == 15)
        let fixed = states.filter { Self.image($0, system.layout, symmetry, cpus: [1, 0], tasks: [0], mms: [0]) == $0 }
        #expect(fixed.count == 3)
        let layout = system.layout
        for s in fixed {
            let k = s.withUnsafeBufferPointer { KernelState(layout: layout, packed: $0.baseAddress!) }
            #expect(k.cpus.enumerated().allSatisfy { $0.element.curr == Int32(bounds.tasks + $0.offset) })  // idle
        }
        let reduced = Search(system: KernelSystem(model: model, bounds: bounds, symmetry: true)).run()
        #expect(reduced.states == 9)
        #expect(reduced.states == (states.count + fixed.count) / 2)
    }

    /// Every bug model keeps its verdict and its shortest-trace length under symmetry, and
    /// the trace (rebuilt over real states, not representatives) replays to the violation.
    @Test(arguments: ShippedModelTests.bugModels)
    func bugModelsKeepVerdictAndTraceLength(_ file: String) throws {
        let model = try Fixture.load(file)
        guard case .violation(let expected) = model.expectation else { return }
        let bounds = Fixture.bounds(of: model)
        let outcome = Check(model: model, bounds: bounds, options: SearchOptions(), symmetry: true).run()
        #expect(outcome.verdictWord == "violation \(expected)")
        let (counterexample, _) = try #require(outcome.traces.first)
        let row = try ShippedModelTests.baselineRow(file, bounds)
        #expect(counterexample.path.count == row.trace)
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.entries.dropLast().allSatisfy { $0.breach == nil })
        #expect(replay.finalBreach?.property?.name == expected)
    }

    /// A register is never both a task and an mm in one action (the renaming relies on it).
    @Test(arguments: ShippedModelTests.correctModels + ShippedModelTests.bugModels)
    func registersHaveOneKind(_ file: String) throws {
        let model = try Fixture.load(file)
        for (tasks, mms) in zip(model.taskRegisters, model.mmRegisters) {
            #expect(Set(tasks).isDisjoint(with: mms))
        }
    }
}
