import Foundation
import KernelSemantics
import Testing

@testable import Explorer

/// Hash compaction (`--fingerprint`): the set of fingerprints, and searches that keep only
/// fingerprints finding what the exact search finds, trace by trace.
@Suite struct FingerprintTests {
    @Test func theSetKeepsItsEntriesInOrderAcrossGrowth() {
        let set = FingerprintSet(budget: .unlimited, initialBits: 4)
        var x: UInt64 = 0x0123_4567_89AB_CDEF
        var values: [UInt64] = []
        for _ in 0..<50_000 {
            // xorshift64: distinct nonzero values spread over the whole range.
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            values.append(x)
            #expect(set.insert(x) == true)
        }
        #expect(set.count == 50_000)
        #expect(values.allSatisfy { set.contains($0) && set.insert($0) == false })
        #expect(set.count == 50_000)
        #expect(!set.contains(0x5555_5555_5555_5555))
        // Values that share their top bits go to one run, shifted in order.
        let crowded = FingerprintSet(budget: .unlimited, initialBits: 4)
        for v in (1...40).reversed() { #expect(crowded.insert(UInt64(v)) == true) }
        #expect((1...40).allSatisfy { crowded.contains(UInt64($0)) } && !crowded.contains(41))
        #expect(FingerprintSet.fingerprint(0) == 1 && FingerprintSet.fingerprint(7) == 7)
    }

    @Test func theSetStopsCleanlyAtTheBudget() {
        let budget = MemoryBudget(limit: 1 << 20)
        let set = FingerprintSet(budget: budget, initialBits: 4)
        var refused = false
        for v in 1...1_000_000 where set.insert(UInt64(v) &* 0x9E37_79B9_7F4A_7C15) == nil {
            refused = true
            break
        }
        #expect(refused && budget.used <= budget.limit && set.bytesAllocated <= budget.limit)
        #expect(set.contains(0x9E37_79B9_7F4A_7C15))
    }

    /// When no larger table can be had, the set fills its table up to `fullLoad` before it
    /// refuses: 2^12 home slots under a budget that holds one table of them (2^12 + 1024 +
    /// 64 slots, 41,472 bytes) but not the next take ⌊0.99 · 4096⌋ = 4,055 entries, every
    /// one found again, instead of stopping at ⌊0.9 · 4096⌋ = 3,686.
    @Test func theSetFillsFurtherWhenItCannotGrow() {
        let budget = MemoryBudget(limit: 50_000)
        let set = FingerprintSet(budget: budget, initialBits: 12)
        var taken: [UInt64] = []
        var x: UInt64 = 0x0123_4567_89AB_CDEF
        while true {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            guard let new = set.insert(x) else { break }
            if new { taken.append(x) }
        }
        #expect(set.count == 4_055 && taken.count == 4_055)
        #expect(taken.allSatisfy { set.contains($0) && set.insert($0) == false })
        #expect(set.bytesAllocated == 41_472 && budget.used <= budget.limit)
    }

    static func fingerprinted(_ options: SearchOptions) -> SearchOptions {
        var o = options
        o.fingerprint = true
        return o
    }

    /// The same states, transitions, depth, violation counts and counterexamples (label by
    /// label: the rebuilt trace names the parent the exact search would) as the exact
    /// search, on one thread and on two.
    @Test(arguments: ThreadsTests.cases)
    func findsWhatTheExactSearchFinds(_ c: (String, (Int, Int, Int), Bool)) throws {
        for options in [SearchOptions(), SearchOptions(findAll: true), SearchOptions(maxStates: 5_000)] {
            let exact = try ThreadsTests.run(c.0, c.1, symmetry: c.2, options)
            var two = Self.fingerprinted(options)
            two.threads = 2
            let one = try ThreadsTests.run(c.0, c.1, symmetry: c.2, Self.fingerprinted(options))
            let parallel = try ThreadsTests.run(c.0, c.1, symmetry: c.2, two)
            #expect(ThreadsTests.same(exact, one) && ThreadsTests.same(exact, parallel), "\(c.0) \(c.1) \(options)")
        }
    }

    /// Fingerprints take less memory than the exact store, and a memory limit still ends
    /// the search cleanly, on one thread or two.
    @Test func fingerprintsAreLeanerAndStopAtTheMemoryLimit() throws {
        let exact = try ThreadsTests.run("models/linux-6.mmc", (3, 3, 3), symmetry: false, SearchOptions())
        let lean = try ThreadsTests.run(
            "models/linux-6.mmc", (3, 3, 3), symmetry: false, Self.fingerprinted(SearchOptions()))
        #expect(lean.states == 92_005 && exact.states == 92_005)
        #expect(lean.searchBytes < exact.searchBytes)
        for threads in [1, 2] {
            let r = try ThreadsTests.run(
                "models/linux-6.mmc", (3, 4, 4), symmetry: false,
                SearchOptions(memoryLimit: 2 << 20, threads: threads, fingerprint: true))
            #expect(r.ending == .limit("memory limit 2 MiB reached"))
            #expect(r.states > 10_000 && r.searchBytes <= 2 << 20)
        }
    }

    /// The verdict never reads as a plain PASS, and gives the bound n(n-1)/2^65.
    @Test func theVerdictGivesTheProbabilityOfAMissedState() throws {
        let r = try CommandLineTests.mmcheck("check", "models/linux-6.mmc", "--fingerprint")
        #expect(r.status == 0)
        // 9,773 states: 9,773 × 9,772 / 2^65 = 2.6e-12.
        #expect(
            r.out.contains(
                "verdict   PROBABLE PASS  all 9 properties hold in every state visited; "
                    + "with fingerprints a state is missed with probability at most 2.6e-12\n"))
        #expect(r.out.contains("store     64-bit fingerprints (hash compaction)"))
        #expect(r.out.contains("distinct states   9,773\n"))
        let bug = try CommandLineTests.mmcheck("check", "models/bugs/exit-mm-without-grab.mmc", "--fingerprint")
        #expect(bug.status == 1 && bug.out.contains("verdict   VIOLATION of no-free-while-borrowed\n"))
    }
}
