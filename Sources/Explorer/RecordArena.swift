#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fixed-width records (a packed state's bytes, or a 32-bit link) numbered in the order
/// they were appended, held in chunks.
///
/// Chunks never move: the arena grows by one chunk at a time (a growth never needs the old
/// and a new block at once), and a breadth-first queue that no longer needs its oldest
/// records can give whole chunks back (`release(below:)`). The first chunks double in
/// size, from 2^firstShift records, so that a small search holds little; then every chunk
/// holds `steadyRecords`, as many records as fit in 4 MiB (two huge pages, nearly filled
/// whatever the record size), so at most one such chunk is slack. Every chunk is asked of
/// the `MemoryBudget` first.
///
/// Record i lives in chunk 0 when i < 2^firstShift; in ramp chunk j (1 ≤ j < `rampChunks`)
/// when i lies in [2^(firstShift+j-1), 2^(firstShift+j)); past `rampRecords` (the largest
/// power of two not above steadyRecords), in chunk rampChunks + (i - rampRecords) /
/// steadyRecords, the division done as a multiplication by a precomputed reciprocal.
///
/// The table of chunk addresses is made once, large enough for every chunk 2^32 records
/// need, and left to the system to back with memory as it fills (it is counted as its used
/// entries), so that it never moves: other threads may read records appended before they
/// started (`sharedRecord`) while this one appends more.
///
/// `@exclusivity(unchecked)`: the fields are touched once per record by the one thread
/// that appends; other threads read only the chunk table's entries of records they were
/// given.
final class RecordArena {
    /// Bytes per record.
    let recordBytes: Int
    /// log2 of the first chunk's records.
    static let firstShift = 8
    /// Bytes a steady chunk may take: two huge pages.
    static let steadyBytes = 2 * LargeBlock.hugePage
    /// Records of a steady chunk.
    let steadyRecords: Int
    /// Records in the doubling chunks before the steady ones (a power of two).
    let rampRecords: Int
    /// Chunks before the steady ones (the first and the doubling ones).
    private let rampChunks: Int
    /// ⌈2^64 / steadyRecords⌉: the high word of x times it is x / steadyRecords for any
    /// x < 2^32 (the error x·δ/2^64 < 2^-32 stays below 1/steadyRecords).
    private let reciprocal: UInt64

    private let budget: MemoryBudget
    /// The chunks, each nil once released (or not yet made), `chunkSlots` of them.
    private let chunks: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let chunkSlots: Int
    @exclusivity(unchecked) private var chunkCount = 0
    /// Chunks below this one have been released.
    @exclusivity(unchecked) private var firstHeld = 0
    /// Bytes of the chunks held.
    @exclusivity(unchecked) private var heldBytes = 0
    /// Records appended so far (released ones included).
    @exclusivity(unchecked) private(set) var count = 0
    /// With `preparesAhead`, the next steady chunk is made when the one being filled is
    /// three quarters full (at record `spareAt`), and handed to a `Populator` to be faulted
    /// in before it is first written: held (and counted) only for that last quarter.
    @exclusivity(unchecked) var preparesAhead = false
    @exclusivity(unchecked) private var spareAt = Int.max
    @exclusivity(unchecked) private var spare: UnsafeMutableRawPointer?
    private var populator: Populator?

    init(recordBytes: Int, budget: MemoryBudget) {
        precondition(recordBytes > 0)
        self.recordBytes = recordBytes
        self.budget = budget
        steadyRecords = max(1 << RecordArena.firstShift, RecordArena.steadyBytes / recordBytes)
        var shift = RecordArena.firstShift
        while 2 << shift <= steadyRecords { shift += 1 }
        rampRecords = 1 << shift
        rampChunks = shift - RecordArena.firstShift + 1
        reciprocal = UInt64.max / UInt64(steadyRecords) + 1
        // Enough for records 0..<2^32: the ramp, then steady chunks.
        chunkSlots = rampChunks + ((1 << 32) - rampRecords + steadyRecords - 1) / steadyRecords
        // Zero-filled (all nil) by calloc, whose large blocks the system backs page by page
        // as they are first written.
        guard let table = calloc(chunkSlots, MemoryLayout<UnsafeMutableRawPointer?>.stride) else {
            fatalError("mmcheck: cannot allocate a chunk table")
        }
        chunks = table.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: chunkSlots)
    }

    deinit {
        populator?.close()
        if let spare { LargeBlock.free(spare, steadyRecords * recordBytes) }
        for c in firstHeld..<chunkCount { LargeBlock.free(chunks[c].unsafelyUnwrapped, chunkBytes(c)) }
        free(chunks)
        budget.release(bytesAllocated)
    }

    /// The first record of chunk c.
    private func chunkStart(_ c: Int) -> Int {
        if c == 0 { return 0 }
        if c < rampChunks { return 1 << (RecordArena.firstShift + c - 1) }
        return rampRecords + (c - rampChunks) * steadyRecords
    }

    /// Records in chunk c.
    private func chunkRecords(_ c: Int) -> Int {
        c == 0 ? 1 << RecordArena.firstShift : c < rampChunks ? 1 << (RecordArena.firstShift + c - 1) : steadyRecords
    }

    private func chunkBytes(_ c: Int) -> Int { chunkRecords(c) * recordBytes }

    /// Bytes held: the chunks not released, and the chunk table's used entries.
    var bytesAllocated: Int { heldBytes + chunkCount * MemoryLayout<UnsafeMutableRawPointer?>.stride }

    /// Record `i` (appended, not released).
    @inline(__always)
    func record(_ i: Int) -> UnsafeMutableRawPointer {
        assert(i >= 0 && i < count, "record index out of range")
        return sharedRecord(i)
    }

    /// Record `i`, read by a thread other than the one that appends, which may be
    /// appending meanwhile: `i` must have been appended before the reader was handed it,
    /// and not released (`count`, which the appender changes, is not read).
    @inline(__always)
    func sharedRecord(_ i: Int) -> UnsafeMutableRawPointer {
        assert(i >= 0, "record index out of range")
        let c: Int, offset: Int
        if i >= rampRecords {
            let x = UInt64(truncatingIfNeeded: i &- rampRecords)
            let j = Int(truncatingIfNeeded: x.multipliedFullWidth(by: reciprocal).high)
            assert(j == Int(x) / steadyRecords, "the reciprocal division is off")
            c = rampChunks &+ j
            offset = Int(truncatingIfNeeded: x) &- j &* steadyRecords
        } else if i < 1 << RecordArena.firstShift {
            c = 0
            offset = i
        } else {
            let log = Int.bitWidth &- 1 &- i.leadingZeroBitCount
            c = log &- RecordArena.firstShift &+ 1
            offset = i &- (1 &<< log)
        }
        let chunk = chunks[c]
        assert(chunk != nil, "record \(i) was released")
        return chunk.unsafelyUnwrapped + offset &* recordBytes
    }

    /// A new record at index `count` (its bytes undefined), or nil when there is no room
    /// for another chunk.
    @inline(__always)
    func append() -> UnsafeMutableRawPointer? {
        if count == chunkStart(chunkCount) {
            guard addChunk() else { return nil }
        }
        if count == spareAt { makeSpare() }
        count += 1
        return record(count - 1)
    }

    /// Forgets the last record appended (its chunk is kept for the next one).
    func removeLast() {
        assert(count > 0 && count > chunkStart(firstHeld))
        count -= 1
    }

    /// Gives back every chunk whose records all lie below `index`; they must not be read again.
    func release(below index: Int) {
        var c = firstHeld
        while c < chunkCount && chunkStart(c) + chunkRecords(c) <= index {
            LargeBlock.free(chunks[c].unsafelyUnwrapped, chunkBytes(c))
            chunks[c] = nil
            budget.release(chunkBytes(c))
            heldBytes -= chunkBytes(c)
            c += 1
        }
        firstHeld = c
        // Every record goes: the spare would have held later ones.
        if index >= count { releaseSpare() }
    }

    /// Gives back the next chunk made ahead, if there is one: no record will be appended
    /// (if one is, its chunk is made then).
    func releaseSpare() {
        guard let spare else { return }
        let bytes = steadyRecords * recordBytes
        LargeBlock.free(spare, bytes)
        budget.release(bytes)
        heldBytes -= bytes
        self.spare = nil
        spareAt = Int.max
    }

    private func addChunk() -> Bool {
        precondition(chunkCount < chunkSlots, "an arena holds fewer than 2^32 records")
        // The chunk, and its entry in the chunk table.
        let bytes = chunkBytes(chunkCount)
        let entry = MemoryLayout<UnsafeMutableRawPointer?>.stride
        if let spare, chunkCount >= rampChunks {
            // The spare, made for this chunk and charged already.
            guard budget.reserve(entry) else { return false }
            chunks[chunkCount] = spare
            self.spare = nil
        } else {
            guard budget.reserve(bytes + entry) else { return false }
            guard let chunk = LargeBlock.allocate(bytes) else {
                budget.release(bytes + entry)
                return false
            }
            chunks[chunkCount] = chunk
            heldBytes += bytes
        }
        chunkCount += 1
        if preparesAhead && chunkCount >= rampChunks {
            spareAt = chunkStart(chunkCount - 1) + chunkRecords(chunkCount - 1) / 4 * 3
        }
        return true
    }

    /// Makes the spare, if the budget and the system allow (if not, the next chunk is
    /// made when it is needed, as without `preparesAhead`).
    private func makeSpare() {
        spareAt = Int.max
        let bytes = steadyRecords * recordBytes
        guard spare == nil, budget.reserve(bytes) else { return }
        guard let block = LargeBlock.allocate(bytes) else {
            budget.release(bytes)
            return
        }
        spare = block
        heldBytes += bytes
        if populator == nil { populator = Populator() }
        populator?.populate(block, bytes: bytes)
    }
}

/// A packed state's leading `bytes` bytes (the rest of its words are zero), copied and
/// compared a word at a time: a record of 8 bytes or more is read as whole words, its last
/// (partial) word as the 8 bytes that end it, so nothing past the record is read.
enum PackedBytes {
    /// Copies the record at `record` into the `words` words at `out`, zero-filled.
    @inline(__always)
    static func load(_ record: UnsafeRawPointer, bytes: Int, into out: UnsafeMutablePointer<UInt64>, words: Int) {
        assert(bytes > 0 && bytes <= words * 8)
        let full = bytes &>> 3, tail = bytes & 7
        for w in 0..<full { out[w] = record.loadUnaligned(fromByteOffset: w &<< 3, as: UInt64.self) }
        var next = full
        if tail > 0 {
            if bytes >= 8 {
                let last = record.loadUnaligned(fromByteOffset: bytes - 8, as: UInt64.self)
                out[full] = last &>> UInt64((8 - tail) &<< 3)
            } else {
                var v: UInt64 = 0
                for b in 0..<tail { v |= UInt64(record.load(fromByteOffset: b, as: UInt8.self)) &<< UInt64(b &<< 3) }
                out[0] = v
            }
            next += 1
        }
        for w in next..<words { out[w] = 0 }
    }

    /// Whether the record at `record` holds the first `bytes` bytes of `s`.
    @inline(__always)
    static func equal(_ record: UnsafeRawPointer, _ s: UnsafePointer<UInt64>, bytes: Int) -> Bool {
        let raw = UnsafeRawPointer(s)
        guard bytes >= 8 else { return memcmp(record, raw, bytes) == 0 }
        var o = 0
        while o &+ 8 <= bytes {
            if record.loadUnaligned(fromByteOffset: o, as: UInt64.self) != raw.load(fromByteOffset: o, as: UInt64.self)
            {
                return false
            }
            o &+= 8
        }
        return o == bytes
            || record.loadUnaligned(fromByteOffset: bytes - 8, as: UInt64.self)
                == raw.loadUnaligned(fromByteOffset: bytes - 8, as: UInt64.self)
    }
}
