import KernelSemantics
import ModelLanguage

/// The stable, line-oriented counterexample format written by `check --trace-out` and
/// `suite`, and read by `replay`.
///
/// ```
/// mmcheck-trace 1
/// model models/bugs/no-grab-user-to-kernel.mmc
/// bounds cpus=2 tasks=3 mms=3 cap=12
/// claim violation no-free-while-borrowed
/// step schedule cpu=0 next=0
/// step schedule cpu=0 next=1
/// step clone cpu=0 parent=0 child=2 how=fork
/// step exit cpu=0 task=0
/// step schedule cpu=1 next=idle
/// ```
/// Each action's line is `step NAME cpu=C` and its `Action.Spec.parameters` (see
/// `mmcheck help replay` for one of each). Tasks are slot numbers (0 is init's slot, 1 kthreadd's), mms are mm slot numbers (0 is
/// init's mm at boot); `idle` is the acting CPU's idle task. `#` starts a comment (the writer adds the readable trace as comments).
/// `model` is informational: `replay` checks the model given on its command line.
struct TraceFile: Equatable {
    var modelPath: String
    var bounds: Bounds
    /// The mode the trace was found in (a `mode fine` line; coarse when absent).
    var mode: CompiledModel.Mode = .coarse
    /// `violation <property>` or `model-error`.
    var claim: String
    var steps: [Step]
    /// The line of each step in the file it was parsed from (empty for a written trace).
    var stepLines: [Int] = []

    static let header = "mmcheck-trace 1"

    /// The file's text, with `comments` (one per line, without `#`) after the header.
    func text(comments: [String] = []) -> String {
        var lines = [TraceFile.header]
        lines += comments.map { $0.isEmpty ? "#" : "# \($0)" }
        lines.append("model \(modelPath)")
        lines.append("bounds cpus=\(bounds.cpus) tasks=\(bounds.tasks) mms=\(bounds.mms) cap=\(bounds.cap)")
        if mode != .coarse { lines.append("mode \(mode.rawValue)") }
        lines.append("claim \(claim)")
        for step in steps { lines.append("step \(TraceFile.describe(step, bounds: bounds))") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ step: Step, bounds: Bounds) -> String {
        let spec = step.kind.spec
        var words = [spec.name, "cpu=\(step.cpu)"]
        for p in spec.parameters {
            let v = step[p]
            switch p {
            case .next, .task, .parent: words.append("\(p.rawValue)=\(v >= Int32(bounds.tasks) ? "idle" : String(v))")
            case .child, .mm, .target, .holder: words.append("\(p.rawValue)=\(v)")
            case .how: words.append("how=\(step.how.name)")
            }
        }
        return words.joined(separator: " ")
    }

    /// Parses a trace file; errors are `path:line:column: error: ...` lines.
    static func parse(_ text: String, path: String) -> Result<TraceFile, ModelErrors> {
        var errors: [Diagnostic] = []
        var sawHeader = false
        var modelPath: String?
        var bounds: Bounds?
        var claim: String?
        var mode = CompiledModel.Mode.coarse
        var steps: [(words: [(String, Int)], line: Int)] = []
        /// The line of each one-only item seen (model, bounds, mode, claim).
        var firstLine: [String: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let content =
                raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = TraceFile.words(content)
            guard let (first, column) = words.first else { continue }
            let at = SourceLocation(line: line, column: column)
            if !sawHeader {
                if words.map(\.0) == ["mmcheck-trace", "1"] {
                    sawHeader = true
                } else {
                    errors.append(Diagnostic(at, "expected '\(header)' as the first line"))
                    return .failure(ModelErrors(path: path, diagnostics: errors))
                }
                continue
            }
            if ["model", "bounds", "mode", "claim"].contains(first) {
                if let earlier = firstLine[first] {
                    errors.append(Diagnostic(at, "a second '\(first)' line (the first is at line \(earlier))"))
                    continue
                }
                firstLine[first] = line
            }
            switch first {
            case "model":
                modelPath = words.dropFirst().map(\.0).joined(separator: " ")
            case "bounds":
                var values: [String: Int] = [:]
                var bad = false
                for (word, col) in words.dropFirst() {
                    let here = SourceLocation(line: line, column: col)
                    let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, ["cpus", "tasks", "mms", "cap"].contains(parts[0]) else {
                        errors.append(Diagnostic(here, "expected cpus=N, tasks=N, mms=N or cap=N, found '\(word)'"))
                        bad = true
                        continue
                    }
                    guard values[parts[0]] == nil else {
                        errors.append(Diagnostic(here, "\(parts[0])= is given twice"))
                        bad = true
                        continue
                    }
                    switch Bounds.parse(parts[0], parts[1]) {
                    case .success(let v): values[parts[0]] = v
                    case .failure(let e):
                        errors.append(Diagnostic(here, e.message))
                        bad = true
                    }
                }
                if bad { continue }
                guard let c = values["cpus"], let t = values["tasks"], let m = values["mms"] else {
                    errors.append(Diagnostic(at, "bounds needs cpus=, tasks= and mms="))
                    continue
                }
                let b = Bounds(cpus: c, tasks: t, mms: m, cap: values["cap"])
                if let problem = b.problem() {
                    errors.append(Diagnostic(at, problem.message))
                } else {
                    bounds = b
                }
            case "claim":
                claim = words.dropFirst().map(\.0).joined(separator: " ")
            case "mode":
                if words.count == 2, let m = CompiledModel.Mode(rawValue: words[1].0) {
                    mode = m
                } else {
                    errors.append(Diagnostic(at, "expected 'mode coarse' or 'mode fine'"))
                }
            case "step":
                steps.append((Array(words.dropFirst()), line))
            default:
                errors.append(Diagnostic(at, "unknown line '\(first)' (expected model, bounds, mode, claim or step)"))
            }
        }
        if !sawHeader {
            errors.append(Diagnostic(SourceLocation(line: 1, column: 1), "empty trace: expected '\(header)'"))
        }
        let end = SourceLocation(line: max(1, text.split(separator: "\n").count), column: 1)
        if sawHeader && firstLine["bounds"] == nil {
            errors.append(Diagnostic(end, "the trace has no 'bounds' line"))
        }
        if sawHeader && claim == nil { errors.append(Diagnostic(end, "the trace has no 'claim' line")) }
        var parsed: [Step] = []
        var lines: [Int] = []
        if let bounds {
            for (words, line) in steps {
                switch step(words, line: line, bounds: bounds) {
                case .success(let s):
                    parsed.append(s)
                    lines.append(line)
                case .failure(let d): errors.append(d)
                }
            }
        }
        if !errors.isEmpty {
            return .failure(ModelErrors(path: path, diagnostics: errors.sorted { $0.location < $1.location }))
        }
        return .success(
            TraceFile(
                modelPath: modelPath ?? "", bounds: bounds!, mode: mode, claim: claim!, steps: parsed, stepLines: lines)
        )
    }

    private static func step(_ words: [(String, Int)], line: Int, bounds: Bounds) -> Result<Step, Diagnostic> {
        guard let (name, column) = words.first else {
            return .failure(Diagnostic(SourceLocation(line: line, column: 1), "a step needs an action"))
        }
        guard let action = Action.allCases.first(where: { $0.spec.name == name }) else {
            let names = Action.allCases.map(\.spec.name).joined(separator: ", ")
            return .failure(
                Diagnostic(SourceLocation(line: line, column: column), "unknown action '\(name)' (actions: \(names))"))
        }
        let required = ["cpu"] + action.spec.parameters.map(\.rawValue)
        var values: [String: (String, Int)] = [:]
        for (word, col) in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, required.contains(parts[0]), values[parts[0]] == nil else {
                return .failure(
                    Diagnostic(
                        SourceLocation(line: line, column: col),
                        "unexpected '\(word)' in a \(name) step (it takes \(required.map { "\($0)=" }.joined(separator: ", ")))"
                    ))
            }
            values[parts[0]] = (parts[1], col)
        }
        for key in required where values[key] == nil {
            return .failure(Diagnostic(SourceLocation(line: line, column: column), "\(name) step is missing \(key)="))
        }
        func number(_ key: String, below limit: Int, what: String) -> Result<Int32, Diagnostic> {
            let (text, col) = values[key]!
            guard let v = Int(text), v >= 0, v < limit else {
                return .failure(
                    Diagnostic(
                        SourceLocation(line: line, column: col),
                        "\(key)=\(text): \(what) must be 0 to \(limit - 1) at these bounds"))
            }
            return .success(Int32(v))
        }
        do {
            let cpu = Int(try number("cpu", below: bounds.cpus, what: "a cpu").get())
            var step = Step(kind: action, cpu: cpu, task: 0, how: action.impliedHow ?? .thread)
            for p in action.spec.parameters {
                let (text, col) = values[p.rawValue]!
                switch p {
                case .next where text == "idle":
                    step[p] = Int32(bounds.tasks + cpu)
                case .next, .task, .parent, .child, .target:
                    step[p] = try number(p.rawValue, below: bounds.tasks, what: "a task slot").get()
                case .holder:
                    // The model says how many; a slot past them is refused at replay.
                    step[p] = try number(p.rawValue, below: CompiledModel.maxHolders, what: "a holder slot").get()
                case .mm:
                    step[p] = try number(p.rawValue, below: bounds.mms, what: "an mm slot").get()
                case .how:
                    let hows = action.hows
                    guard let how = hows.first(where: { $0.name == text }) else {
                        let names = hows.map(\.name)
                        let expected = names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
                        return .failure(
                            Diagnostic(SourceLocation(line: line, column: col), "how=\(text): expected \(expected)"))
                    }
                    step.how = how
                }
            }
            return .success(step)
        } catch {
            return .failure(error)
        }
    }

    /// Whitespace-separated words with their 1-based columns.
    private static func words(_ s: String) -> [(String, Int)] {
        var out: [(String, Int)] = []
        var current = ""
        var start = 0
        for (i, ch) in s.enumerated() {
            if ch == " " || ch == "\t" || ch == "\r" {
                if !current.isEmpty { out.append((current, start + 1)) }
                current = ""
            } else {
                if current.isEmpty { start = i }
                current.append(ch)
            }
        }
        if !current.isEmpty { out.append((current, start + 1)) }
        return out
    }
}
