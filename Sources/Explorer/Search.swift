/// Explicit-state search over a `TransitionSystem`: breadth-first (shortest counterexamples)
/// or depth-first, with a `StateStore` for visited states and a flat array of parent indices
/// from which counterexamples are rebuilt.
public final class Search {
    public let system: any TransitionSystem
    public let options: SearchOptions

    private let store: StateStore
    @exclusivity(unchecked) private var parents: ContiguousArray<UInt32> = []
    private let buffer: SuccessorBuffer
    private let initial: SuccessorBuffer
    @exclusivity(unchecked) private var violationCounts: [Int]
    private var counterexamples: [SearchResult.Counterexample] = []
    @exclusivity(unchecked) private var transitions = 0
    @exclusivity(unchecked) private var depth = 0
    private var stopReason: SearchResult.Ending?
    private static let root = UInt32.max

    public init(system: any TransitionSystem, options: SearchOptions = SearchOptions()) {
        self.system = system
        self.options = options
        store = StateStore(stateWords: system.stateWords)
        buffer = SuccessorBuffer(stateWords: system.stateWords)
        initial = SuccessorBuffer(stateWords: system.stateWords)
        violationCounts = Array(repeating: 0, count: system.propertyNames.count)
    }

    /// Runs the search to its end and reports what it found.
    public func run() -> SearchResult {
        let start = ResourceUsage.now()
        parents.reserveCapacity(1 << 12)
        system.initialStates(into: initial)
        for k in 0..<initial.count {
            let v = initial.violation(k)
            if v >= 0 {
                record(property: v, initialIndex: k, path: [])
                if stopReason != nil { break }
                continue
            }
            if store.insert(initial.state(k)).inserted { parents.append(Search.root) }
        }
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
            searchBytes: store.bytesAllocated + parents.capacity * 4)
    }

    private func breadthFirst() {
        var head = 0
        var level = 0
        var levelEnd = store.count
        while head < store.count {
            if head == levelEnd {
                level += 1
                levelEnd = store.count
            }
            if let maxDepth = options.maxDepth, level >= maxDepth {
                if hasUnexploredStep(from: head) {
                    stopReason = .limit("search depth limit \(maxDepth) reached")
                    return
                }
                head += 1
                continue
            }
            if !expand(head, level: level) { return }
            head += 1
        }
    }

    private func depthFirst() {
        var stack: ContiguousArray<(index: UInt32, level: UInt32)> = []
        stack.reserveCapacity(1024)
        for i in stride(from: store.count - 1, through: 0, by: -1) { stack.append((UInt32(i), 0)) }
        while let (index, level) = stack.popLast() {
            let i = Int(index), l = Int(level)
            if let maxDepth = options.maxDepth, l >= maxDepth {
                if hasUnexploredStep(from: i) {
                    stopReason = .limit("search depth limit \(maxDepth) reached")
                    return
                }
                continue
            }
            let before = store.count
            if !expand(i, level: l) { return }
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
            let v = buffer.violation(k)
            if v >= 0 {
                violationCounts[Int(v)] += 1
                if violationCounts[Int(v)] == 1 {
                    let (root, path) = pathTo(i)
                    record(property: v, initialIndex: root, path: path + [buffer.label(k)])
                    if stopReason != nil { return false }
                }
                continue
            }
            let s = buffer.state(k)
            if let maxStates = options.maxStates, store.count >= maxStates, !store.contains(s) {
                stopReason = .limit("state limit \(maxStates) reached")
                return false
            }
            if store.insert(s).inserted {
                parents.append(UInt32(i))
                if level + 1 > depth { depth = level + 1 }
            }
        }
        return true
    }

    private func hasUnexploredStep(from i: Int) -> Bool {
        buffer.reset()
        system.expand(store.state(i), into: buffer)
        for k in 0..<buffer.count where buffer.violation(k) >= 0 || !store.contains(buffer.state(k)) {
            return true
        }
        return false
    }

    private func record(property: Int32, initialIndex: Int, path: [UInt32]) {
        if path.isEmpty { violationCounts[Int(property)] += 1 }
        counterexamples.append(.init(property: Int(property), initialIndex: initialIndex, path: path))
        if !options.findAll { stopReason = .violation }
    }

    /// The initial-state index and the labels leading from it to stored state `target`,
    /// rebuilt by re-expanding each state on the parent chain.
    private func pathTo(_ target: Int) -> (Int, [UInt32]) {
        var chain = [target]
        while parents[chain[chain.count - 1]] != Search.root {
            chain.append(Int(parents[chain[chain.count - 1]]))
        }
        chain.reverse()
        let scratch = SuccessorBuffer(stateWords: system.stateWords)
        var labels: [UInt32] = []
        for (p, c) in zip(chain, chain.dropFirst()) {
            scratch.reset()
            system.expand(store.state(p), into: scratch)
            let child = store.state(c)
            for k in 0..<scratch.count where scratch.violation(k) < 0 && same(scratch.state(k), child) {
                labels.append(scratch.label(k))
                break
            }
        }
        let root = store.state(chain[0])
        let initialIndex = (0..<initial.count).first { same(initial.state($0), root) } ?? 0
        return (initialIndex, labels)
    }

    private func same(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>) -> Bool {
        for w in 0..<system.stateWords where a[w] != b[w] { return false }
        return true
    }
}
