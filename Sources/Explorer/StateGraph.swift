/// The whole reachable state graph of a small system, for drawing (`--dot`): every state
/// numbered in breadth-first order from 0, and every step as an edge. A violating step
/// ends in no state: its edge carries the violated property instead. No reduction is
/// applied (no symmetry, no partial order): the graph is the one the properties speak of.
public struct StateGraph: Sendable {
    /// The most states a graph is built for: beyond this a drawing is unreadable and
    /// `build` stops.
    public static let limit = 2_000

    public struct Edge: Equatable, Sendable {
        public var from: Int
        /// The successor's number; nil for a violating step.
        public var to: Int?
        public var label: UInt32
        /// The violated property's index (`propertyNames`), for a violating step.
        public var violation: Int?
    }

    /// The packed states, in order of discovery.
    public private(set) var states: [[UInt64]] = []
    public private(set) var edges: [Edge] = []
    /// The initial states' numbers.
    public private(set) var initial: [Int] = []
    /// Initial states that already violate a property, with the property's index.
    public private(set) var initialViolations: [(state: Int, violation: Int)] = []

    /// Why a graph was not built.
    public enum Failure: Error, Equatable {
        /// More than `limit` states are reachable.
        case tooLarge(limit: Int)
    }

    /// Explores `system` breadth-first, keeping every state and step; throws once more
    /// than `limit` states are found.
    public static func build(
        _ system: any TransitionSystem, limit: Int = StateGraph.limit
    ) throws(Failure)
        -> StateGraph
    {
        var graph = StateGraph()
        var numbers: [[UInt64]: Int] = [:]
        let buffer = SuccessorBuffer(stateWords: system.stateWords)
        func number(_ i: Int) throws(Failure) -> Int {
            let words = Array(UnsafeBufferPointer(start: buffer.state(i), count: system.stateWords))
            if let n = numbers[words] { return n }
            guard graph.states.count < limit else { throw .tooLarge(limit: limit) }
            numbers[words] = graph.states.count
            graph.states.append(words)
            return graph.states.count - 1
        }
        system.initialStates(into: buffer)
        for i in 0..<buffer.count {
            let v = buffer.violation(i)
            let n = try number(i)
            if v >= 0 { graph.initialViolations.append((n, Int(v))) }
            graph.initial.append(n)
        }
        var next = 0
        while next < graph.states.count {
            buffer.reset()
            graph.states[next].withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
            for i in 0..<buffer.count {
                let v = buffer.violation(i)
                if v >= 0 {
                    graph.edges.append(Edge(from: next, to: nil, label: buffer.label(i), violation: Int(v)))
                } else {
                    graph.edges.append(Edge(from: next, to: try number(i), label: buffer.label(i), violation: nil))
                }
            }
            next += 1
        }
        return graph
    }

    /// Whether `other` is the same graph: the same initial states, the same states, and
    /// from each state the same steps (label, and successor or violated property), however
    /// the two are numbered. Two systems with the same graph give every property the same
    /// verdict: a property sees only states and steps.
    public func isSame(as other: StateGraph) -> Bool {
        guard states.count == other.states.count, edges.count == other.edges.count,
            initial.count == other.initial.count, initialViolations.count == other.initialViolations.count
        else { return false }
        struct Step: Hashable {
            var label: UInt32
            var to: [UInt64]
            var violation: Int
        }
        func table(_ g: StateGraph) -> [[UInt64]: Set<Step>] {
            var t: [[UInt64]: Set<Step>] = [:]
            for s in g.states { t[s] = [] }
            for e in g.edges {
                t[g.states[e.from], default: []].insert(
                    Step(label: e.label, to: e.to.map { g.states[$0] } ?? [], violation: e.violation ?? -1))
            }
            return t
        }
        func starts(_ g: StateGraph) -> Set<[UInt64]> { Set(g.initial.map { g.states[$0] }) }
        func bad(_ g: StateGraph) -> Set<[UInt64]> {
            Set(g.initialViolations.map { g.states[$0.state] + [UInt64($0.violation)] })
        }
        return starts(self) == starts(other) && bad(self) == bad(other) && table(self) == table(other)
    }
}
