import KernelSemantics
import ModelLanguage

/// Readable names for the tasks and mms of one trace. A slot gets a new name each time it
/// is reused: `init` and `kthreadd` at boot, then `t2`, `t3`, ... in order of creation;
/// `mm0` is init's mm, then `mm1`, `mm2`, ...; idle tasks are `idle0`, `idle1`, ...
struct TraceNames {
    private(set) var tasks: [String]
    private(set) var mms: [String]
    private var nextTask = 2
    private var nextMM = 1
    private let slotTasks: Int

    init(bounds: Bounds) {
        slotTasks = bounds.tasks
        tasks =
            (0..<bounds.tasks).map {
                ["init", "kthreadd"].indices.contains($0) ? ["init", "kthreadd"][$0] : "slot\($0)"
            }
            + (0..<bounds.cpus).map { "idle\($0)" }
        mms = ["init_mm", "mm0"] + (1..<max(bounds.mms, 1)).map { "mmslot\($0)" }
    }

    /// Names whatever a step created (a task or mm slot that went from unused to in use).
    mutating func update(before: KernelState, after: KernelState) {
        for t in 0..<slotTasks where before.tasks[t].status == .unused && after.tasks[t].status != .unused {
            tasks[t] = "t\(nextTask)"
            nextTask += 1
        }
        for k in 1..<after.mms.count where !before.mms[k].live && after.mms[k].live {
            mms[k] = "mm\(nextMM)"
            nextMM += 1
        }
    }

    /// Names the child of a failed clone: its slot is taken and cleared within the step, so
    /// `update` never sees it in use.
    mutating func nameFailedChild(_ id: Int32) {
        guard Int(id) < slotTasks else { return }
        tasks[Int(id)] = "t\(nextTask)"
        nextTask += 1
    }

    /// Names what `entry`'s step created (and a failed clone's child); returns the names
    /// as they were before it, and that child, for the step's change lines.
    mutating func advance(over entry: Replay.Entry) -> (before: TraceNames, failedChild: Int32?) {
        let before = self
        update(before: entry.before, after: entry.after)
        let failedChild: Int32? = entry.step.kind == .cloneFail ? entry.step.child : nil
        if let child = failedChild, Int(child) < entry.after.tasks.count,
            entry.after.tasks[Int(child)].status == .unused
        {
            nameFailedChild(child)
        }
        return (before, failedChild)
    }

    func task(_ id: Int32) -> String { tasks.indices.contains(Int(id)) ? tasks[Int(id)] : "task\(id)" }

    func mm(_ ref: Int32) -> String {
        if ref == Ref.none { return "none" }
        let k = Int(ref) - 1
        return mms.indices.contains(k) ? mms[k] : "mm?\(ref)"
    }
}
