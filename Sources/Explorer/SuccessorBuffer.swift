/// A reusable buffer of successor states written by a `TransitionSystem`.
///
/// The system asks for the next slot with `nextState()` (or `nextStateToOverwrite()`),
/// fills in the words, then calls `commit(label:violation:)`. Storage grows by doubling and
/// is kept across `reset()`, so a search allocates only while the buffer warms up. These
/// three are `@inlinable`: a system in another module calls them once per successor.
///
/// `@exclusivity(unchecked)`: every field is touched once per successor, by one writer (the
/// system) then one reader (the search), never at the same time.
public final class SuccessorBuffer {
    /// Marks a step that violated nothing.
    public static let noViolation: Int32 = -1

    @usableFromInline let stateWords: Int
    /// The successors committed (`count`).
    @exclusivity(unchecked) @usableFromInline var committed = 0
    @exclusivity(unchecked) @usableFromInline var capacity: Int
    @exclusivity(unchecked) @usableFromInline var words: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) @usableFromInline var labels: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) @usableFromInline var outcomes: UnsafeMutablePointer<Int32>
    /// Scratch for a store looking the successors up: one hash per successor (for one
    /// found stored already, its number or `unknownNumber`).
    @exclusivity(unchecked) private(set) var hashes: UnsafeMutablePointer<UInt64>
    /// Scratch for `inLookupPipeline`: the successors it looks up.
    @exclusivity(unchecked) private(set) var lookups: UnsafeMutablePointer<Int32>

    public init(stateWords: Int, capacity: Int = 64) {
        self.stateWords = stateWords
        self.capacity = max(capacity, 1)
        words = .allocate(capacity: self.capacity * stateWords)
        labels = .allocate(capacity: self.capacity)
        outcomes = .allocate(capacity: self.capacity)
        hashes = .allocate(capacity: self.capacity)
        lookups = .allocate(capacity: self.capacity)
    }

    deinit {
        words.deallocate()
        labels.deallocate()
        outcomes.deallocate()
        hashes.deallocate()
        lookups.deallocate()
    }

    /// The successors in the buffer.
    public var count: Int {
        @inline(__always) get { committed }
    }

    /// Forgets the contents, keeps the storage.
    @inline(__always)
    public func reset() { committed = 0 }

    /// The zeroed words of the next successor; it becomes part of the buffer on `commit`.
    @inlinable @inline(__always)
    public func nextState() -> UnsafeMutablePointer<UInt64> {
        let p = nextStateToOverwrite()
        for w in 0..<stateWords { p[w] = 0 }
        return p
    }

    /// The words of the next successor as they happen to be: the caller writes every one.
    @inlinable @inline(__always)
    public func nextStateToOverwrite() -> UnsafeMutablePointer<UInt64> {
        if committed == capacity { grow() }
        return words + committed &* stateWords
    }

    /// Keeps the successor written into `nextState()`.
    @inlinable @inline(__always)
    public func commit(label: UInt32, violation: Int32 = SuccessorBuffer.noViolation) {
        assert(committed < capacity, "commit without nextState()")
        labels[committed] = label
        outcomes[committed] = violation
        committed += 1
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

    /// What a store that does not know a stored successor's number leaves in `hashes`
    /// when it marks it (`markStored`; the others leave its number there).
    static let unknownNumber = UInt64.max

    /// Marks successor `i`, which violates nothing, as stored already.
    @inline(__always)
    func markAlreadyStored(_ i: Int) {
        assert(i >= 0 && i < count && outcomes[i] == SuccessorBuffer.noViolation, "not a plain successor")
        outcomes[i] = SuccessorBuffer.alreadyStored
    }

    /// Flags successor `i`, which violated nothing in its step, as violating property `v`
    /// (a state property checked apart: `TransitionSystem.stateViolation`).
    @inline(__always)
    func setViolation(_ i: Int, _ v: Int32) {
        assert(i >= 0 && i < count && outcomes[i] == SuccessorBuffer.noViolation && v >= 0, "not a plain successor")
        outcomes[i] = v
    }

    @usableFromInline func grow() {
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
        lookups.deallocate()
        lookups = .allocate(capacity: newCapacity)
        capacity = newCapacity
    }
}
