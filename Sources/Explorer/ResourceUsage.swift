#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Process-level measurements for run summaries.
public enum ResourceUsage {
    /// Peak resident set size of this process in bytes, if the platform reports it. On
    /// Linux it is the high-water mark of the process's own address space (`VmHWM`): the
    /// rusage maximum survives `execve`, so under `swift run` it would report the build
    /// tool's peak instead.
    public static func peakResidentBytes() -> Int? {
        #if os(Linux)
            if let own = residentHighWaterBytes() { return own }
        #endif
        return rusagePeak()
    }

    private static func rusagePeak() -> Int? {
        var usage = rusage()
        #if canImport(Glibc)
            let who = RUSAGE_SELF.rawValue
        #else
            let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return nil }
        #if canImport(Darwin)
            return Int(usage.ru_maxrss)
        #else
            return Int(usage.ru_maxrss) * 1024
        #endif
    }

    /// Starts a new peak: the resident set's high-water mark is set to what is resident now
    /// (Linux: `5` written to `/proc/self/clear_refs`). False where that is not possible.
    public static func resetPeakResident() -> Bool {
        #if os(Linux)
            let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return write(fd, "5", 1) == 1
        #else
            return false
        #endif
    }

    /// The resident set's high-water mark since the process started or the last
    /// `resetPeakResident()`, in bytes (Linux: `VmHWM` in `/proc/self/status`).
    public static func residentHighWaterBytes() -> Int? {
        #if os(Linux)
            let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
            let digits = line.dropFirst(6).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        #else
            return rusagePeak()
        #endif
    }

    /// The address space a new thread's stack takes: the stack size limit (`ulimit -s`),
    /// which is what a thread gets by default; nil when it is unlimited or unknown.
    public static func threadStackBytes() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            let resource = __rlimit_resource_t(RLIMIT_STACK.rawValue)
        #else
            let resource = RLIMIT_STACK
        #endif
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < UInt64(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }

    /// Physical memory of the machine in bytes, if the platform reports it.
    public static func physicalMemory() -> Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return pages.multipliedReportingOverflow(by: size).overflow ? nil : pages * size
    }

    /// The address-space limit in force (`ulimit -v`), in bytes, if there is one.
    public static func addressSpaceLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            let resource = __rlimit_resource_t(RLIMIT_AS.rawValue)
        #else
            let resource = RLIMIT_AS
        #endif
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < UInt64(Int.max) else {
            return nil
        }
        return Int(limit.rlim_cur)
    }

    /// The process's address space in use now (virtual size), in bytes, where `/proc` says.
    public static func virtualBytes() -> Int? {
        // statm's first field: the virtual size in pages.
        leadingNumber(of: "/proc/self/statm").map { $0 * Int(sysconf(Int32(_SC_PAGESIZE))) }
    }

    /// The memory limit of the process's control group (cgroup v2 `memory.max`), if set
    /// ("max", no limit, reads as nil).
    public static func controlGroupLimit() -> Int? { leadingNumber(of: "/sys/fs/cgroup/memory.max") }

    /// The number a small system file starts with (Linux `/proc` and `/sys`), if it does.
    private static func leadingNumber(of path: String) -> Int? {
        #if os(Linux)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            var value = 0, digits = 0
            for byte in buffer[0..<n] {
                guard byte >= 48, byte <= 57 else { break }
                guard value < Int.max / 10 - 10 else { return nil }
                value = value * 10 + Int(byte - 48)
                digits += 1
            }
            return digits > 0 ? value : nil
        #else
            return nil
        #endif
    }

    /// Monotonic time in seconds.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
