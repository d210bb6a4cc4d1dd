import Explorer
import KernelSemantics
import ModelLanguage

/// The regression suite: a list of (model, bounds) in `models/suite`, and the committed
/// outcome of each in `results/baseline.txt`, with each counterexample as a `.trace` file
/// under `results/`.
enum Suite {
    /// One line of the suite file.
    struct Entry: Equatable {
        var model: String
        var cpus: Int, tasks: Int, mms: Int
        /// Checked with symmetry reduction (`symmetry` after the bounds in the suite file).
        var symmetry = false
        /// Checked with partial-order reduction (`por` after the bounds).
        var partialOrder = false
        var key: String { "\(model) \(cpus),\(tasks),\(mms)\(Suite.reductionSuffix(symmetry, partialOrder))" }
    }

    /// The reductions of an entry, as its key and the summary line name them.
    static func reductionSuffix(_ symmetry: Bool, _ partialOrder: Bool) -> String {
        (symmetry ? " symmetry" : "") + (partialOrder ? " por" : "")
    }

    /// The reduction column of the baseline.
    static func reductionColumn(_ symmetry: Bool, _ partialOrder: Bool) -> String {
        switch (symmetry, partialOrder) {
        case (false, false): "-"
        case (true, false): "symmetry"
        case (false, true): "por"
        case (true, true): "symmetry+por"
        }
    }

    /// One line of the baseline: what a run of an entry found. `seconds` is information only.
    struct Row: Equatable {
        var model: String
        var cpus: Int, tasks: Int, mms: Int
        /// Symmetry-reduced: `states` counts orbits.
        var symmetry = false
        /// With partial-order reduction: the reduced graph's stored states (those passed
        /// through on merged steps are not counted) and the steps taken.
        var partialOrder = false
        var verdict: String
        var states: Int
        var transitions: Int
        var depth: Int
        /// Counterexample length, or nil when there is none.
        var trace: Int?
        var seconds: Double
        var key: String { "\(model) \(cpus),\(tasks),\(mms)\(Suite.reductionSuffix(symmetry, partialOrder))" }
    }

    static let defaultSuite = "models/suite"
    static let defaultResults = "results"
    static let baselineName = "baseline.txt"

    // MARK: Files

    static func parseSuite(_ text: String, path: String) -> Result<[Entry], ModelErrors> {
        var entries: [Entry] = []
        var errors: [Diagnostic] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if words.isEmpty { continue }
            let column =
                (content.firstIndex(where: { $0 != " " && $0 != "\t" }).map {
                    content.distance(from: content.startIndex, to: $0)
                } ?? 0) + 1
            let at = SourceLocation(line: i + 1, column: column)
            let flags = words.dropFirst(4)
            guard words.count >= 4, flags.allSatisfy({ $0 == "symmetry" || $0 == "por" }),
                Set(flags).count == flags.count
            else {
                errors.append(
                    Diagnostic(
                        at, "expected 'MODEL CPUS TASKS MMS [symmetry] [por]', found '\(words.joined(separator: " "))'")
                )
                continue
            }
            // A trace is written under results/ at the model's path: no way out of it.
            if words[0].split(separator: "/").contains("..") {
                errors.append(
                    Diagnostic(
                        at,
                        "model path '\(words[0])' contains '..': its trace would be written outside the results folder")
                )
                continue
            }
            var values: [Int] = []
            for (k, setting) in ["cpus", "tasks", "mms"].enumerated() {
                switch Bounds.parse(setting, words[k + 1]) {
                case .success(let v): values.append(v)
                case .failure(let e): errors.append(Diagnostic(at, e.message))
                }
            }
            guard values.count == 3 else { continue }
            let (c, t, m) = (values[0], values[1], values[2])
            let entry = Entry(
                model: words[0], cpus: c, tasks: t, mms: m, symmetry: flags.contains("symmetry"),
                partialOrder: flags.contains("por"))
            if entries.contains(entry) {
                errors.append(Diagnostic(at, "\(entry.key) is listed twice"))
                continue
            }
            entries.append(entry)
        }
        return errors.isEmpty ? .success(entries) : .failure(ModelErrors(path: path, diagnostics: errors))
    }

    static let baselineHeader = """
        # mmcheck suite baseline: one line per (model, bounds) of models/suite, written by
        # `mmcheck suite --update`. `mmcheck suite` compares verdict, states, transitions,
        # depth and trace (counterexample length, - for none); seconds are for information.
        # reduction is -, symmetry (then states counts orbits under renaming of CPUs,
        # task slots, mm slots and holder slots), por (partial-order reduction: the reduced
        # graph's stored states, not those passed through, and the steps taken) or
        # symmetry+por.
        # model cpus tasks mms reduction verdict states transitions depth trace seconds
        """

    static func formatBaseline(_ rows: [Row]) -> String {
        let width = rows.map(\.model.count).max() ?? 10
        let verdictWidth = rows.map(\.verdict.count).max() ?? 10
        var lines = [baselineHeader]
        for r in rows {
            lines.append(
                [
                    r.model.padding(width), String(r.cpus), String(r.tasks), String(r.mms),
                    reductionColumn(r.symmetry, r.partialOrder).padding(12), r.verdict.padding(verdictWidth),
                    String(r.states).leftPadding(10), String(r.transitions).leftPadding(11),
                    String(r.depth).leftPadding(3),
                    (r.trace.map(String.init) ?? "-").leftPadding(3), fixed(r.seconds, 3).leftPadding(8),
                ].joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func parseBaseline(_ text: String, path: String) -> Result<[Row], ModelErrors> {
        var rows: [Row] = []
        var errors: [Diagnostic] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let w = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if w.isEmpty { continue }
            guard w.count == 11, let c = Int(w[1]), let t = Int(w[2]), let m = Int(w[3]),
                let reduction = ["-", "symmetry", "por", "symmetry+por"].firstIndex(of: w[4]),
                let states = Int(w[6]), let transitions = Int(w[7]), let depth = Int(w[8]),
                w[9] == "-" || Int(w[9]) != nil,
                let seconds = Double(w[10])
            else {
                errors.append(Diagnostic(SourceLocation(line: i + 1, column: 1), "malformed baseline line"))
                continue
            }
            rows.append(
                Row(
                    model: w[0], cpus: c, tasks: t, mms: m, symmetry: reduction & 1 != 0,
                    partialOrder: reduction & 2 != 0, verdict: w[5],
                    states: states, transitions: transitions, depth: depth, trace: Int(w[9]), seconds: seconds))
        }
        return errors.isEmpty ? .success(rows) : .failure(ModelErrors(path: path, diagnostics: errors))
    }

    /// Where an entry's counterexample is kept: the model's path under models/, mirrored
    /// under results/, with the bounds in the name.
    static func tracePath(_ entry: Entry, results: String) -> String {
        var relative = entry.model
        if relative.hasPrefix("models/") { relative.removeFirst("models/".count) }
        if relative.hasSuffix(".mmc") { relative.removeLast(4) }
        return
            "\(results)/\(relative).\(entry.cpus)-\(entry.tasks)-\(entry.mms)\(entry.symmetry ? "-symmetry" : "")\(entry.partialOrder ? "-por" : "").trace"
    }

    // MARK: Running

    /// Runs one entry (breadth-first, stopping at the first violation). Model paths are
    /// relative to `root` (the current directory when empty) and reported as written.
    /// `memory` bounds the search's memory, `stop` interrupts it.
    static func run(
        _ entry: Entry, root: String = "", memory: Int? = nil, stop: StopRequest? = nil,
        console: Console? = nil, threads: Int = 1, fingerprint: Bool = false, compress: Bool = false
    ) throws(ModelLoader.Failure) -> (row: Row, outcome: CheckOutcome) {
        var loaded = try ModelLoader.load(
            path: root.isEmpty ? entry.model : "\(root)/\(entry.model)",
            cpus: entry.cpus, tasks: entry.tasks, mms: entry.mms, console: console)
        loaded.model.path = entry.model
        // With partial-order reduction and fingerprints or compression the search is the
        // exact reduced one (README, "Partial-order reduction"), so a `por` entry has the
        // same baseline.
        let options = SearchOptions(
            memoryLimit: memory, threads: threads, fingerprint: fingerprint, partialOrder: entry.partialOrder,
            compress: compress)
        let outcome = Check(
            model: loaded.model, bounds: loaded.bounds, options: options, symmetry: entry.symmetry, stop: stop
        ).run()
        let r = outcome.result
        let verdict = outcome.verdictWord.replacingOccurrences(of: " ", with: ":")
        let row = Row(
            model: entry.model, cpus: entry.cpus, tasks: entry.tasks, mms: entry.mms, symmetry: entry.symmetry,
            partialOrder: entry.partialOrder, verdict: verdict,
            states: r.states, transitions: r.transitions, depth: r.depth,
            trace: r.counterexamples.first?.path.count, seconds: r.seconds)
        return (row, outcome)
    }

    /// The fields in which `now` differs from `baseline`, as readable phrases.
    static func differences(_ baseline: Row, _ now: Row) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T, _ b: T, _ show: (T) -> String) {
            if a != b { out.append("\(name): baseline \(show(a)), now \(show(b))") }
        }
        compare("verdict", baseline.verdict, now.verdict) { $0 }
        compare("states", baseline.states, now.states) { String($0) }
        compare("transitions", baseline.transitions, now.transitions) { String($0) }
        compare("depth", baseline.depth, now.depth) { String($0) }
        compare("trace", baseline.trace, now.trace) { $0.map(String.init) ?? "-" }
        return out
    }
}
