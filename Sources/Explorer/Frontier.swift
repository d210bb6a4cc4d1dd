/// What a store that forgets expanded states (`FingerprintStore`, `CompressedStore`) keeps
/// of the states still to be expanded: their packed bytes in a `RecordArena`, numbered in
/// the order added and given back chunk by chunk once expanded, and, with `numbers`
/// (partial-order reduction), the last two levels' numbers by key (`LevelNumbers`).
final class Frontier {
    let stateWords: Int
    let stateBytes: Int
    private let queue: RecordArena
    private let numbers: LevelNumbers?

    init(stateWords: Int, stateBytes: Int, numbers: Bool, budget: MemoryBudget) {
        self.stateWords = stateWords
        self.stateBytes = stateBytes
        queue = RecordArena(recordBytes: stateBytes, budget: budget)
        self.numbers = numbers ? LevelNumbers(budget: budget) : nil
    }

    /// States added so far (given back ones included).
    var count: Int { queue.count }
    var bytesAllocated: Int { queue.bytesAllocated + (numbers?.bytesAllocated ?? 0) }

    func levelBegins() { numbers?.levelBegins() }

    /// Adds new state `s`, whose key (nonzero) the store has just added: its number, or
    /// `StateStore.full` when there is no room.
    @inline(__always)
    func add(_ s: UnsafePointer<UInt64>, key: UInt64) -> Int {
        // Numbers stay below 2^32, as in the exact store (the arena's chunk arithmetic).
        guard queue.count < StateStore.maximumCount, let record = queue.append() else { return StateStore.full }
        record.copyMemory(from: UnsafeRawPointer(s), byteCount: stateBytes)
        if let numbers, !numbers.added(key, number: queue.count - 1) { return StateStore.full }
        return queue.count - 1
    }

    /// The number of the state with `key`, seen before: known when the proviso needs it
    /// (the last two levels), else `Int.max`.
    @inline(__always)
    func number(_ key: UInt64) -> Int { numbers?.number(key) ?? Int.max }

    /// `number` as `markStored` leaves it in a buffer's `hashes`.
    @inline(__always)
    func storedNumber(_ key: UInt64) -> UInt64 {
        numbers?.number(key).map { UInt64($0) } ?? SuccessorBuffer.unknownNumber
    }

    @inline(__always)
    func load(_ i: Int, into out: UnsafeMutablePointer<UInt64>) {
        PackedBytes.load(queue.record(i), bytes: stateBytes, into: out, words: stateWords)
    }

    @inline(__always)
    func loadShared(_ i: Int, into out: UnsafeMutablePointer<UInt64>) {
        PackedBytes.load(queue.sharedRecord(i), bytes: stateBytes, into: out, words: stateWords)
    }

    func expanded(below i: Int) { queue.release(below: i) }

    /// Gives everything back (the search is over).
    func clear() {
        queue.release(below: Int.max)
        numbers?.clear()
    }
}
