#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fixed-width records (a packed state's bytes, or a 32-bit link) numbered in the order
/// they were appended, held in chunks of `chunkRecords` records.
///
/// Chunks are never moved or copied: the arena grows by one chunk at a time (so at most
/// one chunk is slack, and a growth never needs the old and a new block at once), and a
/// breadth-first queue that no longer needs its oldest records can give whole chunks back
/// (`release(below:)`). Every chunk is asked of the `MemoryBudget` first.
///
/// `@exclusivity(unchecked)`: the fields are touched once per record by the one thread
/// that appends; other threads only read records while no one appends.
final class RecordArena {
    /// Bytes per record.
    let recordBytes: Int
    /// Records per chunk: 2^chunkShift.
    static let chunkShift = 16
    static let chunkRecords = 1 << chunkShift

    private let budget: MemoryBudget
    /// Chunk i holds records i·chunkRecords ..< (i+1)·chunkRecords; nil once released.
    @exclusivity(unchecked) private var chunks: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    @exclusivity(unchecked) private var chunkSlots: Int
    @exclusivity(unchecked) private var chunkCount = 0
    /// Chunks below this one have been released.
    @exclusivity(unchecked) private var firstHeld = 0
    /// Records appended so far (released ones included).
    @exclusivity(unchecked) private(set) var count = 0

    init(recordBytes: Int, budget: MemoryBudget) {
        precondition(recordBytes > 0)
        self.recordBytes = recordBytes
        self.budget = budget
        chunkSlots = 64
        chunks = .allocate(capacity: chunkSlots)
        chunks.initialize(repeating: nil, count: chunkSlots)
        budget.charge(chunkSlots * MemoryLayout<UnsafeMutableRawPointer?>.stride)
    }

    deinit {
        for i in firstHeld..<chunkCount { free(chunks[i]) }
        chunks.deallocate()
        budget.release(bytesAllocated)
    }

    private var chunkBytes: Int { RecordArena.chunkRecords * recordBytes }

    /// Bytes held: the chunks not released, and the chunk table.
    var bytesAllocated: Int {
        (chunkCount - firstHeld) * chunkBytes + chunkSlots * MemoryLayout<UnsafeMutableRawPointer?>.stride
    }

    /// Record `i` (appended, not released).
    @inline(__always)
    func record(_ i: Int) -> UnsafeMutableRawPointer {
        assert(i >= 0 && i < count, "record index out of range")
        let chunk = chunks[i &>> RecordArena.chunkShift]
        assert(chunk != nil, "record \(i) was released")
        return chunk.unsafelyUnwrapped + (i & (RecordArena.chunkRecords - 1)) &* recordBytes
    }

    /// A new record at index `count` (its bytes undefined), or nil when there is no room
    /// for another chunk.
    @inline(__always)
    func append() -> UnsafeMutableRawPointer? {
        if count & (RecordArena.chunkRecords - 1) == 0 && count >> RecordArena.chunkShift == chunkCount {
            guard addChunk() else { return nil }
        }
        count += 1
        return record(count - 1)
    }

    /// Forgets the last record appended (its chunk is kept for the next one).
    func removeLast() {
        assert(count > 0 && count > firstHeld << RecordArena.chunkShift)
        count -= 1
    }

    /// Gives back every chunk whose records all lie below `index`; they must not be read again.
    func release(below index: Int) {
        let end = min(index >> RecordArena.chunkShift, chunkCount)
        guard end > firstHeld else { return }
        for i in firstHeld..<end {
            free(chunks[i])
            chunks[i] = nil
        }
        budget.release((end - firstHeld) * chunkBytes)
        firstHeld = end
    }

    private func addChunk() -> Bool {
        if chunkCount == chunkSlots {
            let slotBytes = MemoryLayout<UnsafeMutableRawPointer?>.stride
            guard budget.reserve(chunkSlots * slotBytes) else { return false }
            let grown = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: chunkSlots * 2)
            grown.moveInitialize(from: chunks, count: chunkSlots)
            (grown + chunkSlots).initialize(repeating: nil, count: chunkSlots)
            chunks.deallocate()
            chunks = grown
            chunkSlots *= 2
        }
        guard budget.reserve(chunkBytes) else { return false }
        guard let chunk = malloc(chunkBytes) else {
            budget.release(chunkBytes)
            return false
        }
        chunks[chunkCount] = chunk
        chunkCount += 1
        return true
    }
}
