import Foundation
import Testing

@testable import KernelSemantics
@testable import ModelLanguage

/// Inputs at and past the model language's limits (`LanguageLimits`): deep nesting, long
/// call chains and cycles, exponential inlining, too many live locals. Every deep input is
/// compiled on a thread with a 512 KiB stack (as Dispatch's worker threads have on Linux),
/// so a recursion that input could drive too deep crashes the test run.
@Suite struct LanguageLimitTests {
    /// Lines 1-8; a test's own routines start at line 9.
    static let header = """
        model "deep"
        expect pass
        cpus 1
        tasks 2
        mms 1
        actions schedule, exit
        routine context_switch(prev: task, next: task) {
        }

        """

    static let smallStack = 512 * 1024

    /// The result of compiling `text` on a thread with a 512 KiB stack.
    static func compileOnSmallStack(
        _ text: String, mode: CompiledModel.Mode? = nil
    ) -> Result<CompiledModel, ModelErrors> {
        final class Box: @unchecked Sendable { var result: Result<CompiledModel, ModelErrors>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = ModelCompiler.compile(
                path: "test.mmc", text: text, properties: Property.allCases.map(\.name), mode: mode)
            done.signal()
        }
        thread.stackSize = smallStack
        thread.start()
        done.wait()
        return box.result!
    }

    /// The error lines for `text` compiled on a small stack ([] when it compiles).
    static func errors(_ text: String, mode: CompiledModel.Mode? = nil) -> [String] {
        switch compileOnSmallStack(text, mode: mode) {
        case .success: return []
        case .failure(let errors): return errors.lines
        }
    }

    static func exitMM(_ body: String) -> String { header + "routine exit_mm(t: task) {\n" + body + "}\n" }

    /// A condition nested as deep as an expression may be.
    static let deepCondition =
        String(repeating: "(", count: LanguageLimits.maxExpressionDepth) + "t.mm is none"
        + String(repeating: ")", count: LanguageLimits.maxExpressionDepth)

    // MARK: Blocks

    @Test func nestedBlocks() {
        let max = LanguageLimits.maxBlockDepth
        // The routine's body is one block: max - 1 ifs inside it are at the limit (the last
        // with a condition at the expression limit: the parser's deepest recursion).
        let atLimit =
            String(repeating: "if t.mm is none {\n", count: max - 2) + "if \(Self.deepCondition) {\n"
            + "t.mm = none\n" + String(repeating: "}\n", count: max - 1)
        #expect(Self.errors(Self.exitMM(atLimit)) == [])
        // 13,900 nested ifs: one error, at the if that opens block max + 1 (line 9 + max).
        let n = 13_900
        let deep = String(repeating: "if t.mm is none {\n", count: n) + String(repeating: "}\n", count: n)
        #expect(Self.errors(Self.exitMM(deep)) == ["test.mmc:\(9 + max):1: error: blocks nested deeper than \(max)"])
        // The rest of the file is still read: an error after the deep part is reported too.
        #expect(
            Self.errors(Self.exitMM(deep + "foo()\n")) == [
                "test.mmc:\(9 + max):1: error: blocks nested deeper than \(max)",
                "test.mmc:\(10 + 2 * n):1: error: unknown routine 'foo'",
            ])
        // Regions nest as blocks do, and so does each `else if` of a chain.
        let regions = String(repeating: "atomic {\n", count: n) + String(repeating: "}\n", count: n)
        #expect(Self.errors(Self.exitMM(regions)) == ["test.mmc:\(9 + max):1: error: blocks nested deeper than \(max)"])
        let chain = "if t.mm is none {\n}" + String(repeating: " else if t.mm is none {\n}", count: n) + "\n"
        #expect(Self.errors(Self.exitMM(chain)).count == 1)
        #expect(Self.errors(Self.exitMM(chain)).first?.hasSuffix("error: blocks nested deeper than \(max)") == true)
    }

    // MARK: Expressions

    @Test func nestedExpressions() {
        let max = LanguageLimits.maxExpressionDepth
        let atLimit =
            "if " + String(repeating: "(", count: max) + "t.mm is none" + String(repeating: ")", count: max)
            + " { return }\n"
        #expect(Self.errors(Self.exitMM(atLimit)) == [])
        // 27,800 parentheses: one error, at the first one past the limit.
        let n = 27_800
        let deep =
            "if " + String(repeating: "(", count: n) + "t.mm is none" + String(repeating: ")", count: n)
            + " { return }\n"
        #expect(
            Self.errors(Self.exitMM(deep)) == ["test.mmc:10:\(4 + max): error: expression nested deeper than \(max)"])
        // Long chains and other nestings: one error each, never a crash.
        let ands = "if " + Array(repeating: "t.mm is none", count: n).joined(separator: " and ") + " { return }\n"
        let nots = "if " + String(repeating: "not ", count: n) + "t.mm is none { return }\n"
        let fields = "let x = t" + String(repeating: ".mm", count: n) + "\n"
        let calls = "let x = " + String(repeating: "f(", count: n) + "t" + String(repeating: ")", count: n) + "\n"
        for body in [ands, nots, fields, calls] {
            let errors = Self.errors(Self.exitMM(body))
            #expect(errors.count == 1)
            #expect(errors.first?.hasPrefix("test.mmc:10:") == true)
            #expect(errors.first?.hasSuffix("error: expression nested deeper than \(max)") == true)
        }
    }

    // MARK: Calls

    /// `routine r1(t: task) { r2(t) }` ... `routine rN(t: task) { <last> }`, called from exit_mm.
    static func chain(_ n: Int, last: String = "") -> String {
        var text = header + "routine exit_mm(t: task) { r1(t) }\n"  // line 9
        for i in 1..<n { text += "routine r\(i)(t: task) { r\(i + 1)(t) }\n" }  // r_i on line 9 + i
        return text + "routine r\(n)(t: task) { \(last) }\n"
    }

    @Test func callChains() {
        let max = LanguageLimits.maxCallDepth
        #expect(Self.errors(Self.chain(max - 1)) == [])
        // exit_mm and r1...r(max - 1) make max routines; r(max - 1)'s call of r(max) is one too many.
        // (context_switch and exit_mm are the file's first two routines: the 1001st is r999.)
        let expected =
            "test.mmc:\(9 + max - 1):24: error: call chain deeper than \(max): exit_mm > r1 > r2 > r3 > r4 > r5 > "
            + "...(\(max + 1 - 10) more)... > r\(max - 3) > r\(max - 2) > r\(max - 1) > r\(max) (routines are inlined)"
        #expect(Self.errors(Self.chain(max)) == [expected])
        // 9,000 routines in a chain: the same error, and one for the routine count.
        #expect(
            Self.errors(Self.chain(9_000)) == [
                expected,
                "test.mmc:\(8 + LanguageLimits.maxRoutines):9: error: more than \(LanguageLimits.maxRoutines) routines",
            ])
    }

    @Test func longCycles() {
        // 25,000 routines calling each other round a cycle: found without recursion,
        // reported once, with the middle of the cycle left out.
        let n = 25_000
        let errors = Self.errors(Self.chain(n, last: "r1(t)"))
        #expect(
            errors == [
                "test.mmc:\(8 + LanguageLimits.maxRoutines):9: error: more than \(LanguageLimits.maxRoutines) routines",
                "test.mmc:\(9 + n):27: error: recursive call r1 -> r2 -> r3 -> r4 -> r5 -> r6 -> ...(\(n + 1 - 10) more)... "
                    + "-> r\(n - 2) -> r\(n - 1) -> r\(n) -> r1: routines are inlined, so recursion is not allowed",
            ])
    }

    @Test func manyLongCycles() {
        // Every routine of a long chain also calls r1: one recursion error per call back,
        // each with its cycle elided, in time linear in the file.
        let n = 3_000
        var text = Self.header + "routine exit_mm(t: task) { r1(t) }\n"
        for i in 1..<n { text += "routine r\(i)(t: task) { r\(i + 1)(t) r1(t) }\n" }
        text += "routine r\(n)(t: task) { r1(t) }\n"
        let clock = ContinuousClock()
        var errors: [String] = []
        let elapsed = clock.measure { errors = Self.errors(text) }
        #expect(errors.count == n + 1)  // and one for the routine count
        #expect(
            errors.last == "test.mmc:\(9 + n):26: error: recursive call r1 -> r2 -> r3 -> r4 -> r5 -> r6 -> "
                + "...(\(n - 9) more)... -> r\(n - 2) -> r\(n - 1) -> r\(n) -> r1: routines are inlined, so recursion is not allowed"
        )
        #expect(elapsed < .seconds(10))
    }

    @Test func nestingAcrossInlinedCalls() {
        // Blocks inside each routine of a chain add up once the calls are inlined.
        let max = LanguageLimits.maxInlinedNesting
        func text(_ routines: Int, ifs: Int) -> String {
            var text = Self.header + "routine exit_mm(t: task) { r1(t) }\n"
            for i in 1...routines {
                // The last statement nests its condition as deep as an expression may be.
                let call: String = i < routines ? "r\(i + 1)(t)\n" : "if \(Self.deepCondition) { }\n"
                let open = String(repeating: "if t.mm is none {\n", count: ifs)
                let close = String(repeating: "}\n", count: ifs)
                text += "routine r\(i)(t: task) {\n" + open + call + close + "}\n"
            }
            return text
        }
        // exit_mm's call is at depth 1, then each routine's statements are ifs + 1 deeper.
        #expect(Self.errors(text(9, ifs: 6)) == [])  // 1 + 9 * 7 = 64
        let errors = Self.errors(text(10, ifs: 6))
        #expect(errors.count == 1)
        #expect(
            errors.first?.contains(
                "error: blocks and calls nested deeper than \(max) once calls are inlined (exit_mm > r1 > ") == true)
    }

    @Test func exponentialInlining() {
        // Each routine calls the next twice: 2^n copies. Refused before any copy is made,
        // at the call that makes a routine cross the limit.
        func text(_ n: Int) -> String {
            var text = Self.header + "routine exit_mm(t: task) { r1(t.mm) }\n"
            for i in 1..<n { text += "routine r\(i)(m: mm) { r\(i + 1)(m) r\(i + 1)(m) }\n" }
            return text + "routine r\(n)(m: mm) { m.count += 1 }\n"
        }
        let clock = ContinuousClock()
        let tooLarge =
            "larger than \(Digits.grouped(LanguageLimits.maxInlinedInstructions)) instructions (each call inlines a copy of the routine it calls)"
        for n in [15, 22, 24, 60] {
            var errors: [String] = []
            let elapsed = clock.measure { errors = Self.errors(text(n)) }
            // From 16 routines on, the call chain is too deep as well.
            #expect(errors.count == (n < LanguageLimits.maxCallDepth ? 1 : 2))
            #expect(
                errors.contains { $0.contains("error: inlining this call makes routine 'r") && $0.hasSuffix(tooLarge) })
            #expect(elapsed < .seconds(5))
        }
        // r3 (on line 12) inlines 2^12 copies of r15: its second call of r4 crosses the limit.
        #expect(Self.errors(text(15)) == ["test.mmc:12:27: error: inlining this call makes routine 'r3' " + tooLarge])
        // A model under the limit still compiles.
        #expect(Self.errors(text(8)) == [])
    }

    // MARK: Fine mode: live values a state can hold

    @Test func tooManyLiveLocalsInFineMode() {
        func text(_ n: Int) -> String {
            Self.exitMM((0..<n).map { "let a\($0) = t.mm\n" }.joined() + (0..<n).map { "switch_mm(a\($0))\n" }.joined())
        }
        let clock = ContinuousClock()
        // More live locals than any state can hold: refused at the first pause that keeps too many.
        var errors: [String] = []
        var elapsed = clock.measure { errors = Self.errors(text(1_000), mode: .fine) }
        let max = LanguageLimits.maxSavedValues
        #expect(
            errors == [
                "test.mmc:\(10 + max):1: error: a step paused here would keep more than \(max) values "
                    + "(parameters and locals used later) in the state; a state can never hold more than \(max) (it has at most 16 words)"
            ])
        #expect(elapsed < .seconds(5))
        // 30,000 live locals: refused for its size, before anything is inlined or saved.
        elapsed = clock.measure { errors = Self.errors(text(30_000), mode: .fine) }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("error: routine 'exit_mm' is larger than") == true)
        #expect(elapsed < .seconds(10))
        // In coarse mode nothing is saved: a few hundred locals are fine.
        #expect(Self.errors(text(400), mode: .coarse) == [])
    }

    @Test func maxSavedValuesMatchesTheStateLayout() {
        // The smallest bounds, with every saved register in a task frame: the limit fills
        // the 16 words (or more), so no model over it can ever be packed.
        let bounds = Bounds(cpus: 1, tasks: 1, mms: 1, cap: 2)
        let frames = StateLayout.Frames(
            scheduleSlots: 0, taskSlots: LanguageLimits.maxSavedValues + 1, yieldPoints: 1, largestSavedValue: 0)
        #expect(StateLayout(bounds: bounds, frames: frames).words > StateLayout.maxWords)
    }

    @Test func shippedModelsAreFarInsideTheLimits() throws {
        // What the real models use, so the limits above are seen to be far from them.
        for path in Fixture.modelFiles(under: "models") + Fixture.modelFiles(under: "models/bugs")
            + Fixture.modelFiles(under: "models/near-misses")
        {
            let model = try Fixture.load(path, mode: .fine)
            #expect(model.scheduleFrameSize + model.taskFrameSize <= 20, "\(path)")
            #expect(model.code.count <= LanguageLimits.maxInlinedInstructions / 10, "\(path)")
        }
    }

    // MARK: Numbers

    @Test func hugeNumbersAreQuotedAsWritten() {
        let big = "99999999999999999999"
        #expect(
            ModelErrorTests.errors([3: "cpus \(big)"]) == [
                "bad.mmc:3:6: error: cpus must be a small number, got \(big)"
            ])
        #expect(
            ModelErrorTests.errors([5: "mms 9223372036854775808"]) == [
                "bad.mmc:5:5: error: mms must be a small number, got 9223372036854775808"
            ])
        #expect(
            ModelErrorTests.errors([8: "    m.count += \(big)"]) == [
                "bad.mmc:8:16: error: a counter changes by at most 1000 in one statement"
            ])
        #expect(
            ModelErrorTests.errors([8: "    m.users -= \(big)"]) == [
                "bad.mmc:8:16: error: a counter changes by at most 1000 in one statement"
            ])
        #expect(
            ModelErrorTests.errors([8: "    if m.count == \(big) { return }"]) == [
                "bad.mmc:8:19: error: number \(big) is too large (counters are small: at most 1000)"
            ])
        #expect(
            ModelErrorTests.errors([8: "    if m.count < 0\(big) { return }"]) == [
                "bad.mmc:8:18: error: number 0\(big) is too large (counters are small: at most 1000)"
            ])
        // A setting keeps its text for the command line's messages.
        let model = try? ModelCompiler.compile(
            path: "t.mmc", text: ModelErrorTests.model([3: "cpus 002"]),
            properties: Property.allCases.map(\.name)
        ).get()
        #expect(
            model?.cpus == CompiledModel.Setting(value: 2, location: SourceLocation(line: 3, column: 6), text: "002"))
    }

    // MARK: Bad characters and long error lists

    @Test func badCharactersAreEscapedAndRunsReportedOnce() {
        #expect(
            ModelErrorTests.errors([11: "    mmgrab(prev.active_mm) \u{1}"]) == [
                "bad.mmc:11:28: error: unexpected character '\\u{1}'"
            ])
        #expect(
            ModelErrorTests.errors([11: "    mmgrab(prev.active_mm) \u{1}\u{7F}\u{202E}$"]) == [
                "bad.mmc:11:28: error: unexpected characters '\\u{1}\\u{7F}\\u{202E}$'"
            ])
        #expect(
            ModelErrorTests.errors([11: "    mmgrab(prev.active_mm) \u{B}\u{C}"]) == [
                "bad.mmc:11:28: error: unexpected characters '\\u{B}\\u{C}'"
            ])
        #expect(
            ModelErrorTests.errors([11: "    mmgrab(prev.active_mm) '\\"]) == [
                "bad.mmc:11:28: error: unexpected characters '\\'\\\\'"
            ])
        // A long run: one error, its start quoted.
        let run = String(repeating: "\u{0}", count: 5_000)
        #expect(
            ModelErrorTests.errors([11: "    mmgrab(prev.active_mm) " + run]) == [
                "bad.mmc:11:28: error: unexpected characters '"
                    + String(repeating: "\\u{0}", count: LanguageLimits.maxQuotedCharacters)
                    + "...' (5000 in a row)"
            ])
        // Bad characters apart are reported apart; visible ones are shown as they are.
        #expect(
            ModelErrorTests.errors([11: "    mmgrab(prev.active_mm) é @"]) == [
                "bad.mmc:11:28: error: unexpected character 'é'",
                "bad.mmc:11:30: error: unexpected character '@'",
            ])
    }

    @Test func errorListsCanBeCapped() {
        func errors(_ n: Int) -> ModelErrors {
            ModelErrors(
                path: "p.mmc", diagnostics: (1...n).map { Diagnostic(SourceLocation(line: $0, column: 1), "e\($0)") })
        }
        #expect(errors(3).lines(limit: 20) == errors(3).lines)
        #expect(errors(20).lines(limit: 20) == errors(20).lines)
        #expect(errors(21).lines(limit: 20) == Array(errors(21).lines.prefix(20)) + ["... and 1 more error"])
        #expect(errors(4_231).lines(limit: 20).count == 21)
        #expect(errors(4_231).lines(limit: 20).last == "... and 4,211 more errors")
        #expect(errors(1_234_567).lines(limit: 0) == ["... and 1,234,567 more errors"])
        // From the compiler: a file of 5,000 bad lines.
        let text = ModelErrorTests.model() + String(repeating: "@\n", count: 5_000)
        if case .failure(let errors) = ModelCompiler.compile(
            path: "bad.mmc", text: text, properties: Property.allCases.map(\.name))
        {
            #expect(errors.lines(limit: 20).count == 21)
            #expect(
                errors.lines(limit: 20).last == "... and \(Digits.grouped(errors.diagnostics.count - 20)) more errors")
        } else {
            Issue.record("expected errors")
        }
    }

    // MARK: A keyword where an expression should be

    @Test func missingExpressionBeforeAKeyword() {
        // `let m =` at the end of a line, and an `if` on the next: the value is missing, and
        // the `if` is read as the statement it is.
        #expect(
            ModelErrorTests.errors([11: "    let m =\n    if prev.mm is none { return }"]) == [
                "bad.mmc:11:12: error: expected an expression after '=', found end of line"
            ])
        #expect(
            ModelErrorTests.errors([11: "    let m = return"]) == [
                "bad.mmc:11:13: error: expected an expression after '=', found 'return'"
            ])
        #expect(
            ModelErrorTests.errors([11: "    prev.mm =\n    if prev.mm is none { return }"]) == [
                "bad.mmc:11:14: error: expected an expression after '=', found end of line"
            ])
        #expect(
            ModelErrorTests.errors([11: "    if prev.mm == and { return }"]) == [
                "bad.mmc:11:19: error: expected an expression after '==', found 'and'"
            ])
    }
}
