import Explorer
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
    /// Store one state per orbit under renaming of CPUs, task slots and mm slots.
    var symmetry = false

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
        func number(_ name: String, _ inline: String?, minimum: Int) throws(UsageError) -> Int {
            let text = try value(name, inline, needs: "a number")
            guard let value = Int(text) else { throw UsageError(message: "option '\(name)' needs a number, got '\(text)'") }
            guard value >= minimum else { throw UsageError(message: "option '\(name)' must be at least \(minimum), got \(value)") }
            return value
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
                case "--cpus": options.cpus = try number(name, inline, minimum: 1)
                case "--tasks": options.tasks = try number(name, inline, minimum: 1)
                case "--mms": options.mms = try number(name, inline, minimum: 1)
                case "--max-states": options.search.maxStates = try number(name, inline, minimum: 1)
                case "--max-depth": options.search.maxDepth = try number(name, inline, minimum: 0)
                case "--trace-out":
                    options.traceOut = try value(name, inline, needs: "a file name")
                case "--mode":
                    let text = try value(name, inline, needs: "'coarse' or 'fine'")
                    guard let mode = CompiledModel.Mode(rawValue: text) else {
                        throw UsageError(message: "option '--mode' takes 'coarse' or 'fine', got '\(text)'")
                    }
                    options.mode = mode
                case "--dfs", "--all", "--symmetry":
                    if inline != nil { throw UsageError(message: "option '\(name)' takes no value") }
                    switch name {
                    case "--dfs": options.search.order = .depthFirst
                    case "--all": options.search.findAll = true
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
        return options
    }
}
