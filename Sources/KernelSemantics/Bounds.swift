/// The size of a model instance: CPUs, task slots (besides one idle task per CPU), mm slots
/// (besides `init_mm`), and the counter cap.
public struct Bounds: Sendable, Equatable, CustomStringConvertible {
    public var cpus: Int
    public var tasks: Int
    public var mms: Int
    /// Largest value a counter may take; an increment past it is a no-underflow violation.
    public var cap: Int

    /// Largest bounds this version packs (labels and packing are sized for these).
    public static let maxCPUs = 8
    public static let maxTasks = 16
    public static let maxMMs = 16
    public static let maxCap = 1000
    /// Bounds used when neither the model file nor the command line gives one.
    public static let defaultCPUs = 2, defaultTasks = 3, defaultMMs = 3

    public init(cpus: Int, tasks: Int, mms: Int, cap: Int? = nil) {
        self.cpus = cpus
        self.tasks = tasks
        self.mms = mms
        self.cap = cap ?? Bounds.defaultCap(cpus: cpus, tasks: tasks)
    }

    /// PROTOCOL.md's cap: 2·(T + C) + 2.
    public static func defaultCap(cpus: Int, tasks: Int) -> Int { 2 * (tasks + cpus) + 2 }

    /// Why these bounds cannot be checked, naming the offending setting, or nil if they can.
    public func problem() -> (setting: String, message: String)? {
        if cpus < 1 || cpus > Bounds.maxCPUs {
            return ("cpus", "cpus must be between 1 and \(Bounds.maxCPUs), got \(cpus)")
        }
        if tasks < 1 || tasks > Bounds.maxTasks {
            return ("tasks", "tasks must be between 1 and \(Bounds.maxTasks) (task 0 is init), got \(tasks)")
        }
        if mms < 1 || mms > Bounds.maxMMs {
            return ("mms", "mms must be between 1 and \(Bounds.maxMMs) (mm slot 0 is init's), got \(mms)")
        }
        if cap < cpus + 1 || cap > Bounds.maxCap {
            return ("cap", "cap must be between cpus + 1 = \(cpus + 1) (init_mm's count at boot) and \(Bounds.maxCap), got \(cap)")
        }
        return nil
    }

    public var description: String { "\(cpus) cpus, \(tasks) tasks, \(mms) mms, cap \(cap)" }
}
