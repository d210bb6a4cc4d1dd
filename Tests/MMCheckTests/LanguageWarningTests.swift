import Foundation
import KernelSemantics
import Testing

@testable import ModelLanguage

/// Warnings: what compiles but silently means something else than it says. A warning
/// prints as `file:line:column: warning: message`; a model that compiles carries its
/// warnings (`CompiledModel.warnings`), a model that fails reports its errors only.
@Suite struct LanguageWarningTests {
    static func warnings(_ text: String, mode: CompiledModel.Mode? = nil) -> [String] {
        switch ModelCompiler.compile(path: "w.mmc", text: text, properties: Property.allCases.map(\.name), mode: mode) {
        case .success(let model): return model.warnings.map { $0.formatted(path: "w.mmc") }
        case .failure(let errors):
            Issue.record("does not compile: \(errors.lines)")
            return []
        }
    }

    /// The template of ModelErrorTests (12 lines) with some lines replaced and `append` at line 13.
    static func warnings(_ edits: [Int: String] = [:], append: String = "") -> [String] {
        warnings(ModelErrorTests.model(edits, append: append))
    }

    @Test func everyShippedModelCompilesWithoutWarnings() throws {
        let paths =
            Fixture.modelFiles(under: "models") + Fixture.modelFiles(under: "models/bugs")
            + Fixture.modelFiles(under: "models/near-misses")
        #expect(paths.count > 40)
        for path in paths {
            for mode in CompiledModel.Mode.allCases {
                let model = try Fixture.load(path, mode: mode)
                #expect(model.warnings.isEmpty, "\(path) (\(mode)): \(model.warnings.map { $0.formatted(path: path) })")
            }
        }
    }

    @Test func aMisspeltEntryRoutineIsReported() {
        // schedule runs without finish_task_switch: nothing else would say so.
        #expect(
            Self.warnings(append: "routine fnish_task_switch(prev: task) {\n    mmgrab(prev.active_mm)\n}\n") == [
                "w.mmc:13:9: warning: routine 'fnish_task_switch' is never called, and no action runs it: did you mean 'finish_task_switch'?"
            ])
        #expect(
            Self.warnings(append: "routine exit_m(t: task) {\n}\n") == [
                "w.mmc:13:9: warning: routine 'exit_m' is never called, and no action runs it: did you mean 'exit_mm'?"
            ])
        // A routine far from every entry name gets no suggestion.
        #expect(
            Self.warnings(append: "routine helper(t: task) {\n}\n") == [
                "w.mmc:13:9: warning: routine 'helper' is never called, and no action runs it"
            ])
        // Entry routines count whether or not their action is on; what a routine calls is used.
        #expect(
            Self.warnings(
                append: "routine exit_mm(t: task) {\n}\nroutine exec_mmap(t: task, new: mm) {\n    mmgrab(new)\n}\n")
                == [])
        // Only routines nothing calls are reported: what an unused routine calls is not.
        #expect(
            Self.warnings(append: "routine a(t: task) {\n    b(t)\n}\nroutine b(t: task) {\n}\n") == [
                "w.mmc:13:9: warning: routine 'a' is never called, and no action runs it"
            ])
    }

    @Test func statementsAfterAReturnAreReported() {
        // `return` and `}` swapped: exit_mm would do nothing.
        let swapped =
            "routine exit_mm(t: task) {\n    let m = t.mm\n    if m is none {\n    }\n    return\n    mmgrab(m)\n}\n"
        #expect(
            Self.warnings([6: "actions schedule, exit"], append: swapped) == [
                "w.mmc:18:5: warning: statement is never run: it follows a 'return'"
            ])
        // After an if whose every branch returns, and inside nested blocks and regions.
        #expect(
            Self.warnings([11: "    if prev.mm is none { return } else { return }\n    mmgrab(prev.active_mm)"]) == [
                "w.mmc:12:5: warning: statement is never run: every branch of the 'if' before it returns"
            ])
        #expect(
            Self.warnings([11: "    if prev.mm is none {\n        return\n        mmgrab(prev.active_mm)\n    }"]) == [
                "w.mmc:13:9: warning: statement is never run: it follows a 'return'"
            ])
        #expect(
            Self.warnings([11: "    atomic {\n        return\n    }\n    mmgrab(prev.active_mm)"]) == [
                "w.mmc:14:5: warning: statement is never run: the atomic block before it returns"
            ])
        // One warning per block; an if with no else, or a return last, is fine.
        #expect(Self.warnings([11: "    return\n    mmgrab(prev.active_mm)\n    mmgrab(prev.active_mm)"]).count == 1)
        #expect(Self.warnings([11: "    if prev.mm is none { return }\n    mmgrab(prev.active_mm)\n    return"]) == [])
    }

    @Test func warningsAreSortedAndFormatted() {
        let text = ModelErrorTests.model(
            [11: "    return\n    mmgrab(prev.active_mm)"], append: "routine zz(t: task) {\n}\n")
        #expect(
            Self.warnings(text) == [
                "w.mmc:12:5: warning: statement is never run: it follows a 'return'",
                "w.mmc:14:9: warning: routine 'zz' is never called, and no action runs it",
            ])
        let warning = Diagnostic(SourceLocation(line: 3, column: 4), "m", severity: .warning)
        #expect(warning.description == "3:4: warning: m")
        #expect(Diagnostic(SourceLocation(line: 3, column: 4), "m").formatted(path: "f") == "f:3:4: error: m")
    }

    @Test func aFailedCompileReportsErrorsOnly() {
        // The unused routine is not reported next to the error (it is often what the error left behind).
        let text = ModelErrorTests.model([11: "    foo()"], append: "routine zz(t: task) {\n}\n")
        #expect(ModelErrorTests.errors(text) == ["bad.mmc:11:5: error: unknown routine 'foo'"])
    }
}
