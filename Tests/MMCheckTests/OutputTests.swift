import Foundation
import Testing

@testable import MMCheckCLI

/// Output for tools and people: `--format json` against the text output of the same run,
/// `--coverage`, `--dot`, the one command table, and the process's own peak memory.
@Suite struct OutputTests {
    typealias Run = CommandLineTests.Run

    static func mmcheck(_ arguments: String...) throws -> Run {
        try CommandLineTests.run(CommandLineTests.executable, arguments)
    }

    /// Decodes a JSON document with Foundation.
    static func decode(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    /// The number after `label` on a text report line (`  distinct states   9,773`).
    static func number(_ text: String, _ label: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("  \(label) ") }) else { return nil }
        return Int(line.dropFirst(label.count + 2).split(separator: " ").first?.filter(\.isNumber) ?? "")
    }

    /// A temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmcheck-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// check: the JSON document says what the text report says, for a violation (coarse and
    /// fine) and a pass, field by field, and every step's line is the text trace's line.
    @Test(arguments: [
        ["models/bugs/exit-mm-without-grab.mmc"], ["models/bugs/exec-mmap-rt-race.mmc"],
        ["models/linux-6.mmc", "--cpus", "1", "--tasks", "2", "--mms", "2", "--all"],
        ["models/linux-2.4.mmc", "--cpus", "2", "--tasks", "2", "--mms", "2", "--symmetry"],
    ])
    func checkJSONMatchesTheText(_ arguments: [String]) throws {
        let text = try CommandLineTests.run(CommandLineTests.executable, ["check"] + arguments + ["--threads", "1"])
        let json = try CommandLineTests.run(
            CommandLineTests.executable, ["check"] + arguments + ["--threads", "1", "--format", "json"])
        #expect(json.status == text.status && json.err == text.err)
        let d = try Self.decode(json.out)
        #expect(d["schema"] as? String == "mmcheck/1" && d["command"] as? String == "check")
        let verdictLine = try #require(text.out.split(separator: "\n").first { $0.hasPrefix("verdict   ") })
        #expect(d["verdictLine"] as? String == String(verdictLine.dropFirst(10)))
        let stats = try #require(d["statistics"] as? [String: Any])
        #expect(stats["states"] as? Int == Self.number(text.out, "distinct states"))
        #expect(stats["transitions"] as? Int == Self.number(text.out, "transitions"))
        #expect(stats["depth"] as? Int == Self.number(text.out, "search depth"))
        let bounds = try #require(d["bounds"] as? [String: Any])
        let boundsLine = "bounds    \(bounds["cpus"]!) cpus, \(bounds["tasks"]!) tasks, \(bounds["mms"]!) mms"
        #expect(text.out.contains(boundsLine))
        let expected = try #require(d["expected"] as? [String: Any])
        #expect(
            text.out.contains(
                "expected  \(expected["outcome"]!): \(expected["met"] as? Bool == true ? "met" : "NOT met")"))
        guard text.status == 1 else {
            #expect(d["counterexample"] is NSNull && d["verdict"] as? String == "pass")
            return
        }
        #expect(d["verdict"] as? String == "violation")
        let c = try #require(d["counterexample"] as? [String: Any])
        let steps = try #require(c["steps"] as? [[String: Any]])
        #expect(text.out.contains("Counterexample: \(steps.count) steps ("))
        #expect(c["length"] as? Int == steps.count)
        for (i, step) in steps.enumerated() {
            let number = String(i + 1)
            let pad = String(repeating: " ", count: String(steps.count).count - number.count)
            #expect(text.out.contains("\n\(pad)\(number)  \(step["text"] as? String ?? "?")\n"))
            for change in step["changes"] as? [[String: Any]] ?? [] where change["kind"] as? String == "changed" {
                #expect(text.out.contains("\(change["from"]!) -> \(change["to"]!)"))
            }
        }
        let last = try #require(steps.last?["violation"] as? [String: Any])
        #expect(last["property"] as? String == c["property"] as? String)
        #expect(text.out.contains("VIOLATION  \(c["property"]!): \(last["message"]!)"))
        if let at = last["at"] as? [String: Any] {
            #expect(text.out.contains("at \(at["file"]!):\(at["line"]!):\(at["column"]!) in "))
        }
        // The trace file's step lines are the JSON's.
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trace = dir.appendingPathComponent("t.trace").path
        _ = try CommandLineTests.run(CommandLineTests.executable, ["check"] + arguments + ["--trace-out", trace])
        let stepLines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").filter {
            $0.hasPrefix("step ")
        }
        #expect(stepLines.map { String($0.dropFirst(5)) } == steps.map { $0["line"] as? String ?? "" })
    }

    /// A fine-mode counterexample's JSON marks its preemption and resumption, and gives
    /// each step's statement.
    @Test func fineJSONMarksPreemptions() throws {
        let run = try Self.mmcheck("check", "models/bugs/exec-mmap-rt-race.mmc", "--format", "json")
        let c = try #require(try Self.decode(run.out)["counterexample"] as? [String: Any])
        let steps = try #require(c["steps"] as? [[String: Any]])
        #expect(steps.count == 26)
        #expect(steps[8]["event"] as? String == "preempt")
        #expect(steps[22]["event"] as? String == "resume")
        let statement = try #require(steps[8]["statement"] as? [String: Any])
        #expect(statement["routine"] as? String != nil && statement["line"] as? Int != nil)
    }

    /// replay: the JSON's result is the text's, and its steps are those of check's JSON.
    @Test func replayJSONMatchesTheText() throws {
        let model = "models/bugs/exit-mm-without-grab.mmc", trace = "results/bugs/exit-mm-without-grab.2-3-3.trace"
        let text = try Self.mmcheck("replay", model, trace)
        let json = try Self.mmcheck("replay", model, trace, "--format", "json")
        #expect(text.status == 1 && json.status == 1)
        let d = try Self.decode(json.out)
        #expect(d["command"] as? String == "replay" && d["confirmed"] as? Bool == true)
        #expect(text.out.contains("result    \(d["result"] as? String ?? "?")\n"))
        #expect(d["claim"] as? String == "violation no-free-while-borrowed")
        let check = try Self.decode(try Self.mmcheck("check", model, "--format", "json").out)
        let c = try #require(check["counterexample"] as? [String: Any])
        #expect(
            (d["steps"] as? [[String: Any]])?.map { $0["text"] as? String }
                == (c["steps"] as? [[String: Any]])?.map {
                    $0["text"] as? String
                })
    }

    /// suite: one entry object per text line, with the same status and counts.
    @Test func suiteJSONMatchesTheText() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let suite = dir.appendingPathComponent("suite").path
        try "models/linux-6.mmc 1 2 2\nmodels/bugs/exit-mm-without-grab.mmc 1 1 1\n".write(
            toFile: suite, atomically: false, encoding: .utf8)
        let text = try Self.mmcheck("suite", "--suite", suite)
        let json = try Self.mmcheck("suite", "--suite", suite, "--format", "json")
        #expect(text.status == json.status)
        let d = try Self.decode(json.out)
        let entries = try #require(d["entries"] as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries.map { $0["status"] as? String } == ["ok", "ok"])
        #expect(entries[0]["states"] as? Int == 56 && entries[0]["verdict"] as? String == "pass")
        #expect(text.out.contains("ok       models/linux-6.mmc (1,2,2)  pass  56 states"))
        #expect(text.out.contains("2 entries: \(d["matched"]!) match the baseline, \(d["differ"]!) differ"))
    }

    /// bench: the same searches as the text's lines (states and transitions per bounds and
    /// threads), on a model small at every bound of the ladder.
    @Test func benchJSONMatchesTheText() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("small.mmc").path
        let source = try String(contentsOfFile: Repository.path("models/linux-6.mmc"), encoding: .utf8)
            .replacingOccurrences(
                of: "actions schedule, exit, clone_thread, clone_fork, clone_kthread", with: "actions schedule, exit")
        try source.write(toFile: model, atomically: false, encoding: .utf8)
        let text = try Self.mmcheck("bench", model)
        let json = try Self.mmcheck("bench", model, "--format", "json")
        #expect(text.status == 0 && json.status == 0)
        let runs = try #require(try Self.decode(json.out)["runs"] as? [[String: Any]])
        let lines = text.out.split(separator: "\n").filter { $0.first?.isNumber == true }
        #expect(runs.count == lines.count && runs.count >= BenchCommand.ladder.count)
        for (run, line) in zip(runs, lines) {
            let words = line.split(separator: " ")
            #expect(words[0] == "\(run["cpus"]!),\(run["tasks"]!),\(run["mms"]!)")
            #expect(Int(words[1]) == run["threads"] as? Int)
            #expect(Int(words[3].filter(\.isNumber)) == run["states"] as? Int)
            #expect(Int(words[4].filter(\.isNumber)) == run["transitions"] as? Int)
        }
    }

    /// --coverage at (1,1,1): no task slot is free, so no clone runs, and copy_mm and the
    /// mmget only it calls never execute; init always has an mm, so exit_mm's early return
    /// (a kernel thread's) never runs. Exactly those 14 statements are listed.
    @Test func coverageListsTheStatementsNoStepRan() throws {
        let run = try Self.mmcheck(
            "check", "models/linux-6.mmc", "--cpus", "1", "--tasks", "1", "--mms", "1", "--coverage")
        #expect(run.status == 0)
        #expect(run.out.contains("coverage  29 of 43 statements executed by the explored steps (67%)\n"))
        let unreached = run.out.split(separator: "\n").filter { $0.hasPrefix("    models/linux-6.mmc:") }.compactMap {
            Int($0.split(separator: ":")[1])
        }
        #expect(unreached == [30, 77, 86, 87, 88, 89, 90, 92, 93, 94, 95, 97, 98, 99])
        #expect(run.out.contains("  copy_mm                   0/12           0\n"))
        // At the default bounds every statement runs.
        let full = try Self.mmcheck("check", "models/linux-6.mmc", "--coverage", "--format", "json")
        let coverage = try #require(try Self.decode(full.out)["coverage"] as? [String: Any])
        #expect(coverage["executed"] as? Int == 43 && coverage["statements"] as? Int == 43)
        #expect((coverage["notExecuted"] as? [Any])?.isEmpty == true && coverage["complete"] as? Bool == true)
        // The counts are the same on one thread and on several.
        let one = try Self.mmcheck("check", "models/linux-6.mmc", "--coverage", "--threads", "1")
        let two = try Self.mmcheck("check", "models/linux-6.mmc", "--coverage", "--threads", "2")
        func table(_ s: String) -> [Substring] { s.split(separator: "\n").filter { $0.hasPrefix("  mm") } }
        #expect(!table(one.out).isEmpty && table(one.out) == table(two.out))
    }

    /// --dot: one node per state and one edge per transition, as check counts them; the
    /// violating steps red; a graph past the limit refused before the search.
    @Test func dotDrawsTheWholeGraph() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dot = dir.appendingPathComponent("g.dot").path
        let run = try Self.mmcheck(
            "check", "models/linux-6.mmc", "--cpus", "1", "--tasks", "2", "--mms", "2", "--dot", dot)
        #expect(run.status == 0 && run.out.contains("state graph written to \(dot)"))
        let text = try String(contentsOfFile: dot, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "digraph mmcheck {" && lines.last == "}")
        #expect(lines.filter { $0.hasPrefix("  s") && !$0.contains("->") }.count == 56)
        #expect(lines.filter { $0.contains(" -> ") }.count == 116)
        #expect(lines.contains { $0.contains("style=bold") && $0.hasPrefix("  s0 ") })
        // A bug: its violating steps end in red boxes naming the property.
        let bug = dir.appendingPathComponent("b.dot").path
        let b = try Self.mmcheck(
            "check", "models/bugs/exit-mm-without-grab.mmc", "--cpus", "1", "--tasks", "2", "--mms", "1", "--dot", bug)
        #expect(b.status == 1)
        let bugText = try String(contentsOfFile: bug, encoding: .utf8)
        #expect(bugText.contains("label=\"no-free-while-borrowed\", color=red"))
        #expect(bugText.contains("label=\"exit cpu=0 task=0\", color=red"))
        let big = try Self.mmcheck("check", "models/linux-6.mmc", "--dot", dir.appendingPathComponent("x.dot").path)
        #expect(big.status == 2 && big.out.isEmpty)
        #expect(big.err.hasPrefix("mmcheck: error: option '--dot': more than 2,000 states are reachable at 2 cpus"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.dot").path))
    }

    /// --html through the command line: check writes the page of its counterexample (one
    /// row per step, the violation last), replay the page of the trace it confirms, and a
    /// pass writes nothing.
    @Test func htmlPagesFromCheckAndReplay() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = "models/bugs/exit-mm-without-grab.mmc"
        let page = dir.appendingPathComponent("bug.html").path
        let check = try Self.mmcheck("check", model, "--html", page)
        #expect(check.status == 1 && check.out.contains("page written to \(page)"))
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<tr class=\"step").count - 1 == 2)
        #expect(html.components(separatedBy: "<tr class=\"step violation").count - 1 == 1)
        let replayed = dir.appendingPathComponent("replayed.html").path
        let replay = try Self.mmcheck(
            "replay", model, "results/bugs/exit-mm-without-grab.2-3-3.trace", "--html", replayed)
        #expect(replay.status == 1)
        #expect(
            try String(contentsOfFile: replayed, encoding: .utf8).components(separatedBy: "<tr class=\"step").count - 1
                == 2)
        let none = dir.appendingPathComponent("none.html").path
        let pass = try Self.mmcheck(
            "check", "models/linux-6.mmc", "--cpus", "1", "--tasks", "2", "--mms", "2", "--html", none)
        #expect(pass.status == 0 && pass.out.contains("no counterexample: \(none) not written"))
        #expect(!FileManager.default.fileExists(atPath: none))
    }

    /// Outputs may not share a path, and are checked before the search.
    @Test func outputsAreCheckedFirst() throws {
        let same = try Self.mmcheck("check", "models/linux-6.mmc", "--trace-out", "/tmp/x", "--html", "/tmp/x")
        #expect(same.status == 2)
        #expect(same.err == "mmcheck: error: options '--trace-out' and '--html' name the same file '/tmp/x'\n")
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try Self.mmcheck("check", "models/bugs/exit-mm-without-grab.mmc", "--html", dir.path)
        #expect(folder.status == 2 && folder.out.isEmpty && folder.err.contains("HTML page"))
    }

    /// The README's options list is the table's, so the two cannot drift; every option of
    /// the table is some command's, and each command's help lists its options.
    @Test func theReadmeListsTheTablesOptions() throws {
        let readme = try String(contentsOfFile: Repository.path("README.md"), encoding: .utf8)
        let generated = Help.markdownOptions(.check)
        #expect(
            readme.contains("<!-- options of check: generated -->\n\(generated)\n<!-- end -->"),
            "README.md's options list differs from the command table; put this there:\n\(generated)")
        for option in Option.allCases {
            #expect(Command.allCases.contains { $0.options.contains(option) })
        }
        for command in Command.allCases {
            for option in command.options { #expect(command.help.contains("  \(option.synopsis) ")) }
        }
    }

    /// The peak memory is the process's own: a parent holding 300 MiB does not show in the
    /// child's report (the rusage maximum survives exec, VmHWM does not).
    @Test func peakMemoryIsTheProcesssOwn() throws {
        let size = 300 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { block.deallocate() }
        for page in stride(from: 0, to: size, by: 4096) { block.storeBytes(of: 1, toByteOffset: page, as: UInt8.self) }
        let run = try Self.mmcheck("check", "models/linux-6.mmc", "--cpus", "1", "--tasks", "2", "--mms", "2")
        let line = try #require(run.out.split(separator: "\n").first { $0.hasPrefix("  peak memory ") })
        let mib = try #require(Double(line.split(separator: " ")[2]))
        #expect(mib < 200, "peak memory \(mib) MiB includes the parent's 300 MiB")
        #expect(block.load(fromByteOffset: 4096, as: UInt8.self) == 1)
    }
}
