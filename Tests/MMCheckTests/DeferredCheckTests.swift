import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// State properties put off (`TransitionSystem.setDefersStateChecks`): the batched
/// breadth-first search checks them only on the successors it does not find stored. Every
/// bug model must give the same violations either way, step by step and search by search.
@Suite struct DeferredCheckTests {
    static let bugModels = Fixture.modelFiles(under: "models/bugs")

    /// Every step from the first 3,000 states (breadth-first) of `file` at its bounds,
    /// expanded with and without the state checks: the same steps and successors, the same
    /// violations of the steps themselves, and each violation the deferred expand leaves out
    /// is exactly what `stateViolation` finds on its successor. Returns how many it left out.
    static func compareSteps(_ file: String) throws -> Int {
        let model = try Fixture.load(file)
        let bounds = Fixture.bounds(of: model)
        let checked = KernelSystem(model: model, bounds: bounds)
        let deferred = KernelSystem(model: model, bounds: bounds)
        deferred.setDefersStateChecks(true)
        let words = checked.stateWords
        let a = SuccessorBuffer(stateWords: words), b = SuccessorBuffer(stateWords: words)
        var leftOut = 0
        // Breadth-first over the first 3,000 states: a `Set` and a queue.
        var seen = Set<[UInt64]>()
        var queue: [[UInt64]] = []
        checked.initialStates(into: a)
        for k in 0..<a.count where a.violation(k) < 0 {
            let s = Array(UnsafeBufferPointer(start: a.state(k), count: words))
            if seen.insert(s).inserted { queue.append(s) }
        }
        var head = 0
        while head < queue.count && head < 3000 {
            let s = queue[head]
            head += 1
            a.reset()
            b.reset()
            s.withUnsafeBufferPointer {
                checked.expand($0.baseAddress!, into: a)
                deferred.expand($0.baseAddress!, into: b)
            }
            try #require(a.count == b.count, "\(file): a different number of steps")
            for k in 0..<a.count {
                #expect(a.label(k) == b.label(k), "\(file)")
                let va = a.violation(k), vb = b.violation(k)
                if vb >= 0 {
                    #expect(va == vb, "\(file): a step's own violation differs")
                    continue
                }
                let successor = b.state(k)
                #expect(deferred.stateViolation(successor) == va, "\(file): the state check differs")
                if va >= 0 {
                    leftOut += 1
                } else {
                    let next = Array(UnsafeBufferPointer(start: a.state(k), count: words))
                    #expect(Array(UnsafeBufferPointer(start: successor, count: words)) == next, "\(file)")
                    if seen.insert(next).inserted { queue.append(next) }
                }
            }
        }
        return leftOut
    }

    @Test(arguments: bugModels)
    func aDeferredStepLeavesExactlyTheStatePropertyOut(_ file: String) throws {
        _ = try Self.compareSteps(file)
    }

    /// A bug model whose violation is a state property (no-leak): the deferred expand leaves
    /// those violations out, so the comparison above compares something.
    @Test func aStatePropertyIsLeftOut() throws {
        #expect(try Self.compareSteps("models/bugs/mmput-without-mmdrop.mmc") > 0)
        #expect(try Self.compareSteps("models/bugs/kernel-to-kernel-grab.mmc") > 0)
    }

    /// Every bug model, every violating step (`findAll`), up to 20,000 states: the batched
    /// search on one and on two threads, which puts the state checks off, against the
    /// one-state-at-a-time search (`maxDepth` set), which does not. The same states, steps,
    /// violations and traces.
    @Test(arguments: bugModels)
    func theBatchedSearchFindsTheSameViolations(_ file: String) throws {
        let model = try Fixture.load(file)
        let bounds = Fixture.bounds(of: model)
        func run(_ options: SearchOptions) -> SearchResult {
            Search(system: KernelSystem(model: model, bounds: bounds), options: options).run()
        }
        let plain = run(
            SearchOptions(findAll: true, maxStates: 20_000, maxDepth: 10_000, threads: 1, partialOrder: false))
        for threads in [1, 2] {
            let batched = run(SearchOptions(findAll: true, maxStates: 20_000, threads: threads, partialOrder: false))
            #expect(batched.ending == plain.ending, "\(file)")
            #expect((batched.states, batched.depth) == (plain.states, plain.depth), "\(file) on \(threads) threads")
            // Stopped at the state limit, the batched search has counted all the steps of
            // the state it stopped in, the other only those it took up to there.
            if plain.ending == .exhausted || plain.ending == .violation {
                #expect(batched.transitions == plain.transitions, "\(file) on \(threads) threads")
            }
            #expect(batched.violationCounts == plain.violationCounts, "\(file) on \(threads) threads")
            #expect(batched.counterexamples == plain.counterexamples, "\(file) on \(threads) threads")
        }
    }
}
