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
        let flags = ["--symmetry", "--fingerprint", "--no-por"]
        let rest = arguments.filter { !flags.contains($0) }
        if let option = rest.first(where: { $0.hasPrefix("-") }) {
            console.err(
                "mmcheck: error: unknown option '\(option)' (bench takes an optional model file, --symmetry, --fingerprint and --no-por)"
            )
            return CommandLineTool.ExitCode.usage
        }
        for flag in flags where arguments.filter({ $0 == flag }).count > 1 {
            console.err("mmcheck: error: option '\(flag)' is given twice")
            return CommandLineTool.ExitCode.usage
        }
        let symmetry = arguments.contains("--symmetry"), fingerprint = arguments.contains("--fingerprint")
        guard rest.count <= 1 else {
            console.err("mmcheck: error: unexpected argument '\(rest[1])': bench takes one model file")
            return CommandLineTool.ExitCode.usage
        }
        let path = rest.first ?? CheckOptions.defaultModel
        // A model that does not load is an error before anything is printed.
        let fine: Bool
        do {
            fine = try ModelLoader.load(path: path, cpus: 1, tasks: 1, mms: 1).model.mode == .fine
        } catch {
            error.lines.forEach(console.err)
            return CommandLineTool.ExitCode.usage
        }
        let partialOrder = fine && !fingerprint && !arguments.contains("--no-por")
        let kind =
            "breadth-first" + (symmetry ? " with symmetry: states are orbits" : "")
            + (fingerprint ? (symmetry ? "; " : " with ") + "fingerprints" : "")
            + (partialOrder ? (symmetry ? "; " : " with ") + "partial-order reduction" : "")
        console.out("mmcheck \(CommandLineTool.version)  bench \(path)  (\(kind), one search per line)")
        console.out("")
        console.out(
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
                let system = KernelSystem(model: loaded.model, bounds: loaded.bounds, symmetry: symmetry)
                let options = SearchOptions(
                    memoryLimit: memory, threads: threads, fingerprint: fingerprint, partialOrder: partialOrder)
                // The peak of this search alone, where the system can start a new one.
                let peakIsOwn = ResourceUsage.resetPeakResident()
                let r = Search(system: system, options: options, stop: stop).run()
                let peak = peakIsOwn ? ResourceUsage.residentHighWaterBytes() : nil
                if case .limit(let reason) = r.ending {
                    console.out("\(c),\(t),\(m)".padding(7) + "  stopped: \(reason)")
                    return CommandLineTool.ExitCode.incomplete
                }
                let seconds = max(r.seconds, 1e-9)
                console.out(
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
        if let peak = ResourceUsage.peakResidentBytes() {
            console.out("")
            console.out("peak memory \(fixed(Double(peak) / 1_048_576, 1)) MiB")
        }
        return CommandLineTool.ExitCode.pass
    }
}
