import Explorer
import ModelLanguage
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `mmcheck` command line: parses the command, runs it, and returns the exit code.
///
/// Exit codes: 0 every property holds at the bounds; 1 a property is violated; 2 usage or
/// model error; 3 incomplete (a limit was hit before the state space was exhausted).
public enum CommandLineTool {
    static let version = "0.1.0"

    enum ExitCode {
        static let pass: Int32 = 0
        static let violation: Int32 = 1
        static let usage: Int32 = 2
        static let incomplete: Int32 = 3
    }

    /// Runs with the process's standard output and error, Ctrl-C and SIGTERM stopping a
    /// search cleanly (see `Interruption`).
    ///
    /// A failed write to standard output (a full disk, a closed descriptor) is reported on
    /// standard error; the exit code is then the verdict's when it is a violation (1) or
    /// incomplete (3), else 2: a pass nobody could read is not reported as one.
    public static func main(_ arguments: [String]) -> Int32 {
        let closed = StreamWriter.reserveClosedStandardDescriptors()
        Interruption.install()
        let out = StreamWriter(descriptor: 1, closed: closed.contains(1))
        let err = StreamWriter(descriptor: 2, closed: closed.contains(2))
        let console = Console(
            out: { out.write($0 + "\n") }, err: { err.write($0 + "\n") }, errIsTerminal: isatty(2) == 1)
        let code = run(arguments, console: console, stop: Interruption.request)
        guard let failure = out.failure else { return code }
        err.write("mmcheck: error: cannot write to standard output: \(InputFile.describe(failure))\n")
        return code == ExitCode.violation || code == ExitCode.incomplete ? code : ExitCode.usage
    }

    /// Runs `arguments` (without the program name), writing through `console`; a search
    /// stops (incomplete) once `stop` is requested.
    static func run(_ arguments: [String], console: Console, stop: StopRequest? = nil) -> Int32 {
        guard let command = arguments.first else {
            console.out(Help.overview)
            return ExitCode.usage
        }
        let rest = Array(arguments.dropFirst())
        if let c = Command(rawValue: command) {
            if c != .help && (rest.contains("--help") || rest.contains("-h")) {
                console.out(c.help)
                return ExitCode.pass
            }
            switch c {
            case .check: return CheckCommand.run(rest, console: console, stop: stop)
            case .replay: return ReplayCommand.run(rest, console: console)
            case .suite: return SuiteCommand.run(rest, console: console, stop: stop)
            case .bench: return BenchCommand.run(rest, console: console, stop: stop)
            case .help: break
            }
        }
        switch command {
        case "help", "--help", "-h":
            guard let topic = rest.first else {
                console.out(Help.overview)
                return ExitCode.pass
            }
            guard let c = Command(rawValue: topic) else {
                let names = Command.allCases.map(\.rawValue).joined(separator: ", ")
                console.err("mmcheck: error: no help for unknown command '\(topic)' (commands: \(names))")
                return ExitCode.usage
            }
            console.out(c.help)
            return ExitCode.pass
        case "--version", "version":
            console.out("mmcheck \(version)")
            return ExitCode.pass
        default:
            if command.hasPrefix("-") {
                console.err("mmcheck: error: unknown option '\(command)' (try 'mmcheck help')")
            } else {
                console.err(
                    "mmcheck: error: unknown command '\(command)' (commands: \(Command.allCases.map(\.rawValue).joined(separator: ", ")); try 'mmcheck help')"
                )
            }
            return ExitCode.usage
        }
    }
}

/// Where a command writes: standard output and standard error, one line per call.
struct Console: Sendable {
    var out: @Sendable (String) -> Void
    var err: @Sendable (String) -> Void
    /// Standard error is a terminal: a long search shows its progress there.
    var errIsTerminal: Bool
    init(
        out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
        errIsTerminal: Bool = false
    ) {
        self.out = out
        self.err = err
        self.errIsTerminal = errIsTerminal
    }
}

/// The commands, declared once: the dispatch, `help COMMAND`, `COMMAND --help` and the
/// list in errors derive from this.
enum Command: String, CaseIterable {
    case check, replay, suite, bench, help

    var help: String {
        switch self {
        case .check: return Help.check
        case .replay: return Help.replay
        case .suite: return Help.suite
        case .bench: return Help.bench
        case .help: return Help.overview
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

    static let overview = """
        mmcheck \(CommandLineTool.version): an explicit-state model checker for the Linux kernel's \
        mm / active_mm lazy-TLB reference counting

        usage:
          mmcheck check [FILE] [options]     check a model (default: models/linux-6.mmc)
          mmcheck replay MODEL TRACE         re-execute a trace file and confirm its violation
          mmcheck suite [--update]           run the regression suite against results/
          mmcheck bench [FILE] [--symmetry] [--fingerprint] [--no-por]
                                             speed benchmark: states/s and bytes/state at fixed bounds
          mmcheck help [COMMAND]             show help
          mmcheck --version                  show the version

        exit codes: 0 all properties hold at the bounds, 1 a property is violated,
                    2 usage or model error, 3 incomplete (a limit was hit, memory ran
                    short, or the run was interrupted)
        """

    static let check = """
        usage: mmcheck check [FILE] [options]

        Explores every interleaving of the model's actions at the given bounds and reports
        either that all properties hold or the shortest sequence of steps that breaks one.
        FILE defaults to models/linux-6.mmc. A model switches its actions on with
        `actions ...`: \(Help.wrapped(ActionSet.switches.map(\.name).joined(separator: ", "), width: 82, first: 15)); see README.md.

        options:
          --cpus N          number of CPUs (default: the model's `cpus`, else \(2))
          --tasks N         task slots besides the idle tasks (default: the model's `tasks`, else 3)
          --mms N           mm slots besides init_mm (default: the model's `mms`, else 3)
          --dfs             depth-first search (default breadth-first, which finds a shortest
                            trace); one thread, and a parent link kept per state
          --threads N       threads that expand states (default: every core); breadth-first
                            without --max-depth only, else one. The result is the same for
                            every N: the threads expand, one thread stores in a fixed order
          --all             do not stop at the first violation; count violating steps per property
          --symmetry        store one state per orbit under renaming of CPUs, task slots, mm
                            slots and holder slots (exact; counts orbits; traces stay
                            shortest and real)
          --fingerprint     keep a 64-bit fingerprint per state instead of the state (hash
                            compaction, breadth-first only): less memory, and the verdict says
                            how likely it is that a state was missed
          --por, --no-por   partial-order reduction, on by default in fine mode (not with
                            --fingerprint): where a CPU's next step is independent of every
                            other CPU's, it is expanded alone. The same verdict and violated
                            properties, fewer states; a trace is shortest in the reduced
                            graph: --no-por explores every interleaving and finds a shortest
                            one (README, "Partial-order reduction")
          --max-states N    stop, incomplete, once N distinct states are stored
          --max-depth N     do not explore deeper than N steps (incomplete if anything lay beyond)
          --memory SIZE     most memory the search may hold, e.g. 512M or 8G (default 3/4 of
                            physical memory, less under ulimit -v); past it: incomplete, exit 3
          --mode MODE       coarse (each action one step) or fine (each statement a step);
                            default: the model's `mode`
          --trace-out FILE  write the counterexample to FILE as a trace (see 'mmcheck help replay')
          --strict          model warnings (a routine nothing calls, a statement that never
                            runs) are errors: exit 2
          --progress        a progress line on stderr every 3 s (level, states, transitions,
                            queue, states/s, memory), and one when the search ends; without
                            it, progress lines appear only when stderr is a terminal and the
                            search runs past 2 s
          --quiet           print only the verdict line (errors still go to stderr)
          -h, --help        show this help
        """

    static let suite = """
        usage: mmcheck suite [--update] [--suite FILE] [--results DIR] [--threads N] [--fingerprint]

        Runs every (model, bounds) listed in the suite file (default models/suite: lines of
        MODEL CPUS TASKS MMS, then `symmetry` and/or `por` for a reduced run) and compares verdict, distinct states, transitions, search
        depth and counterexample length with the baseline in DIR/baseline.txt (default
        results/). Any difference, or a model whose expectation is not met, is a failure
        naming the model, the bounds and the field. --update rewrites the baseline and the
        counterexample .trace files under DIR, and says what changed. Times are recorded
        for information and never compared. --threads N as for check (default: every core).
        --fingerprint runs every entry with 64-bit fingerprints (as check --fingerprint) and
        compares with the same exact baseline: it shows that hash compaction missed nothing
        on the corpus (it cannot be combined with --update); `por` entries run exact.

        exit codes: 0 everything matches; 1 something differs; 2 bad suite, baseline or model
        """

    static let bench = """
        usage: mmcheck bench [FILE] [--symmetry] [--fingerprint] [--no-por]

        The speed benchmark: checks FILE (default models/linux-6.mmc) breadth-first at a
        fixed ladder of bounds, (2,3,3) to (4,4,4), a fresh search each, on one thread and
        then on every core, and prints per line the threads, bytes stored per state,
        states, transitions, seconds, states/s, transitions/s, bytes per stored state
        (everything the search holds) and the peak resident memory of that search.
        --symmetry runs the reduced search at (4,4,4) to (6,6,6) (states are orbits). A
        fine-mode model runs at (1,2,2) to (2,2,3), and with --symmetry at (2,2,2) to
        (2,3,3), with partial-order reduction as check has it by default (--no-por: without;
        states are then those of the reduced graph). --fingerprint keeps 64-bit
        fingerprints instead of states (and no partial-order reduction).

        exit codes: 0 done; 2 bad option or model; 3 a search stopped at the memory limit
                    or was interrupted
        """

    static let replay = """
        usage: mmcheck replay MODEL TRACE

        Re-executes TRACE (written by `check --trace-out` or `suite`) on MODEL from the
        initial state at the trace's bounds, checks that every step is enabled, prints each
        state, and confirms the violation the trace claims.

        exit codes: 1 the claimed violation is reached; 2 the trace is malformed, a step is
                    not enabled, or no violation (or another one) is reached

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
