import Foundation
import Testing

@testable import Explorer

#if canImport(Glibc)
    import Glibc
#endif

/// Memory made before it is needed and faulted in by a thread of its own (`Populator`,
/// `RecordArena.preparesAhead`).
@Suite struct PopulatorTests {
    /// With `preparesAhead`, the chunk after each one that is followed by a steady chunk is
    /// made when that one is three quarters full, held and charged from then on, and is
    /// the next chunk: no new block when the records reach it, and they read back alike.
    @Test func theNextChunkIsMadeAtThreeQuartersAndTakenNext() {
        let budget = MemoryBudget(limit: Int.max)
        let arena = RecordArena(recordBytes: 16, budget: budget)
        arena.preparesAhead = true
        // 16-byte records: 262,144 of them fill the ramp (its last chunk holds the second
        // half, from 131,072) and each 4 MiB steady chunk.
        let ramp = arena.rampRecords, steady = arena.steadyRecords
        #expect(ramp == 1 << 18 && steady == 1 << 18)
        let entry = MemoryLayout<UnsafeMutableRawPointer?>.stride
        func fill(to n: Int) {
            while arena.count < n {
                let i = arena.count
                arena.append()?.storeBytes(of: UInt64(i), as: UInt64.self)
            }
        }
        let rampChunks = 11, spareBytes = steady * 16
        fill(to: ramp / 2 + ramp / 8 * 3)
        #expect(arena.bytesAllocated == ramp * 16 + rampChunks * entry)
        fill(to: ramp / 2 + ramp / 8 * 3 + 1)
        #expect(arena.bytesAllocated == ramp * 16 + spareBytes + rampChunks * entry)
        fill(to: ramp + 1)
        #expect(arena.bytesAllocated == ramp * 16 + spareBytes + (rampChunks + 1) * entry)
        fill(to: ramp + steady / 4 * 3)
        #expect(arena.bytesAllocated == ramp * 16 + spareBytes + (rampChunks + 1) * entry)
        fill(to: ramp + steady / 4 * 3 + 1)
        #expect(arena.bytesAllocated == ramp * 16 + 2 * spareBytes + (rampChunks + 1) * entry)
        #expect(budget.used == arena.bytesAllocated)
        // Given back when no more records are expected; made on demand if one comes.
        arena.releaseSpare()
        #expect(arena.bytesAllocated == ramp * 16 + spareBytes + (rampChunks + 1) * entry)
        fill(to: ramp + steady + 1)
        #expect(arena.bytesAllocated == ramp * 16 + 2 * spareBytes + (rampChunks + 2) * entry)
        #expect(budget.used == arena.bytesAllocated)
        #expect((0..<arena.count).allSatisfy { arena.record($0).load(as: UInt64.self) == UInt64($0) })
        // Every record given back: the spare goes too.
        fill(to: ramp + steady + steady / 4 * 3 + 1)
        #expect(arena.bytesAllocated == ramp * 16 + 3 * spareBytes + (rampChunks + 2) * entry)
        arena.release(below: Int.max)
        #expect(arena.bytesAllocated == (rampChunks + 2) * entry)
        #expect(budget.used == arena.bytesAllocated)
    }

    /// A block handed over is faulted in by the populating thread: `mincore` finds every
    /// page of it resident, where none was before.
    @Test func aBlockHandedOverIsFaultedIn() throws {
        let bytes = 4 << 20, page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let block = try #require(LargeBlock.allocate(bytes))
        defer { LargeBlock.free(block, bytes) }
        var resident = [UInt8](repeating: 0, count: bytes / page)
        func residentPages() -> Int {
            _ = mincore(block, bytes, &resident)
            return resident.filter { $0 & 1 != 0 }.count
        }
        #expect(residentPages() == 0)
        let populator = Populator()
        populator.populate(block, bytes: bytes)
        let deadline = Date().addingTimeInterval(20)
        while residentPages() < bytes / page && Date() < deadline { usleep(1_000) }
        #expect(residentPages() == bytes / page)
        populator.close()
    }
}
