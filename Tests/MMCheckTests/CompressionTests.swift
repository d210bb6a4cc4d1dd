import Foundation
import KernelSemantics
import ModelLanguage
import Testing

@testable import Explorer

/// The compressed store (`--compress`): a state kept as the numbers of its two parts, each
/// part stored once. It is exact, so a search with it finds what the exact store finds,
/// count for count and trace for trace.
@Suite struct CompressionTests {
    /// Two-word states (a, b), a and b in 0..<10: 100 states, but 10 distinct first parts
    /// and 10 distinct second parts, each stored once; every state is found again, and a
    /// state whose parts are both stored in other states (here (3, 7) before it is added)
    /// is still new.
    @Test func partsAreStoredOnceAndStatesExactly() {
        let store = CompressedStore(stateWords: 2, stateBytes: 16, splitWords: 1, budget: .unlimited)
        let s = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        defer { s.deallocate() }
        var added = 0
        for a in 0..<10 as Range<UInt64> {
            for b in 0..<10 as Range<UInt64> where (a, b) != (3, 7) {
                s[0] = a * 1_000_003
                s[1] = b << 40
                let (index, inserted) = store.insert(s, link: 0)
                #expect(inserted && index == added)
                added += 1
            }
        }
        #expect(store.count == 99 && store.parts == (10, 10))
        s[0] = 3 * 1_000_003
        s[1] = 7 << 40
        #expect(!store.contains(s))
        #expect(store.insert(s, link: 0) == (99, true))
        #expect(store.insert(s, link: 0).inserted == false && store.contains(s))
        // The queue keeps the states themselves, in the order added.
        let out = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        defer { out.deallocate() }
        store.load(12, into: out)
        #expect(out[0] == 1 * 1_000_003 && out[1] == 2 << 40)
        s[1] = 11 << 40
        #expect(!store.contains(s))
    }

    /// The word kept for a pair is never 0 and distinct pairs give distinct words (the mix
    /// is a bijection): checked on every pair of numbers below 300, and at the extremes.
    @Test func thePairWordIsExact() {
        var seen = Set<UInt64>()
        for l in 0..<300 {
            for r in 0..<300 { seen.insert(CompressedStore.mixed(l, r)) }
        }
        let last = StateStore.maximumCount - 1
        for (l, r) in [(last, last), (last, 0), (0, last)] { seen.insert(CompressedStore.mixed(l, r)) }
        #expect(seen.count == 300 * 300 + 3 && !seen.contains(0))
    }

    /// A split layout packs each CPU, task and the mms whole, the second part from a new
    /// word, at the component boundary that best halves the bits: for linux-6-fine at
    /// (2,3,3) the CPUs and task 0 against tasks 1-2 and the mms (the pair of halves that
    /// repeats least of all the splits, counted on 32 M states of the search: 0.94 M + 0.84 M
    /// distinct halves).
    @Test func theSplitLayoutKeepsComponentsWhole() throws {
        let fine = try Fixture.load("models/linux-6-fine.mmc")
        let split = Machine.layout(model: fine, bounds: Bounds(cpus: 2, tasks: 3, mms: 3), split: true)
        let plain = Machine.layout(model: fine, bounds: Bounds(cpus: 2, tasks: 3, mms: 3))
        #expect(split.splitDescription == "CPUs 0-1, task 0 | tasks 1-2, the mms")
        #expect(split.bits == plain.bits && split.splitWords == 2 && split.words == 4 && plain.splitWords == 0)
        let coarse = try Fixture.load("models/linux-6.mmc")
        let c = Machine.layout(model: coarse, bounds: Bounds(cpus: 4, tasks: 4, mms: 4), split: true)
        #expect(c.splitDescription == "CPUs 0-3, tasks 0-2 | task 3, the mms" && c.splitWords == 1)
    }

    static func run(
        _ file: String, _ b: (Int, Int, Int), symmetry: Bool, split: Bool, _ options: SearchOptions,
        mode: CompiledModel.Mode? = nil
    ) throws -> SearchResult {
        let model = try Fixture.load(file, mode: mode)
        let system = KernelSystem(
            model: model, bounds: Bounds(cpus: b.0, tasks: b.1, mms: b.2), symmetry: symmetry, split: split)
        return Search(system: system, options: options).run()
    }

    static func compressed(_ options: SearchOptions, threads: Int = 1) -> SearchOptions {
        var o = options
        o.compress = true
        o.threads = threads
        return o
    }

    /// The same states, transitions, depth, violation counts and counterexamples (label by
    /// label) as the exact store on the same split layout, on one thread and on two; and the
    /// same counts and trace lengths as the exact store on the usual layout.
    @Test(arguments: ThreadsTests.cases)
    func findsWhatTheExactStoreFinds(_ c: (String, (Int, Int, Int), Bool)) throws {
        for options in [SearchOptions(), SearchOptions(findAll: true), SearchOptions(maxStates: 5_000)] {
            let usual = try ThreadsTests.run(c.0, c.1, symmetry: c.2, options)
            let exact = try Self.run(c.0, c.1, symmetry: c.2, split: true, options)
            let one = try Self.run(c.0, c.1, symmetry: c.2, split: true, Self.compressed(options))
            let two = try Self.run(c.0, c.1, symmetry: c.2, split: true, Self.compressed(options, threads: 2))
            #expect(ThreadsTests.same(exact, one) && ThreadsTests.same(exact, two), "\(c.0) \(c.1) \(options)")
            #expect(
                (usual.ending, usual.states, usual.transitions, usual.depth, usual.violationCounts)
                    == (one.ending, one.states, one.transitions, one.depth, one.violationCounts), "\(c.0) \(c.1)")
            #expect(usual.counterexamples.map(\.path.count) == one.counterexamples.map(\.path.count))
        }
    }

    /// With partial-order reduction the compressed store keeps the last two levels' numbers
    /// as the fingerprint store does: on the hand-made two-process system (whose two words
    /// are its two parts) the exact reduced search's 9 states, 11 steps and 4 reduced, and
    /// its 8-step trace; and on every bug and near-miss model the reduction applies to, in
    /// fine mode at (2,2,1), the exact reduced search's counts with `--all` and its trace,
    /// which replays to its violation.
    @Test func theReductionIsTheExactReducedSearch() throws {
        for threads in [1, 2] {
            let cyclic = TwoProcessSystem(cycle: 3, bLimit: 2, cyclic: true)
            let r = Search(system: cyclic, options: SearchOptions(threads: threads, partialOrder: true, compress: true))
                .run()
            #expect(r.states == 9 && r.transitions == 11 && r.reducedStates == 4)
            let target = TwoProcessSystem(cycle: 3, bLimit: 2, cyclic: true, target: (0, 2))
            let found = Search(
                system: target, options: SearchOptions(threads: threads, partialOrder: true, compress: true)
            ).run()
            #expect(found.counterexamples.first?.path == [1, 1, 2, 1, 1, 2, 1, 1])
        }
        let bounds = Bounds(cpus: 2, tasks: 2, mms: 1)
        var compared = 0
        for file in PartialOrderModelTests.bugModels {
            let model = try Fixture.load(file, mode: .fine)
            guard KernelSystem(model: model, bounds: bounds).hasReduction else { continue }
            compared += 1
            let all = SearchOptions(findAll: true, threads: 2, partialOrder: true)
            let exactAll = try Self.run(file, (2, 2, 1), symmetry: false, split: true, all, mode: .fine)
            let compressedAll = try Self.run(
                file, (2, 2, 1), symmetry: false, split: true, Self.compressed(all, threads: 2), mode: .fine)
            #expect(
                (compressedAll.states, compressedAll.transitions, compressedAll.reducedStates)
                    == (exactAll.states, exactAll.transitions, exactAll.reducedStates)
                    && compressedAll.passedStates == exactAll.passedStates
                    && compressedAll.violationCounts == exactAll.violationCounts, "\(file)")
            let first = SearchOptions(threads: 2, partialOrder: true)
            let exact = try Self.run(file, (2, 2, 1), symmetry: false, split: true, first, mode: .fine)
            let compressed = try Self.run(
                file, (2, 2, 1), symmetry: false, split: true, Self.compressed(first, threads: 2), mode: .fine)
            #expect(compressed.counterexamples.map(\.path) == exact.counterexamples.map(\.path), "\(file)")
            guard let trace = compressed.counterexamples.first else { continue }
            let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: trace.path)
            #expect(replay.finalBreach.map { Int($0.code) } == trace.property, "\(file)")
        }
        #expect(compared >= 30)
    }

    /// linux-6-fine at (2,2,3) compressed, with the reduction: the exact store's counts,
    /// in less memory once halves repeat (about 25 bytes a state against 33; at (2,2,2),
    /// whose 87,633 states repeat few halves, compression saves nothing); and a memory
    /// limit still ends the search cleanly, on one thread or two.
    @Test func compressionIsLeanerAndStopsAtTheMemoryLimit() throws {
        let options = SearchOptions(threads: 2, partialOrder: true)
        let exact = try PartialOrderModelTests.run("models/linux-6-fine.mmc", (2, 2, 3), options)
        let lean = try Self.run(
            "models/linux-6-fine.mmc", (2, 2, 3), symmetry: false, split: true, Self.compressed(options, threads: 2))
        #expect(lean.states == 417_299 && lean.transitions == 3_688_820 && lean.passedStates == 2_631_696)
        #expect(
            (exact.states, exact.transitions, exact.passedStates) == (lean.states, lean.transitions, lean.passedStates))
        #expect(lean.searchBytes * 5 < exact.searchBytes * 4)
        for threads in [1, 2] {
            let r = try Self.run(
                "models/linux-6.mmc", (3, 4, 4), symmetry: false, split: true,
                SearchOptions(memoryLimit: 2 << 20, threads: threads, compress: true))
            #expect(r.ending == .limit("memory limit 2 MiB reached"))
            #expect(r.states > 10_000 && r.searchBytes <= 2 << 20)
        }
    }

    /// The command line: an exact verdict (a plain PASS), the store named in the header,
    /// and clear refusals with fingerprints, depth-first, and `suite --update`.
    @Test func theCommandLine() throws {
        let r = try CommandLineTests.mmcheck("check", "models/linux-6.mmc", "--compress")
        #expect(r.status == 0)
        #expect(r.out.contains("verdict   PASS  all 9 properties hold in every reachable state at these bounds\n"))
        #expect(
            r.out.contains(
                "store     compressed: a state is kept as the numbers of its halves (CPUs 0-1, tasks 0-1 | task 2, "
                    + "the mms; 8 + 5 bytes), each half once; exact\n"))
        #expect(r.out.contains("distinct states   9,773\n"))
        let both = try CommandLineTests.mmcheck("check", "--compress", "--fingerprint")
        #expect(both.status == 2 && both.out.isEmpty)
        #expect(
            both.err
                == "mmcheck: error: options '--compress' and '--fingerprint' are two ways to store states: keep one\n")
        let dfs = try CommandLineTests.mmcheck("check", "--compress", "--dfs")
        #expect(
            dfs.status == 2 && dfs.err == "mmcheck: error: option '--compress' works breadth-first only: drop '--dfs'\n"
        )
        let update = try CommandLineTests.mmcheck("suite", "--compress", "--update")
        #expect(
            update.status == 2
                && update.err
                    == "mmcheck: error: option '--compress' cannot be used with '--update': the baseline is the exact store's\n"
        )
        let bug = try CommandLineTests.mmcheck("check", "models/bugs/exit-mm-without-grab.mmc", "--compress")
        #expect(bug.status == 1 && bug.out.contains("verdict   VIOLATION of no-free-while-borrowed\n"))
    }
}
