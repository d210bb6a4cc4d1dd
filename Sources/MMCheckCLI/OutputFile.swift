#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writing a file the user named (`--trace-out`, the suite's results): in place, through
/// the path, never by writing a temporary file and renaming it over the target. A device
/// stays a device, a symlink stays a symlink (its target is written), a FIFO is written
/// to. An input of the same run is never a target.
enum OutputFile {
    /// One line saying why the file cannot be written.
    struct Failure: Error {
        var message: String
    }

    /// Checks, before any work, that `path` can be written and is none of `inputs` (the
    /// files the run reads): an existing file must be writable and not a directory; a new
    /// one needs a writable folder. Writes nothing.
    static func checkWritable(_ path: String, what: String, inputs: [String]) throws(Failure) {
        func fail(_ reason: String) -> Failure {
            Failure(message: "mmcheck: error: cannot write \(what) '\(path)': \(reason)")
        }
        guard !path.isEmpty else { throw Failure(message: "mmcheck: error: the \(what) needs a file name") }
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw fail("it is a directory") }
            for input in inputs {
                var other = stat()
                if stat(input, &other) == 0, other.st_dev == info.st_dev, other.st_ino == info.st_ino {
                    throw fail("it is '\(input)', an input of this run, which is never overwritten")
                }
            }
            guard access(path, W_OK) == 0 else { throw fail(InputFile.describe(errno)) }
            return
        }
        guard errno == ENOENT else { throw fail(InputFile.describe(errno)) }
        let folder = directory(of: path)
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, (folderInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw fail("no folder '\(folder)'")
        }
        guard access(folder, W_OK | X_OK) == 0 else { throw fail("folder '\(folder)': \(InputFile.describe(errno))") }
    }

    /// Writes `text` to `path` in place (created if missing, truncated if not).
    static func write(_ text: String, to path: String, what: String) throws(Failure) {
        func fail(_ code: Int32) -> Failure {
            Failure(message: "mmcheck: error: cannot write \(what) '\(path)': \(InputFile.describe(code))")
        }
        // A directory is refused by open(2) itself (EISDIR).
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail(errno) }
        var bytes = Array(text.utf8)
        var done = 0
        var failure: Int32?
        bytes.withUnsafeMutableBytes { buffer in
            while done < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if close(fd) != 0, failure == nil, errno != EINTR { failure = errno }
        if let failure { throw fail(failure) }
    }

    private static func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
            Glibc.write(fd, bytes, count)
        #else
            Darwin.write(fd, bytes, count)
        #endif
    }

    /// The folder part of a path (`.` for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }
}
