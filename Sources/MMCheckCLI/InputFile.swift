#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading the files a command is given: models, traces, suites, baselines.
///
/// Read with `open`/`read`, so devices and FIFOs read as the files they are (`/dev/null` is
/// an empty file, not an unreadable one); a file larger than `maximumBytes` is refused
/// rather than read into memory (`/dev/zero` as a model ends with an error, not a hang).
enum InputFile {
    /// Larger inputs are refused: the largest shipped model is a few KB.
    static let maximumBytes = 16 << 20

    /// One line saying why a file cannot be read.
    struct Failure: Error {
        var message: String
        /// The file does not exist (a caller may say more, e.g. that no file was named).
        var missing = false
    }

    /// The file's bytes as UTF-8 text. `what` names it in errors ("model file").
    static func readText(_ path: String, what: String) throws(Failure) -> String {
        func fail(_ reason: String) -> Failure {
            Failure(message: "mmcheck: error: cannot read \(what) '\(path)': \(reason)")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            guard errno == ENOENT else { throw fail(describe(errno)) }
            var failure = fail("no such file")
            failure.missing = true
            throw failure
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw fail("it is a directory") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail(describe(errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(describe(errno))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > maximumBytes { throw fail("it is larger than \(maximumBytes >> 20) MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Failure(message: "mmcheck: error: \(what) '\(path)' is not UTF-8 text")
        }
        return text
    }

    /// The system's description of an `errno` value.
    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        let s = String(cString: text)
        return s.prefix(1).lowercased() + s.dropFirst()
    }
}
