/// What a search keeps of the states it has seen: the set it looks successors up in, and
/// the states themselves numbered in the order first seen (the breadth-first queue).
///
/// `StateStore` keeps every state exactly; `FingerprintStore` keeps a 64-bit fingerprint
/// per state and only the states still to be expanded.
protocol VisitedStates: AnyObject {
    /// States seen so far.
    var count: Int { get }
    /// Bytes held.
    var bytesAllocated: Int { get }
    /// Adds `s` (with `link`, kept if the store keeps links) if it is new. Returns its
    /// number and true when new; false when seen before (the number then only if the store
    /// knows it, else `Int.max`); `StateStore.full` and false when it is new and there is
    /// no room for it.
    func insert(_ s: UnsafePointer<UInt64>, link: UInt32) -> (index: Int, inserted: Bool)
    /// `insert` of a state whose key (`key(_:)`) is known already.
    func insert(_ s: UnsafePointer<UInt64>, key: UInt64, link: UInt32) -> (index: Int, inserted: Bool)
    /// The value a lookup of `s` starts from (a hash of it); `markStored` leaves it in the
    /// buffer's `hashes` for each successor it looks up.
    func key(_ s: UnsafePointer<UInt64>) -> UInt64
    /// Whether `s` has been seen.
    func contains(_ s: UnsafePointer<UInt64>) -> Bool
    /// Copies state `i` into `out` (a state not yet given up by `expanded(below:)`).
    func load(_ i: Int, into out: UnsafeMutablePointer<UInt64>)
    /// `load`, on a thread other than the one that inserts, which may be inserting
    /// meanwhile: state `i` must have been stored before that thread was handed it.
    func loadShared(_ i: Int, into out: UnsafeMutablePointer<UInt64>)
    /// The parent link kept with state `i` (a store that keeps links).
    func link(_ i: Int) -> UInt32
    /// Marks every successor `from..<to` of `buffer` that violates nothing and is stored
    /// (`markAlreadyStored`). Looks them up in a pipeline (`inLookupPipeline`), so that
    /// the cache misses of successive lookups overlap instead of following one another.
    func markStored(in buffer: SuccessorBuffer, from: Int, to: Int)
    /// Gives back everything held (the store is empty and unusable afterwards).
    func discard()
    /// States numbered below `i` will not be loaded again: a store may forget them.
    func expanded(below i: Int)
    /// Breadth-first: the expansion of the next level (level 0 first) begins; the states
    /// stored since the last call are its states.
    func levelBegins()
    /// Several threads search: the thread that inserts shares a growth of the store with
    /// the threads that call `helpGrow` while it lasts, calling `wake` when it begins
    /// (nil: it grows the store alone).
    func shareGrowth(wake: (@Sendable () -> Void)?)
    /// On a thread other than the one that inserts, at a moment this thread reads nothing
    /// of the store: takes a part of a growth under way, if there is one.
    func helpGrow()
    /// The search stores no more states: the store gives back what it held for later ones.
    func storingEnds()
}

extension VisitedStates {
    func storingEnds() {}
    func shareGrowth(wake: (@Sendable () -> Void)?) {}
    func helpGrow() {}
}

extension StateStore: VisitedStates {
    func storingEnds() { releaseSpare() }
    func shareGrowth(wake: (@Sendable () -> Void)?) {
        sharesGrowth = wake != nil
        growthBegins = wake
    }
    func expanded(below i: Int) {}
    func levelBegins() {}
    func discard() { preconditionFailure("an exact store is kept to the end") }
}

/// How many successors ahead of its lookup each stage of a pipelined lookup runs: the
/// misses of that many lookups overlap, per stage.
let lookupDistance = 16

extension SuccessorBuffer {
    /// `markStored`'s loop: the successors `from..<to` that violate nothing go through
    /// three stages, each `lookupDistance` successors behind the one before, so that the
    /// memory a stage prefetches for a successor has arrived by the time the next stage
    /// reads it. `first` hashes a successor and prefetches its home slot, `second` reads
    /// the slot and prefetches what the lookup will compare against, `last` looks up.
    @inline(__always)
    func inLookupPipeline(from: Int, to: Int, first: (Int) -> Void, second: (Int) -> Void, last: (Int) -> Void) {
        let todo = lookups, n = gatherLookups(from: from, to: to), d = lookupDistance
        for j in 0..<(n + 2 * d) {
            if j < n { first(Int(todo[j])) }
            if j >= d && j < n + d { second(Int(todo[j - d])) }
            if j >= 2 * d { last(Int(todo[j - 2 * d])) }
        }
    }

    /// `inLookupPipeline` with four stages, `lookupDistance` successors apart: for a lookup
    /// that takes one more dependent step (`CompressedStore`: the halves' slots, then their
    /// stored halves, then the pair's slot).
    @inline(__always)
    func inLookupPipeline(
        from: Int, to: Int, first: (Int) -> Void, second: (Int) -> Void, third: (Int) -> Void, last: (Int) -> Void
    ) {
        let todo = lookups, n = gatherLookups(from: from, to: to), d = lookupDistance
        for j in 0..<(n + 3 * d) {
            if j < n { first(Int(todo[j])) }
            if j >= d && j < n + d { second(Int(todo[j - d])) }
            if j >= 2 * d && j < n + 2 * d { third(Int(todo[j - 2 * d])) }
            if j >= 3 * d { last(Int(todo[j - 3 * d])) }
        }
    }

    /// Puts the successors `from..<to` that violate nothing in `lookups`, in order, and
    /// returns how many there are.
    @inline(__always)
    private func gatherLookups(from: Int, to: Int) -> Int {
        assert(from >= 0 && from <= to && to <= count, "successor range out of bounds")
        var n = 0
        for k in from..<to where violation(k) == SuccessorBuffer.noViolation {
            lookups[n] = Int32(truncatingIfNeeded: k)
            n &+= 1
        }
        return n
    }
}
