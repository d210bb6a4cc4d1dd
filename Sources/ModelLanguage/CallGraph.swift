/// The routines' calls, as the checker found them: what each routine calls, in source
/// order, and the size of its own code. Everything here walks the graph with explicit
/// stacks (no recursion that a file could drive deep), and runs before any call is inlined:
/// recursion, call chains deeper than `LanguageLimits.maxCallDepth` and routines larger
/// than `LanguageLimits.maxInlinedInstructions` once inlined are errors found here, so the
/// emitter's inlining stays shallow and small.
struct CallGraph {
    typealias Call = (callee: String, at: SourceLocation, arguments: Int)

    /// The routines in file order.
    var routines: [String]
    var calls: [String: [Call]]
    /// Each routine's statements and calls with its own code size before each.
    var sizeEvents: [String: [Emitter.SizeEvent]]
    /// Each routine's own code size (an upper bound, calls not inlined).
    var ownSize: [String: Int]

    /// A routine name list as a message shows it: all of it when short, else its first
    /// and last few names around a count of the rest.
    static func chain(_ names: [String], separator: String) -> String {
        elided(names.count - 1, names[names.count - 1]) { names[$0] }.joined(separator: separator)
    }

    /// The names of a chain of `count` routines (`name(i)` the i-th) and `last`, with its
    /// middle replaced by one "...(N more)..." entry when long: without copying the chain
    /// (a file can have many long cycles).
    static func elided(_ count: Int, _ last: String, _ name: (Int) -> String) -> [String] {
        let head = 6, tail = 3  // `last` makes the fourth at the end
        guard count > head + tail + 1 else { return (0..<count).map(name) + [last] }
        return (0..<head).map(name) + ["...(\(count - head - tail) more)..."] + (count - tail..<count).map(name) + [
            last
        ]
    }

    /// Depth-first search from each routine in file order. Returns the routines in
    /// post-order (each after every routine it calls) and the back edges (recursive calls:
    /// the cycle, from the routine called back to it, and the call site that closes it).
    func postOrder() -> (order: [String], cycles: [(cycle: [String], at: SourceLocation)]) {
        var state: [String: Int] = [:]  // position on the stack while on it; -1 once done
        var order: [String] = []
        var cycles: [(cycle: [String], at: SourceLocation)] = []
        var stack: [(name: String, next: Int)] = []
        for root in routines where state[root] == nil {
            state[root] = 0
            stack = [(root, 0)]
            while let top = stack.last {
                let out = calls[top.name] ?? []
                guard top.next < out.count else {
                    stack.removeLast()
                    state[top.name] = -1
                    order.append(top.name)
                    continue
                }
                stack[stack.count - 1].next += 1
                let call = out[top.next]
                guard calls[call.callee] != nil else { continue }  // not a routine of the file
                switch state[call.callee] {
                case nil:
                    state[call.callee] = stack.count
                    stack.append((call.callee, 0))
                case let position? where position >= 0:
                    cycles.append(
                        (CallGraph.elided(stack.count - position, call.callee) { stack[position + $0].name }, call.at))
                default:
                    break
                }
            }
        }
        return (order, cycles)
    }

    /// For an acyclic graph: the first call (from routines nobody calls) that makes a call
    /// chain longer than `maxCallDepth` routines, with the chain up to it.
    func tooDeepCalls(order: [String], maxCallDepth: Int) -> [(chain: [String], at: SourceLocation)] {
        // height: the most routines in a chain starting at a routine (itself included).
        var height: [String: Int] = [:]
        var deepest: [String: Call] = [:]  // the first call that starts a longest chain
        for r in order {
            var h = 1
            for call in calls[r] ?? [] where (height[call.callee] ?? 0) + 1 > h {
                h = (height[call.callee] ?? 0) + 1
                deepest[r] = call
            }
            height[r] = h
        }
        var called = Set<String>()
        for r in routines { for call in calls[r] ?? [] { called.insert(call.callee) } }
        var found: [(chain: [String], at: SourceLocation)] = []
        for root in routines where !called.contains(root) && (height[root] ?? 0) > maxCallDepth {
            // Follow the deepest call down to the one that adds routine maxCallDepth + 1.
            var chain = [root]
            var r = root
            while let call = deepest[r] {
                chain.append(call.callee)
                if chain.count > maxCallDepth {
                    found.append((chain, call.at))
                    break
                }
                r = call.callee
            }
        }
        return found
    }

    /// For an acyclic graph: the first statement (from routines nobody calls) nested deeper
    /// than `limit` once calls are inlined, with the chain of calls it is reached through.
    func tooDeeplyNested(order: [String], limit: Int) -> [(chain: [String], at: SourceLocation)] {
        // nesting: the deepest a statement of the routine is, with its calls inlined.
        var nesting: [String: Int] = [:]
        for r in order {
            nesting[r] = (sizeEvents[r] ?? []).map { $0.depth + ($0.call.map { nesting[$0.callee] ?? 0 } ?? 0) }.reduce(
                0, max)
        }
        var called = Set<String>()
        for r in routines { for call in calls[r] ?? [] { called.insert(call.callee) } }
        var found: [(chain: [String], at: SourceLocation)] = []
        var seen = Set<SourceLocation>()
        var walked = Set<String>()  // "routine budget" pairs already followed: same result
        for root in routines where !called.contains(root) && (nesting[root] ?? 0) > limit {
            var chain = [root]
            var r = root
            var budget = limit
            walk: while walked.insert("\(r) \(budget)").inserted {
                for event in sizeEvents[r] ?? [] {
                    if event.depth > budget {
                        if seen.insert(event.at).inserted { found.append((chain, event.at)) }
                        break walk
                    }
                    if let call = event.call, event.depth + (nesting[call.callee] ?? 0) > budget {
                        chain.append(call.callee)
                        budget -= event.depth
                        r = call.callee
                        continue walk
                    }
                }
                break
            }
        }
        return found
    }

    /// For an acyclic graph: each routine's size with every call inlined, as an upper bound
    /// (its own code, and per call the argument moves and the callee's inlined size),
    /// saturated just above `limit`.
    func inlinedSizes(order: [String], limit: Int) -> [String: Int] {
        var size: [String: Int] = [:]
        for r in order {
            var total = ownSize[r] ?? 0
            for call in calls[r] ?? [] {
                total = min(limit + 1, total + call.arguments + (size[call.callee] ?? 0))
            }
            size[r] = min(limit + 1, total)
        }
        return size
    }

    /// For an acyclic graph with inlined sizes `size`: where each routine nobody calls
    /// crosses `limit`, as (the routine whose inlined size crosses it, the statement or
    /// call where it does, and whether that is a call), one per place.
    func tooLarge(size: [String: Int], limit: Int) -> [(routine: String, at: SourceLocation, isCall: Bool)] {
        var called = Set<String>()
        for r in routines { for call in calls[r] ?? [] { called.insert(call.callee) } }
        var found: [(routine: String, at: SourceLocation, isCall: Bool)] = []
        var seen = Set<SourceLocation>()
        var walked = Set<String>()  // routines already followed: same result
        for root in routines where !called.contains(root) && (size[root] ?? 0) > limit {
            var r = root
            walk: while walked.insert(r).inserted {
                let events = sizeEvents[r] ?? []
                var inlined = 0  // the inlined sizes of the calls so far
                var previous = events.first?.at
                var crossing: SourceLocation?
                var isCall = false
                for event in events {
                    if event.offset + inlined > limit {
                        crossing = previous  // the statement before this one crossed it
                        break
                    }
                    if let call = event.call {
                        let callee = size[call.callee] ?? 0
                        inlined += call.arguments + callee
                        if event.offset + inlined > limit {
                            if callee > limit {
                                r = call.callee
                                continue walk
                            }
                            crossing = event.at
                            isCall = true
                            break
                        }
                    }
                    previous = event.at
                }
                let at = crossing ?? previous ?? SourceLocation(line: 1, column: 1)
                if seen.insert(at).inserted { found.append((r, at, isCall)) }
                break
            }
        }
        return found
    }
}

/// Plain Levenshtein distance, for "did you mean" suggestions (names are short).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var diagonal = row[0]
        row[0] = i
        for j in 1...b.count {
            let up = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
            diagonal = up
        }
    }
    return row[b.count]
}
