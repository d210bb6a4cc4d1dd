import Foundation
import KernelSemantics
import ModelLanguage

/// `mmcheck replay MODEL TRACE`: re-executes a trace file step by step from the initial
/// state, printing each state, and confirms the violation it claims.
///
/// Exit 1 when the claimed violation is reached; 2 when the trace is malformed, a step is
/// not enabled, the trace goes on after a violation, it reaches no violation or another
/// one than it claims, or it reaches the model error it claims (as `check` exits 2 on one).
enum ReplayCommand {
    static func run(_ arguments: [String], console: Console) -> Int32 {
        let parsed: Arguments
        let format: CheckOptions.OutputFormat
        do {
            parsed = try Arguments.parse(arguments, for: .replay)
            format = try parsed.format()
        } catch {
            console.err("mmcheck: error: \(error.message)")
            return CommandLineTool.ExitCode.usage
        }
        let positional = parsed.operands
        let (modelPath, tracePath) = (positional[0], positional[1])
        let traceText: String
        do {
            traceText = try ModelLoader.readText(tracePath, what: "trace file")
        } catch {
            error.lines.forEach(console.err)
            return CommandLineTool.ExitCode.usage
        }
        let trace: TraceFile
        switch TraceFile.parse(traceText, path: tracePath) {
        case .success(let t): trace = t
        case .failure(let errors):
            errors.lines.forEach(console.err)
            return CommandLineTool.ExitCode.usage
        }
        let loaded: ModelLoader.Loaded
        do {
            loaded = try ModelLoader.load(
                path: modelPath, cpus: trace.bounds.cpus, tasks: trace.bounds.tasks,
                mms: trace.bounds.mms, cap: trace.bounds.cap, mode: trace.mode)
        } catch {
            error.lines.forEach(console.err)
            return CommandLineTool.ExitCode.usage
        }
        let system = KernelSystem(model: loaded.model, bounds: trace.bounds)
        let replay: Replay
        do {
            replay = try Replay(system: system, path: trace.steps.map(\.label))
        } catch {
            let i: Int, reason: String
            switch error {
            case .notEnabled(let index, _):
                (i, reason) = (index, "is not enabled in the state the steps before it reach")
            case .stepsAfterViolation(let index):
                (i, reason) = (index, "comes after the step that already violated a property")
            case .unknownLabel(let index, _): (i, reason) = (index, "is not a step of this model")
            }
            let line = trace.stepLines.indices.contains(i) ? trace.stepLines[i] : 1
            let what =
                trace.steps.indices.contains(i) ? " (\(TraceFile.describe(trace.steps[i], bounds: trace.bounds)))" : ""
            console.err("\(tracePath):\(line):1: error: step \(i + 1)\(what) \(reason)")
            return CommandLineTool.ExitCode.usage
        }
        let renderer = TraceRenderer(model: loaded.model, bounds: trace.bounds)
        let reached: String?
        if let breach = replay.finalBreach {
            reached = breach.property.map { "violation \($0.name)" } ?? Property.modelErrorName
        } else {
            reached = nil
        }
        let result: String, code: Int32
        if let reached, reached == trace.claim {
            let what =
                reached == Property.modelErrorName
                ? "reaches the model error the trace claims"
                : "violates \(reached.replacingOccurrences(of: "violation ", with: ""))"
            result = "CONFIRMED: every step is enabled and step \(replay.entries.count) \(what)"
            // As `check` does: a model that cannot run is an error of the model, exit 2.
            code =
                reached == Property.modelErrorName ? CommandLineTool.ExitCode.usage : CommandLineTool.ExitCode.violation
        } else if let reached {
            result = "NOT CONFIRMED: the trace reaches \(reached), but claims \(trace.claim)"
            code = CommandLineTool.ExitCode.usage
        } else {
            result =
                "NOT CONFIRMED: no violation is reached after \(replay.entries.count) steps (the trace claims \(trace.claim))"
            code = CommandLineTool.ExitCode.usage
        }
        if let file = parsed.value(.html) {
            do {
                try OutputFile.checkWritable(file, what: Option.html.fileWhat, inputs: [modelPath, tracePath])
                try OutputFile.write(
                    HTMLPage(model: loaded.model, bounds: trace.bounds).render(
                        property: reached ?? "no violation", replay: replay, note: "replayed from \(tracePath)"),
                    to: file, what: Option.html.fileWhat)
            } catch {
                console.err(error.message)
                return CommandLineTool.ExitCode.usage
            }
        }
        if format == .json {
            let document = JSON.object([
                ("schema", .string(JSON.schema)), ("command", .string("replay")),
                ("version", .string(CommandLineTool.version)),
                ("model", .object([("path", .string(modelPath)), ("name", .string(loaded.model.name))])),
                ("trace", .string(tracePath)),
                (
                    "bounds",
                    .object([
                        ("cpus", .int(trace.bounds.cpus)), ("tasks", .int(trace.bounds.tasks)),
                        ("mms", .int(trace.bounds.mms)), ("cap", .int(trace.bounds.cap)),
                    ])
                ),
                ("mode", .string(loaded.model.mode.rawValue)), ("claim", .string(trace.claim)),
                ("reached", .string(reached)), ("confirmed", .bool(reached == trace.claim)),
                ("result", .string(result)), ("steps", renderer.json(replay)),
            ])
            console.out(document.rendered())
            return code
        }
        console.out(
            "mmcheck \(CommandLineTool.version)  replay \(tracePath) on \(modelPath) (\"\(loaded.model.name)\")")
        console.out(
            "bounds    \(trace.bounds.cpus) cpus, \(trace.bounds.tasks) tasks, \(trace.bounds.mms) mms; counter cap \(trace.bounds.cap)"
        )
        console.out("")
        renderer.render(replay, fullStates: true).forEach(console.out)
        console.out("")
        console.out("result    \(result)")
        return code
    }
}
