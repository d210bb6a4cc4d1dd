import Explorer
import Foundation
import KernelSemantics
import ModelLanguage

/// `mmcheck check`: load a model, search its state space, print the summary and, on a
/// violation, the counterexample.
enum CheckCommand {
    static func run(_ arguments: [String], console: Console, stop: StopRequest? = nil) -> Int32 {
        var options: CheckOptions
        do {
            options = try CheckOptions.parse(arguments)
        } catch {
            console.err("mmcheck: error: \(error.message)")
            return CommandLineTool.ExitCode.usage
        }
        let path = options.file ?? CheckOptions.defaultModel
        let loaded: ModelLoader.Loaded
        do {
            loaded = try ModelLoader.load(
                path: path, cpus: options.cpus, tasks: options.tasks, mms: options.mms,
                mode: options.mode, strict: options.strict, console: console)
        } catch {
            if options.file == nil, error.missing {
                console.err(
                    "mmcheck: error: no model file given and \(CheckOptions.defaultModel) not found from this directory"
                )
            } else {
                error.lines.forEach(console.err)
            }
            return CommandLineTool.ExitCode.usage
        }
        // A file that cannot be written is found now, not after the search; two outputs
        // may not share a path.
        let requested: [(Option, String?)] = [
            (.traceOut, options.traceOut), (.html, options.html), (.dot, options.dot),
        ]
        let outputs: [(option: Option, path: String)] = requested.compactMap { o in o.1.map { (o.0, $0) } }
        for (n, output) in outputs.enumerated() {
            if let other = outputs[..<n].first(where: { $0.path == output.path }) {
                console.err(
                    "mmcheck: error: options '\(other.option.rawValue)' and '\(output.option.rawValue)' name the same file '\(output.path)'"
                )
                return CommandLineTool.ExitCode.usage
            }
            do {
                try OutputFile.checkWritable(output.path, what: output.option.fileWhat, inputs: [path])
            } catch {
                console.err(error.message)
                return CommandLineTool.ExitCode.usage
            }
        }
        // The state graph is built (and refused when too large) before the search.
        var dotText: String?
        if options.dot != nil {
            let system = KernelSystem(model: loaded.model, bounds: loaded.bounds)
            do {
                let graph = try StateGraph.build(system)
                dotText = StateGraphDOT(model: loaded.model, bounds: loaded.bounds).render(graph, layout: system.layout)
            } catch {
                console.err(
                    "mmcheck: error: option '--dot': more than \(grouped(StateGraph.limit)) states are reachable at \(loaded.bounds.cpus) cpus, \(loaded.bounds.tasks) tasks, \(loaded.bounds.mms) mms: a drawing that large cannot be read (try smaller --cpus, --tasks, --mms)"
                )
                return CommandLineTool.ExitCode.usage
            }
        }
        var memorySource = "--memory"
        if options.memory == nil {
            let choice = MemoryDefault.choose(threads: options.threads ?? CheckOptions.defaultThreads)
            options.memory = choice.bytes
            memorySource = choice.source
        }
        options.search.memoryLimit = options.memory
        options.search.partialOrder = options.partialOrder(fine: loaded.model.mode == .fine)
        options.search.threads = options.threads ?? CheckOptions.defaultThreads
        var check = Check(
            model: loaded.model, bounds: loaded.bounds, options: options.search, symmetry: options.symmetry,
            coverage: options.coverage, stop: stop)
        if options.progress || console.errIsTerminal {
            check.progress = ProgressReporter(firstAfter: 2, every: 3) { console.err(CheckCommand.progressLine($0)) }
        }
        let outcome = check.run()
        if options.progress {
            let r = outcome.result
            console.err(
                CheckCommand.progressLine(
                    SearchProgress(
                        level: r.depth, states: r.states, transitions: r.transitions, queue: 0, seconds: r.seconds,
                        bytes: r.searchBytes), end: true))
        }
        // The files, each written in place; what was written, and what not and why.
        var notes: [String] = []
        var files: [(String, JSON)] = []
        var failed = false
        for output in outputs {
            let text: String?
            switch output.option {
            case .traceOut: text = outcome.traceFileText(modelPath: path)
            case .html: text = outcome.htmlPage()
            default: text = dotText
            }
            guard let text else {
                notes.append("no counterexample: \(output.path) not written")
                files.append((output.option.fileKind, .null))
                continue
            }
            do {
                try OutputFile.write(text, to: output.path, what: output.option.fileWhat)
                files.append((output.option.fileKind, .string(output.path)))
                switch output.option {
                case .traceOut:
                    notes.append("trace written to \(output.path) (replay with: mmcheck replay \(path) \(output.path))")
                case .html:
                    notes.append("page written to \(output.path) (open it in a browser; ← and → step through it)")
                default: notes.append("state graph written to \(output.path) (draw it with: dot -Tsvg \(output.path))")
                }
            } catch {
                // The verdict stands (and keeps its exit code); the file is what failed.
                console.err(error.message)
                files.append((output.option.fileKind, .null))
                failed = true
            }
        }
        if options.format == .json {
            console.out(outcome.json(files: files).rendered())
        } else if options.quiet {
            console.out("verdict   \(outcome.verdictLine())")
        } else {
            outcome.report(memorySource: memorySource).forEach(console.out)
            for note in notes {
                console.out("")
                console.out(note)
            }
        }
        if failed {
            return outcome.exitCode == CommandLineTool.ExitCode.pass ? CommandLineTool.ExitCode.usage : outcome.exitCode
        }
        return outcome.exitCode
    }

    /// `progress  level 14  states 1,234,567  transitions 9,876,543  queue 345,678
    /// 412,345 states/s  memory 120.5 MiB  3.0 s`; at the end `progress  done  level ...`
    /// (the level is then the search depth). Memory is what the search holds.
    static func progressLine(_ p: SearchProgress, end: Bool = false) -> String {
        let rate = p.seconds > 0 ? Int((Double(p.states) / p.seconds).rounded()) : 0
        return [
            end ? "progress  done" : "progress", "level \(p.level)", "states \(grouped(p.states))",
            "transitions \(grouped(p.transitions))", "queue \(grouped(p.queue))", "\(grouped(rate)) states/s",
            "memory \(fixed(Double(p.bytes) / 1_048_576, 1)) MiB", "\(fixed(p.seconds, 1)) s",
        ].joined(separator: "  ")
    }
}

/// One run of the checker on a model at given bounds, and what it found.
struct Check {
    let model: CompiledModel
    let bounds: Bounds
    let options: SearchOptions
    var symmetry = false
    /// Count the statements the explored steps execute (`--coverage`).
    var coverage = false
    /// Checked during the search: once requested, the search ends incomplete.
    var stop: StopRequest?
    /// Told where the search is, every few seconds.
    var progress: ProgressReporter?

    func run() -> CheckOutcome {
        let system = KernelSystem(
            model: model, bounds: bounds, symmetry: symmetry, coverage: coverage, split: options.compress)
        let result = Search(system: system, options: options, stop: stop, progress: progress).run()
        let report = system.statementHits.map {
            CoverageReport(model: model, siteHits: $0, complete: result.ending == .exhausted)
        }
        var traces: [(SearchResult.Counterexample, Replay)] = []
        // Shown first: a model error, else the expected property, else the shortest (ties
        // by property): the same whatever order the search found them in.
        let expected: Int? = {
            guard case .violation(let p) = model.expectation else { return nil }
            return Property.outcomeNames.firstIndex(of: p)
        }()
        func rank(_ c: SearchResult.Counterexample) -> (Int, Int, Int) {
            (c.property == Int(Property.modelErrorCode) ? 0 : c.property == expected ? 1 : 2, c.path.count, c.property)
        }
        for counterexample in result.counterexamples.sorted(by: { rank($0) < rank($1) }) {
            // Every counterexample is re-executed from the initial state before it is shown;
            // one that does not replay to its violation is a bug of the checker, and stops
            // the run rather than go unshown or be printed as if it were real.
            let replaySystem = KernelSystem(model: model, bounds: bounds)
            let replay: Replay
            do {
                replay = try Replay(system: replaySystem, path: counterexample.path)
            } catch {
                preconditionFailure("mmcheck: internal error: a counterexample does not replay: \(error)")
            }
            guard replay.finalBreach.map({ Int($0.code) }) == counterexample.property else {
                preconditionFailure("mmcheck: internal error: a counterexample replays to another violation")
            }
            traces.append((counterexample, replay))
        }
        return CheckOutcome(
            model: model, bounds: bounds, options: options, symmetry: symmetry,
            layout: system.layout, result: result, traces: traces, coverage: report)
    }
}

/// The result of a `Check` with its report and exit code.
struct CheckOutcome {
    let model: CompiledModel
    let bounds: Bounds
    let options: SearchOptions
    let symmetry: Bool
    let layout: StateLayout
    let result: SearchResult
    let traces: [(SearchResult.Counterexample, Replay)]
    /// `--coverage`: the statements the explored steps executed.
    var coverage: CoverageReport? = nil

    /// The first violation found, with its replay.
    var firstViolation: (property: String, replay: Replay)? {
        guard let (c, r) = traces.first else { return nil }
        return (Property.outcomeNames[c.property], r)
    }

    var modelError: Bool { traces.contains { $0.0.property == Int(Property.modelErrorCode) } }

    var exitCode: Int32 {
        if modelError { return CommandLineTool.ExitCode.usage }
        if !result.counterexamples.isEmpty { return CommandLineTool.ExitCode.violation }
        if case .limit = result.ending { return CommandLineTool.ExitCode.incomplete }
        return CommandLineTool.ExitCode.pass
    }

    /// `pass`, `violation <property>`, `incomplete` or `model-error`.
    var verdictWord: String {
        if modelError { return "model-error" }
        if let first = firstViolation { return "violation \(first.property)" }
        if case .limit = result.ending { return "incomplete" }
        return "pass"
    }

    /// The search ended early (a limit, memory, an interrupt), violations found or not.
    var cut: String? {
        if case .limit(let reason) = result.ending { return reason }
        return nil
    }

    /// The report; `memorySource` says where the memory limit came from, when there is one.
    func report(memorySource: String? = nil) -> [String] {
        var lines: [String] = []
        let order = options.order == .breadthFirst ? "breadth-first" : "depth-first"
        lines.append("mmcheck \(CommandLineTool.version)  model \(model.path) (\"\(model.name)\")")
        let holders = model.holderSlots > 0 ? ", \(model.holderSlots) holders" : ""
        lines.append(
            "bounds    \(bounds.cpus) cpus, \(bounds.tasks) tasks, \(bounds.mms) mms\(holders); counter cap \(bounds.cap)"
        )
        // preempt_rt needs preemptible (a file error otherwise).
        let preemption = model.preemptRT ? ", preemptible, PREEMPT_RT" : model.preemptible ? ", preemptible" : ""
        let steps = model.mode == .fine ? "fine steps (one statement each\(preemption))" : "coarse steps"
        let threads = options.effectiveThreads
        let on = threads > 1 ? ", \(threads) threads" : ""
        lines.append(
            "search    \(order), \(steps)\(on); \(layout.bytes) bytes (\(layout.bits) bits) stored per state"
        )
        if symmetry {
            let slots = model.holderSlots > 0 ? "task slots, mm slots and holder slots" : "task slots and mm slots"
            lines.append("symmetry  CPUs, \(slots) renamed: one state stored per orbit")
        }
        if options.fingerprint {
            lines.append("store     64-bit fingerprints (hash compaction): probabilistic, a state can be missed")
        }
        if options.compress {
            let split = Machine.layout(model: model, bounds: bounds, split: true)
            lines.append(
                "store     compressed: a state is kept as the numbers of its halves (\(split.splitDescription); "
                    + "\(split.splitWords * 8) + \(split.bytes - split.splitWords * 8) bytes), each half once; exact")
        }
        if let limit = options.memoryLimit, let memorySource {
            lines.append("memory    the search may hold \(MemoryBudget.describe(limit)) (\(memorySource))")
        }
        lines.append("")
        lines.append("verdict   \(verdictLine())")
        if let cut, !result.counterexamples.isEmpty {
            let what =
                options.findAll
                ? "the counts below are partial, and more violations may lie in the states not explored"
                : "the level of the first violation was not finished: other properties violated at the same length may be missing"
            lines.append("          INCOMPLETE: \(cut) before the search ended; \(what)")
        }
        lines.append("")
        let states = result.states
        let seconds = max(result.seconds, 1e-9)
        lines.append("  distinct states   \(grouped(states))\(symmetry ? " (orbits)" : "")")
        lines.append("  transitions       \(grouped(result.transitions))")
        lines.append("  search depth      \(result.depth)")
        if model.mode == .fine && !options.partialOrder {
            let why = coverage != nil ? "--coverage: every interleaving" : "--no-por: every interleaving"
            lines.append("  partial order     off (\(why))")
        }
        if options.partialOrder {
            let none =
                model.mode != .fine
                ? " (coarse mode: nothing to reduce)"
                : bounds.cpus < 2
                    ? " (one CPU: nothing to reduce)"
                    : model.actions.contains(.shootdown)
                        ? " (the shootdown variant is not reduced)"
                        : model.reachesOtherTasks ? " (models with outside holders are not reduced)" : ""
            // Merged, a stored state has a reduced set only where its one step violates.
            let reduced = "\(grouped(result.reducedStates)) states expanded with one independent step"
            let full = "\(grouped(result.fullStates)) expanded in full"
            lines.append(
                result.passedStates == 0
                    ? "  partial order     \(reduced), \(full)\(none)"
                    : "  partial order     \(grouped(result.passedStates)) states with one independent step passed through, "
                        + "not stored; \(full)" + (result.reducedStates > 0 ? "; \(reduced)" : ""))
        }
        lines.append("  wall time         \(fixed(result.seconds, 3)) s")
        lines.append("  states/s          \(grouped(Int((Double(states) / seconds).rounded())))")
        if let peak = ResourceUsage.peakResidentBytes() {
            lines.append("  peak memory       \(fixed(Double(peak) / 1_048_576, 1)) MiB")
        }
        let perState = states > 0 ? Double(result.searchBytes) / Double(states) : 0
        lines.append(
            options.fingerprint
                ? "  bytes/state       \(fixed(perState, 1)) (fingerprints, and the states still to expand)"
                : options.compress
                    ? "  bytes/state       \(fixed(perState, 1)) (pairs of half numbers, the halves, and the states still to expand)"
                    : "  bytes/state       \(fixed(perState, 1)) (states, index\(options.order == .depthFirst ? ", parent links" : ""); \(layout.bytes) of them the packed state)"
        )
        if options.findAll {
            lines.append("")
            lines.append(
                "violating steps per property (violating steps are not explored further\(cut == nil ? "" : "; PARTIAL: the search was cut")):"
            )
            for (p, name) in Property.outcomeNames.enumerated() where result.violationCounts[p] > 0 {
                let shortest =
                    traces.first { $0.0.property == p }.map { " (first trace: \($0.0.path.count) steps)" } ?? ""
                lines.append("  \(name.padding(22)) \(grouped(result.violationCounts[p]))\(shortest)")
            }
        }
        if let coverage {
            lines.append("")
            lines += coverage.lines(model: model)
        }
        lines.append("")
        lines.append("expected  \(expectationLine())")
        if let (counterexample, replay) = traces.first {
            lines.append("")
            lines.append(
                "Counterexample: \(counterexample.path.count) step\(counterexample.path.count == 1 ? "" : "s") (\(traceKind.text))"
            )
            lines.append("")
            lines += TraceRenderer(model: model, bounds: bounds).render(replay)
        } else if !result.counterexamples.isEmpty {
            lines.append("")
            lines.append("internal error: the counterexample did not replay")
        }
        return lines
    }

    func verdictLine() -> String {
        if modelError, let (_, replay) = traces.first(where: { $0.0.property == Int(Property.modelErrorCode) }),
            let breach = replay.finalBreach
        {
            let names = TraceNames(bounds: bounds)
            let renderer = TraceRenderer(model: model, bounds: bounds)
            let place = breach.site >= 0 ? "\(model.path):\(model.sites[Int(breach.site)].location): " : ""
            return "MODEL ERROR  \(place)\(renderer.message(breach, names))"
        }
        if let first = firstViolation {
            let count = result.counterexamples.count
            let more = count > 1 ? " (and \(count - 1) more propert\(count == 2 ? "y" : "ies"))" : ""
            return "VIOLATION of \(first.property)\(more)"
        }
        if case .limit(let reason) = result.ending {
            return "INCOMPLETE: \(reason); no violation in the states explored, but this is not a proof"
        }
        if options.fingerprint {
            return "PROBABLE PASS  all \(Property.allCases.count) properties hold in every state visited; "
                + "with fingerprints a state is missed with probability at most \(missProbability)"
        }
        return "PASS  all \(Property.allCases.count) properties hold in every reachable state at these bounds"
    }

    /// Fingerprints: the chance that two of the n states visited share a 64-bit
    /// fingerprint, so that one of them (and what lies only beyond it) was never explored:
    /// at most n(n-1)/2 pairs, each 2^-64 (the birthday bound; README, "Fingerprints").
    var missProbability: String { String(format: "%.1e", missBound) }

    /// The bound itself: n(n-1)/2 pairs times 2^-64.
    var missBound: Double {
        let n = Double(result.states)
        return n * (n - 1) / 0x1p65
    }

    /// The model's `expect` line as a verdict word: `pass` or `violation P`.
    var expectedVerdict: String {
        switch model.expectation {
        case .pass: return "pass"
        case .violation(let p): return "violation \(p)"
        }
    }

    /// Whether the run found what the model's `expect` line says.
    var expectationMet: Bool { verdictWord == expectedVerdict || (options.findAll && expectedViolationFound) }

    func expectationLine() -> String {
        let expected = expectedVerdict, met = expectationMet
        if !met, options.order == .depthFirst, !options.findAll, case .violation = model.expectation,
            firstViolation != nil, !modelError
        {
            return
                "\(expected): not reached: this depth-first search stopped at \(verdictWord) without ruling \(expected) out "
                + "(breadth-first, the default, or --all checks it)"
        }
        return "\(expected): \(met ? "met" : "NOT met (found \(verdictWord))")"
    }

    private var expectedViolationFound: Bool {
        guard case .violation(let p) = model.expectation, let i = Property.outcomeNames.firstIndex(of: p) else {
            return false
        }
        return result.violationCounts[i] > 0
    }

    /// The first counterexample as a trace file (with the readable trace as comments).
    func traceFileText(modelPath: String) -> String? {
        guard let (counterexample, replay) = traces.first else { return nil }
        let property = Property.outcomeNames[counterexample.property]
        let claim = counterexample.property == Int(Property.modelErrorCode) ? property : "violation \(property)"
        let steps = counterexample.path.compactMap(Step.init(label:))
        let comments =
            [
                "Counterexample found by mmcheck \(CommandLineTool.version): \(claim), \(steps.count) steps.",
                "Re-run it with: mmcheck replay \(modelPath) <this file>", "",
            ]
            + TraceRenderer(model: model, bounds: bounds).render(replay) + [""]
        return TraceFile(modelPath: modelPath, bounds: bounds, mode: model.mode, claim: claim, steps: steps).text(
            comments: comments)
    }

}

extension CheckOutcome {
    /// The first counterexample as an HTML page (`--html`), or nil without one.
    func htmlPage() -> String? {
        guard let (counterexample, replay) = traces.first else { return nil }
        return HTMLPage(model: model, bounds: bounds).render(
            property: Property.outcomeNames[counterexample.property], replay: replay, note: traceKind.text)
    }

    /// What kind of trace the counterexample is.
    enum TraceKind: String {
        case shortest
        case shortestInReducedGraph = "shortest-in-reduced-graph"
        case depthFirst = "depth-first"

        /// How the report says it.
        var text: String {
            switch self {
            case .shortest: return "a shortest trace"
            case .shortestInReducedGraph:
                return "shortest in the reduced graph, merged steps counted as one; --no-por finds a shortest trace"
            case .depthFirst: return "depth-first: not necessarily shortest"
            }
        }
    }

    var traceKind: TraceKind {
        options.order == .depthFirst
            ? .depthFirst
            : options.partialOrder && result.reducedStates + result.passedStates > 0
                ? .shortestInReducedGraph : .shortest
    }
}
