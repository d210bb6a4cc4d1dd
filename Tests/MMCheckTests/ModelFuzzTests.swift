import Explorer
import Foundation
import KernelSemantics
import Testing

@testable import ModelLanguage

/// Mutated model files: the shipped models with words deleted, swapped and duplicated,
/// cut at random bytes, nested deeply, given huge numbers and bad bytes. Each must either
/// fail with errors at valid positions or compile cleanly (and then a few of them run a
/// tiny search): never a crash. Deterministic: the cases come from a fixed seed.
@Suite struct ModelFuzzTests {
    /// 400 cases from a fixed seed; `MMCHECK_FUZZ_CASES` and `MMCHECK_FUZZ_SEED` run other
    /// (still reproducible) ones, for a longer hunt by hand.
    static let cases = ProcessInfo.processInfo.environment["MMCHECK_FUZZ_CASES"].flatMap { Int($0) } ?? 400
    /// How many of the cases that compile run a tiny search (`MMCHECK_FUZZ_SEARCHES` for more).
    static let searches = ProcessInfo.processInfo.environment["MMCHECK_FUZZ_SEARCHES"].flatMap { Int($0) } ?? 6
    static let seed =
        ProcessInfo.processInfo.environment["MMCHECK_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x6D6D_6368_6563_6B21

    /// The shipped models' texts.
    static func corpus() throws -> [String] {
        let paths =
            Fixture.modelFiles(under: "models") + Fixture.modelFiles(under: "models/bugs")
            + Fixture.modelFiles(under: "models/near-misses")
        return try paths.map { try String(contentsOfFile: Repository.path($0), encoding: .utf8) }
    }

    /// The byte ranges of the words (runs of non-blank bytes) of `bytes`.
    static func words(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start: Int?
        for (i, b) in bytes.enumerated() {
            let blank = b == 32 || b == 10 || b == 9 || b == 13
            if blank, let s = start {
                ranges.append(s..<i)
                start = nil
            } else if !blank && start == nil {
                start = i
            }
        }
        if let s = start { ranges.append(s..<bytes.count) }
        return ranges
    }

    /// One mutation of `bytes`, chosen by `rng`.
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        let words = Self.words(bytes)
        guard !words.isEmpty else {
            bytes += Array("routine".utf8)
            return
        }
        func word() -> Range<Int> { words[Int.random(in: 0..<words.count, using: &rng)] }
        func offset() -> Int { Int.random(in: 0...bytes.count, using: &rng) }
        func lineStart() -> Int {
            let o = offset()
            return (bytes[..<o].lastIndex(of: 10).map { $0 + 1 }) ?? 0
        }
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:  // delete a word
            bytes.removeSubrange(word())
        case 1:  // swap two words
            var (a, b) = (word(), word())
            if a.lowerBound > b.lowerBound { swap(&a, &b) }
            guard a.upperBound <= b.lowerBound else { return }
            let (wa, wb) = (Array(bytes[a]), Array(bytes[b]))
            bytes.replaceSubrange(b, with: wa)
            bytes.replaceSubrange(a, with: wb)
        case 2:  // duplicate a word somewhere
            let w = Array(bytes[word()])
            bytes.insert(contentsOf: w + [32], at: offset())
        case 3:  // cut the file at a random byte
            bytes.removeSubrange(offset()...)
        case 4:  // nest blocks deeply
            let n = Int.random(in: 1...3_000, using: &rng)
            let open = Array((Bool.random(using: &rng) ? "if t.mm is none {\n" : "atomic {\n").utf8)
            var inserted: [UInt8] = []
            for _ in 0..<n { inserted += open }
            inserted += Array(String(repeating: "}\n", count: Int.random(in: 0...n, using: &rng)).utf8)
            bytes.insert(contentsOf: inserted, at: lineStart())
        case 5:  // nest an expression deeply
            let n = Int.random(in: 1...5_000, using: &rng)
            let text =
                "if " + String(repeating: ["(", "not ", "f("].randomElement(using: &rng)!, count: n) + "x"
                + String(repeating: ")", count: Int.random(in: 0...n, using: &rng)) + " { }\n"
            bytes.insert(contentsOf: Array(text.utf8), at: lineStart())
        case 6:  // a huge number, in place of a word or anywhere
            let number = Array(
                ["99999999999999999999", "9223372036854775808", "18446744073709551616", "1001", "0"]
                    .randomElement(using: &rng)!.utf8)
            if Bool.random(using: &rng) {
                bytes.replaceSubrange(word(), with: number)
            } else {
                bytes.insert(contentsOf: number + [32], at: offset())
            }
        case 7:  // bad bytes: control characters, and bytes that are not UTF-8
            let pool: [UInt8] = [
                0, 1, 7, 8, 11, 12, 27, 127, 0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xF0, 0xFE, 0xFF, 64, 36, 96, 39, 92,
            ]
            let n = Int.random(in: 1...20, using: &rng)
            bytes.insert(contentsOf: (0..<n).map { _ in pool.randomElement(using: &rng)! }, at: offset())
        case 8:  // delete a random span of bytes
            let a = offset()
            let b = min(bytes.count, a + Int.random(in: 1...200, using: &rng))
            bytes.removeSubrange(a..<b)
        default:  // duplicate a line (or a block's worth of lines)
            let s = lineStart()
            let e = bytes[s...].firstIndex(of: 10).map { $0 + 1 } ?? bytes.count
            let copy = Array(bytes[s..<e])
            bytes.insert(contentsOf: copy.isEmpty || copy.last == 10 ? copy : copy + [10], at: lineStart())
        }
    }

    @Test func mutatedModelsFailCleanlyOrCompile() throws {
        let corpus = try Self.corpus()
        #expect(!corpus.isEmpty)
        var rng = SplitMix64(seed: Self.seed)
        var failed = 0, compiled = 0, searched = 0
        let clock = ContinuousClock()
        let start = clock.now
        for n in 0..<Self.cases {
            var bytes = Array(corpus[Int.random(in: 0..<corpus.count, using: &rng)].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) { Self.mutate(&bytes, &rng) }
            // The command line reads files as UTF-8; bytes that are not are decoded as U+FFFD here.
            let text = String(decoding: bytes, as: UTF8.self)
            let lineCount = text.utf8.count { $0 == 10 } + 1
            // The file's own mode, or the command line's --mode over it.
            let mode = [nil, CompiledModel.Mode.coarse, .fine][Int.random(in: 0..<3, using: &rng)]
            switch ModelCompiler.compile(path: "fuzz.mmc", text: text, properties: Fixture.properties, mode: mode) {
            case .failure(let errors):
                failed += 1
                #expect(!errors.diagnostics.isEmpty, "case \(n)")
                for d in errors.diagnostics {
                    #expect(d.severity == .error, "case \(n): \(d)")
                    #expect(
                        d.location.line >= 1 && d.location.column >= 1 && d.location.line <= lineCount + 1,
                        "case \(n): \(d) in a file of \(lineCount) lines")
                }
                #expect(errors.lines(limit: 20).count <= 21)
            case .success(let model):
                compiled += 1
                for w in model.warnings {
                    #expect(
                        w.severity == .warning && w.location.line >= 1 && w.location.line <= lineCount + 1,
                        "case \(n): \(w)")
                }
                if searched < Self.searches {
                    searched += 1
                    let result = Fixture.explore(
                        model, Bounds(cpus: 1, tasks: 2, mms: 1, cap: nil), SearchOptions(maxStates: 2_000))
                    #expect(result.states >= 1, "case \(n)")
                }
            }
        }
        let elapsed = clock.now - start
        print("fuzz: \(Self.cases) cases, \(failed) refused, \(compiled) compiled, \(searched) searched, in \(elapsed)")
        #expect(failed > Self.cases / 2)
        #expect(compiled > 0)
        #expect(elapsed < .seconds(60) * max(1, Self.cases / 400))
    }
}
