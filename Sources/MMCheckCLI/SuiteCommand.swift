import Foundation
import KernelSemantics
import ModelLanguage

/// `mmcheck suite [--update]`: runs every entry of the suite and compares it with the
/// committed baseline; `--update` rewrites the baseline and the trace files instead.
///
/// Exit 0 when every entry matches its baseline and its model's expectation; 1 when any
/// differs (each difference names the model, the bounds and the field); 2 on a bad suite
/// file, baseline or model.
enum SuiteCommand {
    static func run(_ arguments: [String], console: Console) -> Int32 {
        var update = false
        var suitePath = Suite.defaultSuite
        var results = Suite.defaultResults
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--update": update = true
            case "--suite", "--results":
                guard i + 1 < arguments.count else {
                    console.err("mmcheck: error: option '\(arguments[i])' needs a path")
                    return CommandLineTool.ExitCode.usage
                }
                if arguments[i] == "--suite" { suitePath = arguments[i + 1] } else { results = arguments[i + 1] }
                i += 1
            default:
                console.err("mmcheck: error: unknown \(arguments[i].hasPrefix("-") ? "option" : "argument") '\(arguments[i])' (see 'mmcheck help suite')")
                return CommandLineTool.ExitCode.usage
            }
            i += 1
        }
        let entries: [Suite.Entry]
        let baseline: [Suite.Row]
        let baselinePath = "\(results)/\(Suite.baselineName)"
        do {
            switch Suite.parseSuite(try ModelLoader.readText(suitePath, what: "suite file"), path: suitePath) {
            case .success(let e): entries = e
            case .failure(let errors):
                errors.lines.forEach(console.err)
                return CommandLineTool.ExitCode.usage
            }
            if update && !FileManager.default.fileExists(atPath: baselinePath) {
                baseline = []
            } else {
                switch Suite.parseBaseline(try ModelLoader.readText(baselinePath, what: "baseline"), path: baselinePath) {
                case .success(let b): baseline = b
                case .failure(let errors):
                    errors.lines.forEach(console.err)
                    return CommandLineTool.ExitCode.usage
                }
            }
        } catch {
            error.lines.forEach(console.err)
            return CommandLineTool.ExitCode.usage
        }

        var rows: [Suite.Row] = []
        var failures = 0
        var changes = 0
        for entry in entries {
            let row: Suite.Row, outcome: CheckOutcome
            do {
                (row, outcome) = try Suite.run(entry)
            } catch {
                error.lines.forEach(console.err)
                return CommandLineTool.ExitCode.usage
            }
            rows.append(row)
            let bounds = "\(entry.cpus),\(entry.tasks),\(entry.mms)\(entry.symmetry ? " symmetry" : "")"
            let summary = "\(row.verdict)  \(grouped(row.states)) \(entry.symmetry ? "orbits" : "states")  \(row.trace.map { "trace \($0)  " } ?? "")\(fixed(row.seconds, 2)) s"
            var problems: [String] = []
            if !outcome.expectationMet {
                problems.append("the model expects \(outcome.model.expectation == .pass ? "pass" : "a violation"), \(outcome.verdictWord) found")
            }
            let old = baseline.first { $0.key == row.key }
            let differences = old.map { Suite.differences($0, row) } ?? ["no baseline"]
            if update {
                if !differences.isEmpty {
                    changes += 1
                    console.out("updated  \(entry.model) (\(bounds)): \(differences.joined(separator: "; "))")
                }
                writeTrace(entry, outcome, results: results, console: console)
                if !problems.isEmpty {
                    failures += 1
                    console.out("FAIL     \(entry.model) (\(bounds)): \(problems.joined(separator: "; "))")
                }
            } else {
                problems += differences
                if problems.isEmpty {
                    console.out("ok       \(entry.model) (\(bounds))  \(summary)")
                } else {
                    failures += 1
                    console.out("FAIL     \(entry.model) (\(bounds)): \(problems.joined(separator: "; "))")
                }
            }
        }
        if update {
            do {
                try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
                try Suite.formatBaseline(rows).write(toFile: baselinePath, atomically: true, encoding: .utf8)
            } catch {
                console.err("mmcheck: error: cannot write \(baselinePath): \(error.localizedDescription)")
                return CommandLineTool.ExitCode.usage
            }
            console.out("")
            console.out("\(baselinePath): \(rows.count) entries, \(changes) changed")
        } else {
            console.out("")
            console.out("\(rows.count) entries: \(rows.count - failures) match the baseline, \(failures) differ")
        }
        return failures == 0 ? CommandLineTool.ExitCode.pass : CommandLineTool.ExitCode.violation
    }

    /// Writes the entry's counterexample as a trace file, or removes a stale one.
    private static func writeTrace(_ entry: Suite.Entry, _ outcome: CheckOutcome, results: String, console: Console) {
        let path = Suite.tracePath(entry, results: results)
        if let text = outcome.traceFileText(modelPath: entry.model) {
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                console.err("mmcheck: error: cannot write \(path): \(error.localizedDescription)")
            }
        } else if FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
