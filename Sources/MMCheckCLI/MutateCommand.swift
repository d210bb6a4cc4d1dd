import Dispatch
import Explorer
import Foundation
import KernelSemantics
import ModelLanguage
import Synchronization

/// `mmcheck mutate [FILE]`: every single-edit mutant of the model's routines (`Mutator`),
/// each checked at the model's bounds; which edits the properties kill, which survive, and
/// which of the survivors are equivalent (the same state graph as the original).
enum MutateCommand {
    /// What checking one mutant came to.
    enum Verdict: String, Sendable {
        case killed, survived, equivalent, incomplete
        case notCompiled = "not compiled"
    }

    struct Outcome: Sendable {
        var verdict: Verdict
        var property: String?
        var trace: Int?
        var states: Int
        /// Why a survivor was not compared with the original, when it was not.
        var note: String?
        var compiled: Bool { verdict != .notCompiled }
    }

    /// Survivors are compared with the original (`StateGraph.isSame`) up to this many states.
    static let equivalenceLimit = 300_000

    static func run(_ arguments: [String], console: Console, stop: StopRequest? = nil) -> Int32 {
        let parsed: Arguments
        var cpus: Int?, tasks: Int?, mms: Int?, threads: Int?, mode: CompiledModel.Mode?
        let format: CheckOptions.OutputFormat
        do {
            parsed = try Arguments.parse(arguments, for: .mutate)
            let check = try CheckOptions.parse(
                parsed.operands
                    + parsed.given.filter { [.cpus, .tasks, .mms, .mode].contains($0.option) }.flatMap {
                        [$0.option.rawValue] + $0.values
                    })
            (cpus, tasks, mms, mode) = (check.cpus, check.tasks, check.mms, check.mode)
            threads = try parsed.threads()
            format = try parsed.format()
        } catch {
            console.err("mmcheck: error: \(error.message)")
            return CommandLineTool.ExitCode.usage
        }
        let path = parsed.operands.first ?? CheckOptions.defaultModel
        let loaded: ModelLoader.Loaded, text: String
        do {
            loaded = try ModelLoader.load(path: path, cpus: cpus, tasks: tasks, mms: mms, mode: mode)
            text = try ModelLoader.readText(path, what: "model file")
        } catch {
            error.lines.forEach(console.err)
            return CommandLineTool.ExitCode.usage
        }
        let model = loaded.model, bounds = loaded.bounds
        let mutants = Mutator.mutants(of: text, regions: model.mode == .fine)
        func mutant(_ text: String?, option: Option) -> Mutant? {
            guard let id = text.flatMap({ Int($0) }), let m = mutants.first(where: { $0.id == id }) else {
                console.err(
                    "mmcheck: error: option '\(option.rawValue)': no mutant '\(text ?? "")' (\(path) has mutants 1 to \(mutants.count))"
                )
                return nil
            }
            return m
        }
        if parsed.has(.show) {
            guard let m = mutant(parsed.value(.show), option: .show) else { return CommandLineTool.ExitCode.usage }
            console.out(header(m, path: path))
            diff(text, m.text).forEach(console.out)
            return CommandLineTool.ExitCode.pass
        }
        if parsed.has(.write) {
            let values = parsed.values(.write)
            guard let m = mutant(values.first, option: .write) else { return CommandLineTool.ExitCode.usage }
            let file = values[1]
            do {
                try OutputFile.checkWritable(file, what: "model file", inputs: [path])
                try OutputFile.write("# \(header(m, path: path))\n" + m.text, to: file, what: "model file")
            } catch {
                console.err(error.message)
                return CommandLineTool.ExitCode.usage
            }
            if format == .text {
                console.out("mutant \(m.id) written to \(file) (check it with: mmcheck check \(file))")
            }
            return CommandLineTool.ExitCode.pass
        }

        // Each mutant on one thread, as many at once as --threads says.
        let workers = max(1, threads ?? CheckOptions.defaultThreads)
        let memory = MemoryDefault.choose(threads: workers).bytes / workers
        let symmetry = parsed.has(.symmetry)
        // The original's graph, built once, by the first survivor that needs it (nil inside:
        // too large to build).
        let original = Mutex<StateGraph??>(nil)
        let results = Mutex([Outcome?](repeating: nil, count: mutants.count))
        let next = Atomic<Int>(0)
        let started = ResourceUsage.now()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < mutants.count, stop?.isRequested != true else { return }
                let outcome = check(
                    mutants[i], path: path, model: model, bounds: bounds, symmetry: symmetry, memory: memory,
                    stop: stop
                ) {
                    original.withLock { graph in
                        if graph == nil {
                            graph = .some(
                                try? StateGraph.build(
                                    KernelSystem(model: model, bounds: bounds), limit: equivalenceLimit))
                        }
                        return graph ?? nil
                    }
                }
                results.withLock { $0[i] = outcome }
            }
        }
        let seconds = ResourceUsage.now() - started
        let outcomes = results.withLock { $0 }
        let interrupted = outcomes.contains { $0 == nil }
        let rows = zip(mutants, outcomes).compactMap { m, o in o.map { (m, $0) } }
        let checked = rows.filter { $0.1.compiled && $0.1.verdict != .incomplete }
        let killed = checked.filter { $0.1.verdict == .killed }
        let survivors = checked.filter { $0.1.verdict == .survived || $0.1.verdict == .equivalent }
        let equivalent = survivors.filter { $0.1.verdict == .equivalent }
        let notCompiled = rows.filter { !$0.1.compiled }.count
        let incomplete = rows.filter { $0.1.verdict == .incomplete }.count
        let score =
            checked.isEmpty ? "-" : "\(fixed(100 * Double(killed.count) / Double(checked.count), 1))%"
        let killable = checked.count - equivalent.count
        let killableScore =
            killable == 0 ? "-" : "\(fixed(100 * Double(killed.count) / Double(killable), 1))%"
        if format == .json {
            console.out(
                JSON.object([
                    ("schema", .string(JSON.schema)), ("command", .string("mutate")),
                    ("version", .string(CommandLineTool.version)), ("model", .string(path)),
                    (
                        "bounds",
                        .object([
                            ("cpus", .int(bounds.cpus)), ("tasks", .int(bounds.tasks)), ("mms", .int(bounds.mms)),
                            ("cap", .int(bounds.cap)),
                        ])
                    ),
                    ("mode", .string(model.mode.rawValue)), ("symmetry", .bool(symmetry)),
                    (
                        "mutants",
                        .array(
                            rows.map { m, o in
                                .object([
                                    ("id", .int(m.id)), ("kind", .string(m.kind.rawValue)),
                                    ("line", .int(m.location.line)), ("column", .int(m.location.column)),
                                    ("before", .string(m.before)), ("after", .string(m.after)),
                                    ("verdict", .string(o.verdict.rawValue)), ("property", .string(o.property)),
                                    ("trace", .int(o.trace)), ("states", .int(o.compiled ? o.states : nil)),
                                    ("note", .string(o.note)),
                                ])
                            })
                    ),
                    ("generated", .int(mutants.count)), ("notCompiled", .int(notCompiled)),
                    ("checked", .int(checked.count)), ("killed", .int(killed.count)),
                    ("survived", .int(survivors.count)), ("equivalent", .int(equivalent.count)),
                    ("incomplete", .int(incomplete)), ("interrupted", .bool(interrupted)),
                    ("seconds", .double(seconds)),
                ]).rendered())
        } else {
            console.out(
                "mmcheck \(CommandLineTool.version)  mutate \(path) (\"\(model.name)\")  \(bounds.cpus) cpus, \(bounds.tasks) tasks, \(bounds.mms) mms, \(model.mode.rawValue) mode\(symmetry ? ", symmetry" : "")"
            )
            console.out("")
            let width = max(rows.map { edit($0.0, path: path).count }.max() ?? 4, 4)
            console.out(
                "\("id".leftPadding(4))  \("edit".padding(width))  \("verdict".padding(10))  \("property".padding(24))  trace      states"
            )
            for (m, o) in rows where o.compiled {
                console.out(
                    "\(String(m.id).leftPadding(4))  \(edit(m, path: path).padding(width))  \(o.verdict.rawValue.padding(10))  \((o.property ?? "-").padding(24))  \((o.trace.map(String.init) ?? "-").leftPadding(5))  \(grouped(o.states).leftPadding(10))"
                )
            }
            console.out("")
            if survivors.isEmpty {
                console.out("survivors: none")
            } else {
                console.out("survivors (\(survivors.count)):")
                for (m, o) in survivors {
                    let why =
                        o.verdict == .equivalent
                        ? "equivalent: the same states and steps as the original"
                        : o.note ?? "the properties hold: a safe edit at these bounds, or a gap in the properties"
                    console.out("  \(String(m.id).leftPadding(4))  \(edit(m, path: path))  (\(why))")
                }
            }
            console.out("")
            console.out(
                "score     \(killed.count) killed of \(checked.count) checked (\(score)); \(survivors.count) survived, \(equivalent.count) of them equivalent: \(killed.count) of \(killable) that can be killed (\(killableScore))"
            )
            console.out(
                "          \(mutants.count) mutants made, \(notCompiled) did not compile\(incomplete > 0 ? ", \(incomplete) incomplete" : "")\(interrupted ? "; INTERRUPTED: \(rows.count) of \(mutants.count) checked" : ""); \(fixed(seconds, 1)) s"
            )
        }
        return interrupted || incomplete > 0 ? CommandLineTool.ExitCode.incomplete : CommandLineTool.ExitCode.pass
    }

    /// Checks one mutant: compiled at the original's mode and bounds, searched breadth-first
    /// on one thread (fine mode with partial-order reduction, as check does), and a survivor
    /// compared with the original's graph (`original` builds it once).
    static func check(
        _ m: Mutant, path: String, model: CompiledModel, bounds: Bounds, symmetry: Bool, memory: Int,
        stop: StopRequest?, original: () -> StateGraph?
    ) -> Outcome {
        guard
            case .success(let compiled) = ModelCompiler.compile(
                path: path, text: m.text, properties: Property.allCases.map(\.name), mode: model.mode)
        else {
            return Outcome(verdict: .notCompiled, states: 0)
        }
        var options = SearchOptions(memoryLimit: memory, threads: 1)
        options.partialOrder = compiled.mode == .fine
        let outcome = Check(model: compiled, bounds: bounds, options: options, symmetry: symmetry, stop: stop).run()
        let states = outcome.result.states
        if let (c, _) = outcome.traces.first {
            return Outcome(
                verdict: .killed, property: Property.outcomeNames[c.property], trace: c.path.count,
                states: states)
        }
        if case .limit = outcome.result.ending {
            return Outcome(verdict: .incomplete, states: states)
        }
        let mine: StateGraph
        do {
            mine = try StateGraph.build(KernelSystem(model: compiled, bounds: bounds), limit: equivalenceLimit)
        } catch {
            return Outcome(
                verdict: .survived, states: states,
                note: "not compared with the original: more than \(grouped(equivalenceLimit)) states")
        }
        guard let original = original() else {
            return Outcome(
                verdict: .survived, states: states,
                note: "not compared: the original has more than \(grouped(equivalenceLimit)) states")
        }
        return Outcome(verdict: mine.isSame(as: original) ? .equivalent : .survived, states: states)
    }

    /// `models/linux-6.mmc:22:5  delete  m.count -= 1`.
    static func edit(_ m: Mutant, path: String) -> String {
        let what: String
        switch m.kind {
        case .delete: what = "delete `\(m.before)`"
        case .swap: what = "swap `\(m.before)`"
        case .dropRegion: what = "drop region `\(m.before)`"
        case .moveOut: what = "move `\(m.before)` \(m.after)"
        default: what = "`\(m.before)` -> `\(m.after)`"
        }
        return "\(m.location.line):\(m.location.column)  \(what)"
    }

    /// `mutant 12 of models/linux-6.mmc: 22:5 ...`.
    static func header(_ m: Mutant, path: String) -> String {
        "mutant \(m.id) of \(path) (\(m.kind.rawValue)): \(path):\(edit(m, path: path))"
    }

    /// The lines that differ between `a` and `b`, as a unified-style hunk: the common
    /// lines before and after are left out, but for two of context.
    static func diff(_ a: String, _ b: String) -> [String] {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        var head = 0
        while head < x.count && head < y.count && x[head] == y[head] { head += 1 }
        var tail = 0
        while tail < x.count - head && tail < y.count - head && x[x.count - 1 - tail] == y[y.count - 1 - tail] {
            tail += 1
        }
        let from = max(0, head - 2)
        var out = ["@@ line \(head + 1) @@"]
        out += x[from..<head].map { "  \($0)" }
        out += x[head..<(x.count - tail)].map { "- \($0)" }
        out += y[head..<(y.count - tail)].map { "+ \($0)" }
        out += x[(x.count - tail)..<min(x.count, x.count - tail + 2)].map { "  \($0)" }
        return out
    }
}
