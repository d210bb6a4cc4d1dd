import Explorer
import Foundation
import Testing

@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// The regression suite (models/suite) against its committed baseline (results/), and every
/// committed counterexample replayed from the initial state.
@Suite struct SuiteTests {
    static let entries: [Suite.Entry] = {
        let path = Repository.path(Suite.defaultSuite)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            case .success(let entries) = Suite.parseSuite(text, path: path)
        else { return [] }
        return entries
    }()

    static let baseline: [Suite.Row] = {
        let path = Repository.path("\(Suite.defaultResults)/\(Suite.baselineName)")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            case .success(let rows) = Suite.parseBaseline(text, path: path)
        else { return [] }
        return rows
    }()

    /// The entries small enough for every test run (a debug build); `mmcheck suite` runs all.
    static let quickEntries = entries.filter { entry in
        (baseline.first { $0.key == entry.key }?.states ?? Int.max) <= 150_000
    }

    static let traceFiles: [String] = {
        let root = Repository.path(Suite.defaultResults)
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".trace") }.sorted().map { "\(Suite.defaultResults)/\($0)" }
    }()

    @Test func suiteAndBaselineAgree() {
        #expect(!Self.entries.isEmpty)
        #expect(Self.entries.map(\.key) == Self.baseline.map(\.key))
        #expect(Self.quickEntries.count * 2 >= Self.entries.count)
    }

    @Test func everyShippedModelIsInTheSuite() {
        let listed = Set(Self.entries.map(\.model))
        for file in Fixture.modelFiles(under: "models") + Fixture.modelFiles(under: "models/bugs")
            + Fixture.modelFiles(under: "models/near-misses")
        {
            #expect(listed.contains(file), "\(file) is not in models/suite")
        }
        for file in Fixture.modelFiles(under: "models") {
            #expect(Self.entries.filter { $0.model == file }.count >= 3, "\(file) should be checked at several bounds")
        }
    }

    @Test func suiteLinesTakeAnOptionalSymmetryWord() {
        let ok = Suite.parseSuite("models/linux-6.mmc 2 3 3\nmodels/linux-6.mmc 2 3 3 symmetry  # orbits\n", path: "s")
        guard case .success(let entries) = ok else {
            Issue.record("did not parse")
            return
        }
        #expect(entries.map(\.symmetry) == [false, true])
        #expect(entries[1].key == "models/linux-6.mmc 2,3,3 symmetry")
        #expect(Suite.tracePath(entries[1], results: "results") == "results/linux-6.2-3-3-symmetry.trace")
        let bad = Suite.parseSuite("models/linux-6.mmc 2 3 3\n  models/linux-6.mmc 2 3 3 sym\n", path: "s")
        guard case .failure(let errors) = bad else {
            Issue.record("parsed a bad word")
            return
        }
        #expect(
            errors.lines == [
                "s:2:3: error: expected 'MODEL CPUS TASKS MMS [symmetry] [por]', found 'models/linux-6.mmc 2 3 3 sym'"
            ])
        let both = Suite.parseSuite("models/linux-6-fine.mmc 2 2 2 symmetry por\nm.mmc 2 2 2 por por\n", path: "s")
        guard case .failure(let twice) = both else {
            Issue.record("parsed a word given twice")
            return
        }
        #expect(twice.lines.count == 1 && twice.lines[0].hasPrefix("s:2:1: error: expected"))
        guard case .success(let reduced) = Suite.parseSuite("models/linux-6-fine.mmc 2 2 2 symmetry por\n", path: "s")
        else { return }
        #expect(reduced[0].symmetry && reduced[0].partialOrder)
        #expect(reduced[0].key == "models/linux-6-fine.mmc 2,2,2 symmetry por")
        #expect(Suite.tracePath(reduced[0], results: "r") == "r/linux-6-fine.2-2-2-symmetry-por.trace")
    }

    /// Every entry with partial-order reduction has its unreduced twin in the suite, with the
    /// same verdict (the same property violated) and at least as many states; the suite
    /// keeps both baselines true.
    @Test func everyReducedEntryAgreesWithItsTwin() {
        let reduced = Self.baseline.filter(\.partialOrder)
        #expect(reduced.count >= 10)
        for row in reduced {
            var plain = row
            plain.partialOrder = false
            guard let twin = Self.baseline.first(where: { $0.key == plain.key }) else {
                Issue.record("\(row.key) has no unreduced twin in the suite")
                continue
            }
            #expect(row.verdict == twin.verdict, "\(row.key)")
            #expect(row.states <= twin.states, "\(row.key)")
            if row.verdict != "pass" { #expect((row.trace ?? 0) >= (twin.trace ?? 0), "\(row.key)") }
        }
    }

    @Test(arguments: quickEntries)
    func entryMatchesItsBaseline(_ entry: Suite.Entry) throws {
        let (row, outcome) = try Suite.run(entry, root: Repository.root.path)
        let expected = try #require(Self.baseline.first { $0.key == entry.key })
        #expect(Suite.differences(expected, row) == [], "\(entry.key)")
        #expect(outcome.expectationMet, "\(entry.key): \(outcome.verdictWord)")
        // A violation has its counterexample committed beside the baseline.
        if row.trace != nil {
            #expect(
                FileManager.default.fileExists(
                    atPath: Repository.path(Suite.tracePath(entry, results: Suite.defaultResults))))
        }
    }

    @Test(arguments: traceFiles)
    func committedTraceReplaysToItsClaim(_ file: String) throws {
        let trace = try TraceFile.parse(try String(contentsOfFile: Repository.path(file), encoding: .utf8), path: file)
            .get()
        let model = try Fixture.load(trace.modelPath)
        let replay = try Replay(
            system: KernelSystem(model: model, bounds: trace.bounds), path: trace.steps.map(\.label))
        #expect(replay.entries.count == trace.steps.count)
        #expect(replay.entries.dropLast().allSatisfy { $0.breach == nil })
        let reached = try #require(replay.finalBreach)
        #expect("violation \(reached.property?.name ?? "?")" == trace.claim)
        #expect(Self.entries.contains { $0.model == trace.modelPath }, "\(file) belongs to no suite entry")
    }
}

/// Trace files: the format round-trips, and malformed or wrong traces are refused with a
/// located error.
@Suite struct TraceFileTests {
    static let bounds = Bounds(cpus: 2, tasks: 3, mms: 3)

    @Test func writtenTracesParseBack() throws {
        let steps = [
            Step(kind: .schedule, cpu: 0, task: 0), Step(kind: .clone, cpu: 0, task: 0, child: 2, how: .fork),
            Step(kind: .exit, cpu: 0, task: 0), Step(kind: .schedule, cpu: 1, task: 4),
        ]
        let trace = TraceFile(modelPath: "models/x.mmc", bounds: Self.bounds, claim: "violation no-leak", steps: steps)
        let text = trace.text(comments: ["a comment", ""])
        #expect(text.contains("step schedule cpu=1 next=idle\n"))
        #expect(text.contains("step clone cpu=0 parent=0 child=2 how=fork\n"))
        let back = try TraceFile.parse(text, path: "t.trace").get()
        #expect(back.steps == steps)
        #expect(back.bounds == Self.bounds)
        #expect(back.claim == "violation no-leak")
        #expect(back.stepLines == [7, 8, 9, 10])  // header, 2 comments, model, bounds, claim
    }

    @Test func theExtensionStepsParseBack() throws {
        let steps = [
            Step(kind: .schedule, cpu: 0, task: 1), Step(kind: .useMM, cpu: 0, task: 1, mm: 2),
            Step(kind: .unuseMM, cpu: 1, task: 1), Step(kind: .exec, cpu: 0, task: 1),
            Step(kind: .cloneFail, cpu: 0, task: 0, child: 2, how: .thread),
            Step(kind: .cloneFail, cpu: 1, task: 1, child: 2, how: .kthread),
        ]
        let text = TraceFile(modelPath: "models/x.mmc", bounds: Self.bounds, claim: "violation no-leak", steps: steps)
            .text()
        #expect(text.contains("step use_mm cpu=0 task=1 mm=2\n"))
        #expect(text.contains("step unuse_mm cpu=1 task=1\n"))
        #expect(text.contains("step clone_fail cpu=0 parent=0 child=2 how=thread\n"))
        #expect(try TraceFile.parse(text, path: "t.trace").get().steps == steps)
    }

    /// The errors for a trace at (2, 3, 3) whose steps are `body`, from line 4 on.
    static func errors(_ body: String) -> [String] {
        let text = "mmcheck-trace 1\nbounds cpus=2 tasks=3 mms=3\nclaim violation no-leak\n" + body
        switch TraceFile.parse(text, path: "t.trace") {
        case .success: return []
        case .failure(let e): return e.lines
        }
    }

    @Test func malformedExtensionSteps() {
        #expect(Self.errors("step use_mm cpu=0 task=1\n") == ["t.trace:4:6: error: use_mm step is missing mm="])
        #expect(
            Self.errors("step use_mm cpu=0 task=1 mm=3\n") == [
                "t.trace:4:26: error: mm=3: an mm slot must be 0 to 2 at these bounds"
            ])
        #expect(
            Self.errors("step unuse_mm cpu=0 task=1 mm=0\n") == [
                "t.trace:4:28: error: unexpected 'mm=0' in a unuse_mm step (it takes cpu=, task=)"
            ])
        #expect(
            Self.errors("step clone_fail cpu=0 parent=0 child=2\n") == [
                "t.trace:4:6: error: clone_fail step is missing how="
            ])
    }

    @Test func malformedTracesGiveLocatedErrors() {
        #expect(
            Self.errors("step shedule cpu=0 next=0\n") == [
                "t.trace:4:6: error: unknown action 'shedule' (actions: schedule, exit, clone, exec, use_mm, unuse_mm, clone_fail, proceed, shootdown, vfork, get_task_mm, proc_open, proc_access, proc_release, oom_kill, oom_reap, oom_release)"
            ])
        #expect(
            Self.errors("step schedule cpu=2 next=0\n") == [
                "t.trace:4:15: error: cpu=2: a cpu must be 0 to 1 at these bounds"
            ])
        #expect(
            Self.errors("step exit cpu=0 task=idle\n") == [
                "t.trace:4:17: error: task=idle: a task slot must be 0 to 2 at these bounds"
            ])
        #expect(
            Self.errors("step clone cpu=0 parent=0 child=1 how=vfork\n") == [
                "t.trace:4:35: error: how=vfork: expected thread, fork or kthread"
            ])
        #expect(Self.errors("step exit cpu=0\n") == ["t.trace:4:6: error: exit step is missing task="])
        #expect(
            Self.errors("step exit cpu=0 task=0 next=1\n") == [
                "t.trace:4:24: error: unexpected 'next=1' in a exit step (it takes cpu=, task=)"
            ])
        #expect(
            Self.errors("jump\n") == [
                "t.trace:4:1: error: unknown line 'jump' (expected model, bounds, mode, claim or step)"
            ])
        switch TraceFile.parse("hello\n", path: "t.trace") {
        case .success: Issue.record("accepted a file that is not a trace")
        case .failure(let e): #expect(e.lines == ["t.trace:1:1: error: expected 'mmcheck-trace 1' as the first line"])
        }
    }

    @Test func replayCommandConfirmsOrRefuses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmcheck-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Repository.path("models/bugs/exit-mm-without-grab.mmc")
        func replay(_ steps: String, claim: String = "violation no-free-while-borrowed") throws -> CommandLineTests.Run
        {
            let file = dir.appendingPathComponent("t.trace")
            try "mmcheck-trace 1\nbounds cpus=2 tasks=3 mms=3\nclaim \(claim)\n\(steps)".write(
                to: file, atomically: true, encoding: .utf8)
            return try CommandLineTests.mmcheck("replay", model, file.path)
        }
        let good = try replay("step schedule cpu=0 next=0\nstep exit cpu=0 task=0\n")
        #expect(good.status == 1)
        #expect(good.out.contains("state after step 1:"))
        #expect(
            good.out.contains("result    CONFIRMED: every step is enabled and step 2 violates no-free-while-borrowed"))
        let disabled = try replay("step exit cpu=0 task=0\n")
        #expect(disabled.status == 2)
        #expect(
            disabled.err.hasSuffix(
                "t.trace:4:1: error: step 1 (exit cpu=0 task=0) is not enabled in the state the steps before it reach\n"
            ))
        let short = try replay("step schedule cpu=0 next=0\n")
        #expect(short.status == 2)
        #expect(short.out.contains("NOT CONFIRMED: no violation is reached after 1 steps"))
        let other = try replay("step schedule cpu=0 next=0\nstep exit cpu=0 task=0\n", claim: "violation no-leak")
        #expect(other.status == 2)
        #expect(
            other.out.contains(
                "NOT CONFIRMED: the trace reaches violation no-free-while-borrowed, but claims violation no-leak"))
        let after = try replay("step schedule cpu=0 next=0\nstep exit cpu=0 task=0\nstep schedule cpu=1 next=1\n")
        #expect(after.status == 2)
        #expect(
            after.err.hasSuffix(
                "t.trace:6:1: error: step 3 (schedule cpu=1 next=1) comes after the step that already violated a property\n"
            ))
    }
}

/// Counterexamples with the extension steps: found, written as a trace file, parsed back,
/// replayed from the initial state, and rendered for people.
@Suite struct ExtensionCounterexampleTests {
    static func counterexample(_ file: String, _ bounds: Bounds) throws -> (CheckOutcome, TraceFile, Replay) {
        let model = try Fixture.load(file)
        let outcome = Check(model: model, bounds: bounds, options: SearchOptions()).run()
        let text = try #require(outcome.traceFileText(modelPath: file))
        let trace = try TraceFile.parse(text, path: "t.trace").get()
        let replay = try Replay(
            system: KernelSystem(model: model, bounds: trace.bounds), path: trace.steps.map(\.label))
        return (outcome, trace, replay)
    }

    @Test func useMMSkippingItsGrabUnderShootdown() throws {
        let (outcome, trace, replay) = try Self.counterexample(
            "models/bugs/kthread-use-mm-skip-grab-shootdown.mmc",
            Bounds(cpus: 1, tasks: 2, mms: 1))
        #expect(trace.steps.map(\.kind) == [.schedule, .schedule, .useMM, .unuseMM])
        #expect(trace.steps[2] == Step(kind: .useMM, cpu: 0, task: 1, mm: 0))
        let last = try #require(replay.entries.last)
        #expect(last.breach?.property == .noFreeWhileBorrowed)
        #expect(last.breach?.reason == .freeWithUsers(2))
        #expect(last.after.tasks[1].activeMM == Ref.initMM)  // shot down before the free checks
        let lines = TraceRenderer(model: outcome.model, bounds: trace.bounds).render(replay)
        #expect(lines.contains("3  cpu0: use_mm  kthreadd mm0"))
        #expect(lines.contains("4  cpu0: unuse_mm  kthreadd mm0"))
        #expect(lines.contains { $0.contains("kthreadd.active_mm     mm0 -> init_mm") })
    }

    @Test func theForkErrorPathLeak() throws {
        let (outcome, trace, replay) = try Self.counterexample(
            "models/bugs/fork-cleanup-exit-mm-leak.mmc",
            Bounds(cpus: 2, tasks: 3, mms: 3))
        #expect(
            trace.steps == [
                Step(kind: .schedule, cpu: 0, task: 0),
                Step(kind: .cloneFail, cpu: 0, task: 0, child: 2, how: .thread),
            ])
        #expect(replay.finalBreach?.reason == .deadTaskHolds(task: 2, activeMM: true))
        let lines = TraceRenderer(model: outcome.model, bounds: trace.bounds).render(replay)
        #expect(lines.contains("2  cpu0: clone_fail  init -> t2 (thread)"))
        #expect(lines.contains { $0.contains("t2 dies still holding mm0 as its active_mm") })
    }

    @Test func aCleanlyFailedCloneLeavesNothingButItsChildsName() throws {
        // A clean clone_fail names the child it never ran, then the next clone gets the name after.
        let model = try Fixture.load("models/linux-6-all.mmc")
        let bounds = Bounds(cpus: 1, tasks: 3, mms: 2)
        let path = [
            Step.schedule(cpu: 0, next: 0), Step.cloneFail(cpu: 0, parent: 0, child: 2, how: .fork),
            Step.clone(cpu: 0, parent: 0, child: 2, how: .fork),
        ]
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: path)
        #expect(replay.finalBreach == nil)
        #expect(replay.entries[1].after == replay.entries[1].before)
        let lines = TraceRenderer(model: model, bounds: bounds).render(replay)
        #expect(lines.contains("2  cpu0: clone_fail  init -> t2 (fork)"))
        #expect(lines.contains("3  cpu0: clone  init -> t3 (fork)"))
    }
}
