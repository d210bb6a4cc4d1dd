import Explorer
import Foundation
import KernelSemantics
import ModelLanguage

/// `mmcheck suite [--update] [--fingerprint | --compress]`: runs every entry of the suite
/// and compares it with the committed baseline; `--update` rewrites the baseline and the
/// trace files instead; `--fingerprint` runs every entry with hash compaction, and
/// `--compress` with the compressed store, to check them against the exact baseline.
///
/// Exit 0 when every entry matches its baseline and its model's expectation; 1 when any
/// differs (each difference names the model, the bounds and the field); 2 on a bad suite
/// file, baseline or model.
enum SuiteCommand {
    static func run(_ arguments: [String], console: Console, stop: StopRequest? = nil) -> Int32 {
        let parsed: Arguments
        var threads: Int?
        let format: CheckOptions.OutputFormat
        do {
            parsed = try Arguments.parse(arguments, for: .suite)
            threads = try parsed.threads()
            format = try parsed.format()
        } catch {
            console.err("mmcheck: error: \(error.message)")
            return CommandLineTool.ExitCode.usage
        }
        let update = parsed.has(.update), fingerprint = parsed.has(.fingerprint), compress = parsed.has(.compress)
        let suitePath = parsed.value(.suite) ?? Suite.defaultSuite
        let results = parsed.value(.results) ?? Suite.defaultResults
        if update && (fingerprint || compress) {
            let name = fingerprint ? "--fingerprint" : "--compress"
            console.err(
                "mmcheck: error: option '\(name)' cannot be used with '--update': the baseline is the exact store's")
            return CommandLineTool.ExitCode.usage
        }
        if fingerprint && compress {
            console.err(
                "mmcheck: error: options '--compress' and '--fingerprint' are two ways to store states: keep one")
            return CommandLineTool.ExitCode.usage
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
            if update && !exists(baselinePath) {
                baseline = []
            } else {
                switch Suite.parseBaseline(try ModelLoader.readText(baselinePath, what: "baseline"), path: baselinePath)
                {
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

        if update {
            // Found now, not after the runs: where the results go must be writable.
            do {
                try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
                try OutputFile.checkWritable(baselinePath, what: "baseline", inputs: [suitePath])
            } catch let error as OutputFile.Failure {
                console.err(error.message)
                return CommandLineTool.ExitCode.usage
            } catch {
                console.err(
                    "mmcheck: error: cannot create the results folder '\(results)': \(error.localizedDescription)")
                return CommandLineTool.ExitCode.usage
            }
        }
        let memory = MemoryDefault.choose(threads: threads ?? CheckOptions.defaultThreads).bytes
        // The text report line by line; JSON is one document at the end.
        let json = format == .json
        let say = { (line: String) in if !json { console.out(line) } }
        var entryJSON: [JSON] = []
        var failures = 0
        /// The JSON document of the entries run so far.
        func printDocument(interrupted: Int?) {
            console.out(
                document(
                    entryJSON, suite: suitePath, results: results, update: update, fingerprint: fingerprint,
                    compress: compress, failures: failures, interrupted: interrupted
                ).rendered())
        }
        var rows: [Suite.Row] = []
        var changes = 0
        /// Trace files to write (text) or remove (nil), written only once every entry has run.
        var traces: [(path: String, text: String?)] = []
        for (n, entry) in entries.enumerated() {
            let row: Suite.Row, outcome: CheckOutcome
            do {
                (row, outcome) = try Suite.run(
                    entry, memory: memory, stop: stop, console: console,
                    threads: threads ?? CheckOptions.defaultThreads, fingerprint: fingerprint, compress: compress)
            } catch {
                error.lines.forEach(console.err)
                return CommandLineTool.ExitCode.usage
            }
            if stop?.isRequested == true {
                say("")
                say(
                    "interrupted during \(entry.model) (\(entry.cpus),\(entry.tasks),\(entry.mms)), entry \(n + 1) of \(entries.count)"
                        + (update ? "; nothing was written" : ""))
                if json { printDocument(interrupted: n) }
                return CommandLineTool.ExitCode.incomplete
            }
            rows.append(row)
            let bounds =
                "\(entry.cpus),\(entry.tasks),\(entry.mms)\(Suite.reductionSuffix(entry.symmetry, entry.partialOrder))"
            let summary =
                "\(row.verdict)  \(grouped(row.states)) \(entry.symmetry ? "orbits" : "states")  \(row.trace.map { "trace \($0)  " } ?? "")\(fixed(row.seconds, 2)) s"
            var problems: [String] = []
            if !outcome.expectationMet {
                problems.append(
                    "the model expects \(outcome.model.expectation == .pass ? "pass" : "a violation"), \(outcome.verdictWord) found"
                )
            }
            let old = baseline.first { $0.key == row.key }
            let differences = old.map { Suite.differences($0, row) } ?? ["no baseline"]
            let status: String
            if update {
                status = !problems.isEmpty ? "fails" : differences.isEmpty ? "unchanged" : "updated"
            } else {
                status = problems.isEmpty && differences.isEmpty ? "ok" : "differs"
            }
            entryJSON.append(
                .object([
                    ("model", .string(entry.model)), ("cpus", .int(entry.cpus)), ("tasks", .int(entry.tasks)),
                    ("mms", .int(entry.mms)), ("symmetry", .bool(entry.symmetry)),
                    ("partialOrder", .bool(entry.partialOrder)), ("verdict", .string(row.verdict)),
                    ("states", .int(row.states)), ("transitions", .int(row.transitions)), ("depth", .int(row.depth)),
                    ("trace", .int(row.trace)), ("seconds", .double(row.seconds)), ("status", .string(status)),
                    ("problems", .array((problems + (update ? [] : differences)).map(JSON.string))),
                ]))
            if update {
                if !differences.isEmpty {
                    changes += 1
                    say("updated  \(entry.model) (\(bounds)): \(differences.joined(separator: "; "))")
                }
                traces.append((Suite.tracePath(entry, results: results), outcome.traceFileText(modelPath: entry.model)))
                if !problems.isEmpty {
                    failures += 1
                    say("FAIL     \(entry.model) (\(bounds)): \(problems.joined(separator: "; "))")
                }
            } else {
                problems += differences
                if problems.isEmpty {
                    say("ok       \(entry.model) (\(bounds))  \(summary)")
                } else {
                    failures += 1
                    say("FAIL     \(entry.model) (\(bounds)): \(problems.joined(separator: "; "))")
                }
            }
        }
        if update {
            do {
                for (path, text) in traces { try writeTrace(text, at: path) }
                try OutputFile.write(Suite.formatBaseline(rows), to: baselinePath, what: "baseline")
            } catch {
                console.err(error.message)
                return CommandLineTool.ExitCode.usage
            }
            say("")
            say("\(baselinePath): \(rows.count) entries, \(changes) changed")
        } else {
            say("")
            say("\(rows.count) entries: \(rows.count - failures) match the baseline, \(failures) differ")
        }
        if json { printDocument(interrupted: nil) }
        return failures == 0 ? CommandLineTool.ExitCode.pass : CommandLineTool.ExitCode.violation
    }

    /// The JSON document of `suite --format json`: every entry run, with its status
    /// (`ok`/`differs`, or with `--update` `unchanged`/`updated`/`fails`) and the problems
    /// found; `interrupted`: the index of the entry an interrupt stopped.
    private static func document(
        _ entries: [JSON], suite: String, results: String, update: Bool, fingerprint: Bool, compress: Bool,
        failures: Int,
        interrupted: Int?
    ) -> JSON {
        .object([
            ("schema", .string(JSON.schema)), ("command", .string("suite")),
            ("version", .string(CommandLineTool.version)),
            ("suite", .string(suite)), ("results", .string(results)), ("update", .bool(update)),
            ("fingerprint", .bool(fingerprint)), ("compress", .bool(compress)), ("entries", .array(entries)),
            ("matched", .int(entries.count - failures)), ("differ", .int(failures)),
            ("interruptedAt", .int(interrupted)),
        ])
    }

    /// Writes an entry's counterexample at `path` (under the results folder, see
    /// `Suite.tracePath`), or removes a stale one when `text` is nil. Only a regular file
    /// is ever written over or removed: anything else at the path is an error.
    private static func writeTrace(_ text: String?, at path: String) throws(OutputFile.Failure) {
        var info = stat()
        let present = lstat(path, &info) == 0
        if present, (info.st_mode & S_IFMT) != S_IFREG {
            throw OutputFile.Failure(
                message:
                    "mmcheck: error: '\(path)' is not a regular file: the suite writes and removes only its own .trace files"
            )
        }
        guard let text else {
            if present, unlink(path) != 0 {
                throw OutputFile.Failure(
                    message: "mmcheck: error: cannot remove stale trace '\(path)': \(InputFile.describe(errno))")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: OutputFile.directory(of: path), withIntermediateDirectories: true)
        } catch {
            throw OutputFile.Failure(
                message: "mmcheck: error: cannot create the folder of '\(path)': \(error.localizedDescription)")
        }
        try OutputFile.write(text, to: path, what: "trace file")
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
