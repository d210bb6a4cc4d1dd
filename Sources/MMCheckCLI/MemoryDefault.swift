import Explorer

/// The search's memory limit when `--memory` is not given: three quarters of the memory the
/// process may use (physical memory, or a control group's limit when lower), and never more
/// than three quarters of the address space left under a limit in force (`ulimit -v`), so
/// that the search stops with its statistics before an allocation could fail. What is left
/// is counted after the stacks of the threads the search will start (each takes its stack
/// size of address space), and of two more that the thread pool may add (its manager, and
/// one it starts when the machine is busy).
enum MemoryDefault {
    struct Choice {
        var bytes: Int
        /// Where the number comes from, for the report.
        var source: String
    }

    static func choose(threads: Int = CheckOptions.defaultThreads) -> Choice {
        var choice = Choice(
            bytes: (ResourceUsage.physicalMemory() ?? 8 << 30) / 4 * 3, source: "3/4 of physical memory")
        if let group = ResourceUsage.controlGroupLimit(), group / 4 * 3 < choice.bytes {
            choice = Choice(bytes: group / 4 * 3, source: "3/4 of the control group's memory.max")
        }
        if let space = ResourceUsage.addressSpaceLimit() {
            let stacks = (threads + 2) * (ResourceUsage.threadStackBytes() ?? 8 << 20)
            let left = max(space - (ResourceUsage.virtualBytes() ?? 0) - stacks, 0) / 4 * 3
            if left < choice.bytes {
                choice = Choice(
                    bytes: max(left, CheckOptions.memoryRange.lowerBound),
                    source: "3/4 of the address space left under ulimit -v")
            }
        }
        return choice
    }
}
