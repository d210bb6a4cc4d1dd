import Explorer
import KernelSemantics
import ModelLanguage

extension CheckOutcome {
    /// `pass`, `probable-pass` (fingerprints), `violation`, `incomplete` or `model-error`.
    var verdictKind: String {
        if modelError { return "model-error" }
        if firstViolation != nil { return "violation" }
        if case .limit = result.ending { return "incomplete" }
        return options.fingerprint ? "probable-pass" : "pass"
    }

    /// The JSON document of `check --format json` (README, "JSON output"); `files` names
    /// the files the run wrote (`trace`, `html`, `dot`).
    func json(files: [(String, JSON)] = []) -> JSON {
        let r = result
        let perState = r.states > 0 ? Double(r.searchBytes) / Double(r.states) : 0
        var counts: JSON = .null
        if options.findAll {
            counts = .object(
                Property.outcomeNames.enumerated().filter { r.violationCounts[$0.offset] > 0 }.map {
                    ($0.element, .int(r.violationCounts[$0.offset]))
                })
        }
        var counterexample: JSON = .null
        if let (c, replay) = traces.first {
            let renderer = TraceRenderer(model: model, bounds: bounds)
            counterexample = .object([
                ("property", .string(Property.outcomeNames[c.property])), ("length", .int(c.path.count)),
                ("kind", .string(traceKind.rawValue)), ("steps", renderer.json(replay)),
            ])
        }
        return .object([
            ("schema", .string(JSON.schema)), ("command", .string("check")),
            ("version", .string(CommandLineTool.version)),
            (
                "model",
                .object([
                    ("path", .string(model.path)), ("name", .string(model.name)),
                    ("mode", .string(model.mode.rawValue)),
                    ("preemptible", .bool(model.preemptible)), ("preemptRT", .bool(model.preemptRT)),
                    ("holders", .int(model.holderSlots)),
                ])
            ),
            (
                "bounds",
                .object([
                    ("cpus", .int(bounds.cpus)), ("tasks", .int(bounds.tasks)), ("mms", .int(bounds.mms)),
                    ("cap", .int(bounds.cap)),
                ])
            ),
            (
                "options",
                .object([
                    ("order", .string(options.order == .breadthFirst ? "breadth-first" : "depth-first")),
                    ("threads", .int(options.effectiveThreads)), ("symmetry", .bool(symmetry)),
                    ("fingerprint", .bool(options.fingerprint)), ("compress", .bool(options.compress)),
                    ("partialOrder", .bool(options.partialOrder)),
                    ("all", .bool(options.findAll)), ("maxStates", .int(options.maxStates)),
                    ("maxDepth", .int(options.maxDepth)), ("memoryLimit", .int(options.memoryLimit)),
                ])
            ),
            ("verdict", .string(verdictKind)), ("verdictLine", .string(verdictLine())),
            ("complete", .bool(r.ending != .violation && cut == nil)), ("stopReason", .string(cut)),
            (
                "violated",
                .array(
                    r.counterexamples.map { Property.outcomeNames[$0.property] }.sorted().map(JSON.string))
            ),
            (
                "statistics",
                .object([
                    ("states", .int(r.states)), ("transitions", .int(r.transitions)), ("depth", .int(r.depth)),
                    ("reducedStates", .int(r.reducedStates)), ("fullStates", .int(r.fullStates)),
                    ("passedStates", .int(r.passedStates)),
                    ("seconds", .double(r.seconds)),
                    ("statesPerSecond", .double((Double(r.states) / max(r.seconds, 1e-9)).rounded())),
                    ("peakMemoryBytes", .int(ResourceUsage.peakResidentBytes())),
                    ("searchBytes", .int(r.searchBytes)), ("bytesPerState", .double((perState * 10).rounded() / 10)),
                    ("stateBytes", .int(layout.bytes)), ("stateBits", .int(layout.bits)),
                ])
            ),
            ("missProbability", options.fingerprint ? .double(missBound) : .null),
            ("violationCounts", counts),
            ("expected", .object([("outcome", .string(expectedVerdict)), ("met", .bool(expectationMet))])),
            ("counterexample", counterexample),
            ("coverage", coverage?.json ?? .null),
            ("files", .object(files)),
        ])
    }
}
