import Foundation
import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// The HTML page of a counterexample: its markup as written (no browser), and the page
/// after its script ran in headless Chromium (skipped where Chromium is not installed,
/// unless `CI` is set: then its absence fails).
@Suite struct HTMLPageTests {
    /// A model's counterexample, replayed, and its page.
    struct Counterexample {
        var model: CompiledModel
        var bounds: Bounds
        var property: String
        var replay: Replay
        var page: String
    }

    /// Checks `file` at its declared bounds and renders the page of the counterexample of
    /// `property` (default: the first one shown). `text` replaces the file's text.
    static func counterexample(
        _ file: String, property: String? = nil, findAll: Bool = false, text: String? = nil
    ) throws -> Counterexample {
        let model =
            try text.map { try Fixture.compile($0, path: file) } ?? Fixture.load(file)
        let bounds = Fixture.bounds(of: model)
        var options = SearchOptions()
        options.findAll = findAll
        let outcome = Check(model: model, bounds: bounds, options: options).run()
        let found: (String, Replay)
        if let property {
            let trace = try #require(outcome.traces.first { Property.outcomeNames[$0.0.property] == property })
            found = (property, trace.1)
        } else {
            found = try #require(outcome.firstViolation)
        }
        let page = HTMLPage(model: model, bounds: bounds).render(
            property: found.0, replay: found.1, note: "a shortest trace")
        return Counterexample(model: model, bounds: bounds, property: found.0, replay: found.1, page: page)
    }

    /// The number of times `pattern` matches `text`.
    static func count(_ pattern: String, in text: String) -> Int {
        (try? Regex(pattern)).map { text.matches(of: $0).count } ?? -1
    }

    /// The class attribute and step number of each lane row, in order.
    static func rows(_ html: String) -> [(classes: Set<String>, step: Int)] {
        guard let regex = try? Regex(#"<tr class="([^"]*)" data-step="(\d+)""#) else { return [] }
        return html.matches(of: regex).compactMap { m in
            guard let cls = m.output[1].substring, let n = m.output[2].substring.flatMap({ Int($0) }) else {
                return nil
            }
            return (Set(cls.split(separator: " ").map(String.init)), n)
        }
    }

    // MARK: The markup, without a browser

    /// exit-mm-without-grab (coarse, 2 steps): one file with nothing from outside, a lane
    /// per CPU, a row per step with the violation the last, the failing line marked.
    @Test func coarsePageIsSelfContained() throws {
        let c = try Self.counterexample("models/bugs/exit-mm-without-grab.mmc")
        let page = c.page
        let steps = c.replay.entries.count
        #expect(steps == 2)
        #expect(!page.contains("http://") && !page.contains("https://"))
        #expect(Self.count(#"\ssrc\s*="#, in: page) == 0)
        #expect(Self.count(#"\shref\s*="#, in: page) == 0)
        #expect(Self.count(#"<link\b"#, in: page) == 0)
        #expect(Self.count(#"<script>"#, in: page) == 1)
        #expect(Self.count(#"<style>"#, in: page) == 1)
        #expect(Self.count(#"<th class="lane""#, in: page) == c.bounds.cpus)
        #expect(Self.count(#"<tr class="step[ "]"#, in: page) == steps)
        let rows = Self.rows(page).filter { $0.classes.contains("step") }
        #expect(rows.map(\.step) == Array(1...steps))
        #expect(rows.filter { $0.classes.contains("violation") }.map(\.step) == [steps])
        #expect(page.contains("mm0 is freed while init.active_mm still points to it"))
        #expect(page.contains(#"<span class="line failing" data-line="26"><span class="ln">26</span>"#))
        #expect(page.contains(#"<div class="stmt">"#) == false)  // coarse: no statements
        #expect(page.contains(#"id="timeline-0""#) && page.contains(#"id="timeline-1""#))
        #expect(page.contains(#"<svg id="timeline-1" class="timeline failing-mm" data-users="1,1,0""#))
    }

    /// Source text with `<`, `>`, `&` and quotes next to the failing line is escaped in the
    /// excerpt, and the embedded JSON holds no `<` at all.
    @Test func sourceLinesAreEscaped() throws {
        let file = "models/bugs/exit-mm-without-grab.mmc"
        let text = try String(contentsOfFile: Repository.path(file), encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        #expect(lines[25].contains("free(m)"))
        lines[25] += " <script>alert(\"x\")</script> & 'q'"
        let c = try Self.counterexample(file, text: lines.joined(separator: "\n"))
        #expect(!c.page.contains("<script>alert"))
        #expect(c.page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"))
        #expect(HTMLPage.escape("a<b && \"c\" > 'd'") == "a&lt;b &amp;&amp; &quot;c&quot; &gt; &#39;d&#39;")
    }

    /// Fine mode: each step's statement; the JSON has `<` escaped; preemption and resumption
    /// (exec-mmap-rt-race) marked with their badges.
    @Test func finePageMarksPreemption() throws {
        let c = try Self.counterexample("models/bugs/exec-mmap-rt-race.mmc")
        #expect(c.replay.entries.count == 26)
        let rows = Self.rows(c.page).filter { $0.classes.contains("step") }
        let preempted = c.replay.entries.indices.filter {
            c.replay.entries[$0].step.kind == .schedule && c.replay.entries[$0].preemptedAt >= 0
        }
        #expect(preempted == [8])
        #expect(rows.filter { $0.classes.contains("preempt") }.map(\.step) == [9])
        #expect(rows.filter { $0.classes.contains("resume") }.map(\.step) == [23])
        #expect(c.page.contains(#"<span class="badge preempt">preempted</span>"#))
        #expect(c.page.contains(#"<span class="badge resume">resumes</span>"#))
        #expect(Self.count(#"<div class="stmt">"#, in: c.page) == 26)
        let json = try #require(
            c.page.firstMatch(
                of: #/<script type="application/json" id="trace-data">(.*?)</script>/#.dotMatchesNewlines()))
        #expect(!json.output.1.contains("<"))
        #expect(json.output.1.contains("\\u003e"))  // `->` in a statement's comment
    }

    // MARK: In the browser

    /// The page after its script ran: ready, a lane per CPU, a row per step, the violation
    /// the last row and the one selected, the holders at the violation as the replay's last
    /// state has them, the failing mm's timeline ending at the violation step.
    @Test(.enabled(if: Browser.runs, Browser.skipReason), arguments: BrowserCase.allCases)
    func pageInTheBrowser(_ which: BrowserCase) throws {
        let chromium = try Browser.require()
        let c = try Self.counterexample(which.file, property: which.property, findAll: which.findAll)
        let steps = c.replay.entries.count
        if let expected = which.steps { #expect(steps == expected) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmcheck-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("trace.html")
        try c.page.write(to: file, atomically: true, encoding: .utf8)

        let dom = try Browser.dumpDOM(chromium, file, profile: dir.appendingPathComponent("profile"))
        #expect(dom.contains(#"<body data-ready="1">"#), "the script did not run to its end")
        #expect(Self.count(#"<th class="lane""#, in: dom) == c.bounds.cpus)
        let rows = Self.rows(dom).filter { $0.classes.contains("step") }
        #expect(rows.count == steps)
        #expect(rows.last?.step == steps)
        #expect(rows.filter { $0.classes.contains("violation") }.map(\.step) == [steps])
        #expect(Self.rows(dom).filter { $0.classes.contains("current") }.map(\.step) == [steps])
        let shootdowns = c.replay.entries.indices.filter { c.replay.entries[$0].step.kind == .shootdown }
        #expect(rows.filter { $0.classes.contains("interrupt") }.map(\.step) == shootdowns.map { $0 + 1 })
        let preempted = c.replay.entries.indices.filter {
            c.replay.entries[$0].step.kind == .schedule && c.replay.entries[$0].preemptedAt >= 0
        }
        #expect(rows.filter { $0.classes.contains("preempt") }.map(\.step) == preempted.map { $0 + 1 })
        for cls in which.marked {
            #expect(rows.contains { $0.classes.contains(cls) }, "no step marked \(cls)")
        }

        let expected = try Self.holders(c, afterStep: steps)
        #expect(expected.isSuperset(of: which.holders))
        #expect(Set(try Self.listItems(dom, list: "holders")) == expected)

        let breach = try #require(c.replay.finalBreach)
        let timeline = try #require(Self.tag(dom, id: "timeline-\(Int(breach.mm) - 1)"))
        let last = try #require(c.replay.entries.last).after.mms[Int(breach.mm) - 1]
        #expect(timeline.contains(#"class="timeline failing-mm""#))
        #expect(timeline.contains(#"data-end-step="\#(steps)""#))
        let users = try #require(Self.attribute("data-users", in: timeline)).split(separator: ",")
        let counts = try #require(Self.attribute("data-count", in: timeline)).split(separator: ",")
        #expect(users.count == steps + 1 && counts.count == steps + 1)
        // A freed mm (a use after free) shows `-` from its free on, the free marked.
        #expect(users.last.map(String.init) == (last.live ? String(last.users) : "-"))
        #expect(counts.last.map(String.init) == (last.live ? String(last.count) : "-"))
        if !last.live { #expect(Self.attribute("data-freed", in: timeline)?.isEmpty == false) }

        // ← twice: the step two before the last is selected and the panel shows its holders.
        let keys = dir.appendingPathComponent("keys.html")
        let press = "document.dispatchEvent(new KeyboardEvent(\"keydown\", {key: \"ArrowLeft\"}));"
        try c.page.replacingOccurrences(of: "</body>", with: "<script>\(press)\(press)</script></body>")
            .write(to: keys, atomically: true, encoding: .utf8)
        let stepped = try Browser.dumpDOM(chromium, keys, profile: dir.appendingPathComponent("profile"))
        let back = max(0, steps - 2)
        #expect(Self.rows(stepped).filter { $0.classes.contains("current") }.map(\.step) == [back])
        #expect(Set(try Self.listItems(stepped, list: "holders")) == (try Self.holders(c, afterStep: back)))

        let png = dir.appendingPathComponent("trace.png")
        try Browser.screenshot(chromium, file, to: png, profile: dir.appendingPathComponent("profile"))
        let data = try Data(contentsOf: png)
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(data.count > 8_000)
        if let keep = ProcessInfo.processInfo.environment["MMCHECK_HTML_KEEP"] {
            try? c.page.write(toFile: "\(keep)/\(which).html", atomically: true, encoding: .utf8)
            try? data.write(to: URL(fileURLWithPath: "\(keep)/\(which).png"))
        }
    }

    /// The traces the browser test opens.
    enum BrowserCase: String, CaseIterable, CustomTestStringConvertible {
        /// exec-mmap-ipi-race's first trace (26 steps: the IPI passes cpu0 by).
        case execRace
        /// Its no-use-after-free trace (`--all`), where the IPI lands inside exec_mmap.
        case execRaceIPI
        /// exec-mmap-rt-race: a preemption inside exec_mmap, and the task resuming.
        case execRaceRT
        case exitWithoutGrab

        var testDescription: String { rawValue }
        var file: String {
            switch self {
            case .execRace, .execRaceIPI: return "models/bugs/exec-mmap-ipi-race.mmc"
            case .execRaceRT: return "models/bugs/exec-mmap-rt-race.mmc"
            case .exitWithoutGrab: return "models/bugs/exit-mm-without-grab.mmc"
            }
        }
        var property: String? { self == .execRaceIPI ? "no-use-after-free" : nil }
        var findAll: Bool { self == .execRaceIPI }
        var steps: Int? {
            switch self {
            case .execRace, .execRaceRT: return 26
            case .execRaceIPI: return 28
            case .exitWithoutGrab: return 2
            }
        }
        /// Row classes some step must have.
        var marked: [String] {
            switch self {
            case .execRaceIPI: return ["interrupt"]
            case .execRaceRT: return ["preempt", "resume"]
            case .execRace, .exitWithoutGrab: return []
            }
        }
        /// Holders the list must include at the violation.
        var holders: Set<String> {
            switch self {
            case .execRace: return ["mm0: cpu0 has it loaded"]
            case .exitWithoutGrab: return ["mm0: init.active_mm"]
            case .execRaceIPI, .execRaceRT: return []
            }
        }
    }

    /// Who holds each live mm after `step` (0: in the initial state), worked out here from
    /// the state itself, as `mm: holder` lines.
    static func holders(_ c: Counterexample, afterStep step: Int) throws -> Set<String> {
        var names = TraceNames(bounds: c.bounds)
        for entry in c.replay.entries.prefix(step) {
            names.update(before: entry.before, after: entry.after)
            let child = entry.step.child
            if entry.step.kind == .cloneFail, entry.after.tasks[Int(child)].status == .unused {
                names.nameFailedChild(child)
            }
        }
        let s = step == 0 ? c.replay.initial : c.replay.entries[step - 1].after
        let model = c.model
        var out: Set<String> = []
        for k in s.mms.indices where s.mms[k].live {
            let ref = Int32(k + 1), mm = names.mm(ref)
            for (t, task) in s.tasks.enumerated() where t >= c.bounds.tasks || task.status != .unused {
                if task.mm == ref { out.insert("\(mm): \(names.task(Int32(t))).mm") }
                if task.activeMM == ref { out.insert("\(mm): \(names.task(Int32(t))).active_mm") }
            }
            for (i, cpu) in s.cpus.enumerated() {
                if cpu.prevMM == ref { out.insert("\(mm): cpu\(i).prev_mm") }
                if model.mode == .fine && cpu.loaded == ref { out.insert("\(mm): cpu\(i) has it loaded") }
                if cpu.pc > 0 {
                    let y = model.yields[Int(cpu.pc) - 1]
                    for (j, kind) in model.savedKinds(y).enumerated() where kind == .mm && cpu.frame[j] == ref {
                        out.insert("\(mm): a local of cpu\(i)'s schedule")
                    }
                }
            }
            for (h, holder) in s.holders.enumerated() where holder.kind != 0 && holder.mm == ref {
                out.insert("\(mm): holder\(h) (\(holder.family == .oomVictim ? "OOM victim" : "/proc file"))")
            }
            for (t, task) in s.tasks.enumerated() where t < c.bounds.tasks && task.status != .unused && task.pc > 0 {
                let y = model.yields[Int(task.pc) - 1]
                let site = model.sites[Int(model.code[y.pc].site)]
                for (j, kind) in model.savedKinds(y).enumerated() where kind == .mm && task.frame[j] == ref {
                    out.insert(
                        "\(mm): a local of \(site.routine), paused at line \(site.location.line) (task \(names.task(Int32(t))))"
                    )
                }
            }
        }
        return out
    }

    /// The text of each `<li>` of the list with id `list` in serialized HTML.
    static func listItems(_ html: String, list: String) throws -> [String] {
        let start = try #require(html.range(of: "<ul id=\"\(list)\">"))
        let end = try #require(html.range(of: "</ul>", range: start.upperBound..<html.endIndex))
        let body = html[start.upperBound..<end.lowerBound]
        return body.matches(of: #/<li[^>]*>(.*?)</li>/#).map { unescape(stripTags(String($0.output.1))) }
    }

    /// The opening tag of the element with id `id`.
    static func tag(_ html: String, id: String) -> String? {
        guard let at = html.range(of: "id=\"\(id)\""),
            let open = html[..<at.lowerBound].lastIndex(of: "<"),
            let close = html[at.upperBound...].firstIndex(of: ">")
        else { return nil }
        return String(html[open...close])
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        guard let at = tag.range(of: " \(name)=\""), let end = tag[at.upperBound...].firstIndex(of: "\"") else {
            return nil
        }
        return unescape(String(tag[at.upperBound..<end]))
    }

    static func stripTags(_ s: String) -> String { s.replacing(#/<[^>]*>/#, with: "") }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: "\u{A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Headless Chromium for the browser tests: found on PATH (`chromium`, `chromium-browser`,
/// `google-chrome`) or at `$CHROMIUM`, run with a private profile and a 60 s timeout.
enum Browser {
    static let path: String? = {
        let env = ProcessInfo.processInfo.environment
        if let given = env["CHROMIUM"], FileManager.default.isExecutableFile(atPath: given) { return given }
        let dirs = (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }()

    /// In CI the browser tests run (and fail) without Chromium; elsewhere they are skipped.
    static let runs = path != nil || ProcessInfo.processInfo.environment["CI"] != nil
    static let skipReason: Comment =
        "chromium not found: on PATH as chromium, chromium-browser or google-chrome, nor at $CHROMIUM"

    /// The Chromium to run; without one (the tests run only in CI then) an error that fails
    /// the test saying so.
    static func require() throws -> String {
        guard let path else { throw Failed(description: "chromium is not installed (.ci/run installs it)") }
        return path
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// The flags every run takes: new headless mode; no sandbox (it refuses to start as
    /// root with one); no GPU; a profile of its own, so parallel runs do not share one.
    static func flags(profile: URL) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--hide-scrollbars", "--user-data-dir=\(profile.path)",
        ]
    }

    /// The DOM of `file` after its scripts ran.
    static func dumpDOM(_ chromium: String, _ file: URL, profile: URL) throws -> String {
        let out = file.deletingLastPathComponent().appendingPathComponent("dom.html")
        try run(chromium, flags(profile: profile) + ["--dump-dom", file.absoluteString], stdout: out)
        return try String(contentsOf: out, encoding: .utf8)
    }

    /// A 1400×1800 screenshot of `file` as a PNG at `png`.
    static func screenshot(_ chromium: String, _ file: URL, to png: URL, profile: URL) throws {
        try run(
            chromium,
            flags(profile: profile) + ["--screenshot=\(png.path)", "--window-size=1400,1800", file.absoluteString],
            stdout: nil)
    }

    /// Runs Chromium; stdout to `stdout` (a file, or nowhere), stderr nowhere. Killed after
    /// 60 s.
    static func run(_ chromium: String, _ arguments: [String], stdout: URL?) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = arguments
        var handle: FileHandle?
        if let stdout {
            guard FileManager.default.createFile(atPath: stdout.path, contents: nil) else {
                throw Failed(description: "cannot create \(stdout.path)")
            }
            handle = try FileHandle(forWritingTo: stdout)
            process.standardOutput = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        defer { try? handle?.close() }
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            usleep(500_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            throw Failed(description: "chromium did not finish within 60 s: \(arguments.joined(separator: " "))")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "chromium exited with \(process.terminationStatus)")
        }
    }
}
