import Foundation
import Synchronization
import Testing

@testable import MMCheckCLI

/// Mutated trace files given to `replay`: every case ends with a confirmed violation (exit 1)
/// or exit 2 with a located error or a NOT CONFIRMED result; never a crash, never a hang.
/// Seeded, so a failure names a case that reproduces.
@Suite struct TraceFuzzTests {
    /// The lines a command writes.
    final class Captured: Sendable {
        let out = Mutex<[String]>([]), err = Mutex<[String]>([])
        var console: Console {
            Console(
                out: { line in self.out.withLock { $0.append(line) } },
                err: { line in self.err.withLock { $0.append(line) } })
        }
    }

    static let pieces = [
        "cpus=99999999999999999999", "tasks=9223372036854775807", "cpu=-1", "mm=70000", "next=idle", "how=spoon",
        "step", "bounds", "claim", "mode fine", "model", "=", "==", "\u{1}", "\u{7F}", "é", "\t", "#", "cap=1",
        "step exit cpu=0 task=0", "step schedule cpu=1 next=1", "claim model-error", "claim violation no-leak",
        "bounds cpus=8 tasks=16 mms=16 cap=1000", "mmcheck-trace 1", "mmcheck-trace 2",
    ]

    /// One mutation of `text`.
    static func mutate(_ text: String, _ g: inout SplitMix64) -> [UInt8] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var bytes: [UInt8]?
        let rounds = 1 + g.below(3)
        for _ in 0..<rounds {
            let i = g.below(lines.count)
            switch g.below(9) {
            case 0: lines.remove(at: i)
            case 1: lines.insert(lines[i], at: g.below(lines.count + 1))
            case 2: lines.swapAt(i, g.below(lines.count))
            case 3:
                var words = lines[i].split(separator: " ").map(String.init)
                if !words.isEmpty { words[g.below(words.count)] = pieces[g.below(pieces.count)] }
                lines[i] = words.joined(separator: " ")
            case 4: lines.insert(pieces[g.below(pieces.count)], at: i)
            case 5:
                // A number made huge, negative or off by one.
                let replacements = ["99999999999999999999", "-1", "18446744073709551616", "0", "9"]
                lines[i] = lines[i].replacingOccurrences(
                    of: "=\(g.below(4))", with: "=\(replacements[g.below(replacements.count)])")
            case 6:
                var words = lines[i].split(separator: " ").map(String.init)
                if words.count > 1 { words.remove(at: 1 + g.below(words.count - 1)) }
                lines[i] = words.joined(separator: " ")
            case 7:
                // Truncated at a random byte.
                let all = Array(lines.joined(separator: "\n").utf8)
                bytes = Array(all.prefix(g.below(all.count + 1)))
            default:
                // A bad byte somewhere (invalid UTF-8 included).
                var all = Array(lines.joined(separator: "\n").utf8)
                all.insert([0x00, 0x01, 0xFF, 0xC3, 0x1B][g.below(5)], at: g.below(all.count + 1))
                bytes = all
            }
            if bytes != nil || lines.isEmpty { break }
        }
        return bytes ?? Array(lines.joined(separator: "\n").utf8)
    }

    @Test func mutatedTracesNeverCrashReplay() throws {
        let results = Repository.path("results")
        let enumerator = FileManager.default.enumerator(atPath: results)
        var traces: [String] = []
        while let item = enumerator?.nextObject() as? String {
            if item.hasSuffix(".trace") { traces.append(item) }
        }
        traces.sort()
        #expect(traces.count > 20)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmcheck-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = SplitMix64(seed: 0x6D6D_6368_6563_6B21)
        var outcomes: [Int32: Int] = [:]
        let cases = 400
        for n in 0..<cases {
            let name = traces[g.below(traces.count)]
            let text = try String(contentsOfFile: "\(results)/\(name)", encoding: .utf8)
            // The model the trace was written for (its `model` line, relative to the repository).
            guard let modelLine = text.split(separator: "\n").first(where: { $0.hasPrefix("model ") }) else { continue }
            let model = Repository.path(String(modelLine.dropFirst("model ".count)))
            let mutated = Self.mutate(text, &g)
            let file = dir.appendingPathComponent("case-\(n).trace").path
            try Data(mutated).write(to: URL(fileURLWithPath: file))
            let captured = Captured()
            let code = CommandLineTool.run(["replay", model, file], console: captured.console)
            outcomes[code, default: 0] += 1
            let out = captured.out.withLock { $0 }, err = captured.err.withLock { $0 }
            let label = "case \(n) (\(name))"
            #expect(code == 1 || code == 2, "\(label): exit \(code)")
            if code == 1 {
                #expect(out.last?.hasPrefix("result    CONFIRMED") == true, "\(label)")
            } else if err.isEmpty {
                #expect(
                    out.last?.hasPrefix("result    NOT CONFIRMED") == true || out.last?.contains("model error") == true,
                    "\(label)")
            } else {
                for line in err {
                    let located =
                        line.hasPrefix("\(file):")
                        && line.range(of: #"^[^:]+:\d+:\d+: error: "#, options: .regularExpression) != nil
                    let whole = line.hasPrefix("mmcheck: error: ")
                    #expect(located || whole, "\(label): \(line)")
                    #expect(!line.contains("\n"), "\(label): one line per error")
                }
            }
        }
        // The mutations reach both outcomes: some survive and replay, most are refused.
        #expect(outcomes[1, default: 0] > 0)
        #expect(outcomes[2, default: 0] > cases / 2)
    }
}
