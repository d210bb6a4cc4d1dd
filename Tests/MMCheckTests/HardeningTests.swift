import Foundation
import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// The edges a hostile or careless user finds: output files written in place and never over
/// an input, numbers of any size, memory and interrupts ending with statistics, output that
/// cannot be written, incomplete runs said to be so, the suite kept inside its folder.
@Suite struct HardeningTests {
    typealias Run = CommandLineTests.Run

    static func mmcheck(_ arguments: String..., in directory: String = Repository.root.path) throws -> Run {
        try CommandLineTests.run(CommandLineTests.executable, arguments, in: directory)
    }

    /// `mmcheck` run by `/bin/sh -c script` (the executable is `$0` there), for redirections and limits.
    static func shell(_ script: String) throws -> Run {
        try CommandLineTests.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", script, CommandLineTests.executable.path], in: Repository.root.path)
    }

    /// The errors of a trace file made of the header line and `body` (which starts at line 2).
    static func traceErrors(_ body: String) -> [String] {
        switch TraceFile.parse("mmcheck-trace 1\n" + body, path: "t.trace") {
        case .success: return []
        case .failure(let e): return e.lines
        }
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmcheck-hard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func fileType(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    static func inode(_ path: String) -> ino_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : 0
    }

    static let bug = "models/bugs/exit-mm-without-grab.mmc"

    // MARK: 1. --trace-out writes through its path, never over an input, and is checked first

    @Test func traceOutWritesThroughDevicesLinksAndExistingFiles() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // /dev/null stays a device.
        let null = try Self.mmcheck("check", Self.bug, "--trace-out", "/dev/null")
        #expect(null.status == 1)
        #expect(Self.fileType("/dev/null") == S_IFCHR)
        // A symlink stays a symlink; its target gets the trace.
        let target = dir.appendingPathComponent("target.txt").path, link = dir.appendingPathComponent("link.trace").path
        try "old\n".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let viaLink = try Self.mmcheck("check", Self.bug, "--trace-out", link)
        #expect(viaLink.status == 1)
        #expect(Self.fileType(link) == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("mmcheck-trace 1\n"))
        // An existing file is written in place: same inode, new contents.
        let before = Self.inode(target)
        let again = try Self.mmcheck("check", Self.bug, "--trace-out", target)
        #expect(again.status == 1)
        #expect(Self.inode(target) == before)
        #expect(try String(contentsOfFile: target, encoding: .utf8).contains("claim violation no-free-while-borrowed"))
    }

    @Test func traceOutWritesIntoAFIFO() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe").path, copy = dir.appendingPathComponent("copy").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat \"$0\" > \"$1\"", fifo, copy]
        try reader.run()
        let r = try Self.mmcheck("check", Self.bug, "--trace-out", fifo)
        reader.waitUntilExit()
        #expect(r.status == 1)
        #expect(Self.fileType(fifo) == S_IFIFO)
        #expect(try String(contentsOfFile: copy, encoding: .utf8).hasPrefix("mmcheck-trace 1\n"))
    }

    @Test func traceOutRefusesAnInputAndUnwritablePathsBeforeSearching() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.mmc").path
        let text = try String(contentsOfFile: Repository.path(Self.bug), encoding: .utf8)
        try text.write(toFile: model, atomically: false, encoding: .utf8)
        let link = dir.appendingPathComponent("m-link.trace").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: model)
        for target in [model, link] {
            let r = try Self.mmcheck("check", model, "--trace-out", target)
            #expect(r.status == 2)
            #expect(r.out.isEmpty, "nothing is searched")
            #expect(
                r.err
                    == "mmcheck: error: cannot write trace file '\(target)': it is '\(model)', an input of this run, which is never overwritten\n"
            )
        }
        #expect(try String(contentsOfFile: model, encoding: .utf8) == text)
        let missing = try Self.mmcheck(
            "check", Self.bug, "--trace-out", dir.appendingPathComponent("no/such/x.trace").path)
        #expect(missing.status == 2)
        #expect(missing.out.isEmpty)
        #expect(missing.err.contains("no folder '\(dir.appendingPathComponent("no/such").path)'"))
        let folder = try Self.mmcheck("check", Self.bug, "--trace-out", dir.path)
        #expect(folder.status == 2)
        #expect(folder.out.isEmpty)
        #expect(folder.err.hasSuffix("it is a directory\n"))
    }

    @Test func aFailedTraceWriteStillReportsTheViolation() throws {
        let r = try Self.mmcheck("check", Self.bug, "--trace-out", "/dev/full")
        #expect(r.status == 1)
        #expect(r.out.contains("verdict   VIOLATION of no-free-while-borrowed"))
        #expect(r.err == "mmcheck: error: cannot write trace file '/dev/full': no space left on device\n")
    }

    // MARK: 2. Numbers of any size are range-checked first and quoted as written

    @Test func hugeNumbersAreRefusedAsWritten() throws {
        let cases: [([String], String)] = [
            (
                ["check", "--cpus", "4611686018427387904"],
                "mmcheck: error: option '--cpus': cpus must be between 1 and 8, got 4611686018427387904\n"
            ),
            (
                ["check", "--tasks=99999999999999999999"],
                "mmcheck: error: option '--tasks': tasks must be between 1 and 16 (task 0 is init), got 99999999999999999999\n"
            ),
            (
                ["check", "--max-states", "99999999999999999999"],
                "mmcheck: error: option '--max-states' must be between 1 and 4,294,967,294, got 99999999999999999999\n"
            ),
            (
                ["check", "--max-depth", "-1"],
                "mmcheck: error: option '--max-depth' must be between 0 and 4,294,967,295, got -1\n"
            ),
            (
                ["check", "--memory", "99999999999T"],
                "mmcheck: error: option '--memory' must be between 1M and 1024T, got 99999999999T\n"
            ),
            (["check", "--memory", "0"], "mmcheck: error: option '--memory' must be between 1M and 1024T, got 0\n"),
            (
                ["check", "--memory", "lots"],
                "mmcheck: error: option '--memory' needs a size such as 512M or 8G, got 'lots'\n"
            ),
        ]
        for (arguments, message) in cases {
            let r = try CommandLineTests.run(CommandLineTests.executable, arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.err == message, "\(arguments)")
        }
        // The default cap is computed only from checked bounds: no trap on any value.
        #expect(Bounds(cpus: Int.max, tasks: Int.max, mms: 1).problem()?.setting == "cpus")
        #expect(Bounds(cpus: Int.min, tasks: 3, mms: 1).problem()?.setting == "cpus")
    }

    @Test func hugeNumbersInModelsAreLocatedErrors() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try String(contentsOfFile: Repository.path("models/linux-6.mmc"), encoding: .utf8)
        let line = text.prefix(upTo: text.range(of: "\ncpus 2")!.lowerBound).filter { $0 == "\n" }.count + 2
        for (number, message) in [
            ("4611686018427387904", "cpus must be between 1 and 8, got 4611686018427387904"),
            ("99999999999999999999", "cpus must be a small number, got 99999999999999999999"),
            ("0009", "cpus must be between 1 and 8, got 0009"),
        ] {
            let model = dir.appendingPathComponent("huge.mmc").path
            try text.replacingOccurrences(of: "\ncpus 2", with: "\ncpus \(number)").write(
                toFile: model, atomically: false, encoding: .utf8)
            let r = try Self.mmcheck("check", model)
            #expect(r.status == 2)
            #expect(r.err == "\(model):\(line):6: error: \(message)\n")
        }
    }

    @Test func hugeNumbersInTracesAndSuitesAreLocatedErrors() throws {
        let trace = Self.traceErrors("bounds cpus=9223372036854775807 tasks=3 mms=3\nclaim violation no-leak")
        #expect(trace == ["t.trace:2:8: error: cpus must be between 1 and 8, got 9223372036854775807"])
        let huge = Self.traceErrors("bounds cpus=2 tasks=99999999999999999999 mms=3\nclaim violation no-leak")
        #expect(
            huge == ["t.trace:2:15: error: tasks must be between 1 and 16 (task 0 is init), got 99999999999999999999"])
        let step = Self.traceErrors(
            "bounds cpus=2 tasks=3 mms=3\nclaim violation no-leak\nstep exit cpu=99999999999999999999 task=0")
        #expect(step == ["t.trace:4:11: error: cpu=99999999999999999999: a cpu must be 0 to 1 at these bounds"])
        let suite = Suite.parseSuite("models/linux-6.mmc 2 9223372036854775807 3\n", path: "s")
        guard case .failure(let e) = suite else {
            Issue.record("accepted")
            return
        }
        #expect(e.lines == ["s:1:1: error: tasks must be between 1 and 16 (task 0 is init), got 9223372036854775807"])
    }

    // MARK: 3. Memory: a limit ends the search with its statistics, exit 3

    @Test func theMemoryLimitEndsTheSearchCleanly() throws {
        let r = try Self.mmcheck("check", "--cpus", "3", "--tasks", "4", "--mms", "4", "--memory", "4M")
        #expect(r.status == 3)
        #expect(r.out.contains("memory    the search may hold 4 MiB (--memory)"))
        #expect(
            r.out.contains(
                "verdict   INCOMPLETE: memory limit 4 MiB reached; no violation in the states explored, but this is not a proof"
            ))
        #expect(r.out.contains("search depth      "))
        #expect(r.out.contains("distinct states   "))
        #expect(r.err.isEmpty)
        // Depth-first: the stack grows through the same budget.
        let dfs = try Self.mmcheck("check", "--cpus", "3", "--tasks", "4", "--mms", "4", "--memory", "4M", "--dfs")
        #expect(dfs.status == 3)
        #expect(dfs.out.contains("INCOMPLETE: memory limit 4 MiB reached"))
    }

    @Test func theDefaultMemoryLimitStaysUnderUlimit() throws {
        // Before the budget, this aborted in an allocation ("failed to allocate", exit 134).
        let r = try Self.shell("ulimit -v 100000 && exec \"$0\" check --cpus 4 --tasks 4 --mms 4")
        #expect(r.status == 3, "\(r.err)")
        #expect(r.out.contains("(3/4 of the address space left under ulimit -v)"))
        #expect(r.out.contains("verdict   INCOMPLETE: memory limit"))
        #expect(r.out.contains("distinct states   "))
    }

    @Test func manyThreadsFitUnderUlimit() throws {
        // Successor buffers with room for a whole batch each grew with the square of the
        // threads: 128 threads asked for 8 GiB of address space and aborted here.
        let r = try Self.shell("ulimit -v 4000000 && exec \"$0\" check --threads 128")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("verdict   PASS"))
        #expect(r.out.contains("128 threads"))
    }

    @Test func theBudgetRefusesGrowthPastItsLimit() {
        let budget = MemoryBudget(limit: 1 << 20)
        let store = StateStore(stateWords: 1, initialCapacity: 16, budget: budget)
        var word: UInt64 = 0
        var full = false
        for i in 0..<1_000_000 {
            word = UInt64(i) &+ 1
            let r = withUnsafePointer(to: &word) { store.insert($0) }
            if r.index == StateStore.full {
                full = true
                break
            }
        }
        #expect(full)
        #expect(budget.exhausted)
        #expect(budget.used <= budget.limit)
        #expect(store.bytesAllocated <= budget.limit)
        // What is stored is still there.
        word = 1
        #expect(withUnsafePointer(to: &word) { store.contains($0) })
    }

    // MARK: 4. Interrupts end with the statistics so far

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptEndsWithStatistics(_ signal: Int32) throws {
        let process = Process()
        process.executableURL = CommandLineTests.executable
        process.arguments = ["check", "--cpus", "4", "--tasks", "4", "--mms", "4"]
        process.currentDirectoryURL = Repository.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // The report is printed when the search ends: interrupt it while it runs, once its
        // handlers are installed (the signal's bit in /proc's SigCgt), so a slow start under
        // load cannot let the default action kill it.
        let pid = process.processIdentifier
        let bit = UInt64(1) << UInt64(signal - 1)
        for _ in 0..<200 {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let caught =
                status.split(separator: "\n").first { $0.hasPrefix("SigCgt:") }
                .flatMap { UInt64($0.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
            if caught & bit != 0 { break }
            usleep(50_000)
        }
        usleep(300_000)
        kill(pid, signal)
        // Never hang the test run: a search that ignores the signal is killed after a minute.
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { kill(pid, SIGKILL) } }
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let text = String(decoding: rest, as: UTF8.self)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 3)
        #expect(
            text.contains(
                "verdict   INCOMPLETE: interrupted; no violation in the states explored, but this is not a proof"))
        #expect(text.contains("distinct states   "))
        #expect(errText.contains("mmcheck: interrupted: stopping after the current state"))
    }

    // MARK: 7. Output that cannot be written is an error, not a crash

    @Test func aFullOrClosedStandardOutputIsReported() throws {
        let full = try Self.shell("exec \"$0\" check --cpus 1 --tasks 1 --mms 1 > /dev/full")
        #expect(full.status == 2)
        #expect(full.err == "mmcheck: error: cannot write to standard output: no space left on device\n")
        let closed = try Self.shell("exec \"$0\" check \(Self.bug) >&-")
        #expect(closed.status == 1, "the verdict is known: a violation")
        #expect(closed.err == "mmcheck: error: cannot write to standard output: bad file descriptor\n")
        let version = try Self.shell("exec \"$0\" --version > /dev/full")
        #expect(version.status == 2)
    }

    // MARK: 8. A cut search says so, violations found or not

    @Test func aCutSearchWithViolationsSaysIncomplete() throws {
        let all = try Self.mmcheck("check", Self.bug, "--all", "--max-states", "40")
        #expect(all.status == 1)
        #expect(
            all.out.contains(
                "          INCOMPLETE: state limit 40 reached before the search ended; the counts below are partial"))
        #expect(
            all.out.contains(
                "violating steps per property (violating steps are not explored further; PARTIAL: the search was cut):")
        )
        let level = try Self.mmcheck("check", "models/bugs/no-grab-user-to-kernel.mmc", "--max-states", "40")
        #expect(level.status == 1)
        #expect(
            level.out.contains(
                "verdict   VIOLATION of no-free-while-borrowed\n"
                    + "          INCOMPLETE: state limit 40 reached before the search ended; the level of the first violation was not finished"
            ))
        // Not cut: no such line.
        let whole = try Self.mmcheck("check", "models/bugs/no-grab-user-to-kernel.mmc")
        #expect(!whole.out.contains("INCOMPLETE"))
    }

    // MARK: 9. The suite writes and removes only regular .trace files inside its results

    @Test func suiteUpdateStaysInsideItsResults() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: models.appendingPathComponent("bugs"), withIntermediateDirectories: true)
        for name in ["linux-6.mmc", "bugs/exit-mm-without-grab.mmc"] {
            try FileManager.default.copyItem(
                atPath: Repository.path("models/\(name)"), toPath: models.appendingPathComponent(name).path)
        }
        // A `..` in a model path would put its trace outside results/.
        try "../outside.mmc 1 1 1\n".write(to: dir.appendingPathComponent("escape"), atomically: false, encoding: .utf8)
        let escape = try Self.mmcheck("suite", "--update", "--suite", "escape", in: dir.path)
        #expect(escape.status == 2)
        #expect(
            escape.err
                == "escape:1:1: error: model path '../outside.mmc' contains '..': its trace would be written outside the results folder\n"
        )
        // A folder where a stale trace would be pruned is not removed: an error instead.
        try "models/linux-6.mmc 1 1 1\n".write(
            to: dir.appendingPathComponent("suite"), atomically: false, encoding: .utf8)
        let trapped = dir.appendingPathComponent("results/linux-6.1-1-1.trace")
        try FileManager.default.createDirectory(at: trapped, withIntermediateDirectories: true)
        try "keep\n".write(to: trapped.appendingPathComponent("keep.txt"), atomically: false, encoding: .utf8)
        let folder = try Self.mmcheck("suite", "--update", "--suite", "suite", in: dir.path)
        #expect(folder.status == 2)
        #expect(folder.err.contains("'results/linux-6.1-1-1.trace' is not a regular file"))
        #expect(FileManager.default.fileExists(atPath: trapped.appendingPathComponent("keep.txt").path))
        // A regular stale trace is pruned, and the baseline is written.
        try FileManager.default.removeItem(at: trapped)
        try "stale\n".write(to: trapped, atomically: false, encoding: .utf8)
        // A two-line suite: the pass and a bug model, whose trace is written and replays.
        try "models/linux-6.mmc 1 1 1\nmodels/bugs/exit-mm-without-grab.mmc 1 1 1\n"
            .write(to: dir.appendingPathComponent("suite"), atomically: false, encoding: .utf8)
        let update = try Self.mmcheck("suite", "--update", "--suite", "suite", in: dir.path)
        #expect(update.status == 0, "\(update.err)")
        #expect(!FileManager.default.fileExists(atPath: trapped.path))
        #expect(update.out.contains("results/baseline.txt: 2 entries, 2 changed"))
        let trace = "results/bugs/exit-mm-without-grab.1-1-1.trace"
        let replay = try Self.mmcheck("replay", "models/bugs/exit-mm-without-grab.mmc", trace, in: dir.path)
        #expect(replay.status == 1)
        #expect(
            replay.out.contains("result    CONFIRMED: every step is enabled and step 2 violates no-free-while-borrowed")
        )
        let check = try Self.mmcheck("suite", "--suite", "suite", in: dir.path)
        #expect(check.status == 0)
        #expect(check.out.contains("2 entries: 2 match the baseline, 0 differ"))
        // A baseline that disagrees names the model, the bounds and the field.
        let baseline = dir.appendingPathComponent("results/baseline.txt")
        let rows = try String(contentsOf: baseline, encoding: .utf8)
        let edited = rows.split(separator: "\n").map { line -> String in
            var words = line.split(separator: " ").map(String.init)
            guard words.first == "models/linux-6.mmc", words.count == 11 else { return String(line) }
            words[6] = "6"  // the states column
            return words.joined(separator: " ")
        }
        try (edited.joined(separator: "\n") + "\n").write(to: baseline, atomically: false, encoding: .utf8)
        let differ = try Self.mmcheck("suite", "--suite", "suite", in: dir.path)
        #expect(differ.status == 1)
        #expect(differ.out.contains("FAIL     models/linux-6.mmc (1,1,1): states: baseline 6, now 5"))
        #expect(differ.out.contains("2 entries: 1 match the baseline, 1 differ"))
    }

    // MARK: 10. Replay exits as check does on a model error

    @Test func replayOfAModelErrorExitsTwoAsCheckDoes() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try String(contentsOfFile: Repository.path("models/linux-6.mmc"), encoding: .utf8)
            .replacingOccurrences(
                of: "routine exit_mm(t: task) {\n", with: "routine exit_mm(t: task) {\n    let a = new_mm()\n")
        let model = dir.appendingPathComponent("m.mmc").path, trace = dir.appendingPathComponent("m.trace").path
        try text.write(toFile: model, atomically: false, encoding: .utf8)
        let check = try Self.mmcheck("check", model, "--mms", "1", "--trace-out", trace)
        #expect(check.status == 2)
        #expect(check.out.contains("verdict   MODEL ERROR"))
        #expect(try String(contentsOfFile: trace, encoding: .utf8).contains("\nclaim model-error\n"))
        let replay = try Self.mmcheck("replay", model, trace)
        #expect(replay.status == 2)
        #expect(
            replay.out.contains(
                "result    CONFIRMED: every step is enabled and step 2 reaches the model error the trace claims"))
    }

    // MARK: 11. Trace files: one of each header item, one of each bound

    @Test func traceDuplicatesAreLocatedErrors() {
        #expect(
            Self.traceErrors("bounds cpus=1 cpus=2 tasks=3 mms=3\nclaim violation no-leak")
                == ["t.trace:2:15: error: cpus= is given twice"])
        #expect(
            Self.traceErrors("bounds cpus=1 tasks=3 mms=3\nbounds cpus=2 tasks=3 mms=3\nclaim violation no-leak")
                == ["t.trace:3:1: error: a second 'bounds' line (the first is at line 2)"])
        #expect(
            Self.traceErrors("bounds cpus=1 tasks=3 mms=3\nclaim violation no-leak\nclaim pass")
                == ["t.trace:4:1: error: a second 'claim' line (the first is at line 3)"])
        #expect(
            Self.traceErrors("mode fine\nmode coarse\nbounds cpus=1 tasks=3 mms=3\nclaim violation no-leak")
                == ["t.trace:3:1: error: a second 'mode' line (the first is at line 2)"])
        #expect(
            Self.traceErrors("model a.mmc\nmodel b.mmc\nbounds cpus=1 tasks=3 mms=3\nclaim violation no-leak")
                == ["t.trace:3:1: error: a second 'model' line (the first is at line 2)"])
    }

    // MARK: 12. An empty model is called one

    @Test func anEmptyModelIsCalledEmpty() throws {
        let r = try Self.mmcheck("check", "/dev/null")
        #expect(r.status == 2)
        #expect(
            r.err
                == "/dev/null:1:1: error: empty model file: a model needs at least 'expect' and 'actions' (see README.md)\n"
        )
    }

    // MARK: 12, 13. Capped error lists; warnings, and --strict making them errors

    @Test func warningsPrintAndStrictMakesThemErrors() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("typo.mmc").path
        let text = try String(contentsOfFile: Repository.path("models/linux-6.mmc"), encoding: .utf8)
        let line =
            text.prefix(upTo: text.range(of: "routine finish_task_switch")!.lowerBound).filter { $0 == "\n" }.count + 1
        try text.replacingOccurrences(of: "routine finish_task_switch", with: "routine fnish_task_switch")
            .write(toFile: model, atomically: false, encoding: .utf8)
        let warned = try Self.mmcheck("check", model, "--cpus", "1", "--tasks", "1", "--mms", "1")
        #expect(warned.status == 1, "without finish_task_switch nothing drops the lazy reference")
        #expect(
            warned.err
                == "\(model):\(line):9: warning: routine 'fnish_task_switch' is never called, and no action runs it: did you mean 'finish_task_switch'?\n"
        )
        let strict = try Self.mmcheck("check", model, "--strict")
        #expect(strict.status == 2)
        #expect(strict.out.isEmpty)
        #expect(
            strict.err
                == "\(model):\(line):9: error: routine 'fnish_task_switch' is never called, and no action runs it: did you mean 'finish_task_switch'? (an error with --strict)\n"
        )
        // A clean model has nothing to say, strict or not.
        let clean = try Self.mmcheck("check", "--strict", "--cpus", "1", "--tasks", "1", "--mms", "1")
        #expect(clean.status == 0)
        #expect(clean.err.isEmpty)
    }

    @Test func aFloodOfErrorsIsCapped() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("bad.mmc").path
        try String(repeating: "expect pass\n", count: 500).write(toFile: model, atomically: false, encoding: .utf8)
        let r = try Self.mmcheck("check", model)
        #expect(r.status == 2)
        let lines = r.err.split(separator: "\n")
        #expect(lines.count == ModelLoader.maximumErrorLines + 1)
        #expect(
            lines.first
                == "\(model):1:1: error: model switches on no actions: add for example 'actions schedule, exit, clone_thread, clone_fork, clone_kthread'"
        )
        #expect(
            lines.last == "... and 480 more errors",
            "499 repeated expect lines and the missing actions, 20 of them shown")
    }

    // MARK: 14. Depth-first does not claim the expected violation is absent

    @Test func depthFirstSaysWhatItDidNotRuleOut() throws {
        let r = try Self.mmcheck("check", "models/bugs/exit-mm-uses-active-mm.mmc", "--dfs")
        #expect(r.status == 1)
        #expect(
            r.out.contains(
                "expected  violation init-mm-immortal: not reached: this depth-first search stopped at "
                    + "violation no-teardown-in-use without ruling violation init-mm-immortal out (breadth-first, the default, or --all checks it)"
            ))
        #expect(!r.out.contains("NOT met"))
    }
}
