import Foundation
import Testing

@testable import MMCheckCLI
@testable import ModelLanguage

/// `mmcheck mutate`: the generator's exact mutants on a tiny text, a killed, an equivalent
/// and a surviving mutant end to end, and `--show` / `--write`.
@Suite struct MutateTests {
    static let tiny = """
        routine mmgrab(m: mm) {
            m.count += 1
        }

        routine mmdrop(m: mm) {
            m.count -= 1
            if m.count == 0 {
                free(m)
            }
        }

        routine put(m: mm) {
            mmdrop(m)
        }
        """

    /// Worked out by hand: each simple statement deleted; each operand (`m.count`, `m`)
    /// replaced by the routine's other one; the adjacent pair of mmdrop swapped; the
    /// condition negated, made always true (its body in its place) and always false
    /// (nothing in its place); mmdrop's partner mmgrab (mmput is no routine here).
    @Test func theMutantsOfATinyModel() {
        let mutants = Mutator.mutants(of: Self.tiny, regions: true)
        let listed = mutants.map { "\($0.id) \($0.kind.rawValue) \($0.location) \($0.before) => \($0.after)" }
        #expect(
            listed == [
                "1 delete 2:5 m.count += 1 => (deleted)",
                "2 delete 6:5 m.count -= 1 => (deleted)",
                "3 operand 6:5 m.count -= 1 => m -= 1",
                "4 swap 6:5 m.count -= 1 / if m.count == 0 { => swapped",
                "5 negate 7:16 if m.count == 0 { => if m.count != 0 {",
                "6 condition 7:5 if m.count == 0 { => (always true)",
                "7 condition 7:5 if m.count == 0 { => (always false)",
                "8 operand 7:8 if m.count == 0 { => if m == 0 {",
                "9 delete 8:9 free(m) => (deleted)",
                "10 operand 8:14 free(m) => free(m.count)",
                "11 delete 13:5 mmdrop(m) => (deleted)",
                "12 helper 13:5 mmdrop(m) => mmgrab(m)",
            ])
        // The edited texts, for three of them.
        let lines = Self.tiny.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(mutants[5].text.contains("    m.count -= 1\n        free(m)\n}"))
        #expect(mutants[6].text.contains("    m.count -= 1\n}"))
        #expect(mutants[3].text.split(separator: "\n", omittingEmptySubsequences: false).count == lines.count)
        #expect(mutants[3].text.contains("    if m.count == 0 {\n        free(m)\n    }\n    m.count -= 1\n}"))
        // No region edits without regions, and none asked for in coarse mode.
        #expect(!mutants.contains { $0.kind == .dropRegion || $0.kind == .moveOut })
    }

    /// Regions: removed with their statements kept, and their first and last statements
    /// moved out; a region routine loses its keyword.
    @Test func regionEdits() {
        let text = """
            routine a(m: mm) irqs_off {
                m.count += 1
            }

            routine b(m: mm) {
                atomic {
                    m.count -= 1
                    m.users -= 1
                }
            }
            """
        let regions = Mutator.mutants(of: text, regions: true).filter { $0.kind == .dropRegion || $0.kind == .moveOut }
        #expect(
            regions.map { "\($0.kind.rawValue) \($0.location) \($0.after)" } == [
                "drop-region 1:9 routine a(m: mm) {", "drop-region 6:5 (region removed, its statements kept)",
                "move-out 7:9 before `atomic {`", "move-out 8:9 after the region's end",
            ])
        #expect(regions[1].text.contains("routine b(m: mm) {\n        m.count -= 1\n        m.users -= 1\n}"))
        #expect(regions[2].text.contains("        m.count -= 1\n    atomic {\n        m.users -= 1\n    }"))
        #expect(Mutator.mutants(of: text, regions: false).allSatisfy { $0.kind != .dropRegion })
    }

    /// linux-6 at its declared bounds, end to end: every deletion of a count operation is
    /// killed, and every swap of one is killed or equivalent; a known kill, a known
    /// equivalent mutant and a known survivor.
    @Test func linux6EndToEnd() throws {
        let run = try OutputTests.mmcheck("mutate", "models/linux-6.mmc", "--format", "json")
        #expect(run.status == 0)
        let d = try OutputTests.decode(run.out)
        let mutants = try #require(d["mutants"] as? [[String: Any]])
        func find(_ line: Int, _ kind: String, _ after: String) -> [String: Any]? {
            mutants.first {
                $0["line"] as? Int == line && $0["kind"] as? String == kind && $0["after"] as? String == after
            }
        }
        // mmgrab's increment deleted: the first exit frees init's mm under its active_mm.
        let grab = try #require(find(19, "delete", "(deleted)"))
        #expect(grab["verdict"] as? String == "killed" && grab["property"] as? String == "no-free-while-borrowed")
        #expect(grab["trace"] as? Int == 2)
        // A fresh slot's mm is none already: clearing it again changes nothing.
        #expect(find(87, "delete", "(deleted)")?["verdict"] as? String == "equivalent")
        // Every clone a CLONE_VM one: a legal kernel, which the properties rightly pass.
        #expect(find(92, "condition", "(always true)")?["verdict"] as? String == "survived")
        let countOps = try Regex("mmgrab|mmdrop|mmget|mmput|\\.count|\\.users")
        for m in mutants where (m["before"] as? String)?.contains(countOps) == true {
            switch m["kind"] as? String {
            case "delete": #expect(m["verdict"] as? String == "killed", "\(m)")
            case "swap": #expect(["killed", "equivalent"].contains(m["verdict"] as? String), "\(m)")
            default: break
            }
        }
        let generated = try #require(d["generated"] as? Int), checked = try #require(d["checked"] as? Int)
        #expect(checked + (d["notCompiled"] as? Int ?? -1) == generated)
        #expect((d["killed"] as? Int ?? 0) + (d["survived"] as? Int ?? 0) == checked)
    }

    /// --show prints the edit as a diff; --write writes the mutant as a model file that
    /// checks to the verdict the table gives it; a wrong id is a usage error.
    @Test func showAndWriteRoundTrip() throws {
        let show = try OutputTests.mmcheck("mutate", "models/linux-6.mmc", "--show", "1")
        #expect(show.status == 0)
        #expect(
            show.out.contains("mutant 1 of models/linux-6.mmc (delete): models/linux-6.mmc:19:5  delete `m.count += 1`")
        )
        #expect(show.out.contains("\n-     m.count += 1\n"))
        let dir = try OutputTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("mutant.mmc").path
        let write = try OutputTests.mmcheck("mutate", "models/linux-6.mmc", "--write", "1", file)
        #expect(write.status == 0 && write.out.contains("mutant 1 written to \(file)"))
        let check = try OutputTests.mmcheck("check", file)
        #expect(check.status == 1)
        #expect(check.out.contains("verdict   VIOLATION of no-free-while-borrowed"))
        #expect(check.out.contains("Counterexample: 2 steps"))
        let bad = try OutputTests.mmcheck("mutate", "models/linux-6.mmc", "--show", "9999")
        #expect(bad.status == 2 && bad.err.hasPrefix("mmcheck: error: option '--show': no mutant '9999'"))
        let input = try OutputTests.mmcheck("mutate", "models/linux-6.mmc", "--write", "1", "models/linux-6.mmc")
        #expect(input.status == 2)
        let missing = try OutputTests.mmcheck("mutate", "models/linux-6.mmc", "--write", "1")
        #expect(
            missing.status == 2 && missing.err == "mmcheck: error: option '--write' needs a mutant id and a file name\n"
        )
    }
}
