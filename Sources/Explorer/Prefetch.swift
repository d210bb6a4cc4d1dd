/// LLVM's `llvm.prefetch` intrinsic (the toolchain's LLVM turns the call into one
/// prefetch instruction, `prefetcht0` on x86-64): a hint that never faults and changes
/// no value, so any address may be given.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)

/// Asks for memory to be brought into the cache ahead of its use, without waiting: a
/// lookup of a random place in a large table costs a cache miss, and prefetching the
/// places of several lookups before making them overlaps their misses.
enum Prefetch {
    /// Prefetches the cache line at `address` for reading, into every cache level.
    @inline(__always)
    static func read(_ address: UnsafeRawPointer) { llvmPrefetch(address, 0, 3, 1) }
}
