import Foundation
import Testing

/// The `mmcheck` executable run as a process: exit codes and the key lines of its output.
@Suite struct CommandLineTests {
    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    static var executable: URL {
        // The test bundle sits beside the products of the same build.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("mmcheck").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("mmcheck")
    }

    static func mmcheck(_ arguments: String..., in directory: String = Repository.root.path) throws -> Run {
        try run(executable, arguments, in: directory)
    }

    /// Runs `executable` with `arguments` in `directory` and collects its output.
    static func run(_ executable: URL, _ arguments: [String], in directory: String = Repository.root.path) throws -> Run
    {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
            err: String(decoding: errData, as: UTF8.self))
    }

    /// `--quiet` prints the verdict line alone; `--progress` adds progress lines on stderr
    /// and one when the search ends; without it (stderr is a pipe here) stderr stays empty.
    @Test func quietAndProgress() throws {
        let q = try Self.mmcheck("check", "models/linux-6.mmc", "--quiet", "--progress")
        #expect(q.status == 0)
        #expect(q.out == "verdict   PASS  all 9 properties hold in every reachable state at these bounds\n")
        #expect(q.err.hasPrefix("progress  done  level 17  states 9,773  transitions 49,800  queue 0  "))
        #expect(q.err.hasSuffix(" s\n") && q.err.split(separator: "\n").count == 1)
        let bug = try Self.mmcheck("check", "models/bugs/exit-mm-without-grab.mmc", "--quiet")
        #expect(bug.status == 1 && bug.err.isEmpty)
        #expect(bug.out == "verdict   VIOLATION of no-free-while-borrowed\n")
        let plain = try Self.mmcheck("check", "models/linux-6.mmc", "--cpus", "1", "--tasks", "2", "--mms", "2")
        #expect(plain.err.isEmpty && plain.out.contains("distinct states"))
    }

    @Test func passExitsZeroWithTheSummary() throws {
        let r = try Self.mmcheck("check", "models/linux-6.mmc", "--cpus", "1", "--tasks=1", "--mms", "1")
        #expect(r.status == 0)
        #expect(r.out.contains("bounds    1 cpus, 1 tasks, 1 mms; counter cap 6"))
        #expect(r.out.contains("verdict   PASS"))
        #expect(r.out.contains("distinct states   5\n"))
        #expect(r.out.contains("transitions       5\n"))
        #expect(r.out.contains("search depth      3\n"))
        #expect(r.out.contains("states/s"))
        #expect(r.out.contains("bytes/state"))
        #expect(r.out.contains("expected  pass: met"))
        #expect(r.err.isEmpty)
    }

    @Test func checkWithNoFileChecksTheDefaultModel() throws {
        let r = try Self.mmcheck("check", "--cpus", "1", "--tasks", "1", "--mms", "1")
        #expect(r.status == 0)
        #expect(r.out.contains("model models/linux-6.mmc (\"linux-6\")"))
        let elsewhere = try Self.mmcheck("check", in: "/")
        #expect(elsewhere.status == 2)
        #expect(
            elsewhere.err
                == "mmcheck: error: no model file given and models/linux-6.mmc not found from this directory\n")
    }

    @Test func violationExitsOneWithAReadableTrace() throws {
        let r = try Self.mmcheck("check", "models/bugs/exit-mm-without-grab.mmc")
        #expect(r.status == 1)
        #expect(r.out.contains("verdict   VIOLATION of no-free-while-borrowed"))
        #expect(r.out.contains("Counterexample: 2 steps (a shortest trace)"))
        #expect(r.out.contains("1  cpu0: schedule  idle0 -> init"))
        #expect(r.out.contains("2  cpu0: exit  init"))
        #expect(r.out.contains("init.mm                mm0 -> none"))
        #expect(
            r.out.contains("VIOLATION  no-free-while-borrowed: mm0 is freed while init.active_mm still points to it"))
        #expect(
            r.out.contains("at models/bugs/exit-mm-without-grab.mmc:26:9 in mmdrop (via exit_mm > mmput > mmdrop):"))
        #expect(r.out.contains("expected  violation no-free-while-borrowed: met"))
    }

    @Test func fineModeRaceAndItsTraceFileReplay() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mmcheck-fine-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trace = dir.appendingPathComponent("race.trace").path
        let r = try Self.mmcheck("check", "models/bugs/exec-mmap-rt-race.mmc", "--trace-out", trace)
        #expect(r.status == 1)
        #expect(r.out.contains("search    breadth-first, fine steps (one statement each, preemptible, PREEMPT_RT)"))
        #expect(r.out.contains("Counterexample: 26 steps (a shortest trace)"))
        #expect(r.out.contains(" 9  cpu0: preempt kthreadd inside exec_mmap at line 141 -> init"))
        #expect(r.out.contains("23  cpu0: kthreadd resumes its exec in exec_mmap at line 141"))
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        #expect(text.contains("\nmode fine\n"))
        let replay = try Self.mmcheck("replay", "models/bugs/exec-mmap-rt-race.mmc", trace)
        #expect(replay.status == 1)
        #expect(replay.out.contains("result    CONFIRMED: every step is enabled and step 26 violates init-mm-immortal"))
        // The same trace is not a coarse-mode run.
        try text.replacingOccurrences(of: "\nmode fine\n", with: "\n").write(
            toFile: trace, atomically: true, encoding: .utf8)
        let coarse = try Self.mmcheck("replay", "models/bugs/exec-mmap-rt-race.mmc", trace)
        #expect(coarse.status == 2)
        #expect(coarse.err.contains("step 2 (proceed cpu=0) is not enabled"))
        let bad = try Self.mmcheck("check", "--mode", "medium")
        #expect(bad.status == 2)
        #expect(bad.err == "mmcheck: error: option '--mode' takes 'coarse' or 'fine', got 'medium'\n")
    }

    @Test func modelErrorsExitTwoWithOneLineEach() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmcheck-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.mmc")
        try """
        expect violation no-such-thing
        actions schedule
        routine context_switch(prev: task, next: task) {
            mmgrab(prev.active_mm)
        }
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try Self.mmcheck("check", "bad.mmc", in: dir.path)
        #expect(r.status == 2)
        #expect(r.out.isEmpty)
        #expect(
            r.err == """
                bad.mmc:1:18: error: unknown property 'no-such-thing' (properties: free-at-zero, no-free-while-borrowed, no-use-after-free, no-underflow, no-leak, no-teardown-in-use, active-mm-consistent, init-mm-immortal, no-users-from-zero)
                bad.mmc:4:5: error: unknown routine 'mmgrab'

                """)
    }

    @Test func usageErrorsExitTwoNamingTheOption() throws {
        let cases: [([String], String)] = [
            (["check", "--bogus"], "mmcheck: error: unknown option '--bogus' (see 'mmcheck help check')\n"),
            (["check", "--cpus"], "mmcheck: error: option '--cpus' needs a number\n"),
            (["check", "--cpus", "two"], "mmcheck: error: option '--cpus' needs a number, got 'two'\n"),
            (["check", "--cpus", "0"], "mmcheck: error: option '--cpus': cpus must be between 1 and 8, got 0\n"),
            (["check", "--cpus", "9"], "mmcheck: error: option '--cpus': cpus must be between 1 and 8, got 9\n"),
            (["check", "a.mmc", "b.mmc"], "mmcheck: error: unexpected argument 'b.mmc': check takes one model file\n"),
            (["check", "--symmetry=yes"], "mmcheck: error: option '--symmetry' takes no value\n"),
            (["check", "--symmetry", "--symmetry"], "mmcheck: error: option '--symmetry' is given twice\n"),
            (["bench", "--symmetry", "--symmetry"], "mmcheck: error: option '--symmetry' is given twice\n"),
            (
                ["bench", "--fast"],
                "mmcheck: error: unknown option '--fast' (see 'mmcheck help bench')\n"
            ),
            (["check", "nowhere.mmc"], "mmcheck: error: cannot read model file 'nowhere.mmc': no such file\n"),
            (
                ["frobnicate"],
                "mmcheck: error: unknown command 'frobnicate' (commands: check, replay, suite, bench, mutate, help; try 'mmcheck help')\n"
            ),
            (
                ["help", "frobnicate"],
                "mmcheck: error: no help for unknown command 'frobnicate' (commands: check, replay, suite, bench, mutate, help)\n"
            ),
            (["bench", "nowhere.mmc"], "mmcheck: error: cannot read model file 'nowhere.mmc': no such file\n"),
            (["check", "--threads", "0"], "mmcheck: error: option '--threads' must be between 1 and 256, got 0\n"),
            (["suite", "--threads", "x"], "mmcheck: error: option '--threads' needs a number, got 'x'\n"),
            (["suite", "--threads"], "mmcheck: error: option '--threads' needs a number\n"),
            (
                ["check", "--fingerprint", "--dfs"],
                "mmcheck: error: option '--fingerprint' works breadth-first only: drop '--dfs'\n"
            ),
            (["check", "--fingerprint=64"], "mmcheck: error: option '--fingerprint' takes no value\n"),
            (["check", "--no-por", "--por"], "mmcheck: error: options '--por' and '--no-por' contradict each other\n"),
            (["check", "--no-por", "--no-por"], "mmcheck: error: option '--no-por' is given twice\n"),
            (["check", "--por=yes"], "mmcheck: error: option '--por' takes no value\n"),
            // The command table: an option of another command, values, operands.
            (["bench", "--dfs"], "mmcheck: error: unknown option '--dfs' (see 'mmcheck help bench')\n"),
            (["replay", "--symmetry"], "mmcheck: error: unknown option '--symmetry' (see 'mmcheck help replay')\n"),
            (["replay", "m.mmc"], "mmcheck: error: replay takes MODEL TRACE, got 1 argument\n"),
            (
                ["replay", "m.mmc", "t.trace", "u.trace"],
                "mmcheck: error: unexpected argument 'u.trace': replay takes two arguments, MODEL and TRACE\n"
            ),
            (["suite", "models"], "mmcheck: error: unexpected argument 'models' (see 'mmcheck help suite')\n"),
            (["suite", "--results"], "mmcheck: error: option '--results' needs a folder name\n"),
            (["check", "--format", "xml"], "mmcheck: error: option '--format' takes 'text' or 'json', got 'xml'\n"),
            (["bench", "--format=yaml"], "mmcheck: error: option '--format' takes 'text' or 'json', got 'yaml'\n"),
            (["check", "--html"], "mmcheck: error: option '--html' needs a file name\n"),
            (["check", "--coverage=1"], "mmcheck: error: option '--coverage' takes no value\n"),
            (
                ["check", "--coverage", "--por"],
                "mmcheck: error: option '--coverage' explores every interleaving: drop '--por'\n"
            ),
            (
                ["suite", "--update", "--fingerprint"],
                "mmcheck: error: option '--fingerprint' cannot be used with '--update': the baseline is the exact store's\n"
            ),
        ]
        for (arguments, message) in cases {
            let process = Process()
            process.executableURL = Self.executable
            process.arguments = arguments
            process.currentDirectoryURL = Repository.root
            let err = Pipe(), out = Pipe()
            process.standardError = err
            process.standardOutput = out
            try process.run()
            let data = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 2, "\(arguments)")
            #expect(String(decoding: data, as: UTF8.self) == message, "\(arguments)")
            #expect(out.fileHandleForReading.readDataToEndOfFile().isEmpty, "\(arguments) printed to stdout")
        }
    }

    @Test func limitsGiveIncompleteAndExitThree() throws {
        let states = try Self.mmcheck("check", "models/linux-6.mmc", "--max-states", "100")
        #expect(states.status == 3)
        #expect(states.out.contains("verdict   INCOMPLETE: state limit 100 reached"))
        #expect(states.out.contains("distinct states   100\n"))
        let depth = try Self.mmcheck("check", "models/linux-6.mmc", "--max-depth", "4", "--dfs")
        #expect(depth.status == 3)
        #expect(depth.out.contains("INCOMPLETE: search depth limit 4 reached"))
        // A limit the search never reaches does not make the run incomplete.
        let roomy = try Self.mmcheck(
            "check", "models/linux-6.mmc", "--cpus", "1", "--tasks", "1", "--mms", "1", "--max-depth", "3")
        #expect(roomy.status == 0)
    }

    /// With --symmetry the summary counts orbits, and the counterexample (rebuilt over real
    /// states) is as long as without it and replays.
    @Test func symmetryCountsOrbitsAndKeepsTheShortestTrace() throws {
        let pass = try Self.mmcheck(
            "check", "models/linux-6.mmc", "--cpus", "2", "--tasks", "1", "--mms", "1", "--symmetry")
        #expect(pass.status == 0)
        #expect(pass.out.contains("symmetry  CPUs, task slots and mm slots renamed: one state stored per orbit"))
        #expect(pass.out.contains("distinct states   9 (orbits)\n"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmcheck-sym-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trace = dir.appendingPathComponent("race.trace").path
        let bug = try Self.mmcheck(
            "check", "models/bugs/exit-mm-clear-before-grab-preempt.mmc", "--cpus", "2", "--tasks", "2",
            "--mms", "2", "--symmetry", "--no-por", "--trace-out", trace)
        #expect(bug.status == 1)
        #expect(bug.out.contains("Counterexample: 22 steps (a shortest trace)"))
        let replay = try Self.mmcheck("replay", "models/bugs/exit-mm-clear-before-grab-preempt.mmc", trace)
        #expect(replay.status == 1)
        #expect(
            replay.out.contains(
                "result    CONFIRMED: every step is enabled and step 22 violates no-free-while-borrowed"))
    }

    @Test func findAllCountsViolatingStepsPerProperty() throws {
        let r = try Self.mmcheck(
            "check", "models/bugs/exit-mm-without-grab.mmc", "--all", "--cpus", "1", "--tasks", "1", "--mms", "1")
        #expect(r.status == 1)
        #expect(r.out.contains("violating steps per property"))
        #expect(r.out.contains("no-free-while-borrowed"))
        #expect(r.out.contains("expected  violation no-free-while-borrowed: met"))
    }

    @Test func helpAndVersion() throws {
        let version = try Self.mmcheck("--version")
        #expect(version.status == 0)
        #expect(version.out == "mmcheck 0.1.0\n")
        let help = try Self.mmcheck("help", "check")
        #expect(help.status == 0)
        #expect(help.out.contains("usage: mmcheck check [FILE] [options]"))
        let checkHelp = try Self.mmcheck("check", "--help")
        #expect(checkHelp.out == help.out)
        // Every command has its help both ways, and the overview names it.
        let overview = try Self.mmcheck("help").out
        for command in ["check", "replay", "suite", "bench", "mutate"] {
            let a = try Self.mmcheck("help", command), b = try Self.mmcheck(command, "--help")
            #expect(a.status == 0 && b.status == 0 && a.out == b.out && a.out.hasPrefix("usage: mmcheck \(command)"))
            #expect(overview.contains("mmcheck \(command)"))
        }
        let none = try Self.mmcheck()
        #expect(none.status == 2)
        #expect(none.out.contains("mmcheck check [FILE] [options]"))
    }
}
