import Foundation
import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// Runs hand-written routine bodies on a hand-made state: 1 CPU, 2 task slots, 2 mm slots
/// (cap 8). cpu0 runs init (task 0, mm = active_mm = mm slot 0, users 1, count 1);
/// kthreadd (task 1) is a runnable kernel thread; idle0 (task 2) is switched out;
/// init_mm.count is 1; mm slot 1 is free. `exit(init)` runs the body as `exit_mm(t)`.
struct Harness {
    let machine: Machine
    var state: KernelState
    static let bounds = Bounds(cpus: 1, tasks: 2, mms: 2)
    static let mm0 = Ref.slot(0), mm1 = Ref.slot(1)
    static let initTask: Int32 = 0, kthreadd: Int32 = 1, idle0: Int32 = 2

    init(exitMM body: String, contextSwitch: String = "") throws {
        let text = """
            expect pass
            actions schedule, exit
            routine context_switch(prev: task, next: task) {
            \(contextSwitch)
            }
            routine exit_mm(t: task) {
            \(body)
            }
            """
        machine = Machine(model: try Fixture.compile(text), bounds: Harness.bounds)
        state = KernelState(
            tasks: [
                .init(status: TaskStatus.running, mm: Harness.mm0, activeMM: Harness.mm0),
                .init(status: TaskStatus.runnable, mm: Ref.none, activeMM: Ref.none),
                .init(status: TaskStatus.runnable, mm: Ref.none, activeMM: Ref.none),
            ],
            cpus: [.init(curr: Harness.initTask, prevMM: Ref.none)],
            mms: [
                .init(live: true, users: StateLayout.initMMUsers, count: 1),
                .init(live: true, users: 1, count: 1),
                .init(live: false, users: 0, count: 0),
            ])
    }

    /// Runs exit(init) on cpu0; returns the breach (nil if the step completed).
    func exit() -> Breach? {
        state.write(layout: machine.layout, into: machine.base)
        machine.baseWritten()
        return machine.exit(cpu: 0, task: Harness.initTask).breach
    }

    /// Runs schedule(cpu0, next); returns the breach (nil if the step completed).
    func schedule(_ next: Int32) -> Breach? {
        state.write(layout: machine.layout, into: machine.base)
        machine.baseWritten()
        return machine.schedule(cpu: 0, next: next).breach
    }

    var after: KernelState { KernelState(layout: machine.layout, fields: machine.work) }

    /// The model line of the failing statement.
    func line(_ b: Breach?) -> Int? {
        guard let b, b.site >= 0 else { return nil }
        return machine.model.sites[Int(b.site)].location.line
    }
}

@Suite struct PrimitiveTests {
    @Test func counterIncrementAndDecrement() throws {
        let h = try Harness(exitMM: "t.mm.count += 2\nt.mm.users -= 1")
        #expect(h.exit() == nil)
        #expect(h.after.mms[1] == .init(live: true, users: 0, count: 3))
        #expect(h.after.tasks[0].status == TaskStatus.exiting)
    }

    @Test func counterPastTheCapIsNoUnderflow() throws {
        let h = try Harness(exitMM: "t.mm.count += 7\nt.mm.count += 1")
        let b = h.exit()
        #expect(b?.property == .noUnderflow)
        #expect(b?.reason == .overCap(counter: .count, cap: 8))
        #expect(h.line(b) == 8)
    }

    @Test func counterBelowZeroIsNoUnderflow() throws {
        let h = try Harness(exitMM: "t.mm.users -= 2")
        let b = h.exit()
        #expect(b?.property == .noUnderflow)
        #expect(b?.reason == .underflow(counter: .users, value: -1))
        #expect(b?.mm == Harness.mm0)
    }

    /// users raised from 0 is its own violation (an mmget where mmget_not_zero was
    /// needed), checked before the cap; from 1 it is a plain increment, and a decrement to
    /// 0 and a count raised from 0 are not it.
    @Test func usersRaisedFromZero() throws {
        let h = try Harness(exitMM: "t.mm.users -= 1\nt.mm.users += 1")
        let b = h.exit()
        #expect(b?.property == .noUsersFromZero)
        #expect(b?.reason == .usersFromZero)
        #expect(b?.mm == Harness.mm0)
        #expect(h.line(b) == 8)
        #expect(try Harness(exitMM: "t.mm.users += 1\nt.mm.users -= 1").exit() == nil)
        #expect(try Harness(exitMM: "t.mm.count -= 1\nt.mm.count += 1").exit() == nil)
    }

    /// A whole model: linux-6 whose copy_mm takes (and puts back) a user reference on a
    /// kernel thread's lazily borrowed active_mm. By hand, on 1 CPU: init runs (1), exits
    /// (2: mm0.users 1 -> 0, torn down; init still runs on it lazily), the switch to
    /// kthreadd hands the borrow over (3), and kthreadd's clone takes mm0's users from 0
    /// (4). 4 steps, the shortest.
    @Test func mmgetOnABorrowedMMIsCaught() throws {
        let original = try String(contentsOfFile: Repository.path("models/linux-6.mmc"), encoding: .utf8)
        let lazy = "    if parent.mm is none {\n        return                  # a kernel thread: no mm at all\n    }"
        #expect(original.contains(lazy))
        let edited = original.replacingOccurrences(
            of: lazy,
            with:
                "    if parent.mm is none {\n        mmget(parent.active_mm)\n        mmput(parent.active_mm)\n        return\n    }"
        )
        let model = try Fixture.compile(edited)
        let bounds = Bounds(cpus: 1, tasks: 2, mms: 1)
        let r = Fixture.explore(model, bounds)
        let counterexample = try #require(r.counterexamples.first)
        #expect(counterexample.property == Property.noUsersFromZero.rawValue)
        #expect(counterexample.path.count == 4)
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.finalBreach?.reason == .usersFromZero)
    }

    @Test func freeAtZeroWithNoHolderClearsTheSlot() throws {
        let h = try Harness(
            exitMM:
                "let m = t.mm\nt.mm = none\nt.active_mm = init_mm\nswitch_mm(init_mm)\nm.users -= 1\nm.count -= 1\nfree(m)"
        )
        #expect(h.exit() == nil)
        #expect(h.after.mms[1] == .init(live: false, users: 0, count: 0))
    }

    @Test func freeWithUsersIsBorrowed() throws {
        let h = try Harness(exitMM: "let m = t.mm\nt.mm = none\nt.active_mm = init_mm\nm.count -= 1\nfree(m)")
        let b = h.exit()
        #expect(b?.property == .noFreeWhileBorrowed)
        #expect(b?.reason == .freeWithUsers(1))
    }

    @Test func freeWhileATaskStillPointsToItIsBorrowed() throws {
        let h = try Harness(exitMM: "let m = t.mm\nt.mm = none\nm.users -= 1\nm.count -= 1\nfree(m)")
        let b = h.exit()
        #expect(b?.property == .noFreeWhileBorrowed)
        #expect(b?.reason == .freeHeldByTask(task: Harness.initTask, activeMM: true))
        #expect(h.line(b) == 11)
    }

    @Test func freeWhilePendingInPrevMMIsBorrowed() throws {
        let h = try Harness(
            exitMM:
                "let m = t.mm\nt.mm = none\nt.active_mm = init_mm\ncpu.prev_mm = m\nm.users -= 1\nm.count -= 1\nfree(m)"
        )
        #expect(h.exit()?.reason == .freePendingInPrevMM(cpu: 0))
    }

    @Test func freeWhileLoadedOnTheActingCPUIsBorrowed() throws {
        // init's mm is loaded on cpu0 from the start of the step; no switch_mm moves it away.
        let h = try Harness(
            exitMM: "let m = t.mm\nt.mm = none\nt.active_mm = init_mm\nm.users -= 1\nm.count -= 1\nfree(m)")
        let loadedElsewhere = try Harness(
            exitMM:
                "let m = t.mm\nt.mm = none\nt.active_mm = init_mm\nswitch_mm(init_mm)\nm.users -= 1\nm.count -= 1\nfree(m)"
        )
        // First model: free while still loaded. (Its users reach 0 and no task holds it.)
        let b = h.exit()
        #expect(b?.property == .noFreeWhileBorrowed)
        #expect(b?.reason == .freeLoaded(cpu: 0))
        #expect(loadedElsewhere.exit() == nil)
    }

    @Test func freeAtNonZeroCountIsFreeAtZero() throws {
        let h = try Harness(
            exitMM: "let m = t.mm\nt.mm = none\nt.active_mm = init_mm\nswitch_mm(init_mm)\nm.users -= 1\nfree(m)")
        let b = h.exit()
        #expect(b?.property == .freeAtZero)
        #expect(b?.reason == .freeAtCount(1))
    }

    @Test func freeOfNoneOfAFreedSlotAndOfInitMM() throws {
        #expect(try Harness(exitMM: "free(none)").exit()?.reason == .noneUsed(.free))
        #expect(try Harness(exitMM: "free(init_mm)").exit()?.property == .initMMImmortal)
        // mm slot 1 is not live in the hand-made state: reach it through a fresh mm freed twice.
        let twice = try Harness(exitMM: "let m = new_mm()\nm.users -= 1\nm.count -= 1\nfree(m)\nfree(m)")
        let b = twice.exit()
        #expect(b?.property == .noUseAfterFree)
        #expect(b?.reason == .notLive(.free))
        #expect(twice.line(b) == 11)
    }

    @Test func exitMmapChecksNoTaskHasTheMMAsItsMM() throws {
        let inUse = try Harness(exitMM: "exit_mmap(t.mm)")
        #expect(inUse.exit()?.reason == .teardownInUse(task: Harness.initTask))
        #expect(inUse.exit()?.property == .noTeardownInUse)
        let lazy = try Harness(exitMM: "let m = t.mm\nt.mm = none\nexit_mmap(m)")
        #expect(lazy.exit() == nil)  // running lazily on a torn-down mm is legal
        #expect(try Harness(exitMM: "exit_mmap(init_mm)").exit()?.property == .initMMImmortal)
    }

    @Test func switchMMOfNoneIsUseAfterFree() throws {
        let b = try Harness(exitMM: "switch_mm(t.active_mm)\nswitch_mm(none)").exit()
        #expect(b?.property == .noUseAfterFree)
        #expect(b?.reason == .noneUsed(.switchMM))
    }

    @Test func newMMTakesTheLowestFreeSlotOrIsAModelError() throws {
        let one = try Harness(exitMM: "let m = new_mm()\nt.mm = m\nt.active_mm = m\nt.mm.users += 0")
        // The new mm replaces init's; mm0 is then held by nobody: a leak, but mm1 is as expected.
        let b = one.exit()
        #expect(one.after.mms[2] == .init(live: true, users: 1, count: 1))
        #expect(b?.property == .noLeak)
        #expect(b?.mm == Harness.mm0)
        let none = try Harness(exitMM: "let a = new_mm()\nlet b = new_mm()")
        #expect(none.exit()?.code == Property.modelErrorCode)
        #expect(none.exit()?.reason == .noFreeMMSlot)
    }

    @Test func assigningAFreedMMOrInitMMAsAnMM() throws {
        let freed = try Harness(exitMM: "let m = new_mm()\nm.users -= 1\nm.count -= 1\nfree(m)\nt.active_mm = m")
        #expect(freed.exit()?.reason == .notLive(.assign))
        let initMM = try Harness(exitMM: "t.mm = init_mm")
        #expect(initMM.exit()?.property == .initMMImmortal)
        #expect(initMM.exit()?.reason == .initMMAsMM)
        #expect(try Harness(exitMM: "init_mm.users += 1").exit()?.reason == .initMMUsersChanged)
    }

    @Test func readingACounterOfNone() throws {
        let b = try Harness(exitMM: "if none.count == 0 { return }").exit()
        #expect(b?.property == .noUseAfterFree)
        #expect(b?.reason == .noneUsed(.readCounter))
    }
}

@Suite struct StatePropertyTests {
    @Test func liveMMAtCountZeroIsFreeAtZero() throws {
        let b = try Harness(exitMM: "t.mm.count -= 1").exit()
        #expect(b?.property == .freeAtZero)
        #expect(b?.reason == .liveAtZeroCount)
        #expect(b?.site == -1)
    }

    @Test func liveMMWithNoHolderIsALeak() throws {
        let b = try Harness(exitMM: "t.mm = none\nt.active_mm = init_mm").exit()
        #expect(b?.property == .noLeak)
        #expect(b?.reason == .noHolder)
        #expect(b?.mm == Harness.mm0)
    }

    @Test func aPendingPrevMMIsAHolder() throws {
        #expect(try Harness(exitMM: "cpu.prev_mm = t.mm\nt.mm = none\nt.active_mm = init_mm").exit() == nil)
    }

    @Test func mmWithADifferentActiveMMIsInconsistent() throws {
        let b = try Harness(exitMM: "cpu.prev_mm = t.active_mm\nt.active_mm = init_mm").exit()
        #expect(b?.property == .activeMMConsistent)
        #expect(b?.reason == .activeMMDiffers(task: Harness.initTask))
    }

    @Test func aSwitchedOutKernelThreadWithAnActiveMMIsInconsistent() throws {
        // Switching init -> kthreadd without clearing anything leaves idle0 untouched but
        // gives kthreadd a borrow; switching back to init leaves kthreadd's active_mm stale.
        var h = try Harness(exitMM: "", contextSwitch: "next.active_mm = prev.active_mm")
        h.state.tasks[1] = .init(status: TaskStatus.running, mm: Ref.none, activeMM: Harness.mm0)
        h.state.tasks[0].status = TaskStatus.runnable
        h.state.cpus[0].curr = Harness.kthreadd
        h.state.mms[1].count = 2
        let b = h.schedule(Harness.initTask)
        #expect(b?.property == .activeMMConsistent)
        #expect(b?.reason == .staleActiveMM(task: Harness.kthreadd))
    }

    @Test func aDeadTaskStillHoldingItsActiveMMLeaks() throws {
        var h = try Harness(exitMM: "", contextSwitch: "next.active_mm = init_mm")
        h.state.tasks[0] = .init(status: TaskStatus.exiting, mm: Ref.none, activeMM: Harness.mm0)
        let b = h.schedule(Harness.idle0)
        #expect(b?.property == .noLeak)
        #expect(b?.reason == .deadTaskHolds(task: Harness.initTask, activeMM: true))
    }

    @Test func switchingToATaskWithNoActiveMMIsUseOfNone() throws {
        let b = try Harness(exitMM: "", contextSwitch: "").schedule(Harness.kthreadd)
        #expect(b?.property == .noUseAfterFree)
        #expect(b?.reason == .runningWithoutActiveMM(task: Harness.kthreadd))
    }

    @Test func scheduleMovesPrevAndNext() throws {
        let h = try Harness(exitMM: "", contextSwitch: "next.active_mm = prev.active_mm\nprev.active_mm.count += 1")
        #expect(h.schedule(Harness.kthreadd) == nil)
        let a = h.after
        #expect(a.cpus[0].curr == Harness.kthreadd)
        #expect(a.tasks[0].status == TaskStatus.runnable)
        #expect(a.tasks[1] == .init(status: TaskStatus.running, mm: Ref.none, activeMM: Harness.mm0))
        #expect(a.mms[1].count == 2)
    }

    @Test func theInitialStateIsTheReferenceBoot() throws {
        let model = try Fixture.load("models/linux-6.mmc")
        let machine = Machine(model: model, bounds: Bounds(cpus: 2, tasks: 3, mms: 2))
        #expect(machine.loadInitialState() == .done)
        let s = KernelState(layout: machine.layout, fields: machine.work)
        #expect(s.cpus == [.init(curr: 3, prevMM: Ref.none), .init(curr: 4, prevMM: Ref.none)])
        #expect(s.tasks[0] == .init(status: TaskStatus.runnable, mm: Ref.slot(0), activeMM: Ref.slot(0)))
        #expect(s.tasks[1] == .init(status: TaskStatus.runnable, mm: Ref.none, activeMM: Ref.none))
        #expect(s.tasks[2].status == TaskStatus.unused)
        #expect(s.tasks[3] == .init(status: TaskStatus.running, mm: Ref.none, activeMM: Ref.initMM))
        #expect(s.mms[0].count == 3)
        #expect(s.mms[1] == .init(live: true, users: 1, count: 1))
        #expect(s.mms[2] == .init(live: false, users: 0, count: 0))
    }

    @Test func packingRoundTripsAndIsCanonical() throws {
        let h = try Harness(exitMM: "")
        let layout = h.machine.layout
        let words = h.state.packed(layout: layout)
        let back = words.withUnsafeBufferPointer { KernelState(layout: layout, packed: $0.baseAddress!) }
        #expect(back == h.state)
        #expect(back.packed(layout: layout) == words)
        var other = h.state
        other.mms[1].count = 2
        #expect(other.packed(layout: layout) != words)
    }
}

@Suite struct StepOutcomeTests {
    /// Every action returns one: it must stay a small plain value (no references, nothing
    /// allocated), so returning it costs no more than the flags it replaced.
    @Test func isASmallPlainValue() {
        #expect(_isPOD(StepOutcome.self))
        #expect(MemoryLayout<StepOutcome>.size <= 32)
    }

    @Test func accessors() {
        let b = Breach(code: Property.modelErrorCode, reason: .noFreeMMSlot, mm: Ref.none, site: -1)
        #expect(StepOutcome.done.ran && StepOutcome.paused(at: 3).ran)
        #expect(!StepOutcome.violated(b).ran && !StepOutcome.blocked.ran && !StepOutcome.awaitingShootdown(mm: 2).ran)
        #expect(StepOutcome.violated(b).breach == b && StepOutcome.blocked.breach == nil)
        #expect(StepOutcome.paused(at: 3).pausedAt == 3 && StepOutcome.done.pausedAt == -1)
    }
}

@Suite struct EncodingTests {
    /// The compiler's `none` and `init_mm` are the `Ref` values the machine stores (one
    /// definition, in ModelLanguage), and the slots follow them.
    @Test func theCompilersMMConstantsAreRefs() throws {
        #expect(Constant.value(of: "none")?.0 == Ref.none && Constant.value(of: "none")?.1 == .mm)
        #expect(Constant.value(of: "init_mm")?.0 == Ref.initMM)
        #expect(Ref.none == 0 && Ref.initMM == 1 && Ref.slot(0) == Ref.initMM + 1)
        // Emitted code compares with none as the constant 0.
        let model = try Fixture.load("models/linux-6-exec.mmc")
        #expect(model.code.contains { $0.operation == .constant && $0.b == Ref.none })
    }

    /// The stored values, and the widths they need: 2 bits in coarse mode without vfork,
    /// so those models keep their packed width.
    @Test func taskStatusesKeepTheirStoredValues() {
        #expect(TaskStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5])
        #expect(TaskStatus.largest(fine: false, actions: [.schedule, .useMM, .exec]) == 3)
        #expect(TaskStatus.largest(fine: true, actions: [.schedule]) == 4)
        #expect(TaskStatus.largest(fine: false, actions: [.schedule, .vfork]) == 5)
    }

    /// curr: 0 is the CPU's idle task (T + c), 1 + t slot task t; decoding inverts encoding.
    @Test func theCurrEncodingRoundTrips() {
        let tasks: Int32 = 3
        for c in 0..<2 {
            #expect(StateLayout.idleCurr == 0)
            #expect(StateLayout.currentTask(curr: 0, cpu: c, tasks: tasks) == tasks + Int32(c))
            for t in [0, 1, 2, tasks + Int32(c)] {
                let e = StateLayout.currField(task: t, tasks: tasks)
                #expect(StateLayout.currentTask(curr: e, cpu: c, tasks: tasks) == t)
            }
        }
    }
}
