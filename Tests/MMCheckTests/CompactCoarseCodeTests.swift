import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// The compact coarse code (`CompactCoarseCode`) against the code as emitted: the same
/// search, state for state and violation for violation, on every coarse model of the
/// repository. A search with `--coverage` runs the emitted code, one without it the
/// compact code.
@Suite struct CompactCoarseCodeTests {
    static let coarseModels =
        (Fixture.modelFiles(under: "models") + Fixture.modelFiles(under: "models/bugs")
        + Fixture.modelFiles(under: "models/near-misses")).filter { file in
            (try? Fixture.load(file).mode) == .coarse
        }

    @Test(arguments: coarseModels)
    func theCompactCodeSearchesTheSame(_ file: String) throws {
        let model = try Fixture.load(file)
        let bounds = Fixture.bounds(of: model)
        let options = SearchOptions(findAll: true, maxStates: 200_000, threads: 1)
        let emitted = Search(system: KernelSystem(model: model, bounds: bounds, coverage: true), options: options).run()
        let compact = Search(system: KernelSystem(model: model, bounds: bounds), options: options).run()
        #expect(emitted.ending == compact.ending, "\(file)")
        #expect(
            (emitted.states, emitted.transitions, emitted.depth) == (
                compact.states, compact.transitions, compact.depth
            ),
            "\(file)")
        #expect(emitted.violationCounts == compact.violationCounts, "\(file)")
        #expect(emitted.counterexamples == compact.counterexamples, "\(file)")
    }

    /// linux-6's schedule action, worked out by hand from its 39 emitted instructions: the
    /// literal `none` of its five tests and three stores is one constant register; the
    /// copies of the inputs `prev` and `next` are gone (their readers read the inputs: the
    /// register `next` is copied into holds an mm in exit, but a free marks dangling only
    /// the mm registers of its own action), as is the unused copy passed to
    /// finish_task_switch; 28 are left. Then the four loads tested right after and read
    /// nowhere else (`next.mm is none`, `prev.mm is none` in both branches, and mmdrop's
    /// `m.count == 0`) each become one with their test: 24 instructions.
    @Test func linux6ScheduleLosesItsConstantsAndCopies() throws {
        let model = try Fixture.load("models/linux-6.mmc")
        let compact = CompactCoarseCode(model)
        #expect(compact.constants.map(\.value) == [Ref.none])
        #expect(compact.registerCount == model.registerCount + 1)
        func length(_ code: [Instruction], from entry: Int?) -> Int {
            guard let entry else { return 0 }
            return (code[entry...].firstIndex { $0.operation == .end } ?? entry) - entry + 1
        }
        let schedule = Int(Action.schedule.rawValue)
        #expect(length(model.code, from: model.entries[schedule]) == 39)
        #expect(length(compact.code, from: compact.entries[schedule]) == 24)
        let entry = try #require(compact.entries[schedule])
        let ops = compact.code[entry..<(entry + 24)].map(\.operation)
        #expect(ops.filter { $0 == .jumpIfMMEqual || $0 == .jumpIfMMNotEqual }.count == 3)
        #expect(ops.filter { $0 == .jumpIfCountNotEqual }.count == 1)
        // The one copy left is of an mm (finish_task_switch passing `m` to mmdrop).
        #expect(ops.filter { $0 == .move }.count == 1)
        #expect(!compact.code.contains { $0.operation == .constant && $0.b == Ref.none })
    }
}
