import Foundation
import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// The differential test of the partial-order reduction: single-edit variants of the fine
/// models (one statement deleted, two adjacent statements swapped, one `atomic`,
/// `irqs_off` or `preempt_off` region dropped), each searched with `--all` with and without the
/// reduction. The verdict and the set of properties violated must be the same for every
/// variant, and every trace of the reduced search must replay to its property. Variants
/// that do not compile are skipped, and so are those whose full search passes
/// `stateLimit` states (a debug build is slow); the counts are checked to stay meaningful.
@Suite struct PartialOrderVariantTests {
    static let models = [
        "models/linux-6-fine.mmc", "models/linux-2.6-fine.mmc", "models/linux-6-exec-fine.mmc",
        "models/linux-6-exec-rt-fine.mmc",
    ]
    static let bounds = Bounds(cpus: 2, tasks: 2, mms: 1)
    static let stateLimit = 80_000

    /// The variants of a model text, each with a name saying what was edited.
    static func variants(of text: String) -> [(String, String)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func code(_ i: Int) -> Substring { lines[i].split(separator: "#", omittingEmptySubsequences: false)[0] }
        // Lines inside a routine body (brace depth > 0), and among them the plain statements.
        var inside: [Int] = []
        var depth = 0
        for i in lines.indices {
            if depth > 0 { inside.append(i) }
            let c = code(i)
            depth += c.filter { $0 == "{" }.count - c.filter { $0 == "}" }.count
        }
        let simple = inside.filter { i in
            let c = code(i)
            return !c.trimmingCharacters(in: .whitespaces).isEmpty && !c.contains("{") && !c.contains("}")
        }
        var out: [(String, String)] = []
        func add(_ name: String, _ edited: [String]) { out.append((name, edited.joined(separator: "\n"))) }
        for i in simple {
            var e = lines
            e[i] = "# deleted"
            add("delete line \(i + 1)", e)
        }
        for (a, b) in zip(simple, simple.dropFirst()) where b == a + 1 {
            var e = lines
            e.swapAt(a, b)
            add("swap lines \(a + 1), \(b + 1)", e)
        }
        for i in inside {
            let c = code(i).trimmingCharacters(in: .whitespaces)
            guard c == "atomic {" || c == "irqs_off {" || c == "preempt_off {" else { continue }
            var d = 0
            var close = i
            for j in i..<lines.count {
                let cj = code(j)
                d += cj.filter { $0 == "{" }.count - cj.filter { $0 == "}" }.count
                if d == 0 {
                    close = j
                    break
                }
            }
            var e = lines
            e[i] = "# region dropped"
            e[close] = "# end of the dropped region"
            add("drop the region at line \(i + 1)", e)
        }
        for region in [" irqs_off", " preempt_off"] {
            for i in lines.indices where lines[i].hasPrefix("routine") && code(i).contains(region) {
                var e = lines
                e[i] = lines[i].replacingOccurrences(of: region, with: "")
                add("drop\(region) of the routine at line \(i + 1)", e)
            }
        }
        return out
    }

    static func search(_ model: CompiledModel, reduced: Bool) -> SearchResult {
        var options = SearchOptions(findAll: true, maxStates: stateLimit, threads: 2)
        options.partialOrder = reduced
        return Search(system: KernelSystem(model: model, bounds: bounds), options: options).run()
    }

    @Test(arguments: models)
    func everyVariantViolatesTheSamePropertiesReduced(_ file: String) throws {
        let text = try String(contentsOfFile: Repository.path(file), encoding: .utf8)
        var compared = 0, violating = 0, tooLarge = 0
        let variants = Self.variants(of: text)
        for (name, variant) in variants {
            guard
                case .success(let model) = ModelCompiler.compile(
                    path: file, text: variant, properties: Fixture.properties, mode: .fine)
            else { continue }
            let full = Self.search(model, reduced: false)
            guard full.ending == .exhausted else {
                tooLarge += 1
                continue
            }
            let reduced = Self.search(model, reduced: true)
            #expect(reduced.ending == .exhausted, "\(file): \(name)")
            #expect(
                PartialOrderModelTests.violated(full) == PartialOrderModelTests.violated(reduced), "\(file): \(name)")
            #expect(reduced.states <= full.states, "\(file): \(name)")
            // Each trace, rebuilt through the states passed through, replays to its property.
            for trace in reduced.counterexamples {
                let replay = try Replay(system: KernelSystem(model: model, bounds: Self.bounds), path: trace.path)
                #expect(replay.finalBreach.map { Int($0.code) } == trace.property, "\(file): \(name)")
            }
            compared += 1
            if !PartialOrderModelTests.violated(full).isEmpty { violating += 1 }
        }
        // Most variants compile and run, and many of them break a property: the test cannot
        // pass by comparing nothing.
        #expect(compared >= variants.count / 2, "\(file): \(compared) of \(variants.count) compared")
        #expect(violating >= compared / 4, "\(file): \(violating) of \(compared) violate")
        #expect(tooLarge <= variants.count / 2, "\(file): \(tooLarge) too large")
    }
}
