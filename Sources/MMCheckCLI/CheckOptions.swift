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
    /// `--html FILE`: the counterexample as a page.
    var html: String?
    /// `--dot FILE`: the state graph in Graphviz DOT.
    var dot: String?
    /// `--coverage`: the statements no explored step executed.
    var coverage = false
    /// `--format`: text or JSON on stdout.
    var format = OutputFormat.text
    /// `--por` (true) or `--no-por` (false); nil: on in fine mode, unless with `--coverage`
    /// (`partialOrder(fine:)`).
    var partialOrder: Bool?

    /// Whether the search uses partial-order reduction, for a model in fine mode or not.
    func partialOrder(fine: Bool) -> Bool { partialOrder ?? (fine && !coverage) }

    /// Threads when `--threads` is not given: the cores this process may use.
    static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// What stdout carries: the readable report, or one JSON document.
    enum OutputFormat: String, Equatable {
        case text, json
        static func parse(_ text: String) throws(UsageError) -> OutputFormat {
            guard let format = OutputFormat(rawValue: text) else {
                throw UsageError(message: "option '--format' takes 'text' or 'json', got '\(text)'")
            }
            return format
        }
    }

    /// A usage error: one line naming the offending argument.
    struct UsageError: Error, Equatable {
        var message: String
    }

    static let defaultModel = "models/linux-6.mmc"

    static func parse(_ arguments: [String]) throws(UsageError) -> CheckOptions {
        let parsed = try Arguments.parse(arguments, for: .check)
        var options = CheckOptions()
        options.file = parsed.operands.first
        func bound(_ name: String, _ text: String) throws(UsageError) -> Int {
            guard Digits.isWholeNumber(text) else {
                throw UsageError(message: "option '\(name)' needs a number, got '\(text)'")
            }
            switch Bounds.parse(String(name.dropFirst(2)), text) {
            case .success(let v): return v
            case .failure(let e): throw UsageError(message: "option '\(name)': \(e.message)")
            }
        }
        for (option, values) in parsed.given {
            let name = option.rawValue, text = values.first ?? ""
            switch option {
            case .cpus: options.cpus = try bound(name, text)
            case .tasks: options.tasks = try bound(name, text)
            case .mms: options.mms = try bound(name, text)
            case .maxStates: options.search.maxStates = try number(name, text, range: 1...StateStore.maximumCount)
            case .maxDepth: options.search.maxDepth = try number(name, text, range: 0...Int(UInt32.max))
            case .threads: options.threads = try number(name, text, range: 1...256)
            case .memory: options.memory = try CheckOptions.byteSize(name, text)
            case .traceOut: options.traceOut = text
            case .html: options.html = text
            case .dot: options.dot = text
            case .format: options.format = try OutputFormat.parse(text)
            case .mode:
                guard let mode = CompiledModel.Mode(rawValue: text) else {
                    throw UsageError(message: "option '--mode' takes 'coarse' or 'fine', got '\(text)'")
                }
                options.mode = mode
            case .dfs: options.search.order = .depthFirst
            case .all: options.search.findAll = true
            case .symmetry: options.symmetry = true
            case .strict: options.strict = true
            case .progress: options.progress = true
            case .quiet: options.quiet = true
            case .coverage: options.coverage = true
            case .fingerprint: options.search.fingerprint = true
            case .compress: options.search.compress = true
            case .por, .noPOR:
                if options.partialOrder != nil {
                    throw UsageError(message: "options '--por' and '--no-por' contradict each other")
                }
                options.partialOrder = option == .por
            case .update, .suite, .results, .show, .write:
                preconditionFailure("\(name) is not an option of check: the table lets it through")
            }
        }
        if options.search.fingerprint && options.search.order == .depthFirst {
            throw UsageError(message: "option '--fingerprint' works breadth-first only: drop '--dfs'")
        }
        if options.search.compress && options.search.order == .depthFirst {
            throw UsageError(message: "option '--compress' works breadth-first only: drop '--dfs'")
        }
        if options.search.compress && options.search.fingerprint {
            throw UsageError(message: "options '--compress' and '--fingerprint' are two ways to store states: keep one")
        }
        if options.coverage && options.partialOrder == true {
            // A reduced search keeps the properties, not which statements run.
            throw UsageError(message: "option '--coverage' explores every interleaving: drop '--por'")
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
