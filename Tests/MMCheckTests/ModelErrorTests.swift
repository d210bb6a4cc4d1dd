import Foundation
import KernelSemantics
import ModelLanguage
import Testing

/// Malformed model files: each test breaks one part of a small valid model and checks the
/// exact list of `path:line:column: error: message` lines the compiler reports.
@Suite struct ModelErrorTests {
    /// A minimal valid model. Tests replace whole lines by number, so the numbers below
    /// are the ones the expected positions refer to.
    static let template = [
        #"model "errors""#,  //  1
        "expect pass",  //  2
        "cpus 1",  //  3
        "tasks 2",  //  4
        "mms 2",  //  5
        "actions schedule",  //  6
        "routine mmgrab(m: mm) {",  //  7
        "    m.count += 1",  //  8
        "}",  //  9
        "routine context_switch(prev: task, next: task) {",  // 10
        "    mmgrab(prev.active_mm)",  // 11
        "}",  // 12
    ]

    /// The template with some lines replaced (a replacement may span several lines, which
    /// moves the later ones down; "" blanks a line) and `append` added at line 13.
    static func model(_ edits: [Int: String] = [:], append: String = "") -> String {
        var lines = template
        for (number, text) in edits { lines[number - 1] = text }
        return lines.joined(separator: "\n") + "\n" + append
    }

    /// The error lines for `text`, or [] when it compiles.
    static func errors(_ text: String) -> [String] {
        switch ModelCompiler.compile(path: "bad.mmc", text: text, properties: Property.allCases.map(\.name)) {
        case .success: return []
        case .failure(let errors): return errors.lines
        }
    }

    static func errors(_ edits: [Int: String] = [:], append: String = "") -> [String] {
        errors(model(edits, append: append))
    }

    // MARK: Valid models

    @Test func templateAndShippedModelCompile() throws {
        #expect(Self.errors() == [])
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("models/linux-6.mmc").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let result = ModelCompiler.compile(
            path: "models/linux-6.mmc", text: text, properties: Property.allCases.map(\.name))
        #expect(throws: Never.self) { try result.get() }
        #expect((try? result.get())?.name == "linux-6")
    }

    // MARK: Calls

    @Test func unknownRoutine() {
        #expect(Self.errors([11: "    foo(prev)"]) == ["bad.mmc:11:5: error: unknown routine 'foo'"])
        #expect(
            Self.errors([11: "    let x = mmgrab(prev.mm)"]) == [
                "bad.mmc:11:13: error: 'mmgrab' does not return a value"
            ])
    }

    @Test func wrongArity() {
        #expect(
            Self.errors([11: "    mmgrab(prev.mm, next.mm)"]) == [
                "bad.mmc:11:5: error: routine 'mmgrab' takes 1 argument, got 2"
            ])
        #expect(Self.errors([11: "    free()"]) == ["bad.mmc:11:5: error: free() takes 1 argument (an mm), got 0"])
        #expect(
            Self.errors([11: "    let m = new_mm(prev)"]) == [
                "bad.mmc:11:13: error: new_mm() takes no arguments, got 1"
            ])
    }

    @Test func argumentOfTheWrongType() {
        #expect(
            Self.errors([11: "    mmgrab(prev)"]) == [
                "bad.mmc:11:12: error: argument of 'mmgrab' must be an mm, got a task"
            ])
        #expect(
            Self.errors([11: "    switch_mm(prev)"]) == ["bad.mmc:11:15: error: switch_mm() takes an mm, got a task"])
        #expect(
            Self.errors([11: "    mmgrab(cpu)"]) == [
                "bad.mmc:11:12: error: 'cpu' is not a value: use cpu.prev_mm or cpu.curr"
            ])
    }

    @Test func newMMAsAStatement() {
        #expect(
            Self.errors([11: "    new_mm()"]) == [
                "bad.mmc:11:5: error: new_mm() makes a new mm: bind it, as in 'let m = new_mm()'"
            ])
    }

    @Test func recursion() {
        let mutual = "routine a(t: task) {\n    b(t)\n}\nroutine b(t: task) {\n    a(t)\n}\n"
        #expect(
            Self.errors(append: mutual) == [
                "bad.mmc:17:5: error: recursive call a -> b -> a: routines are inlined, so recursion is not allowed"
            ])
        #expect(
            Self.errors(append: "routine a(t: task) {\n    a(t)\n}\n") == [
                "bad.mmc:14:5: error: recursive call a -> a: routines are inlined, so recursion is not allowed"
            ])
    }

    // MARK: Assignments

    @Test func assignmentToAnUnknownField() {
        #expect(
            Self.errors([11: "    prev.active = none"]) == [
                "bad.mmc:11:10: error: a task has no field 'active' (fields: mm, active_mm)"
            ])
        #expect(
            Self.errors([11: "    prev.mm.owner = none"]) == [
                "bad.mmc:11:13: error: an mm has no field 'owner' (fields: count, users)"
            ])
        #expect(
            Self.errors([11: "    cpu.next_mm = none"]) == [
                "bad.mmc:11:9: error: cpu has no field 'next_mm' (fields: prev_mm, curr)"
            ])
        #expect(
            Self.errors([11: "    cpu.curr = prev"]) == [
                "bad.mmc:11:9: error: cpu.curr is changed by the schedule action, not by routines"
            ])
    }

    @Test func assignmentOfTheWrongType() {
        #expect(
            Self.errors([11: "    prev.mm = next"]) == [
                "bad.mmc:11:15: error: cannot assign a task to 'mm', which holds an mm"
            ])
        #expect(
            Self.errors([11: "    let m = prev.mm\n    m = prev"]) == [
                "bad.mmc:12:9: error: cannot assign a task to 'm', which holds an mm"
            ])
    }

    @Test func counterAssignedWithEquals() {
        #expect(
            Self.errors([11: "    prev.mm.count = 1"]) == ["bad.mmc:11:13: error: counters change only with += and -="])
        #expect(Self.errors([8: "    m.users = 2"]) == ["bad.mmc:8:7: error: counters change only with += and -="])
    }

    @Test func adjustingANonCounter() {
        #expect(
            Self.errors([11: "    prev.mm += 1"]) == [
                "bad.mmc:11:5: error: only an mm's count or users can be changed with += or -="
            ])
        #expect(
            Self.errors([11: "    prev.active_mm -= 1"]) == [
                "bad.mmc:11:5: error: only an mm's count or users can be changed with += or -="
            ])
        #expect(
            Self.errors([11: "    prev.count += 1"]) == [
                "bad.mmc:11:10: error: a task has no field 'count' (fields: mm, active_mm)"
            ])
    }

    // MARK: Names, types and conditions

    @Test func unknownName() {
        #expect(Self.errors([11: "    mmgrab(m)"]) == ["bad.mmc:11:12: error: unknown name 'm'"])
    }

    @Test func unknownParameterType() {
        #expect(
            Self.errors(append: "routine f(x: page) {\n}\n") == [
                "bad.mmc:13:14: error: unknown type 'page' (types: task, mm, how, holder)"
            ])
    }

    @Test func comparisonTypeMismatch() {
        #expect(
            Self.errors([11: "    if prev.mm == prev { return }"]) == [
                "bad.mmc:11:16: error: cannot compare an mm with a task"
            ])
        #expect(
            Self.errors([11: "    if prev.mm != thread { return }"]) == [
                "bad.mmc:11:16: error: cannot compare an mm with a how"
            ])
        #expect(
            Self.errors([11: "    if prev.mm is none and next is none { return }"]) == [
                "bad.mmc:11:33: error: 'is none' tests an mm, got a task"
            ])
    }

    @Test func orderingMMs() {
        #expect(
            Self.errors([11: "    if prev.mm < next.mm { return }"]) == [
                "bad.mmc:11:16: error: '<' compares numbers; an mm can only be compared with == or !="
            ])
    }

    // MARK: Declarations

    @Test func unknownPropertyInExpectViolation() {
        #expect(
            Self.errors([2: "expect violation no-such-thing"]) == [
                "bad.mmc:2:18: error: unknown property 'no-such-thing' (properties: free-at-zero, no-free-while-borrowed, "
                    + "no-use-after-free, no-underflow, no-leak, no-teardown-in-use, active-mm-consistent, init-mm-immortal, no-users-from-zero)"
            ])
    }

    @Test func missingRequiredRoutine() {
        #expect(
            Self.errors([10: "routine other(prev: task, next: task) {"]) == [
                "bad.mmc:6:9: error: action 'schedule' needs routine context_switch(prev: task, next: task), which the model does not define"
            ])
        #expect(
            Self.errors([6: "actions schedule, exit, clone_fork"]) == [
                "bad.mmc:6:19: error: action 'exit' needs routine exit_mm(t: task), which the model does not define",
                "bad.mmc:6:25: error: action 'clone_fork' needs routine copy_mm(parent: task, child: task, how: how), which the model does not define",
            ])
    }

    @Test func requiredRoutineWithTheWrongSignature() {
        #expect(
            Self.errors([10: "routine context_switch(prev: task, next: mm) {"]) == [
                "bad.mmc:10:9: error: routine context_switch must be declared as context_switch(prev: task, next: task)"
            ])
        // An optional entry routine is checked too when it is defined.
        #expect(
            Self.errors(append: "routine finish_task_switch(prev: mm) {\n}\n") == [
                "bad.mmc:13:9: error: routine finish_task_switch must be declared as finish_task_switch(prev: task)"
            ])
    }

    @Test func badActions() {
        #expect(
            Self.errors([6: "actions schedule, fly"]) == [
                "bad.mmc:6:19: error: unknown action 'fly' (actions: schedule, exit, clone_thread, clone_fork, clone_kthread, exec, use_mm, unuse_mm, clone_fail, shootdown, vfork, get_task_mm, proc_open, proc_access, proc_release, oom_kill, oom_reap, oom_release)"
            ])
        #expect(
            Self.errors([6: "actions schedule, exec"]) == [
                "bad.mmc:6:19: error: action 'exec' needs routine exec_mmap(t: task, new: mm), which the model does not define"
            ])
        #expect(
            Self.errors([6: "actions schedule, schedule"]) == ["bad.mmc:6:19: error: action 'schedule' is listed twice"]
        )
    }

    // MARK: The extensions: use_mm / unuse_mm, clone_fail, shootdown

    /// The helpers the use_mm, unuse_mm and shootdown actions call, appended at line 13.
    static let helpers = """
        routine mmget(m: mm) {
        }
        routine mmput(m: mm) {
        }
        routine mmgrab_lazy_tlb(m: mm) {
        }
        routine mmdrop_lazy_tlb(m: mm) {
        }

        """  // lines 13-20; line 21 is the first one after them

    @Test func useMMNeedsItsRoutines() {
        #expect(
            Self.errors([6: "actions schedule, use_mm"], append: Self.helpers) == [
                "bad.mmc:6:19: error: action 'use_mm' needs routine kthread_use_mm(t: task, m: mm), which the model does not define"
            ])
        #expect(
            Self.errors(
                [6: "actions schedule, use_mm, unuse_mm"],
                append: Self.helpers
                    + "routine kthread_use_mm(t: task, m: mm) {\n}\n") == [
                    "bad.mmc:6:27: error: action 'unuse_mm' needs routine kthread_unuse_mm(t: task, m: mm), which the model does not define"
                ])
        // Without its helpers use_mm names each one that is missing.
        #expect(
            Self.errors([6: "actions schedule, use_mm"], append: "routine kthread_use_mm(t: task, m: mm) {\n}\n") == [
                "bad.mmc:6:19: error: action 'use_mm' needs routine mmget(m: mm), which the model does not define"
            ])
        #expect(
            Self.errors(
                [6: "actions schedule, use_mm, unuse_mm"],
                append: Self.helpers
                    + "routine kthread_use_mm(t: task, m: mm) {\n}\nroutine kthread_unuse_mm(t: task, m: mm) {\n}\n")
                == [])
    }

    @Test func newEntryRoutinesWithTheWrongSignature() {
        #expect(
            Self.errors(
                [6: "actions schedule, use_mm"],
                append: Self.helpers + "routine kthread_use_mm(t: task, m: task) {\n}\n") == [
                    "bad.mmc:21:9: error: routine kthread_use_mm must be declared as kthread_use_mm(t: task, m: mm)"
                ])
        // An action entry routine is checked when it is defined, even with its action off.
        #expect(
            Self.errors(append: "routine kthread_unuse_mm(t: task) {\n}\n") == [
                "bad.mmc:13:9: error: routine kthread_unuse_mm must be declared as kthread_unuse_mm(t: task, m: mm)"
            ])
        #expect(
            Self.errors(append: "routine bad_fork_cleanup_mm(child: task, m: mm) {\n}\n") == [
                "bad.mmc:13:9: error: routine bad_fork_cleanup_mm must be declared as bad_fork_cleanup_mm(child: task)"
            ])
        // The helpers are ordinary routines until an action calls them.
        #expect(Self.errors(append: "routine mmput(t: task) {\n}\n") == [])
        #expect(
            Self.errors(
                [6: "actions schedule, use_mm"],
                append: "routine mmget(t: task) {\n}\n"
                    + "routine kthread_use_mm(t: task, m: mm) {\n}\n") == [
                    "bad.mmc:13:9: error: routine mmget must be declared as mmget(m: mm)"
                ])
    }

    @Test func actionsThatNeedAnotherAction() {
        #expect(
            Self.errors(
                [6: "actions schedule, unuse_mm"],
                append: Self.helpers + "routine kthread_unuse_mm(t: task, m: mm) {\n}\n") == [
                    "bad.mmc:6:19: error: action 'unuse_mm' needs action 'use_mm': without it no kernel thread ever uses an mm"
                ])
        #expect(
            Self.errors(
                [6: "actions schedule, clone_fail"],
                append: "routine copy_mm(parent: task, child: task, how: how) {\n}\n"
                    + "routine bad_fork_cleanup_mm(child: task) {\n}\n") == [
                    "bad.mmc:6:19: error: action 'clone_fail' needs a clone action to fail (clone_thread, clone_fork or clone_kthread)"
                ])
    }

    @Test func cloneFailAndShootdownNeedTheirRoutines() {
        #expect(
            Self.errors(
                [6: "actions schedule, clone_kthread, clone_fail"],
                append: "routine copy_mm(parent: task, child: task, how: how) {\n}\n") == [
                    "bad.mmc:6:34: error: action 'clone_fail' needs routine bad_fork_cleanup_mm(child: task), which the model does not define"
                ])
        #expect(
            Self.errors([6: "actions schedule, shootdown"], append: "routine mmgrab_lazy_tlb(m: mm) {\n}\n") == [
                "bad.mmc:6:19: error: action 'shootdown' needs routine mmdrop_lazy_tlb(m: mm), which the model does not define"
            ])
        #expect(Self.errors([6: "actions schedule, shootdown"], append: Self.helpers) == [])
    }

    @Test func duplicateRoutineAndBadRoutineNames() {
        #expect(
            Self.errors(append: "routine mmgrab(m: mm) {\n}\n") == [
                "bad.mmc:13:9: error: routine 'mmgrab' is already defined at line 7"
            ])
        #expect(
            Self.errors(append: "routine free(m: mm) {\n}\n") == [
                "bad.mmc:13:9: error: 'free' is a primitive and cannot be redefined"
            ])
        #expect(
            Self.errors(append: "routine f(t: task, t: task) {\n}\n") == [
                "bad.mmc:13:20: error: parameter 't' is declared twice"
            ])
    }

    @Test func duplicateSetting() {
        #expect(Self.errors([4: "cpus 3"]) == ["bad.mmc:4:1: error: 'cpus' is already set at line 3"])
        #expect(Self.errors([5: "expect pass"]) == ["bad.mmc:5:1: error: 'expect' is already set at line 2"])
    }

    @Test func missingExpectOrActions() {
        #expect(
            Self.errors([2: ""]) == [
                "bad.mmc:1:1: error: model states no expectation: add 'expect pass' or 'expect violation <property>'"
            ])
        #expect(
            Self.errors([6: ""]) == [
                "bad.mmc:1:1: error: model switches on no actions: add for example 'actions schedule, exit, clone_thread, clone_fork, clone_kthread'"
            ])
    }

    // MARK: Lexical and syntax errors

    @Test func unexpectedCharacter() {
        #expect(Self.errors([11: "    mmgrab(prev.active_mm) @"]) == ["bad.mmc:11:28: error: unexpected character '@'"])
        // Columns count characters, not bytes: the two-byte é moves the @ by one column.
        #expect(
            Self.errors([11: "    mmgrab(prev.active_mm) é @"]) == [
                "bad.mmc:11:28: error: unexpected character 'é'",
                "bad.mmc:11:30: error: unexpected character '@'",
            ])
    }

    @Test func unterminatedComment() {
        #expect(Self.errors(append: "/* the end\n") == ["bad.mmc:13:1: error: unterminated comment"])
    }

    @Test func unexpectedTokenRecoversAtTheNextStatement() {
        #expect(
            Self.errors([11: "    prev.mm = = none\n    foo()"]) == [
                "bad.mmc:11:15: error: expected an expression after '=', found '='",
                "bad.mmc:12:5: error: unknown routine 'foo'",
            ])
        #expect(
            Self.errors([11: "    if prev.mm is none return"]) == [
                "bad.mmc:11:24: error: expected '{' to open a block, found 'return'"
            ])
        #expect(Self.errors([11: "    42"]) == ["bad.mmc:11:5: error: expected a statement, found '42'"])
        #expect(
            Self.errors(append: "}\n") == [
                "bad.mmc:13:1: error: expected a declaration (model, expect, cpus, tasks, mms, cap, holders, actions, mode, preemptible, preempt_rt or routine), found '}'"
            ])
    }

    @Test func missingBraceRecoversAtTheNextRoutine() {
        // f's `if` block takes f's closing brace; the next `routine` ends f, and g is still checked.
        let text =
            "routine f(t: task) {\n    if t.mm is none {\n        return\n}\nroutine g(t: task) {\n    mmgrab(t)\n}\n"
        #expect(
            Self.errors(append: text) == [
                "bad.mmc:17:1: error: expected '}' to close the block before 'routine'",
                "bad.mmc:18:12: error: argument of 'mmgrab' must be an mm, got a task",
            ])
    }

    @Test func severalErrorsInSourceOrder() {
        // Checker, lexer, parser and checker errors again, interleaved by position.
        let edits = [6: "actions schedule, fly", 8: "    m.count += 1 $", 11: "    if prev.mm is nothing { return }"]
        #expect(
            Self.errors(edits, append: "routine f(t: page) {\n    foo(t)\n}\n") == [
                "bad.mmc:6:19: error: unknown action 'fly' (actions: schedule, exit, clone_thread, clone_fork, clone_kthread, exec, use_mm, unuse_mm, clone_fail, shootdown, vfork, get_task_mm, proc_open, proc_access, proc_release, oom_kill, oom_reap, oom_release)",
                "bad.mmc:8:18: error: unexpected character '$'",
                "bad.mmc:11:19: error: expected 'none' after 'is', found 'nothing'",
                "bad.mmc:13:14: error: unknown type 'page' (types: task, mm, how, holder)",
                "bad.mmc:14:5: error: unknown routine 'foo'",
            ])
    }

    // MARK: One mistake, one error (no errors that follow from another)

    @Test func aBrokenRoutineHeaderDoesNotMakeTheRoutineMissing() {
        #expect(
            Self.errors([10: "routine context_switch(prev: task next: task) {"]) == [
                "bad.mmc:10:35: error: expected ')' to close the parameter list, found 'next'"
            ])
        #expect(
            Self.errors([7: "routine mmgrab(m mm) {"]) == [
                "bad.mmc:7:18: error: expected ':' after parameter 'm' (parameters are written 'name: type'), found 'mm'"
            ])
    }

    @Test func anUnclosedBlockKeepsItsRoutine() {
        // mmgrab's `if` never closes: one error, and mmgrab still exists for its callers.
        #expect(
            Self.errors([8: "    if m.count == 0 {"]) == [
                "bad.mmc:10:1: error: expected '}' to close the block before 'routine'"
            ])
        #expect(
            Self.errors([8: "    /* never closed"]) == ["bad.mmc:8:5: error: unterminated comment"].map { $0 }
                + ["bad.mmc:13:1: error: expected '}' to close the block, found end of file"])
    }

    @Test func expectViolationWithoutAPropertyDoesNotEatTheNextLine() {
        #expect(
            Self.errors([2: "expect violation", 3: "cpus x"]) == [
                "bad.mmc:2:17: error: expected a property name after 'expect violation', found end of line",
                "bad.mmc:3:6: error: expected a number after 'cpus', found 'x'",
            ])
    }

    @Test func anUnknownParameterTypeIsReportedOnce() {
        #expect(
            Self.errors(append: "routine f(x: page) {\n    x.mm = none\n    mmgrab(x)\n}\n") == [
                "bad.mmc:13:14: error: unknown type 'page' (types: task, mm, how, holder)"
            ])
        #expect(
            Self.errors([10: "routine context_switch(prev: task, next: tsk) {"]) == [
                "bad.mmc:10:42: error: unknown type 'tsk' (types: task, mm, how, holder)"
            ])
    }

    @Test func unterminatedStringsAndMalformedNumbersAreReportedOnce() {
        #expect(Self.errors([1: "model \"errors"]) == ["bad.mmc:1:7: error: unterminated string"])
        #expect(Self.errors([3: "cpus 1x"]) == ["bad.mmc:3:6: error: malformed number '1x'"])
    }

    @Test func missingPiecesAreReportedWhereTheyAreMissing() {
        #expect(
            Self.errors([11: "    prev.mm"]) == [
                "bad.mmc:11:12: error: expected '=', '+=', '-=' or a call after 'prev...', found end of line"
            ])
        #expect(Self.errors([3: "cpus"]) == ["bad.mmc:3:5: error: expected a number after 'cpus', found end of line"])
        #expect(
            Self.errors([11: "    mmgrab(prev.active_mm", 12: "}"]) == [
                "bad.mmc:11:26: error: expected ')' to close the arguments of 'mmgrab', found end of line"
            ])
        #expect(Self.errors([11: "    let none = prev.mm"]) == ["bad.mmc:11:9: error: 'none' is a reserved word"])
        #expect(
            Self.errors([8: "    m.count += 5000"]) == [
                "bad.mmc:8:16: error: a counter changes by at most 1000 in one statement"
            ])
        #expect(Self.errors([11: "    else { return }"]) == ["bad.mmc:11:5: error: 'else' without a matching 'if'"])
    }

    @Test func aMissingExpectationIsReportedWithTheOtherErrors() {
        #expect(
            Self.errors([2: "", 11: "    foo()"]) == [
                "bad.mmc:1:1: error: model states no expectation: add 'expect pass' or 'expect violation <property>'",
                "bad.mmc:11:5: error: unknown routine 'foo'",
            ])
    }
}
