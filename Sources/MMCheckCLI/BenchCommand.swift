import Explorer
import KernelSemantics

/// `mmcheck bench [FILE] [--symmetry] [--fingerprint] [--no-por]`: the speed benchmark. Checks the
/// model (default linux-6) at a fixed ladder of bounds, each a fresh breadth-first search
/// on one thread and then on every core, and prints seconds, states/s, transitions/s,
/// bytes per stored state and the peak resident memory of that search. With
/// `--symmetry`, reduced searches on a ladder of larger bounds (states are then orbits);
/// with `--fingerprint`, hash compaction. A fine-mode model has ladders of its own, as its
/// state space grows much faster, and runs with partial-order reduction as `check` does
/// (`--no-por`: without).
enum BenchCommand {
    static let ladder = [(2, 3, 3), (3, 3, 3), (2, 4, 4), (3, 4, 4), (2, 5, 5), (4, 4, 4)]
    static let symmetryLadder = [(4, 4, 4), (5, 5, 5), (4, 6, 6), (6, 6, 6)]
    static let fineLadder = [(1, 2, 2), (2, 2, 2), (1, 3, 3), (2, 2, 3)]
    static let fineSymmetryLadder = [(2, 2, 2), (2, 2, 3), (2, 3, 3)]

    static func run(_ arguments: [String], console: Console, stop: StopRequest? = nil) -> Int32 {
        let parsed: Arguments
        let format: CheckOptions.OutputFormat
        do {
            parsed = try Arguments.parse(arguments, for: .bench)
            format = try parsed.format()
        } catch {
            console.err("mmcheck: error: \(error.message)")
            return CommandLineTool.ExitCode.usage
        }
        let symmetry = parsed.has(.symmetry), fingerprint = parsed.has(.fingerprint), compress = parsed.has(.compress)
        if fingerprint && compress {
            console.err(
                "mmcheck: error: options '--compress' and '--fingerprint' are two ways to store states: keep one")
            return CommandLineTool.ExitCode.usage
        }
        let rest = parsed.operands
        let path = rest.first ?? CheckOptions.defaultModel
        // A model that does not load is an error before anything is printed.
        let fine: Bool
        do {
            fine = try ModelLoader.load(path: path, cpus: 1, tasks: 1, mms: 1).model.mode == .fine
        } catch {
            error.lines.forEach(console.err)
            return CommandLineTool.ExitCode.usage
        }
        let partialOrder = fine && !parsed.has(.noPOR)
        let kind =
            "breadth-first" + (symmetry ? " with symmetry: states are orbits" : "")
            + (fingerprint ? (symmetry ? "; " : " with ") + "fingerprints" : "")
            + (compress ? (symmetry ? "; " : " with ") + "compressed states" : "")
            + (partialOrder ? (symmetry ? "; " : " with ") + "partial-order reduction" : "")
        let json = format == .json
        let say = { (line: String) in if !json { console.out(line) } }
        var runs: [JSON] = []
        var overallPeak: Int?
        /// The JSON document, whether the ladder ran to its end or stopped.
        func document(stopped: String?) -> String {
            JSON.object([
                ("schema", .string(JSON.schema)), ("command", .string("bench")),
                ("version", .string(CommandLineTool.version)), ("model", .string(path)),
                ("symmetry", .bool(symmetry)), ("fingerprint", .bool(fingerprint)), ("compress", .bool(compress)),
                ("partialOrder", .bool(partialOrder)), ("runs", .array(runs)), ("stopped", .string(stopped)),
                ("peakMemoryBytes", .int(overallPeak ?? ResourceUsage.peakResidentBytes())),
            ]).rendered()
        }
        say("mmcheck \(CommandLineTool.version)  bench \(path)  (\(kind), one search per line)")
        say("")
        say(
            "bounds   threads  bytes       states    transitions   seconds     states/s  transitions/s  bytes/state  peak MiB"
        )
        let memory = MemoryDefault.choose().bytes
        let cores = CheckOptions.defaultThreads
        let bounds = fine ? (symmetry ? fineSymmetryLadder : fineLadder) : (symmetry ? symmetryLadder : ladder)
        for (c, t, m) in bounds {
            let loaded: ModelLoader.Loaded
            do {
                loaded = try ModelLoader.load(path: path, cpus: c, tasks: t, mms: m)
            } catch {
                error.lines.forEach(console.err)
                return CommandLineTool.ExitCode.usage
            }
            // One thread, then every core (the same search: only the time differs).
            for threads in cores > 1 ? [1, cores] : [1] {
                let system = KernelSystem(
                    model: loaded.model, bounds: loaded.bounds, symmetry: symmetry, split: compress)
                let options = SearchOptions(
                    memoryLimit: memory, threads: threads, fingerprint: fingerprint, partialOrder: partialOrder,
                    compress: compress)
                // The peak of this search alone, where the system can start a new one.
                let peakIsOwn = ResourceUsage.resetPeakResident()
                let r = Search(system: system, options: options, stop: stop).run()
                let peak = peakIsOwn ? ResourceUsage.residentHighWaterBytes() : nil
                if let peak { overallPeak = max(overallPeak ?? 0, peak) }
                if case .limit(let reason) = r.ending {
                    say("\(c),\(t),\(m)".padding(7) + "  stopped: \(reason)")
                    if json { console.out(document(stopped: "\(c),\(t),\(m): \(reason)")) }
                    return CommandLineTool.ExitCode.incomplete
                }
                let seconds = max(r.seconds, 1e-9)
                runs.append(
                    .object([
                        ("cpus", .int(c)), ("tasks", .int(t)), ("mms", .int(m)), ("threads", .int(threads)),
                        ("stateBytes", .int(system.stateBytes)), ("states", .int(r.states)),
                        ("transitions", .int(r.transitions)), ("seconds", .double(r.seconds)),
                        ("statesPerSecond", .double((Double(r.states) / seconds).rounded())),
                        ("transitionsPerSecond", .double((Double(r.transitions) / seconds).rounded())),
                        ("bytesPerState", .double(Double(r.searchBytes) / Double(max(r.states, 1)))),
                        ("peakMemoryBytes", .int(peak)), ("stoppedAtViolation", .bool(!r.counterexamples.isEmpty)),
                    ]))
                say(
                    [
                        "\(c),\(t),\(m)".padding(7), String(threads).leftPadding(7),
                        String(system.stateBytes).leftPadding(6),
                        grouped(r.states).leftPadding(12), grouped(r.transitions).leftPadding(14),
                        fixed(r.seconds, 3).leftPadding(9), grouped(Int(Double(r.states) / seconds)).leftPadding(12),
                        grouped(Int(Double(r.transitions) / seconds)).leftPadding(14),
                        fixed(Double(r.searchBytes) / Double(max(r.states, 1)), 1).leftPadding(12),
                        (peak.map { fixed(Double($0) / 1_048_576, 1) } ?? "-").leftPadding(9),
                    ].joined(separator: " ") + (r.counterexamples.isEmpty ? "" : "  (stopped at a violation)"))
            }
        }
        if json {
            console.out(document(stopped: nil))
        } else if let peak = overallPeak {
            say("")
            say("peak memory \(fixed(Double(peak) / 1_048_576, 1)) MiB (the largest of the searches' own peaks)")
        } else if let peak = ResourceUsage.peakResidentBytes() {
            say("")
            say("peak memory \(fixed(Double(peak) / 1_048_576, 1)) MiB")
        }
        return CommandLineTool.ExitCode.pass
    }
}
