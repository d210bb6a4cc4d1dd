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

    init(descriptor: Int32) { self.descriptor = descriptor }

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
