import Explorer
import Foundation
import KernelSemantics
import ModelLanguage

/// The parsed arguments of `mmcheck check`.
struct CheckOptions: Equatable {
    var file: String?
    var cpus: Int?
    var tasks: Int?
    var mms: Int?
    var search = SearchOptions()
    var traceOut: String?
    var mode: CompiledModel.Mode?
    /// Store one state per orbit under renaming of CPUs, task slots, mm slots and holder slots.
    var symmetry = false
    /// Most bytes the search's own memory may take (`--memory`); nil: the default share.
    var memory: Int?
    /// Model warnings are errors.
    var strict = false
    /// Progress lines on stderr whether or not it is a terminal, and one at the end.
    var progress = false
    /// Only the verdict line on stdout.
    var quiet = false
    /// `--threads`; nil: every core.
    var threads: Int?
    /// `--por` (true) or `--no-por` (false); nil: on in fine mode, unless with fingerprints
    /// (`partialOrder(fine:)`).
    var partialOrder: Bool?

    /// Whether the search uses partial-order reduction, for a model in fine mode or not.
    func partialOrder(fine: Bool) -> Bool { partialOrder ?? (fine && !search.fingerprint) }

    /// Threads when `--threads` is not given: the cores this process may use.
    static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// A usage error: one line naming the offending argument.
    struct UsageError: Error, Equatable {
        var message: String
    }

    static let defaultModel = "models/linux-6.mmc"

    static func parse(_ arguments: [String]) throws(UsageError) -> CheckOptions {
        var options = CheckOptions()
        var seen: Set<String> = []
        var i = 0
        /// The option's value: after `=`, or the next argument.
        func value(_ name: String, _ inline: String?, needs what: String) throws(UsageError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else { throw UsageError(message: "option '\(name)' needs \(what)") }
            return arguments[i]
        }
        func number(_ name: String, _ inline: String?, range: ClosedRange<Int>) throws(UsageError) -> Int {
            let text = try value(name, inline, needs: "a number")
            return try CheckOptions.number(name, text, range: range)
        }
        func bound(_ name: String, _ inline: String?) throws(UsageError) -> Int {
            let text = try value(name, inline, needs: "a number")
            guard Digits.isWholeNumber(text) else {
                throw UsageError(message: "option '\(name)' needs a number, got '\(text)'")
            }
            switch Bounds.parse(String(name.dropFirst(2)), text) {
            case .success(let v): return v
            case .failure(let e): throw UsageError(message: "option '\(name)': \(e.message)")
            }
        }
        while i < arguments.count {
            let argument = arguments[i]
            if argument.hasPrefix("-") {
                var name = argument
                var inline: String?
                if let eq = argument.firstIndex(of: "=") {
                    name = String(argument[..<eq])
                    inline = String(argument[argument.index(after: eq)...])
                }
                guard seen.insert(name).inserted else { throw UsageError(message: "option '\(name)' is given twice") }
                switch name {
                case "--cpus": options.cpus = try bound(name, inline)
                case "--tasks": options.tasks = try bound(name, inline)
                case "--mms": options.mms = try bound(name, inline)
                case "--max-states":
                    options.search.maxStates = try number(name, inline, range: 1...StateStore.maximumCount)
                case "--max-depth": options.search.maxDepth = try number(name, inline, range: 0...Int(UInt32.max))
                case "--threads": options.threads = try number(name, inline, range: 1...256)
                case "--memory":
                    let text = try value(name, inline, needs: "a size such as 512M or 8G")
                    options.memory = try CheckOptions.byteSize(name, text)
                case "--trace-out":
                    options.traceOut = try value(name, inline, needs: "a file name")
                case "--mode":
                    let text = try value(name, inline, needs: "'coarse' or 'fine'")
                    guard let mode = CompiledModel.Mode(rawValue: text) else {
                        throw UsageError(message: "option '--mode' takes 'coarse' or 'fine', got '\(text)'")
                    }
                    options.mode = mode
                case "--dfs", "--all", "--symmetry", "--strict", "--progress", "--quiet", "--fingerprint", "--por",
                    "--no-por":
                    if inline != nil { throw UsageError(message: "option '\(name)' takes no value") }
                    switch name {
                    case "--dfs": options.search.order = .depthFirst
                    case "--all": options.search.findAll = true
                    case "--strict": options.strict = true
                    case "--progress": options.progress = true
                    case "--quiet": options.quiet = true
                    case "--fingerprint": options.search.fingerprint = true
                    case "--por", "--no-por":
                        if options.partialOrder != nil {
                            throw UsageError(message: "options '--por' and '--no-por' contradict each other")
                        }
                        options.partialOrder = name == "--por"
                    default: options.symmetry = true
                    }
                default:
                    throw UsageError(message: "unknown option '\(name)' (see 'mmcheck help check')")
                }
            } else {
                guard options.file == nil else {
                    throw UsageError(message: "unexpected argument '\(argument)': check takes one model file")
                }
                options.file = argument
            }
            i += 1
        }
        if options.search.fingerprint && options.partialOrder == true {
            throw UsageError(message: "option '--por' does not work with '--fingerprint': drop one")
        }
        if options.search.fingerprint && options.search.order == .depthFirst {
            throw UsageError(message: "option '--fingerprint' works breadth-first only: drop '--dfs'")
        }
        return options
    }

    /// A whole number in `range`, as written in `text`; the error quotes the text, however large.
    static func number(_ name: String, _ text: String, range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard Digits.isWholeNumber(text) else {
            throw UsageError(message: "option '\(name)' needs a number, got '\(text)'")
        }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError(
                message:
                    "option '\(name)' must be between \(range.lowerBound) and \(grouped(range.upperBound)), got \(text)"
            )
        }
        return value
    }

    /// The smallest and largest `--memory` accepted.
    static let memoryRange = (1 << 20)...(1 << 50)

    /// A size in bytes: a whole number with an optional binary unit, `K`, `M`, `G` or `T`
    /// (also `KiB`, `MB`, ...; no unit means bytes), within `memoryRange`.
    static func byteSize(_ name: String, _ text: String) throws(UsageError) -> Int {
        let units: [(String, Int)] = [("K", 10), ("M", 20), ("G", 30), ("T", 40)]
        var digits = Substring(text)
        var shift = 0
        for suffix in ["iB", "B"]
        where digits.uppercased().hasSuffix(suffix.uppercased()) && digits.count > suffix.count {
            digits = digits.dropLast(suffix.count)
            break
        }
        if let last = digits.last, let unit = units.first(where: { $0.0 == last.uppercased() }) {
            shift = unit.1
            digits = digits.dropLast()
        }
        let bad = UsageError(message: "option '\(name)' needs a size such as 512M or 8G, got '\(text)'")
        guard Digits.isWholeNumber(digits), digits.first?.isNumber == true else { throw bad }
        let range = memoryRange
        let tooBig = UsageError(message: "option '\(name)' must be between 1M and 1024T, got \(text)")
        guard let n = Int(digits) else { throw tooBig }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: 1 << shift)
        guard !overflow, range.contains(bytes) else { throw tooBig }
        return bytes
    }
}
