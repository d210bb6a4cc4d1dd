#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The memory of the search's big blocks (index and fingerprint tables, arena chunks):
/// zero-filled, and from 2 MiB up mapped on a 2 MiB boundary and advised to use
/// transparent huge pages (Linux), since every lookup lands at a random place in them and
/// a 4 KiB page per lookup would miss the TLB as well as the cache. Smaller blocks come
/// from `calloc`. A block is given back with the size it was asked for.
enum LargeBlock {
    static let hugePage = 2 << 20
    private static let page = 4096

    /// `bytes` zeroed bytes, or nil when the system has none.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        precondition(bytes > 0)
        guard bytes >= hugePage else { return calloc(bytes, 1) }
        let length = roundUp(bytes, page)
        let total = length + hugePage
        guard let start = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            start != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        let base = Int(bitPattern: start)
        let aligned = roundUp(base, hugePage)
        // Keep [aligned, aligned + length): give back the unaligned head and the tail.
        if aligned > base { munmap(start, aligned - base) }
        let tail = base + total - (aligned + length)
        if tail > 0, let end = UnsafeMutableRawPointer(bitPattern: aligned + length) { munmap(end, tail) }
        guard let block = UnsafeMutableRawPointer(bitPattern: aligned) else { return nil }
        #if os(Linux)
            _ = madvise(block, length, MADV_HUGEPAGE)
        #endif
        return block
    }

    /// Gives back a block `allocate(bytes)` returned.
    static func free(_ block: UnsafeMutableRawPointer, _ bytes: Int) {
        if bytes >= hugePage {
            munmap(block, roundUp(bytes, page))
        } else {
            #if canImport(Glibc)
                Glibc.free(block)
            #else
                Darwin.free(block)
            #endif
        }
    }

    private static func roundUp(_ n: Int, _ to: Int) -> Int { (n + to - 1) / to * to }
}
