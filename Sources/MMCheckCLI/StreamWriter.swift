import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes text to a file descriptor with `write(2)`, remembering the first failure (a full
/// disk, a closed descriptor) instead of trapping; after a failure it writes nothing more.
final class StreamWriter: Sendable {
    let descriptor: Int32
    private let error = Atomic<Int32>(0)

    /// A writer to `descriptor`; `closed`: the descriptor was closed when the process
    /// started (see `reserveClosedStandardDescriptors`), so every write fails with EBADF.
    init(descriptor: Int32, closed: Bool = false) {
        self.descriptor = descriptor
        if closed { error.store(EBADF, ordering: .relaxed) }
    }

    /// Opens /dev/null on each of descriptors 0, 1 and 2 that is closed, so that no file
    /// the process opens later (the thread pool's, a model file) takes its number and
    /// receives output meant for a terminal; returns the ones that were closed.
    static func reserveClosedStandardDescriptors() -> Set<Int32> {
        var closed: Set<Int32> = []
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            // open(2) returns the lowest free number: this one, as the lower ones are open.
            let got = open("/dev/null", O_RDWR)
            if got == fd { closed.insert(fd) } else if got >= 0 { close(got) }
        }
        return closed
    }

    /// The `errno` of the first failed write, if any.
    var failure: Int32? {
        let e = error.load(ordering: .relaxed)
        return e == 0 ? nil : e
    }

    func write(_ text: String) {
        guard failure == nil else { return }
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                #if canImport(Glibc)
                    let n = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                #else
                    let n = Darwin.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                #endif
                if n < 0 {
                    if errno == EINTR { continue }
                    error.store(errno, ordering: .relaxed)
                    return
                }
                done += n
            }
        }
    }
}
