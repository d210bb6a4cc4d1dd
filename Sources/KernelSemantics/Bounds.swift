import ModelLanguage

/// The size of a model instance: CPUs, task slots (besides one idle task per CPU), mm slots
/// (besides `init_mm`), and the counter cap.
public struct Bounds: Sendable, Equatable, CustomStringConvertible {
    public var cpus: Int
    public var tasks: Int
    public var mms: Int
    /// Largest value a counter may take; an increment past it is a no-underflow violation.
    public var cap: Int

    /// Largest bounds this version packs (labels and packing are sized for these).
    static let maxCPUs = 8
    static let maxTasks = 16
    static let maxMMs = 16
    static let maxCap = 1000
    /// Bounds used when neither the model file nor the command line gives one.
    public static let defaultCPUs = 2, defaultTasks = 3, defaultMMs = 3

    public init(cpus: Int, tasks: Int, mms: Int, cap: Int? = nil) {
        self.cpus = cpus
        self.tasks = tasks
        self.mms = mms
        self.cap = cap ?? Bounds.defaultCap(cpus: cpus, tasks: tasks)
    }

    /// The default cap (SEMANTICS.md §2.6): 2·(T + C) + 2. Total on any input: out-of-range bounds are
    /// clamped first (they are refused by `problem()`, never checked), so no value traps.
    static func defaultCap(cpus: Int, tasks: Int) -> Int {
        let c = min(max(cpus, 0), maxCPUs + 1), t = min(max(tasks, 0), maxTasks + 1)
        return 2 * (t + c) + 2
    }

    /// The values each setting may take, by its name in model files, traces and options.
    static func range(of setting: String) -> ClosedRange<Int>? {
        switch setting {
        case "cpus": return 1...maxCPUs
        case "tasks": return 1...maxTasks
        case "mms": return 1...maxMMs
        case "cap": return 1...maxCap
        default: return nil
        }
    }

    /// Reads a setting's value as written (`text`), checking it against `range(of:)` before
    /// any arithmetic; the error quotes the text as written, whatever its size.
    public static func parse(_ setting: String, _ text: String) -> Result<Int, SettingError> {
        guard let range = range(of: setting) else {
            return .failure(SettingError(message: "unknown setting '\(setting)'"))
        }
        guard Digits.isWholeNumber(text) else {
            return .failure(SettingError(message: "\(setting) needs a number, got '\(text)'"))
        }
        guard let value = Int(text), range.contains(value) else {
            return .failure(SettingError(message: outOfRange(setting, text)))
        }
        return .success(value)
    }

    /// A setting that cannot be read: one line, quoting the value as written.
    public struct SettingError: Error, Equatable, Sendable {
        public var message: String
    }

    /// Why these bounds cannot be checked, naming the offending setting, or nil if they can.
    public func problem() -> (setting: String, message: String)? {
        for (setting, value) in [("cpus", cpus), ("tasks", tasks), ("mms", mms)] {
            if let range = Bounds.range(of: setting), !range.contains(value) {
                return (setting, Bounds.outOfRange(setting, String(value)))
            }
        }
        if cap < cpus + 1 || cap > Bounds.maxCap {
            return ("cap", Bounds.outOfRange("cap", String(cap), cpus: cpus))
        }
        return nil
    }

    /// The message for a value (as written) outside its setting's range.
    static func outOfRange(_ setting: String, _ written: String, cpus: Int? = nil) -> String {
        switch setting {
        case "cpus": return "cpus must be between 1 and \(maxCPUs), got \(written)"
        case "tasks": return "tasks must be between 1 and \(maxTasks) (task 0 is init), got \(written)"
        case "mms": return "mms must be between 1 and \(maxMMs) (mm slot 0 is init's), got \(written)"
        default:
            let low = cpus.map { "cpus + 1 = \($0 + 1) (init_mm's count at boot)" } ?? "cpus + 1"
            return "cap must be between \(low) and \(maxCap), got \(written)"
        }
    }

    public var description: String { "\(cpus) cpus, \(tasks) tasks, \(mms) mms, cap \(cap)" }
}
