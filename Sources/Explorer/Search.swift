import Synchronization

/// Explicit-state search over a `TransitionSystem`: breadth-first (shortest counterexamples)
/// or depth-first, with a `StateStore` for visited states (or, breadth-first with
/// `fingerprint`, a `FingerprintStore`; with `compress`, a `CompressedStore`).
///
/// Counterexamples are rebuilt from the store (with fingerprints or compression, whose
/// stores forget expanded states, by searching again: `rebuildBySearchingAgain`).
/// Depth-first, the store keeps each state's parent. Breadth-first it keeps none: the states of each level are numbered
/// contiguously, so a state's parent is found by expanding the previous level's states in
/// order until one has it as a successor. That is the state that first reached it, the
/// one a parent link would have named, so the trace is the same as with links.
///
/// Breadth-first, a search that stops at violations finishes the level of its first one,
/// so it reports every property violated at the shortest length, whatever the order
/// states are expanded in.
///
/// When the system is symmetric, every state is replaced by its orbit's representative
/// before it is looked up or stored, and a counterexample is rebuilt by walking real
/// (not canonical) states: from each, the step whose successor has the next stored
/// representative. Orbits keep distances, so breadth-first traces stay shortest.
///
/// With partial-order reduction and no proviso, a state whose reduced set is one step is
/// passed through, not stored (`passThrough`): a level is then a merged step, and a trace
/// is rebuilt through the states passed through (`withPassedStates`).
///
/// `@exclusivity(unchecked)`: the counters are updated once per successor, by this object
/// alone and never re-entrantly.
public final class Search {
    let system: any TransitionSystem
    let options: SearchOptions

    private let store: any VisitedStates
    private let budget: MemoryBudget
    private let stop: StopRequest?
    private let progress: ProgressReporter?
    /// Breadth-first without a depth limit expands batches of states (on one thread or
    /// several): one system per thread (on one thread, `system`; on several, copies, so
    /// that `system` stays free for the merge to rebuild counterexamples with), and two
    /// batches' work areas, so that one batch is merged while the next is expanded.
    private let batched: Bool
    private let workers: [any TransitionSystem]
    private let batches: [Batch]
    /// A batch is cut into slices of `sliceStates` states, which the threads take one at a
    /// time.
    static let sliceStates = 32
    /// Each thread's copy of the state it expands (the store keeps states as bytes).
    private let expanding: [UnsafeMutablePointer<UInt64>]
    /// The merge's copy of a stored state (`state(_:)`).
    private let current: UnsafeMutablePointer<UInt64>
    /// The threads of a step that have not yet marked their successors of the batch being
    /// merged: the last one to finish merges it (`step`).
    private let unmarked = SliceCursor()
    /// Whether the last step's merge went to its end (false: the search must stop).
    @exclusivity(unchecked) private var mergeCompleted = true
    /// The threads beyond this one, while a breadth-first search on several runs.
    private var pool: WorkerPool?
    /// The step the threads run (`step`): set before it starts, read by every thread.
    @exclusivity(unchecked) private var stepMerging: Batch?
    @exclusivity(unchecked) private var stepFilling: Batch?
    @exclusivity(unchecked) private var stepLevel = 0
    /// Breadth-first: the number of the first state of each level (level 0: the initial states).
    private var levelStarts: [Int] = [0]
    /// States a thread expands per batch.
    static let batchPerWorker = 1024
    /// One thread tells the store which states it has expanded every this many states.
    static let releaseEvery = 4096
    /// When the search started, and expansions so far (progress is looked at every 4096).
    private var started = 0.0
    @exclusivity(unchecked) private var expansions = 0
    private let buffer: SuccessorBuffer
    private let initial: SuccessorBuffer
    private let symmetric: Bool
    /// Partial-order reduction is on and the system has one.
    private let reduces: Bool
    /// The reduction needs the proviso (`closesCycle`): the system cannot rule out a cycle
    /// of reduced steps (`TransitionSystem.reductionIsAcyclic`).
    private let proviso: Bool
    /// States expanded with a reduced set and not again in full.
    @exclusivity(unchecked) private var reducedStates = 0
    /// States expanded with every enabled step.
    @exclusivity(unchecked) private var fullStates = 0
    /// Merged steps (`passThrough`): partial-order reduction with no proviso and no depth
    /// limit passes through the states whose reduced set is one step, storing none of them.
    private let merges: Bool
    /// The threads check the state properties only on the successors they do not find
    /// stored (`checkStates`): breadth-first on batches, with a system that can put them off
    /// (`TransitionSystem.canDeferStateChecks`), an exact store (one that took a state for
    /// another with the same fingerprint would skip its check as well as its successors),
    /// and no partial-order reduction (merged steps and the proviso read the violations of
    /// the steps they take at once).
    private let defersChecks: Bool
    /// States passed through on merged steps, each time one was.
    @exclusivity(unchecked) private var passedStates = 0
    /// Scratch for `passThrough`: one per thread, and one for `system` used by the merge.
    private let passBuffers: [SuccessorBuffer]
    private let passBuffer: SuccessorBuffer
    /// A chain of merged steps is cut (its state stored) after this many: a bound that a
    /// system whose reduction is acyclic never reaches, kept so that one that is wrong
    /// about it cannot make the search loop.
    static let longestChain = 4096
    /// `accept`'s last successor: its number when it is a state (`Int.max` when it is a
    /// violation, -1 when the store does not know it), and whether it was new.
    @exclusivity(unchecked) private var acceptedIndex = 0
    @exclusivity(unchecked) private var acceptedNew = false
    /// Scratch words for canonical copies.
    private let scratchState: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var violationCounts: [Int]
    private var counterexamples: [SearchResult.Counterexample] = []
    /// Fingerprints or compression: counterexamples to rebuild once the search is over (which one, the
    /// state the violating step leaves, its level, the property and the step's label).
    private var pending: [(index: Int, state: ContiguousArray<UInt64>, level: Int, violation: Int32, label: UInt32)] =
        []
    @exclusivity(unchecked) private var transitions = 0
    @exclusivity(unchecked) private var depth = 0
    private var stopReason: SearchResult.Ending?
    /// Some counterexample has been recorded.
    private var violated = false
    private static let root = UInt32.max

    /// A search of `system`. `stop`, when given, is checked before each state is expanded:
    /// once requested, the search ends as incomplete ("interrupted") with what it has.
    public init(
        system: any TransitionSystem, options: SearchOptions = SearchOptions(), stop: StopRequest? = nil,
        progress: ProgressReporter? = nil
    ) {
        self.system = system
        self.options = options
        self.stop = stop
        self.progress = progress
        budget = MemoryBudget(limit: options.memoryLimit ?? Int.max)
        precondition(
            !options.forgetsExpandedStates || options.order == .breadthFirst,
            "fingerprints, compression: breadth-first only")
        precondition(!(options.fingerprint && options.compress), "fingerprints or compression, not both")
        store = Search.makeStore(for: system, options: options, budget: budget)
        buffer = SuccessorBuffer(stateWords: system.stateWords)
        initial = SuccessorBuffer(stateWords: system.stateWords)
        violationCounts = Array(repeating: 0, count: system.propertyNames.count)
        symmetric = system.isSymmetric
        reduces = options.partialOrder && system.hasReduction
        proviso = Search.needsProviso(system, options)
        merges = reduces && !proviso && options.maxDepth == nil
        passBuffer = SuccessorBuffer(stateWords: system.stateWords)
        scratchState = .allocate(capacity: system.stateWords)
        // Threads serve breadth-first search without a depth limit, for a system that can
        // make copies of itself; otherwise one thread.
        batched = options.order == .breadthFirst && options.maxDepth == nil
        var workers: [any TransitionSystem] = [system]
        if batched && options.effectiveThreads > 1 {
            workers = []
            for _ in 0..<options.effectiveThreads {
                guard let copy = system.makeWorker() else { break }
                workers.append(copy)
            }
            if workers.count < options.effectiveThreads { workers = [system] }
        }
        self.workers = workers
        defersChecks = batched && !reduces && !options.fingerprint && system.canDeferStateChecks
        passBuffers = workers.map { _ in SuccessorBuffer(stateWords: system.stateWords) }
        let batchStates = workers.count * Search.batchPerWorker
        batches =
            batched
            ? (0..<2).map { _ in Batch(threads: workers.count, stateWords: system.stateWords, states: batchStates) }
            : []
        expanding = workers.map { _ in .allocate(capacity: system.stateWords) }
        current = .allocate(capacity: system.stateWords)
    }

    deinit {
        scratchState.deallocate()
        current.deallocate()
        for e in expanding { e.deallocate() }
    }

    private static func makeStore(
        for system: any TransitionSystem, options: SearchOptions, budget: MemoryBudget
    ) -> any VisitedStates {
        if options.compress {
            return CompressedStore(
                stateWords: system.stateWords, stateBytes: system.stateBytes, splitWords: system.splitWords,
                numbers: needsProviso(system, options), budget: budget)
        }
        if options.fingerprint {
            return FingerprintStore(
                stateWords: system.stateWords, stateBytes: system.stateBytes,
                numbers: needsProviso(system, options), budget: budget)
        }
        return StateStore(
            stateWords: system.stateWords, stateBytes: system.stateBytes, links: options.order == .depthFirst,
            budget: budget)
    }

    /// Partial-order reduction is on, and the proviso must see to it that no cycle is made
    /// of reduced steps alone.
    private static func needsProviso(_ system: any TransitionSystem, _ options: SearchOptions) -> Bool {
        options.partialOrder && system.hasReduction && !system.reductionIsAcyclic
    }

    /// The threads the search expands states on.
    public var threads: Int { workers.count }

    /// Runs the search to its end and reports what it found.
    public func run() -> SearchResult {
        let start = ResourceUsage.now()
        started = start
        system.initialStates(into: initial)
        for k in 0..<initial.count {
            let v = initial.violation(k)
            if v >= 0 {
                violationCounts[Int(v)] += 1
                record(property: v, initialIndex: k, path: [])
                if stopReason != nil { break }
                continue
            }
            if store.insert(canonical(initial.state(k)), link: Search.root).index == StateStore.full {
                stopReason = memoryLimit
                break
            }
        }
        if violated && !options.findAll { stopReason = .violation }
        if stopReason == nil {
            switch options.order {
            case .breadthFirst: breadthFirst()
            case .depthFirst: depthFirst()
            }
        }
        let ending = stopReason ?? .exhausted
        let seconds = ResourceUsage.now() - start
        store.storingEnds()
        let states = store.count, bytes = store.bytesAllocated
        if !pending.isEmpty { rebuildBySearchingAgain() }
        return SearchResult(
            ending: ending, states: states, transitions: transitions, depth: depth,
            violationCounts: violationCounts, counterexamples: counterexamples, reducedStates: reducedStates,
            fullStates: fullStates, passedStates: passedStates, seconds: seconds, searchBytes: bytes)
    }

    private func breadthFirst() {
        if batched && workers.count > 1 {
            let shared = Shared(search: self)
            let pool = WorkerPool(
                threads: workers.count, work: { w in shared.search.stepThread(w) },
                idle: { shared.search.store.helpGrow() })
            self.pool = pool
            store.shareGrowth(wake: { pool.nudge() })
        }
        defer {
            store.shareGrowth(wake: nil)
            pool?.close()
            pool = nil
        }
        var head = 0
        var level = 0
        var levelEnd = store.count
        store.levelBegins()
        while head < store.count {
            if head == levelEnd {
                if violated && !options.findAll {
                    stopReason = .violation
                    return
                }
                level += 1
                levelEnd = store.count
                levelStarts.append(head)
                store.levelBegins()
            }
            if stopRequested { return }
            if let maxDepth = options.maxDepth, level >= maxDepth {
                if hasUnexploredStep(from: head) {
                    stopReason = .limit("search depth limit \(maxDepth) reached")
                    return
                }
                head += 1
                continue
            }
            if batched {
                // The whole level, in batches on the threads (no depth limit here).
                if !expandLevel(from: head, to: levelEnd, level: level) { return }
                head = levelEnd
                store.expanded(below: head)
            } else {
                if !expand(head, level: level) { return }
                head += 1
                tick(level: level, queue: store.count - head)
            }
            if head & (Search.releaseEvery - 1) == 0 { store.expanded(below: head) }
        }
        if violated && !options.findAll { stopReason = .violation }
    }

    private func depthFirst() {
        var stack: ContiguousArray<(index: UInt32, level: UInt32)> = []
        var reserved = 0
        /// Room for `n` more entries, asked of the budget; false when it refuses.
        func makeRoom(_ n: Int) -> Bool {
            guard stack.count + n > stack.capacity else { return true }
            let wanted = max(1024, 2 * (stack.count + n))
            let bytes = wanted * MemoryLayout<(UInt32, UInt32)>.stride
            guard budget.reserve(bytes - reserved) else {
                stopReason = memoryLimit
                return false
            }
            stack.reserveCapacity(wanted)
            reserved = bytes
            return true
        }
        defer { budget.release(reserved) }
        guard makeRoom(store.count) else { return }
        for i in stride(from: store.count - 1, through: 0, by: -1) { stack.append((UInt32(i), 0)) }
        while let (index, level) = stack.popLast() {
            let i = Int(index), l = Int(level)
            if stopRequested { return }
            if let maxDepth = options.maxDepth, l >= maxDepth {
                if hasUnexploredStep(from: i) {
                    stopReason = .limit("search depth limit \(maxDepth) reached")
                    return
                }
                continue
            }
            let before = store.count
            if !expand(i, level: l) { return }
            tick(level: l, queue: stack.count)
            guard makeRoom(store.count - before) else { return }
            // Push the new successors so that the first-generated one is expanded first.
            for j in stride(from: store.count - 1, through: before, by: -1) {
                stack.append((UInt32(j), UInt32(l + 1)))
            }
        }
    }

    /// Expands stored state `i` at `level`; returns false when the search must stop.
    @inline(__always)
    private func expand(_ i: Int, level: Int) -> Bool {
        buffer.reset()
        let reduced: Bool
        if reduces {
            reduced = system.expandReduced(state(i), into: buffer)
        } else {
            system.expand(state(i), into: buffer)
            reduced = false
        }
        let passed = finish(buffer, from: 0, on: system, scratch: passBuffer)
        passedStates += passed
        transitions += passed
        var closes = false
        for k in 0..<buffer.count {
            if !accept(buffer, k, from: i, level: level) { return false }
            if reduced && closesCycle(from: i) { closes = true }
        }
        guard reduced else {
            transitions += buffer.count
            fullStates += 1
            return true
        }
        return finishReduced(i, successors: buffer.count, closes: closes, level: level)
    }

    /// The proviso of partial-order reduction (README, "Partial-order reduction"): a state
    /// expanded with a reduced set must be expanded again in full when a successor of the
    /// reduced set was stored already at or before it (breadth-first, where states are
    /// expanded in the order they are numbered: in any cycle, the state with the highest
    /// number has such a successor), or was stored already at all (depth-first: in any
    /// cycle, the state expanded last has one). So every cycle of the reduced graph has a
    /// state expanded in full, and no step is put off forever. A system whose reduction is
    /// acyclic needs no proviso: no cycle is made of reduced steps alone there.
    @inline(__always)
    private func closesCycle(from i: Int) -> Bool {
        guard proviso else { return false }
        return options.order == .depthFirst ? !acceptedNew && acceptedIndex != Int.max : acceptedIndex <= i
    }

    /// The end of the expansion of state `i` with a reduced set of `successors` steps
    /// (taken already): counted as reduced, or when one of them `closes` a cycle
    /// (`closesCycle`), expanded again in full (the successors of the reduced set among
    /// the others, found stored). Returns false when the search must stop.
    private func finishReduced(_ i: Int, successors: Int, closes: Bool, level: Int) -> Bool {
        guard closes else {
            transitions += successors
            reducedStates += 1
            return true
        }
        buffer.reset()
        system.expand(state(i), into: buffer)
        let passed = finish(buffer, from: 0, on: system, scratch: passBuffer)
        passedStates += passed
        transitions += buffer.count + passed
        fullStates += 1
        for k in 0..<buffer.count {
            if !accept(buffer, k, from: i, level: level) { return false }
        }
        return true
    }

    /// Successors `start...` of `buffer` made ready to look up, on `sys`: each state
    /// (not a violation) passed through to the end of its chain of merged steps
    /// (`passThrough`), then replaced by its orbit's representative. Returns the states
    /// passed through.
    @inline(__always)
    private func finish(
        _ buffer: SuccessorBuffer, from start: Int, on sys: any TransitionSystem, scratch: SuccessorBuffer
    ) -> Int {
        guard merges || symmetric else { return 0 }
        var passed = 0
        for k in start..<buffer.count where buffer.violation(k) < 0 {
            if merges { passed += passThrough(buffer.mutableState(k), on: sys, scratch: scratch) }
            if symmetric { sys.canonicalize(buffer.mutableState(k)) }
        }
        return passed
    }

    /// Merged steps: while the reduced set of `state` is one step that violates nothing,
    /// replaces `state` by that step's successor (on `sys`, before any canonicalizing), at
    /// most `limit` times (the search: a whole chain; a trace rebuild: one step at a time).
    /// Returns the number of steps taken: the states passed through, none of them stored.
    /// The README ("Merged steps") argues that this loses no state property, no violation
    /// and no step, given a reduction without cycles (`TransitionSystem.reductionIsAcyclic`).
    @inline(__always)
    private func passThrough(
        _ state: UnsafeMutablePointer<UInt64>, on sys: any TransitionSystem, scratch: SuccessorBuffer,
        upTo limit: Int = Search.longestChain
    ) -> Int {
        var steps = 0
        while steps < limit {
            scratch.reset()
            guard sys.reducedSet(state, into: scratch), scratch.count == 1, scratch.violation(0) < 0 else { break }
            state.update(from: scratch.state(0), count: system.stateWords)
            steps += 1
        }
        return steps
    }

    /// Takes successor `k` of `buffer`, a step from stored state `i` at `level` (its state
    /// already the representative under a symmetry): records a violation, or stores a new
    /// state. Returns false when the search must stop. Both the single-threaded and the
    /// parallel search go through here, in the same order, so they store the same states
    /// with the same links and find the same counterexamples.
    @inline(__always)
    private func accept(_ buffer: SuccessorBuffer, _ k: Int, from i: Int, level: Int, looked: Bool = false) -> Bool {
        let v = buffer.violation(k)
        // Found in the store by a thread: stored states stay stored, so it is still there.
        if v == SuccessorBuffer.alreadyStored {
            let found = buffer.hashes[k]
            acceptedIndex = found == SuccessorBuffer.unknownNumber ? -1 : Int(found)
            acceptedNew = false
            return true
        }
        acceptedIndex = Int.max
        acceptedNew = false
        if v >= 0 {
            violationCounts[Int(v)] += 1
            if violationCounts[Int(v)] == 1 {
                if options.forgetsExpandedStates {
                    // Earlier levels are gone: the trace is rebuilt when the search is over.
                    let words = ContiguousArray(UnsafeBufferPointer(start: state(i), count: system.stateWords))
                    pending.append((counterexamples.count, words, level, v, buffer.label(k)))
                    record(property: v, initialIndex: 0, path: [])
                } else {
                    let (root, path) = pathTo(i, violation: v, label: buffer.label(k))
                    record(property: v, initialIndex: root, path: path)
                }
                if stopReason != nil { return false }
            }
            return true
        }
        let s = buffer.state(k)
        if let maxStates = options.maxStates, store.count >= maxStates, !store.contains(s) {
            stopReason = .limit("state limit \(maxStates) reached")
            return false
        }
        // A successor a thread has looked up has its key in the buffer already.
        let link = UInt32(truncatingIfNeeded: i)
        let (index, inserted) =
            looked ? store.insert(s, key: buffer.hashes[k], link: link) : store.insert(s, link: link)
        acceptedIndex = index == Int.max ? -1 : index
        acceptedNew = inserted
        if inserted {
            if level + 1 > depth { depth = level + 1 }
        } else if index == StateStore.full {
            stopReason = memoryLimit
            return false
        }
        return true
    }

    // MARK: Breadth-first on several threads

    /// Expands the stored states `head..<end`, one level, on the threads, a batch at a
    /// time, and takes each batch's successors here, state by state in order, exactly as
    /// `expand` would one state at a time. Each batch goes through two steps: in the
    /// first the threads expand it (taking slices as they go, so a thread with cheaper
    /// states takes more of them, each into its own buffer with its own copy of the
    /// system, canonicalizing there); in the second each thread marks its successors
    /// already stored, and the last to finish merges the batch into the store while the
    /// others go on to expand the next batch, which it then joins. Only the merge writes
    /// the store, and no thread reads the store's index while it does (expanding reads
    /// only the level's states, stored before it began), so the store needs no lock, and
    /// the result (states, links, transitions, depth, counterexamples) is the same for
    /// every number of threads. Returns false when the search must stop.
    private func expandLevel(from head: Int, to end: Int, level: Int) -> Bool {
        let size = workers.count * Search.batchPerWorker
        var next = 0
        var merging: Batch? = nil
        var start = head
        while merging != nil || start < end {
            if stopRequested { return false }
            var filling: Batch? = nil
            if start < end {
                let b = batches[next]
                next ^= 1
                b.prepare(start..<min(end, start + size))
                start = b.states.upperBound
                filling = b
            }
            if !step(merging: merging, filling: filling, level: level) { return false }
            // Every state below the batch just expanded has been merged, and no thread
            // reads them any more: a store may forget them.
            if let filling { store.expanded(below: filling.states.lowerBound) }
            merging = filling
        }
        return true
    }

    /// One step on the threads: each marks its successors of `merging` already stored
    /// and the last to finish merges it; each expands slices of `filling`. Returns
    /// whether the merge went to its end.
    private func step(merging: Batch?, filling: Batch?, level: Int) -> Bool {
        mergeCompleted = true
        unmarked.next.store(workers.count, ordering: .relaxed)
        stepMerging = merging
        stepFilling = filling
        stepLevel = level
        if let pool { pool.run() } else { stepThread(0) }
        stepMerging = nil
        stepFilling = nil
        return mergeCompleted
    }

    /// The search, handed to the pool's threads. `@unchecked Sendable`: while a step
    /// runs, each thread reads the step's batches and level (written before the step
    /// began) and writes only its own system and buffer of each batch (`workers[w]`,
    /// `buffers[w]`) and the entries of `filling` for the slices it took; the one merging
    /// thread alone writes the store and the search's counters, and reads the buffers of
    /// `merging` only once every thread has marked its own (an acquire-release count);
    /// `system` and `current` serve the merge alone. The pool's threads have ended when
    /// the breadth-first part of the search returns (`WorkerPool.close` waits for them),
    /// so the reference never outlives the search.
    private struct Shared: @unchecked Sendable {
        unowned(unsafe) let search: Search
    }

    /// Thread `w`'s part of a step (see `step`).
    private func stepThread(_ w: Int) {
        let merging = stepMerging, filling = stepFilling, level = stepLevel
        if let merging {
            // Most successors are stored already: looking them up here, in parallel,
            // leaves the merge only the new ones.
            let out = merging.buffers[w]
            store.markStored(in: out, from: 0, to: out.count)
            if defersChecks { checkStates(in: out, on: workers[w]) }
            if unmarked.next.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                mergeCompleted = merge(merging, level: level)
            }
        }
        if let filling { expandSlices(w, of: filling) }
    }

    /// The state properties put off (`defersChecks`): checks each successor in `buffer`
    /// that is not stored already and violated nothing in its step, on `sys`. A stored
    /// state passed them before it was stored, so every successor is checked as if `expand`
    /// had, and the search sees the same violations in the same places.
    private func checkStates(in buffer: SuccessorBuffer, on sys: any TransitionSystem) {
        for k in 0..<buffer.count where buffer.violation(k) == SuccessorBuffer.noViolation {
            let v = sys.stateViolation(buffer.state(k))
            if v >= 0 { buffer.setViolation(k, v) }
        }
    }

    /// Worker `w`: takes slices of `batch` until none is left and expands their states
    /// into its buffer, noting where each state's successors end. Reads only the batch's
    /// states from the store. With `defersChecks`, leaves the state properties out.
    private func expandSlices(_ w: Int, of batch: Batch) {
        let sys = workers[w], out = batch.buffers[w], state = expanding[w], scratch = passBuffers[w]
        let states = batch.states
        if defersChecks { sys.setDefersStateChecks(true) }
        defer { if defersChecks { sys.setDefersStateChecks(false) } }
        out.reset()
        while true {
            let j = batch.cursor.next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard j < batch.slices else { break }
            // The merge may be growing the store meanwhile: a hand with that first.
            if j > 0 { store.helpGrow() }
            batch.sliceOwner[j] = w
            batch.sliceStart[j] = out.count
            let from = states.lowerBound + j * Search.sliceStates
            for i in from..<min(states.upperBound, from + Search.sliceStates) {
                let before = out.count
                store.loadShared(i, into: state)
                if reduces {
                    batch.reduced[i - states.lowerBound] = sys.expandReduced(state, into: out)
                } else {
                    sys.expand(state, into: out)
                }
                batch.passed[i - states.lowerBound] = finish(out, from: before, on: sys, scratch: scratch)
                batch.stateEnd[i - states.lowerBound] = out.count
            }
        }
    }

    /// Takes the successors of `batch`'s states, in order, into the store (`accept`).
    /// Returns false when the search must stop.
    private func merge(_ batch: Batch, level: Int) -> Bool {
        let states = batch.states
        for j in 0..<batch.slices {
            let out = batch.buffers[batch.sliceOwner[j]]
            var k = batch.sliceStart[j]
            let from = states.lowerBound + j * Search.sliceStates
            for i in from..<min(states.upperBound, from + Search.sliceStates) {
                let successorsEnd = batch.stateEnd[i - states.lowerBound]
                let reduced = reduces && batch.reduced[i - states.lowerBound]
                let passed = batch.passed[i - states.lowerBound]
                passedStates += passed
                transitions += passed
                if !reduced {
                    transitions += successorsEnd - k
                    fullStates += 1
                }
                let successors = successorsEnd - k
                var closes = false
                while k < successorsEnd {
                    if !accept(out, k, from: i, level: level, looked: true) { return false }
                    if reduced && closesCycle(from: i) { closes = true }
                    k += 1
                }
                if reduced && !finishReduced(i, successors: successors, closes: closes, level: level) { return false }
                tick(level: level, queue: store.count - (i + 1))
                if i + 1 < states.upperBound && stopRequested { return false }
            }
        }
        return true
    }

    private func hasUnexploredStep(from i: Int) -> Bool {
        buffer.reset()
        system.expand(state(i), into: buffer)
        for k in 0..<buffer.count where buffer.violation(k) >= 0 || !store.contains(canonical(buffer.state(k))) {
            return true
        }
        return false
    }

    private func record(property: Int32, initialIndex: Int, path: [UInt32]) {
        counterexamples.append(.init(property: Int(property), initialIndex: initialIndex, path: path))
        violated = true
        // Breadth-first goes on to the end of the level (see `breadthFirst`).
        if !options.findAll && options.order == .depthFirst { stopReason = .violation }
    }

    /// The state's orbit representative (the state itself without a symmetry), in scratch
    /// words when it differs.
    private func canonical(_ s: UnsafePointer<UInt64>) -> UnsafePointer<UInt64> {
        guard symmetric else { return s }
        scratchState.update(from: s, count: system.stateWords)
        system.canonicalize(scratchState)
        return UnsafePointer(scratchState)
    }

    /// The initial-state index and the labels leading from it to stored state `target`,
    /// then the step with `label` from it that violates property `violation`: rebuilt by
    /// re-expanding each state on the parent chain.
    private func pathTo(_ target: Int, violation: Int32, label: UInt32) -> (Int, [UInt32]) {
        let numbers = options.order == .depthFirst ? linkChain(to: target) : predecessorChain(to: target)
        let stored = UnsafeMutablePointer<UInt64>.allocate(capacity: system.stateWords)
        defer { stored.deallocate() }
        let chain = numbers.map { i in
            store.load(i, into: stored)
            return ContiguousArray(UnsafeBufferPointer(start: stored, count: system.stateWords))
        }
        return path(through: chain, violation: violation, label: label)
    }

    /// The initial-state index and the labels of the real steps through `chain` (stored
    /// states, level by level from an initial one), then the step with `label` from its
    /// last state that violates property `violation`.
    private func path(
        through chain: [ContiguousArray<UInt64>], violation: Int32, label: UInt32
    ) -> (Int, [UInt32]) {
        let stored = UnsafeMutablePointer<UInt64>.allocate(capacity: system.stateWords)
        defer { stored.deallocate() }
        chain[0].withUnsafeBufferPointer { stored.update(from: $0.baseAddress!, count: system.stateWords) }
        // A rebuild that cannot find its next state is a bug of the search or the system:
        // it stops the run rather than print a trace that does not lead where it claims.
        guard let initialIndex = (0..<initial.count).first(where: { same(canonical(initial.state($0)), stored) }) else {
            preconditionFailure("counterexample rebuild: the stored root is no initial state")
        }
        let scratch = SuccessorBuffer(stateWords: system.stateWords)
        var labels: [UInt32] = []
        // Walk real states: with a symmetry the stored ones are representatives, whose
        // labels name renamed CPUs, tasks and mms.
        var real = ContiguousArray(UnsafeBufferPointer(start: initial.state(initialIndex), count: system.stateWords))
        for c in withPassedStates(chain) {
            scratch.reset()
            real.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: scratch) }
            c.withUnsafeBufferPointer { stored.update(from: $0.baseAddress!, count: system.stateWords) }
            guard
                let k = (0..<scratch.count).first(where: {
                    scratch.violation($0) < 0 && same(canonical(scratch.state($0)), stored)
                })
            else {
                preconditionFailure(
                    "counterexample rebuild: no step from state \(labels.count) leads to the next stored state")
            }
            labels.append(scratch.label(k))
            real = ContiguousArray(UnsafeBufferPointer(start: scratch.state(k), count: system.stateWords))
        }
        guard symmetric else { return (initialIndex, labels + [label]) }
        // `label` was taken from the representative: take the same violation from the real state.
        scratch.reset()
        real.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: scratch) }
        guard let last = (0..<scratch.count).first(where: { scratch.violation($0) == violation }) else {
            preconditionFailure("counterexample rebuild: the real state has no step violating property \(violation)")
        }
        return (initialIndex, labels + [scratch.label(last)])
    }

    /// The states after the first of `chain` (stored states, each reached from the one
    /// before), with the states passed through on merged steps between them, each as its
    /// orbit's representative: for each stored state, the first of its steps whose chain of
    /// merged steps (`passThrough`, taken from the stored state as the search took it) ends
    /// in the next one's orbit. Merged steps are chosen on the state itself, so the chain
    /// is taken from the representative the search expanded and not from a real state of
    /// the trace: only the orbits along it are the same there.
    private func withPassedStates(_ chain: [ContiguousArray<UInt64>]) -> [ContiguousArray<UInt64>] {
        guard merges else { return Array(chain.dropFirst()) }
        let words = system.stateWords
        let successors = SuccessorBuffer(stateWords: words)
        let next = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer { next.deallocate() }
        func copy(_ p: UnsafePointer<UInt64>) -> ContiguousArray<UInt64> {
            ContiguousArray(UnsafeBufferPointer(start: p, count: words))
        }
        var orbits: [ContiguousArray<UInt64>] = []
        for (a, b) in zip(chain, chain.dropFirst()) {
            successors.reset()
            a.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: successors) }
            b.withUnsafeBufferPointer { next.update(from: $0.baseAddress!, count: words) }
            var found: [ContiguousArray<UInt64>]? = nil
            for k in 0..<successors.count where successors.violation(k) < 0 {
                let state = successors.mutableState(k)
                var passed: [ContiguousArray<UInt64>] = []
                while passed.count < Search.longestChain {
                    let before = copy(canonical(state))
                    guard passThrough(state, on: system, scratch: passBuffer, upTo: 1) == 1 else { break }
                    passed.append(before)
                }
                if same(canonical(state), next) {
                    found = passed + [b]
                    break
                }
            }
            guard let found else {
                preconditionFailure("counterexample rebuild: no step and merged steps lead to the next stored state")
            }
            orbits += found
        }
        return orbits
    }

    /// Fingerprints or compression: rebuilds each pending counterexample once the search is
    /// over. The search's store is given back first. Then, for each state of the chain from
    /// the violating step back to an initial state, the search runs again from the start to
    /// the level before that state, and the first state there (in the order the search
    /// expands them) that has it as a successor is its parent: the state an exact search
    /// would name. With partial-order reduction the search run again is the reduced one,
    /// with the same proviso, so its levels are the search's. Each run repeats a prefix of
    /// the search, so it needs no more memory than the search had, and time up to the
    /// search's own per level of the trace.
    private func rebuildBySearchingAgain() {
        store.discard()
        for p in pending {
            var chain = [p.state]
            for level in stride(from: p.level - 1, through: 0, by: -1) {
                guard let parent = firstPredecessor(of: chain[chain.count - 1], atLevel: level) else {
                    preconditionFailure("counterexample rebuild: no state of level \(level) leads to the next one")
                }
                chain.append(parent)
            }
            let (root, path) = path(through: chain.reversed(), violation: p.violation, label: p.label)
            counterexamples[p.index] = .init(property: Int(p.violation), initialIndex: root, path: path)
        }
    }

    /// The first state of level `target` (in breadth-first order, canonical) with a step to
    /// `wanted`, found by a fresh search from the initial states with a store of the
    /// search's kind: one expanding the states before that level as the search did (a
    /// reduced set, and every step when one of its successors closes a cycle), and that
    /// level's states with every step, as `predecessorChain` does.
    private func firstPredecessor(
        of wanted: ContiguousArray<UInt64>, atLevel target: Int
    ) -> ContiguousArray<UInt64>? {
        let words = system.stateWords
        // A store of the search's kind: with compression the run is exact too.
        let seen = Search.makeStore(for: system, options: options, budget: budget)
        let successors = SuccessorBuffer(stateWords: words)
        let current = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer { current.deallocate() }
        for k in 0..<initial.count where initial.violation(k) < 0 {
            guard seen.insert(canonical(initial.state(k)), link: 0).index != StateStore.full else { return nil }
        }
        seen.levelBegins()
        var head = 0, levelEnd = seen.count, level = 0
        /// Stores the successors; whether one of them was seen at or before state `i`.
        func take(_ i: Int) -> Bool? {
            var closes = false
            _ = finish(successors, from: 0, on: system, scratch: passBuffer)
            for k in 0..<successors.count where successors.violation(k) < 0 {
                let (index, _) = seen.insert(successors.state(k), link: 0)
                if index == StateStore.full { return nil }
                if index == Int.max || index <= i { closes = true }
            }
            return closes
        }
        while head < seen.count {
            if head == levelEnd {
                level += 1
                levelEnd = seen.count
                seen.levelBegins()
            }
            let i = head
            seen.load(i, into: current)
            head += 1
            if head & (Search.releaseEvery - 1) == 0 { seen.expanded(below: head) }
            successors.reset()
            if level == target {
                system.expand(current, into: successors)
                _ = finish(successors, from: 0, on: system, scratch: passBuffer)
                for k in 0..<successors.count where successors.violation(k) < 0 {
                    if wanted.withUnsafeBufferPointer({ same(successors.state(k), $0.baseAddress!) }) {
                        return ContiguousArray(UnsafeBufferPointer(start: current, count: words))
                    }
                }
                continue
            }
            let reduced: Bool
            if reduces {
                reduced = system.expandReduced(current, into: successors)
            } else {
                system.expand(current, into: successors)
                reduced = false
            }
            guard let closes = take(i) else { return nil }
            if reduced && proviso && closes {
                successors.reset()
                system.expand(current, into: successors)
                guard take(i) != nil else { return nil }
            }
        }
        return nil
    }

    /// Depth-first: the stored states from an initial one to `target`, by parent links.
    private func linkChain(to target: Int) -> [Int] {
        var chain = [target]
        while store.link(chain[chain.count - 1]) != Search.root {
            chain.append(Int(store.link(chain[chain.count - 1])))
        }
        return chain.reversed()
    }

    /// Breadth-first: the stored states from an initial one to `target`, each the first
    /// state of the level before the next one's that has it as a successor (the state
    /// that stored it). Costs at most one expansion of each earlier level's states.
    private func predecessorChain(to target: Int) -> [Int] {
        var chain = [target]
        var level = levelStarts.lastIndex(where: { $0 <= target }) ?? 0
        let successors = SuccessorBuffer(stateWords: system.stateWords)
        let wanted = UnsafeMutablePointer<UInt64>.allocate(capacity: system.stateWords)
        let candidate = UnsafeMutablePointer<UInt64>.allocate(capacity: system.stateWords)
        defer {
            wanted.deallocate()
            candidate.deallocate()
        }
        while level > 0 {
            store.load(chain[chain.count - 1], into: wanted)
            let parent = (levelStarts[level - 1]..<levelStarts[level]).first { j in
                successors.reset()
                store.load(j, into: candidate)
                system.expand(candidate, into: successors)
                _ = finish(successors, from: 0, on: system, scratch: passBuffer)
                return (0..<successors.count).contains {
                    successors.violation($0) < 0 && same(successors.state($0), wanted)
                }
            }
            guard let parent else {
                preconditionFailure("counterexample rebuild: no state of level \(level - 1) leads to a stored state")
            }
            chain.append(parent)
            level -= 1
        }
        return chain.reversed()
    }

    /// Stored state `i`, copied for the search's own thread (or the merge) to expand.
    @inline(__always)
    private func state(_ i: Int) -> UnsafePointer<UInt64> {
        store.load(i, into: current)
        return UnsafePointer(current)
    }

    /// Every 4096 expansions: a progress report, if one is due.
    @inline(__always)
    private func tick(level: Int, queue: Int) {
        expansions &+= 1
        guard let progress, expansions & 4095 == 0 else { return }
        let seconds = ResourceUsage.now() - started
        progress.tick(
            seconds,
            SearchProgress(
                level: level, states: store.count, transitions: transitions, queue: queue, seconds: seconds,
                bytes: store.bytesAllocated))
    }

    /// Whether a stop was requested from outside; ends the search as incomplete if so.
    @inline(__always)
    private var stopRequested: Bool {
        guard let stop, stop.isRequested else { return false }
        stopReason = .limit("interrupted")
        return true
    }

    /// Why the search stopped when the budget refused to grow.
    private var memoryLimit: SearchResult.Ending {
        .limit("memory limit \(MemoryBudget.describe(budget.limit)) reached")
    }

    private func same(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>) -> Bool {
        for w in 0..<system.stateWords where a[w] != b[w] { return false }
        return true
    }
}

/// The next slice of a batch for a thread to take (or a count of threads).
final class SliceCursor: Sendable {
    let next = Atomic<Int>(0)
}

/// One batch of a breadth-first level being expanded on threads: its states, each thread's
/// buffer of their successors, and where each slice's and state's successors are.
///
/// `@exclusivity(unchecked)`: `states` and `slices` are set by the search between steps,
/// when no thread runs; the threads write the tables at the slices they took.
private final class Batch {
    /// For each thread, the successors of the states it expanded. Each starts with room
    /// for twice a thread's share of a batch at 16 successors a state, and doubles when a
    /// thread takes more (with many threads on few cores, the first threads to run may
    /// take most of a batch): room for a whole batch in every buffer would grow with the
    /// square of the threads, past the address space a `ulimit -v` leaves.
    let buffers: [SuccessorBuffer]
    /// For slice j: the thread that took it, and where its successors start in that
    /// thread's buffer. For each state of the batch: where its successors end there.
    let sliceOwner: UnsafeMutablePointer<Int>
    let sliceStart: UnsafeMutablePointer<Int>
    let stateEnd: UnsafeMutablePointer<Int>
    /// For each state of the batch: whether it was expanded with a reduced set, and the
    /// states its successors passed through on merged steps.
    let reduced: UnsafeMutablePointer<Bool>
    let passed: UnsafeMutablePointer<Int>
    /// The next slice to take.
    let cursor = SliceCursor()
    @exclusivity(unchecked) private(set) var states: Range<Int> = 0..<0
    @exclusivity(unchecked) private(set) var slices = 0
    private let capacity: Int

    init(threads: Int, stateWords: Int, states: Int) {
        capacity = states
        buffers = (0..<threads).map { _ in
            SuccessorBuffer(stateWords: stateWords, capacity: 2 * 16 * (states / threads))
        }
        sliceOwner = .allocate(capacity: states / Search.sliceStates + 1)
        sliceStart = .allocate(capacity: states / Search.sliceStates + 1)
        stateEnd = .allocate(capacity: states)
        reduced = .allocate(capacity: states)
        passed = .allocate(capacity: states)
    }

    deinit {
        sliceOwner.deallocate()
        sliceStart.deallocate()
        stateEnd.deallocate()
        reduced.deallocate()
        passed.deallocate()
    }

    /// Makes this the batch of stored states `range`, none of its slices taken.
    func prepare(_ range: Range<Int>) {
        precondition(range.count <= capacity, "a batch larger than its tables")
        states = range
        slices = (range.count + Search.sliceStates - 1) / Search.sliceStates
        cursor.next.store(0, ordering: .relaxed)
    }
}
