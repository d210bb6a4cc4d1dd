import Explorer
import ModelLanguage

/// The commands, declared once: the dispatch, `help COMMAND`, `COMMAND --help`, the
/// overview, the list in errors, the options each takes and the README's options list
/// derive from this table and from `Option`.
enum Command: String, CaseIterable {
    case check, replay, suite, bench, mutate, help

    /// What follows the command name on its usage line.
    var operands: String {
        switch self {
        case .check, .bench, .mutate: return "[FILE]"
        case .replay: return "MODEL TRACE"
        case .suite: return ""
        case .help: return "[COMMAND]"
        }
    }

    /// How many operands the command takes.
    var operandCount: ClosedRange<Int> {
        switch self {
        case .check, .bench, .mutate, .help: return 0...1
        case .replay: return 2...2
        case .suite: return 0...0
        }
    }

    /// One line for the overview.
    var summary: String {
        switch self {
        case .check: return "check a model (default: models/linux-6.mmc)"
        case .replay: return "re-execute a trace file and confirm its violation"
        case .suite: return "run the regression suite against results/"
        case .bench: return "speed benchmark: states/s and bytes/state at fixed bounds"
        case .mutate: return "check every single-edit mutant of a model: which edits do the properties catch?"
        case .help: return "show help"
        }
    }

    /// The options the command takes, in the order its help lists them.
    var options: [Option] {
        switch self {
        case .check:
            return [
                .cpus, .tasks, .mms, .dfs, .threads, .all, .symmetry, .fingerprint, .compress, .por, .noPOR, .maxStates,
                .maxDepth, .memory, .mode, .traceOut, .html, .dot, .coverage, .format, .strict, .progress, .quiet,
            ]
        case .replay: return [.html, .format]
        case .suite: return [.update, .suite, .results, .threads, .fingerprint, .compress, .format]
        case .bench: return [.symmetry, .fingerprint, .compress, .noPOR, .format]
        case .mutate: return [.cpus, .tasks, .mms, .mode, .symmetry, .threads, .show, .write, .format]
        case .help: return []
        }
    }

    /// The usage line: `mmcheck check [FILE] [options]`.
    var usage: String {
        ["mmcheck", rawValue, operands, options.isEmpty ? "" : "[options]"].filter { !$0.isEmpty }.joined(
            separator: " ")
    }

    /// What the command does, for its help.
    var description: String {
        switch self {
        case .check:
            return """
                Explores every interleaving of the model's actions at the given bounds and reports
                either that all properties hold or the shortest sequence of steps that breaks one.
                FILE defaults to models/linux-6.mmc. A model switches its actions on with
                `actions ...`: \(Help.wrapped(ActionSet.switches.map(\.name).joined(separator: ", "), width: 82, first: 15)); see README.md.
                """
        case .replay:
            return """
                Re-executes TRACE (written by `check --trace-out` or `suite`) on MODEL from the
                initial state at the trace's bounds, checks that every step is enabled, prints each
                state, and confirms the violation the trace claims.
                """
        case .suite:
            return """
                Runs every (model, bounds) listed in the suite file (default models/suite: lines of
                MODEL CPUS TASKS MMS, then `symmetry` and/or `por` for a reduced run) and compares
                verdict, distinct states, transitions, search depth and counterexample length with
                the baseline in DIR/baseline.txt (default results/). Any difference, or a model
                whose expectation is not met, is a failure naming the model, the bounds and the
                field. Times are recorded for information and never compared.
                """
        case .bench:
            return """
                The speed benchmark: checks FILE (default models/linux-6.mmc) breadth-first at a
                fixed ladder of bounds, (2,3,3) to (4,4,4), a fresh search each, on one thread and
                then on every core, and prints per line the threads, bytes stored per state,
                states, transitions, seconds, states/s, transitions/s, bytes per stored state
                (everything the search holds) and the peak resident memory of that search. A
                fine-mode model runs at (1,2,2) to (2,2,3), with partial-order reduction as check
                has it by default. Breadth-first only: depth-first search is single-threaded.
                """
        case .mutate:
            return """
                Makes every single edit of the model's routines (FILE, default models/linux-6.mmc)
                that a mistake in the kernel code could be: a statement deleted, two adjacent
                statements swapped, a helper called in place of its partner (mmgrab/mmdrop,
                mmget/mmput, mmget/mmgrab, mmput/mmdrop, the _lazy_tlb pair), a condition negated
                or made always true or false, an operand replaced by another of the routine's, and
                in fine mode a region removed or a statement moved out of it. It checks each mutant
                at the model's bounds, one per thread, and prints a table (id, edit, verdict,
                property, trace length, states), the survivors, and the score: killed of
                checked. A mutant that does not compile is counted, not checked. A survivor
                whose whole state graph (states and steps, unreduced) is the original's is
                marked equivalent: no property can tell it apart.
                """
        case .help: return "Shows the overview, or the help of COMMAND."
        }
    }

    var exitCodes: String {
        switch self {
        case .check, .help:
            return """
                exit codes: 0 all properties hold at the bounds, 1 a property is violated,
                            2 usage or model error, 3 incomplete (a limit was hit, memory ran
                            short, or the run was interrupted)
                """
        case .replay:
            return """
                exit codes: 1 the claimed violation is reached; 2 the trace is malformed, a step is
                            not enabled, or no violation (or another one) is reached
                """
        case .suite:
            return "exit codes: 0 everything matches; 1 something differs; 2 bad suite, baseline or model"
        case .mutate:
            return """
                exit codes: 0 every mutant was checked (killed or not); 2 bad option or model, or
                            an unknown mutant id; 3 interrupted, or a mutant's search was cut
                """
        case .bench:
            return """
                exit codes: 0 done; 2 bad option or model; 3 a search stopped at the memory limit
                            or was interrupted
                """
        }
    }

    /// `mmcheck help COMMAND` and `mmcheck COMMAND --help`.
    var help: String {
        if self == .help { return Help.overview }
        var parts = ["usage: \(usage)", description]
        if !options.isEmpty {
            parts.append("options:\n" + Help.optionLines(options, for: self) + "\n  -h, --help        show this help")
        }
        parts.append(exitCodes)
        if self == .replay { parts.append(Help.traceFormat) }
        return parts.joined(separator: "\n\n")
    }
}

/// An option, declared once: its flag, the name of its value (nil: a flag that takes
/// none) and its help per command. Parsing (`Arguments.parse`), help, usage errors and the
/// README's options list come from here.
enum Option: String, CaseIterable, Sendable {
    case cpus = "--cpus"
    case tasks = "--tasks"
    case mms = "--mms"
    case dfs = "--dfs"
    case threads = "--threads"
    case all = "--all"
    case symmetry = "--symmetry"
    case fingerprint = "--fingerprint"
    case compress = "--compress"
    case por = "--por"
    case noPOR = "--no-por"
    case maxStates = "--max-states"
    case maxDepth = "--max-depth"
    case memory = "--memory"
    case mode = "--mode"
    case traceOut = "--trace-out"
    case html = "--html"
    case dot = "--dot"
    case coverage = "--coverage"
    case format = "--format"
    case strict = "--strict"
    case progress = "--progress"
    case quiet = "--quiet"
    case update = "--update"
    case suite = "--suite"
    case results = "--results"
    case show = "--show"
    case write = "--write"

    /// The placeholder of the option's value in help; nil when it takes none.
    var value: String? {
        switch self {
        case .cpus, .tasks, .mms, .threads, .maxStates, .maxDepth: return "N"
        case .memory: return "SIZE"
        case .mode: return "MODE"
        case .traceOut, .html, .dot, .suite: return "FILE"
        case .results: return "DIR"
        case .show: return "ID"
        case .write: return "ID FILE"
        case .format: return "FORMAT"
        case .dfs, .all, .symmetry, .fingerprint, .compress, .por, .noPOR, .coverage, .strict, .progress, .quiet,
            .update:
            return nil
        }
    }

    /// How many arguments the option's value is.
    var valueCount: Int { value == nil ? 0 : self == .write ? 2 : 1 }

    /// What a usage error says the option needs when its value is missing.
    var needs: String {
        switch self {
        case .memory: return "a size such as 512M or 8G"
        case .mode: return "'coarse' or 'fine'"
        case .format: return "'text' or 'json'"
        case .traceOut, .html, .dot, .suite: return "a file name"
        case .results: return "a folder name"
        case .show: return "a mutant id"
        case .write: return "a mutant id and a file name"
        default: return "a number"
        }
    }

    /// The option's help in `command`'s help.
    func help(for command: Command) -> String {
        switch self {
        case .cpus: return "number of CPUs (default: the model's `cpus`, else 2)"
        case .tasks: return "task slots besides the idle tasks (default: the model's `tasks`, else 3)"
        case .mms: return "mm slots besides init_mm (default: the model's `mms`, else 3)"
        case .dfs:
            return "depth-first search (default breadth-first, which finds a shortest trace); one thread, and a "
                + "parent link kept per state"
        case .threads:
            return command == .suite
                ? "threads for every entry, as for check (default: every core)"
                : command == .mutate
                    ? "mutants checked at once, one search each (default: every core)"
                    : "threads that expand states (default: every core); breadth-first without --max-depth only, "
                        + "else one. The result is the same for every N: the threads expand, one thread stores in a "
                        + "fixed order"
        case .all: return "do not stop at the first violation; count violating steps per property"
        case .symmetry:
            if command == .mutate { return "check each mutant with symmetry reduction (states are orbits)" }
            return command == .bench
                ? "the reduced search at (4,4,4) to (6,6,6), or for a fine-mode model (2,2,2) to (2,3,3); states "
                    + "are orbits"
                : "store one state per orbit under renaming of CPUs, task slots, mm slots and holder slots "
                    + "(exact; counts orbits; traces stay shortest and real)"
        case .fingerprint:
            switch command {
            case .suite:
                return "run every entry with 64-bit fingerprints and compare with the same exact baseline: it "
                    + "shows that hash compaction missed nothing on the corpus (not with --update)"
            case .bench: return "keep 64-bit fingerprints instead of states"
            default:
                return "keep a 64-bit fingerprint per state instead of the state (hash compaction, breadth-first "
                    + "only): less memory, and the verdict says how likely it is that a state was missed"
            }
        case .compress:
            switch command {
            case .suite:
                return "run every entry with the compressed store and compare with the same baseline (not with "
                    + "--update)"
            case .bench: return "keep states compressed (as check --compress)"
            default:
                return "keep each state as the numbers of its two halves, each half stored once (tree compression, "
                    + "breadth-first only): exact, and about 8 bytes a state once halves repeat"
            }
        case .por:
            return
                "partial-order reduction, on by default in fine mode: where a CPU's "
                + "next step is independent of every other CPU's, it is expanded alone, and a state with "
                + "only such a step is passed through, not stored. The same verdict and violated properties, "
                + "fewer states; a trace is shortest in the reduced graph, each chain of steps through states "
                + "passed through counted as one (README, \"Partial-order reduction\")"
        case .noPOR:
            return command == .bench
                ? "fine-mode models without partial-order reduction"
                : "no partial-order reduction: explore every interleaving, and find a shortest trace"
        case .maxStates: return "stop, incomplete, once N distinct states are stored"
        case .maxDepth:
            return "do not explore deeper than N steps (incomplete if anything lay beyond); no state is passed "
                + "through then (--por)"
        case .memory:
            return "most memory the search may hold, e.g. 512M or 8G (default 3/4 of physical memory, less under "
                + "ulimit -v); past it: incomplete, exit 3"
        case .mode:
            return "coarse (each action one step) or fine (each statement a step); default: the model's `mode`"
        case .traceOut: return "write the counterexample to FILE as a trace (see 'mmcheck help replay')"
        case .html:
            return command == .replay
                ? "write the trace as one self-contained HTML page (swimlanes per CPU, counts and holders per mm, "
                    + "keyboard stepping)"
                : "write the counterexample as one self-contained HTML page (swimlanes per CPU, counts and "
                    + "holders per mm, keyboard stepping)"
        case .dot:
            return "write the reachable state graph in Graphviz DOT (at most \(grouped(StateGraph.limit)) "
                + "states; violating steps red)"
        case .coverage:
            return "list every statement of the model that no explored step executed (file:line) and the "
                + "statement executions per routine; every interleaving is explored (no partial-order reduction)"
        case .format:
            return "text (default) or json: one JSON document on stdout (schema in README.md, \"JSON output\")"
        case .strict:
            return "model warnings (a routine nothing calls, a statement that never runs) are errors: exit 2"
        case .progress:
            return "a progress line on stderr every 3 s (level, states, transitions, queue, states/s, memory), "
                + "and one when the search ends; without it, progress lines appear only when stderr is a "
                + "terminal and the search runs past 2 s"
        case .quiet: return "print only the verdict line (errors still go to stderr)"
        case .update:
            return "rewrite the baseline and the counterexample .trace files under DIR, and say what changed"
        case .suite: return "the suite file (default models/suite)"
        case .results: return "the results folder with baseline.txt (default results/)"
        case .show: return "print mutant ID's edit as a diff of the model, and check nothing"
        case .write: return "write mutant ID as a model file FILE (a survivor to study or add to the corpus)"
        }
    }

    /// What an output option's file is called in messages and in JSON's `files`.
    var fileKind: String {
        switch self {
        case .html: return "html"
        case .dot: return "dot"
        default: return "trace"
        }
    }

    /// What an output option's file is called in errors: `cannot write trace file 'x'`.
    var fileWhat: String {
        switch self {
        case .html: return "HTML page"
        case .dot: return "DOT file"
        default: return "trace file"
        }
    }

    /// `--cpus N`, `--dfs`.
    var synopsis: String { value.map { "\(rawValue) \($0)" } ?? rawValue }
}

/// A command's arguments as the table reads them: operands, flags, and option values.
struct Arguments {
    var operands: [String] = []
    /// Each option given, with its values (none for a flag), in the order given.
    var given: [(option: Option, values: [String])] = []

    func has(_ option: Option) -> Bool { given.contains { $0.option == option } }
    func value(_ option: Option) -> String? { values(option).first }
    func values(_ option: Option) -> [String] { given.first { $0.option == option }?.values ?? [] }

    /// `--threads N`, range-checked, when given.
    func threads() throws(CheckOptions.UsageError) -> Int? {
        guard let text = value(.threads) else { return nil }
        return try CheckOptions.number("--threads", text, range: 1...256)
    }

    /// `--format`: text when not given.
    func format() throws(CheckOptions.UsageError) -> CheckOptions.OutputFormat {
        guard let text = value(.format) else { return .text }
        return try CheckOptions.OutputFormat.parse(text)
    }

    /// Reads `arguments` for `command`: `--name VALUE` or `--name=VALUE` for an option
    /// with a value, `--name` for a flag. An option the command does not take, one given
    /// twice, a missing or unwanted value, or the wrong number of operands is a usage
    /// error naming it.
    static func parse(_ arguments: [String], for command: Command) throws(CheckOptions.UsageError) -> Arguments {
        var parsed = Arguments()
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                guard parsed.operands.count < command.operandCount.upperBound else {
                    throw CheckOptions.UsageError(message: Self.tooMany(argument, command))
                }
                parsed.operands.append(argument)
                continue
            }
            var name = argument, inline: String?
            if let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                inline = String(argument[argument.index(after: eq)...])
            }
            guard let option = Option(rawValue: name), command.options.contains(option) else {
                throw CheckOptions.UsageError(
                    message: "unknown option '\(name)' (see 'mmcheck help \(command.rawValue)')")
            }
            guard !parsed.has(option) else {
                throw CheckOptions.UsageError(message: "option '\(name)' is given twice")
            }
            var values: [String] = []
            if option.value == nil {
                if inline != nil { throw CheckOptions.UsageError(message: "option '\(name)' takes no value") }
            } else {
                if let inline { values.append(inline) }
                while values.count < option.valueCount {
                    guard i < arguments.count else {
                        throw CheckOptions.UsageError(message: "option '\(name)' needs \(option.needs)")
                    }
                    values.append(arguments[i])
                    i += 1
                }
            }
            parsed.given.append((option, values))
        }
        guard command.operandCount.contains(parsed.operands.count) else {
            throw CheckOptions.UsageError(
                message:
                    "\(command.rawValue) takes \(command.operands), got \(parsed.operands.count) argument\(parsed.operands.count == 1 ? "" : "s")"
            )
        }
        return parsed
    }

    private static func tooMany(_ argument: String, _ command: Command) -> String {
        switch command {
        case .check, .bench, .mutate:
            return "unexpected argument '\(argument)': \(command.rawValue) takes one model file"
        case .replay: return "unexpected argument '\(argument)': replay takes two arguments, MODEL and TRACE"
        case .suite: return "unexpected argument '\(argument)' (see 'mmcheck help suite')"
        case .help: return "unexpected argument '\(argument)': help takes one command"
        }
    }
}

enum Help {
    /// One sample line per action of the catalogue, with what it means.
    static var traceSteps: String {
        Action.allCases.map { action -> String in
            let (step, note) = action.spec.example
            let line = "  step \(step)"
            let gap =
                line.count < 38
                ? String(repeating: " ", count: 38 - line.count) : "\n" + String(repeating: " ", count: 38)
            return line + gap + "(\(note))"
        }.joined(separator: "\n")
    }

    /// `text` broken at spaces into lines of at most `width` characters, the first line
    /// starting `first` characters in.
    static func wrapped(_ text: String, width: Int, first: Int) -> String {
        var lines: [String] = [], line = "", room = width - first
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > room {
                lines.append(line)
                line = ""
                room = width
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// The options block of a command's help: `  --cpus N          number of CPUs ...`,
    /// wrapped at 90 columns.
    static func optionLines(_ options: [Option], for command: Command) -> String {
        let column = 20
        return options.map { option -> String in
            let head = "  " + option.synopsis
            let indent = String(repeating: " ", count: column)
            let body = wrapped(option.help(for: command), width: 90 - column, first: 0)
                .split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + indent)
            return head.count < column ? head.padding(column) + body : head + "\n" + indent + body
        }.joined(separator: "\n")
    }

    /// The README's list of a command's options (Markdown), from the same table; a test
    /// keeps the README's copy equal to it.
    static func markdownOptions(_ command: Command) -> String {
        command.options.map { "- `\($0.synopsis)`: \($0.help(for: command))" }.joined(separator: "\n")
    }

    static var overview: String {
        let lines = Command.allCases.map { c -> String in
            let head = "  " + c.usage
            return head.count < 37
                ? head.padding(37) + c.summary
                : head + "\n" + String(repeating: " ", count: 37)
                    + c.summary
        }
        return """
            mmcheck \(CommandLineTool.version): an explicit-state model checker for the Linux kernel's \
            mm / active_mm lazy-TLB reference counting

            usage:
            \(lines.joined(separator: "\n"))
              mmcheck --version                  show the version

            \(Command.check.exitCodes)
            """
    }

    static let traceFormat = """
        trace format (one item per line, '#' starts a comment):
          mmcheck-trace 1
          model models/bugs/exit-mm-without-grab.mmc
          bounds cpus=2 tasks=3 mms=3 cap=12
          claim violation no-free-while-borrowed
        \(Help.traceSteps)
        a fine-mode trace has a 'mode fine' line after 'bounds'.
        tasks are slot numbers: 0 is init's slot, 1 kthreadd's; mms are mm slot numbers;
        holders are holder slot numbers (the model's `holders` setting).
        """
}
