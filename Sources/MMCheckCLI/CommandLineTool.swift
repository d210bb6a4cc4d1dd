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
            case .mutate: return MutateCommand.run(rest, console: console, stop: stop)
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
