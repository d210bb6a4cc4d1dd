/// A reusable buffer of successor states written by a `TransitionSystem`.
///
/// The system asks for the next slot with `nextState()`, fills in the words, then calls
/// `commit(label:violation:)`. Storage grows by doubling and is kept across `reset()`, so a
/// search allocates only while the buffer warms up.
///
/// `@exclusivity(unchecked)`: every field is touched once per successor, by one writer (the
/// system) then one reader (the search), never at the same time.
public final class SuccessorBuffer {
    /// Marks a step that violated nothing.
    public static let noViolation: Int32 = -1

    let stateWords: Int
    @exclusivity(unchecked) public private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var words: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var labels: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) private var outcomes: UnsafeMutablePointer<Int32>
    /// Scratch for a store looking the successors up: one hash per successor.
    @exclusivity(unchecked) private(set) var hashes: UnsafeMutablePointer<UInt64>

    public init(stateWords: Int, capacity: Int = 64) {
        self.stateWords = stateWords
        self.capacity = max(capacity, 1)
        words = .allocate(capacity: self.capacity * stateWords)
        labels = .allocate(capacity: self.capacity)
        outcomes = .allocate(capacity: self.capacity)
        hashes = .allocate(capacity: self.capacity)
    }

    deinit {
        words.deallocate()
        labels.deallocate()
        outcomes.deallocate()
        hashes.deallocate()
    }

    /// Forgets the contents, keeps the storage.
    @inline(__always)
    public func reset() { count = 0 }

    /// The zeroed words of the next successor; it becomes part of the buffer on `commit`.
    @inline(__always)
    public func nextState() -> UnsafeMutablePointer<UInt64> {
        if count == capacity { grow() }
        let p = words + count * stateWords
        p.update(repeating: 0, count: stateWords)
        return p
    }

    /// Keeps the successor written into `nextState()`.
    @inline(__always)
    public func commit(label: UInt32, violation: Int32 = SuccessorBuffer.noViolation) {
        assert(count < capacity, "commit without nextState()")
        labels[count] = label
        outcomes[count] = violation
        count += 1
    }

    @inline(__always)
    func state(_ i: Int) -> UnsafePointer<UInt64> {
        assert(i >= 0 && i < count, "successor index out of range")
        return UnsafePointer(words + i * stateWords)
    }
    /// The words of successor `i`, to be rewritten in place (by a symmetry).
    @inline(__always)
    func mutableState(_ i: Int) -> UnsafeMutablePointer<UInt64> {
        assert(i >= 0 && i < count, "successor index out of range")
        return words + i * stateWords
    }
    @inline(__always)
    public func label(_ i: Int) -> UInt32 {
        assert(i >= 0 && i < count, "successor index out of range")
        return labels[i]
    }
    /// The violated property's index, or `noViolation` (or `alreadyStored`).
    @inline(__always)
    func violation(_ i: Int) -> Int32 {
        assert(i >= 0 && i < count, "successor index out of range")
        return outcomes[i]
    }

    /// The outcome of a successor a parallel search's thread found stored already.
    static let alreadyStored: Int32 = -2

    /// Marks successor `i`, which violates nothing, as stored already.
    @inline(__always)
    func markAlreadyStored(_ i: Int) {
        assert(i >= 0 && i < count && outcomes[i] == SuccessorBuffer.noViolation, "not a plain successor")
        outcomes[i] = SuccessorBuffer.alreadyStored
    }

    private func grow() {
        let newCapacity = capacity * 2
        let w = UnsafeMutablePointer<UInt64>.allocate(capacity: newCapacity * stateWords)
        w.moveInitialize(from: words, count: capacity * stateWords)
        words.deallocate()
        words = w
        let l = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        l.moveInitialize(from: labels, count: capacity)
        labels.deallocate()
        labels = l
        let o = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        o.moveInitialize(from: outcomes, count: capacity)
        outcomes.deallocate()
        outcomes = o
        hashes.deallocate()
        hashes = .allocate(capacity: newCapacity)
        capacity = newCapacity
    }
}
