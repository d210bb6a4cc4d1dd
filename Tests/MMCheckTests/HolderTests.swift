import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// The mm's outside holders (get_task_mm, a /proc file, the OOM victim and reaper: holder
/// slots) and `task_lock(t)`, which in fine mode keeps every other CPU's task_lock of the
/// same task waiting.
@Suite struct HolderTests {
    /// linux-6 at (1, 1, 1) with one holder slot and a /proc file that init can open on
    /// itself and close (no reads). By hand, S for "init's mm0 with users u, count c":
    ///  S0 idle0 runs, init runnable (mm0 1/1), slot free        -> S1
    ///  S1 init runs                                              -> S2 (idle), S3 (exit),
    ///                                                               S5 (proc_open: mm0 1/2)
    ///  S2 idle0 lazily on mm0 (1/2), init runnable               -> S1
    ///  S3 init exiting, mm none, active_mm mm0 (0/1)            -> S4 (its final switch)
    ///  S4 idle0 lazily on mm0 (0/1), init's slot free            (no step)
    ///  S5 init runs, slot 0 holds mm0 (1/2)                      -> S6 (idle), S7 (exit),
    ///                                                               S1 (proc_release)
    ///  S6 idle0 lazily on mm0 (1/3), slot 0 holds it             -> S5
    ///  S7 init exiting (0/2), slot 0 holds mm0                   -> S8
    ///  S8 idle0 lazily on mm0 (0/2), slot 0 holds it             (no step: only a running
    ///                                                               slot task closes files)
    /// In S3 and S7 init is exiting: it takes no task action, so proc_open is not enabled
    /// there. 9 states, 1 + 3 + 1 + 1 + 3 + 1 + 1 = 11 transitions, depth 4 (S8).
    static let procFileText = """
        model "proc-file"
        expect pass
        holders 1
        actions schedule, exit, proc_open, proc_release
        routine mmgrab(m: mm) { m.count += 1 }
        routine mmdrop(m: mm) {
            m.count -= 1
            if m.count == 0 { free(m) }
        }
        routine mmget(m: mm) { m.users += 1 }
        routine mmput(m: mm) {
            m.users -= 1
            if m.users == 0 {
                exit_mmap(m)
                mmdrop(m)
            }
        }
        routine context_switch(prev: task, next: task) {
            if next.mm is none {
                next.active_mm = prev.active_mm
                if prev.mm is not none { mmgrab(prev.active_mm) } else { prev.active_mm = none }
            } else {
                switch_mm(prev.active_mm, next.mm)
                if prev.mm is none {
                    cpu.prev_mm = prev.active_mm
                    prev.active_mm = none
                }
            }
        }
        routine finish_task_switch(prev: task) {
            let m = cpu.prev_mm
            cpu.prev_mm = none
            if m is not none { mmdrop(m) }
        }
        routine exit_mm(t: task) {
            let m = t.mm
            if m is none { return }
            mmgrab(m)
            t.mm = none
            mmput(m)
        }
        routine proc_mem_open(h: holder, t: task) {
            task_lock(t) {
                let m = t.mm
                if m is not none { mmget(m) }
            }
            if m is none { return }
            mmgrab(m)
            mmput(m)
            h.mm = m
        }
        routine mem_release(h: holder) {
            let m = h.mm
            h.mm = none
            mmdrop(m)
        }
        """

    @Test func procFileCountedByHand() throws {
        let model = try Fixture.compile(Self.procFileText)
        let bounds = Bounds(cpus: 1, tasks: 1, mms: 1)
        let r = Fixture.explore(model, bounds)
        #expect(r.ending == .exhausted)
        #expect(r.counterexamples.isEmpty)
        #expect((r.states, r.transitions, r.depth) == (9, 11, 4))
        // The plain breadth-first search over a Set agrees, and S8 is the one state where
        // a slot holds mm0 after init is gone.
        let levels = Fixture.levels(model, bounds)
        #expect(levels.map(\.count) == [1, 1, 3, 3, 1])
        let last = try #require(levels.last?.first)
        #expect(last.holders == [KernelState.Holder(mm: Ref.slot(0), kind: 1)])
        #expect(last.tasks[0].status == .unused)
        #expect((last.mms[1].users, last.mms[1].count) == (0, 2))
    }

    /// linux-6-holders with mem_release changed. Dropping the file's count before clearing
    /// the slot frees the mm (once its tasks are gone) while the slot still holds it:
    /// no-free-while-borrowed. Putting users instead of dropping the count tears the
    /// address space down under init: no-teardown-in-use.
    @Test(
        arguments: [
            ("    mmdrop(m)\n    h.mm = none", Property.noFreeWhileBorrowed, Breach.Reason.freeHeldByHolder(holder: 0)),
            ("    h.mm = none\n    mmput(m)", Property.noTeardownInUse, Breach.Reason.teardownInUse(task: 0)),
        ] as [(String, Property, Breach.Reason)])
    func releaseMistakes(_ c: (String, Property, Breach.Reason)) throws {
        let release = "    h.mm = none\n    mmdrop(m)\n}\n\nroutine mark_oom_victim"
        let original = try String(contentsOfFile: Repository.path("models/linux-6-holders.mmc"), encoding: .utf8)
        #expect(original.contains(release))
        let text = original.replacingOccurrences(
            of: release, with: c.0 + "\n}\n\nroutine mark_oom_victim")
        let model = try Fixture.compile(text)
        let bounds = Bounds(cpus: 1, tasks: 2, mms: 2)
        let counterexample = try #require(Fixture.explore(model, bounds).counterexamples.first)
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.finalBreach?.property == c.1)
        #expect(replay.finalBreach?.reason == c.2)
    }

    /// The fine holders model passes (ShippedModelTests, at these bounds) because exit_mm
    /// stores t.mm under task_lock(t) and a reader takes and pins t.mm under the same
    /// lock. With exit_mm's lock turned into a plain preempt_off (the same section, no
    /// exclusion), a reader on the other CPU reads mm0 just before exit_mm clears it,
    /// exit_mm's mmput takes users to 0, and the reader's mmget raises it from 0 (21 steps).
    @Test func taskLockKeepsTheOtherCPUOut() throws {
        let text = try String(contentsOfFile: Repository.path("models/linux-6-holders-fine.mmc"), encoding: .utf8)
        let lock = "task_lock(t) {              # task_lock(current)"
        #expect(text.components(separatedBy: lock).count == 2)
        let bounds = Bounds(cpus: 2, tasks: 2, mms: 1)
        #expect(Fixture.bounds(of: try Fixture.compile(text)) == bounds)

        let model = try Fixture.compile(text.replacingOccurrences(of: lock, with: "preempt_off {"))
        let r = Fixture.explore(model, bounds)
        let counterexample = try #require(r.counterexamples.first)
        #expect(counterexample.path.count == 21)
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.finalBreach?.property == .noUsersFromZero)
        // The reader pins inside its task_lock(init) section: the lock bit is set then.
        let before = try #require(replay.entries.last?.before)
        #expect(before.tasks.contains { $0[.taskLock] != 0 })
    }

    /// A `return` inside task_lock unlocks first: get_task_mm on an exited task (its mm is
    /// none) leaves the lock free, so the task's lock can be taken again. The code of the
    /// action has an unlock on each way out of the region.
    @Test func returnInsideTaskLockUnlocks() throws {
        let text = try String(contentsOfFile: Repository.path("models/linux-6-holders-fine.mmc"), encoding: .utf8)
        let body = """
                task_lock(t) {                      # get_task_mm (kernel/fork.c)
                    let m = t.mm
                    if m is not none {
                        mmget(m)
                    }
                }
                if m is none {
                    return
                }
            """
        #expect(text.contains(body))
        let early = text.replacingOccurrences(
            of: body,
            with: """
                    task_lock(t) {
                        let m = t.mm
                        if m is none {
                            return
                        }
                        mmget(m)
                    }
                """)
        let model = try Fixture.compile(early)
        let start = try #require(model.entry(.getTaskMM))
        let code = model.code[start...].prefix { $0.operation != .end }
        #expect(code.filter { $0.operation == .lockTask }.count == 1)
        #expect(code.filter { $0.operation == .unlockTask }.count == 2)
        let bounds = Bounds(cpus: 1, tasks: 2, mms: 1)
        let r = Fixture.explore(model, bounds)
        #expect(r.ending == .exhausted && r.counterexamples.isEmpty)
        #expect(r.states == Fixture.explore(try Fixture.compile(text), bounds).states)
    }

    /// In coarse mode task_lock changes nothing (each action is one step): the coarse
    /// holders model has the same counts with every task_lock(t) { } taken away.
    @Test func taskLockIsFreeInCoarseMode() throws {
        let text = try String(contentsOfFile: Repository.path("models/linux-6-holders.mmc"), encoding: .utf8)
        // An atomic block is no region at all in coarse mode, and like task_lock not a scope.
        let unlocked = text.replacingOccurrences(of: "task_lock(t) {", with: "atomic {")
        #expect(unlocked != text)
        let bounds = Bounds(cpus: 2, tasks: 2, mms: 2)
        let a = Fixture.explore(try Fixture.compile(text), bounds)
        let b = Fixture.explore(try Fixture.compile(unlocked), bounds)
        #expect((a.states, a.transitions) == (b.states, b.transitions))
        #expect((a.states, a.transitions, a.depth) == (13_804, 102_106, 14))
    }

    /// Every step enabled in a reachable state of the coarse holders model (and of the fine
    /// one at (1, 2, 1)) is written as a trace line and read back as the same label: a
    /// label carries no field its trace line does not (get_task_mm names no holder slot,
    /// whichever slot is free).
    @Test(arguments: [("models/linux-6-holders.mmc", (2, 2, 2)), ("models/linux-6-holders-fine.mmc", (1, 2, 1))])
    func everyEnabledStepRoundTripsThroughATraceLine(_ c: (String, (Int, Int, Int))) throws {
        let model = try Fixture.load(c.0)
        let bounds = Bounds(cpus: c.1.0, tasks: c.1.1, mms: c.1.2)
        let system = KernelSystem(model: model, bounds: bounds)
        let states = SymmetryTests.reachable(system)
        let buffer = SuccessorBuffer(stateWords: system.stateWords)
        var labels = Set<UInt32>()
        for s in states {
            buffer.reset()
            s.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
            for i in 0..<buffer.count { labels.insert(buffer.label(i)) }
        }
        let mode = model.mode == .fine ? "mode fine\n" : ""
        let header =
            "\(TraceFile.header)\nbounds cpus=\(bounds.cpus) tasks=\(bounds.tasks) mms=\(bounds.mms)\n\(mode)claim pass\n"
        var kinds = Set<Action>()
        for label in labels {
            let step = try #require(Step(label: label))
            kinds.insert(step.kind)
            let line = "step \(TraceFile.describe(step, bounds: bounds))\n"
            let parsed = try TraceFile.parse(header + line, path: "t.trace").get()
            #expect(parsed.steps.map(\.label) == [label], "\(line)")
        }
        #expect(
            kinds.isSuperset(of: [.getTaskMM, .procOpen, .procAccess, .procRelease, .oomKill, .oomReap, .oomRelease]))
    }

    /// The bug models of the holders, each at its declared bounds: verdict, property and
    /// what the last step breaks, and the trace replays.
    @Test(
        arguments: [
            ("models/bugs/proc-mem-rw-mmget.mmc", Breach.Reason.usersFromZero, 4),
            ("models/bugs/oom-reap-put-without-get.mmc", .underflow(counter: .users, value: -1), 4),
            ("models/bugs/sqpoll-mm-reads-without-task-lock.mmc", .noneUsed(.readCounter), 21),
            ("models/bugs/mm-reader-without-pin.mmc", .accessWithoutUsers, 21),
            ("models/bugs/oom-reap-put-before-reap.mmc", .accessWithoutUsers, 27),
        ] as [(String, Breach.Reason, Int)])
    func holderBugs(_ c: (String, Breach.Reason, Int)) throws {
        let model = try Fixture.load(c.0)
        let bounds = Fixture.bounds(of: model)
        let counterexample = try #require(Fixture.explore(model, bounds).counterexamples.first)
        #expect(counterexample.path.count == c.2)
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.entries.dropLast().allSatisfy { $0.breach == nil })
        #expect(replay.finalBreach?.reason == c.1)
    }

    /// The holder setting and actions, task_lock and holder fields in ModelErrorTests'
    /// template: each edit and the exact errors it gives ([]: it compiles).
    @Test(
        arguments: [
            ([6: "actions schedule\nholders 2"], []),
            ([6: "actions schedule\nholders 0"], ["bad.mmc:7:9: error: holders must be 1 to 4, got 0"]),
            ([6: "actions schedule\nholders 99"], ["bad.mmc:7:9: error: holders must be 1 to 4, got 99"]),
            (
                [6: "actions schedule, proc_release"],
                [
                    "bad.mmc:6:19: error: action 'proc_release' needs holder slots: add 'holders N' (1 to 4)",
                    "bad.mmc:6:19: error: action 'proc_release' needs routine mem_release(h: holder), which the model does not define",
                ]
            ),
            ([11: "    task_lock(prev) { mmgrab(prev.active_mm) }"], []),
            ([11: "    task_lock(prev.mm) { }"], ["bad.mmc:11:15: error: task_lock takes a task, got an mm"]),
            (
                [11: "    task_lock prev { }"],
                [
                    "bad.mmc:11:15: error: expected '(' after 'task_lock' (it is written 'task_lock(t) { ... }'), found 'prev'"
                ]
            ),
            ([11: "    let task_lock = prev"], ["bad.mmc:11:9: error: 'task_lock' is a reserved word"]),
            (
                [10: "routine context_switch(prev: task, next: holder) {"],
                [
                    "bad.mmc:10:9: error: routine context_switch must be declared as context_switch(prev: task, next: task)"
                ]
            ),
            (
                [10: "routine context_switch(prev: task, next: task, h: holder) {", 11: "    mmgrab(h.users)"],
                [
                    "bad.mmc:10:9: error: routine context_switch must be declared as context_switch(prev: task, next: task)",
                    "bad.mmc:11:14: error: a holder has no field 'users' (fields: mm)",
                ]
            ),
            (
                [10: "routine context_switch(prev: task, next: task, h: holdr) {"],
                ["bad.mmc:10:51: error: unknown type 'holdr' (types: task, mm, how, holder)"]
            ),
            ([11: "    access_remote_vm(prev)"], ["bad.mmc:11:22: error: access_remote_vm() takes an mm, got a task"]),
        ] as [([Int: String], [String])])
    func errorsWithLineAndColumn(_ c: ([Int: String], [String])) {
        #expect(ModelErrorTests.errors(ModelErrorTests.model(c.0)) == c.1)
    }
}
