import Dispatch

/// Explicit-state search over a `TransitionSystem`: breadth-first (shortest counterexamples)
/// or depth-first, with a `StateStore` for visited states and a flat array of parent indices
/// from which counterexamples are rebuilt.
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
/// `@exclusivity(unchecked)`: the counters are updated once per successor, by this object
/// alone and never re-entrantly.
public final class Search {
    let system: any TransitionSystem
    let options: SearchOptions

    private let store: StateStore
    private let budget: MemoryBudget
    private let stop: StopRequest?
    private let progress: ProgressReporter?
    /// Parallel breadth-first: one system per thread (the first is `system`), each with
    /// its buffer of a batch's successors and where each state's successors end.
    private let workers: [any TransitionSystem]
    private let batchBuffers: [SuccessorBuffer]
    private let batchEnds: [UnsafeMutablePointer<Int>]
    /// States a thread expands per batch.
    static let batchPerWorker = 1024
    /// When the search started, and expansions so far (progress is looked at every 4096).
    private var started = 0.0
    @exclusivity(unchecked) private var expansions = 0
    private let buffer: SuccessorBuffer
    private let initial: SuccessorBuffer
    private let symmetric: Bool
    /// Scratch words for canonical copies.
    private let scratchState: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var violationCounts: [Int]
    private var counterexamples: [SearchResult.Counterexample] = []
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
        store = StateStore(stateWords: system.stateWords, budget: budget)
        buffer = SuccessorBuffer(stateWords: system.stateWords)
        initial = SuccessorBuffer(stateWords: system.stateWords)
        violationCounts = Array(repeating: 0, count: system.propertyNames.count)
        symmetric = system.isSymmetric
        scratchState = .allocate(capacity: system.stateWords)
        // Threads serve breadth-first search without a depth limit, for a system that can
        // make copies of itself; otherwise one thread.
        var workers: [any TransitionSystem] = [system]
        if options.effectiveThreads > 1 {
            for _ in 1..<options.effectiveThreads {
                guard let copy = system.makeWorker() else { break }
                workers.append(copy)
            }
            if workers.count < options.threads { workers = [system] }
        }
        self.workers = workers
        batchBuffers = workers.count > 1 ? workers.map { _ in SuccessorBuffer(stateWords: system.stateWords) } : []
        batchEnds = workers.count > 1 ? workers.map { _ in .allocate(capacity: Search.batchPerWorker) } : []
    }

    deinit {
        scratchState.deallocate()
        for e in batchEnds { e.deallocate() }
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
        return SearchResult(
            ending: ending, states: store.count, transitions: transitions, depth: depth,
            violationCounts: violationCounts, counterexamples: counterexamples,
            seconds: ResourceUsage.now() - start,
            searchBytes: store.bytesAllocated)
    }

    private func breadthFirst() {
        var head = 0
        var level = 0
        var levelEnd = store.count
        while head < store.count {
            if head == levelEnd {
                if violated && !options.findAll {
                    stopReason = .violation
                    return
                }
                level += 1
                levelEnd = store.count
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
            if workers.count > 1 {
                // A batch of the level, expanded on the threads (no depth limit here).
                let end = min(levelEnd, head + workers.count * Search.batchPerWorker)
                if !expandBatch(from: head, to: end, level: level) { return }
                head = end
            } else {
                if !expand(head, level: level) { return }
                head += 1
                tick(level: level, queue: store.count - head)
            }
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
        system.expand(store.state(i), into: buffer)
        transitions += buffer.count
        for k in 0..<buffer.count {
            if symmetric && buffer.violation(k) < 0 { system.canonicalize(buffer.mutableState(k)) }
            if !accept(buffer, k, from: i, level: level) { return false }
        }
        return true
    }

    /// Takes successor `k` of `buffer`, a step from stored state `i` at `level` (its state
    /// already the representative under a symmetry): records a violation, or stores a new
    /// state. Returns false when the search must stop. Both the single-threaded and the
    /// parallel search go through here, in the same order, so they store the same states
    /// with the same links and find the same counterexamples.
    @inline(__always)
    private func accept(_ buffer: SuccessorBuffer, _ k: Int, from i: Int, level: Int) -> Bool {
        let v = buffer.violation(k)
        // Found in the store by a thread: stored states stay stored, so it is still there.
        if v == SuccessorBuffer.alreadyStored { return true }
        if v >= 0 {
            violationCounts[Int(v)] += 1
            if violationCounts[Int(v)] == 1 {
                let (root, path) = pathTo(i, violation: v, label: buffer.label(k))
                record(property: v, initialIndex: root, path: path)
                if stopReason != nil { return false }
            }
            return true
        }
        let s = buffer.state(k)
        if let maxStates = options.maxStates, store.count >= maxStates, !store.contains(s) {
            stopReason = .limit("state limit \(maxStates) reached")
            return false
        }
        let (index, inserted) = store.insert(s, link: UInt32(truncatingIfNeeded: i))
        if inserted {
            if level + 1 > depth { depth = level + 1 }
        } else if index == StateStore.full {
            stopReason = memoryLimit
            return false
        }
        return true
    }

    // MARK: Breadth-first on several threads

    /// Expands stored states `head..<end` of one level on the threads, then takes their
    /// successors here, state by state in order, exactly as `expand` would one state at a
    /// time. Each thread expands a contiguous range into its own buffer (with its own copy
    /// of the system, canonicalizing there, and marking the successors already stored).
    /// Only the expansion (and the lookups) run in parallel; the store is written by this
    /// thread only, so it needs no lock, and the result (states, links, transitions, depth,
    /// counterexamples) is the same for every number of threads. Returns false when the
    /// search must stop.
    private func expandBatch(from head: Int, to end: Int, level: Int) -> Bool {
        let n = workers.count
        let share = (end - head + n - 1) / n
        let shared = Shared(search: self)
        DispatchQueue.concurrentPerform(iterations: n) { w in
            shared.search.expandRange(w, from: head + w * share, to: min(end, head + (w + 1) * share))
        }
        for w in 0..<n {
            let from = head + w * share, to = min(end, head + (w + 1) * share)
            guard from < to else { continue }
            let out = batchBuffers[w], ends = batchEnds[w]
            var k = 0
            for i in from..<to {
                let stateEnd = ends[i - from]
                transitions += stateEnd - k
                while k < stateEnd {
                    if !accept(out, k, from: i, level: level) { return false }
                    k += 1
                }
                tick(level: level, queue: store.count - (i + 1))
                if i + 1 < end && stopRequested { return false }
            }
        }
        return true
    }

    /// The search, handed to the threads of one batch. `@unchecked Sendable`: while they
    /// run, each thread writes only its own system, buffer and ends (`workers[w]`,
    /// `batchBuffers[w]`, `batchEnds[w]`) and reads the store, which this thread does not
    /// touch until `concurrentPerform` has returned.
    private struct Shared: @unchecked Sendable {
        unowned let search: Search
    }

    /// Worker `w`: expands stored states `from..<to` into its buffer, noting where each
    /// state's successors end and marking those already stored. Reads the store, which no
    /// one writes meanwhile.
    private func expandRange(_ w: Int, from: Int, to: Int) {
        let sys = workers[w], out = batchBuffers[w], ends = batchEnds[w]
        out.reset()
        guard from < to else { return }
        for i in from..<to {
            let before = out.count
            sys.expand(store.state(i), into: out)
            // Most successors are stored already: looking them up here, in parallel, leaves
            // the merge only the new ones (the lookup's cache misses are most of its time).
            for k in before..<out.count where out.violation(k) < 0 {
                if symmetric { sys.canonicalize(out.mutableState(k)) }
                if store.contains(out.state(k)) { out.markAlreadyStored(k) }
            }
            ends[i - from] = out.count
        }
    }

    private func hasUnexploredStep(from i: Int) -> Bool {
        buffer.reset()
        system.expand(store.state(i), into: buffer)
        for k in 0..<buffer.count where buffer.violation(k) >= 0 || !store.contains(canonical(buffer.state(k))) {
            return true
        }
        return false
    }

    private func record(property: Int32, initialIndex: Int, path: [UInt32]) {
        if path.isEmpty { violationCounts[Int(property)] += 1 }
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
        var chain = [target]
        while store.link(chain[chain.count - 1]) != Search.root {
            chain.append(Int(store.link(chain[chain.count - 1])))
        }
        chain.reverse()
        let root = store.state(chain[0])
        // A rebuild that cannot find its next state is a bug of the search or the system:
        // it stops the run rather than print a trace that does not lead where it claims.
        guard let initialIndex = (0..<initial.count).first(where: { same(canonical(initial.state($0)), root) }) else {
            preconditionFailure("counterexample rebuild: the stored root is no initial state")
        }
        let scratch = SuccessorBuffer(stateWords: system.stateWords)
        var labels: [UInt32] = []
        // Walk real states: with a symmetry the stored ones are representatives, whose
        // labels name renamed CPUs, tasks and mms.
        var real = ContiguousArray(UnsafeBufferPointer(start: initial.state(initialIndex), count: system.stateWords))
        for c in chain.dropFirst() {
            scratch.reset()
            real.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: scratch) }
            let child = store.state(c)
            guard
                let k = (0..<scratch.count).first(where: {
                    scratch.violation($0) < 0 && same(canonical(scratch.state($0)), child)
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
