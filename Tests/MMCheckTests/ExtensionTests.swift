import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// The use_mm / unuse_mm, clone_fail and shootdown extensions on hand-made states, run on a
/// machine with the shipped routines (models/linux-6-all.mmc, models/linux-6-shootdown.mmc)
/// or with hand-written ones.
///
/// The base state (2 CPUs, 2 task slots, 2 mm slots, cap 10): cpu0 runs init (task 0, a
/// user task, mm = active_mm = mm0); cpu1 runs kthreadd (task 1, PF_KTHREAD) lazily on
/// mm0; idle0 (task 2) and idle1 (task 3) are switched out; mm slot 1 is free. mm0 has
/// users 1 and count 2 (the users' reference and kthreadd's lazy one) when the lazy
/// references are counted, count 1 under shootdown; init_mm.count is 1 (both idle tasks
/// handed their boot borrow on), or 3 = 1 + cpus under shootdown, where it never changes.
struct ExtensionHarness {
    let machine: Machine
    var state: KernelState
    static let bounds = Bounds(cpus: 2, tasks: 2, mms: 2)
    static let mm0 = Ref.slot(0), mm1 = Ref.slot(1)
    static let initTask: Int32 = 0, kthreadd: Int32 = 1, idle0: Int32 = 2, idle1: Int32 = 3

    init(_ model: CompiledModel, shootdownCounts: Bool = false) {
        machine = Machine(model: model, bounds: ExtensionHarness.bounds)
        state = KernelState(
            tasks: [
                .init(status: TaskStatus.running, mm: Self.mm0, activeMM: Self.mm0),
                .init(status: TaskStatus.running, mm: Ref.none, activeMM: Self.mm0, kthread: true),
                .init(status: TaskStatus.runnable, mm: Ref.none, activeMM: Ref.none),
                .init(status: TaskStatus.runnable, mm: Ref.none, activeMM: Ref.none),
            ],
            cpus: [.init(curr: Self.initTask, prevMM: Ref.none), .init(curr: Self.kthreadd, prevMM: Ref.none)],
            mms: [
                .init(live: true, users: StateLayout.initMMUsers, count: shootdownCounts ? 3 : 1),
                .init(live: true, users: 1, count: shootdownCounts ? 1 : 2),
                .init(live: false, users: 0, count: 0),
            ])
    }

    /// Loads the state and runs one action on the machine; the breach, or nil.
    func run(_ action: (Machine) -> StepOutcome) -> Breach? {
        state.write(layout: machine.layout, into: machine.base)
        machine.baseWritten()
        return action(machine).breach
    }

    var after: KernelState { KernelState(layout: machine.layout, fields: machine.work) }

    /// The labels of the steps enabled in the state.
    func enabled() -> Set<UInt32> {
        let system = KernelSystem(model: machine.model, bounds: Self.bounds)
        let buffer = SuccessorBuffer(stateWords: system.stateWords)
        state.packed(layout: system.layout).withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
        return Set((0..<buffer.count).map { buffer.label($0) })
    }

    func line(_ b: Breach?) -> Int? {
        guard let b, b.site >= 0 else { return nil }
        return machine.model.sites[Int(b.site)].location.line
    }
}

@Suite struct UseMMTests {
    static let all = try! Fixture.load("models/linux-6-all.mmc")
    typealias H = ExtensionHarness

    @Test func useMMTakesAUserAndARealReferenceAndDropsTheLazyOne() {
        let h = H(Self.all)
        #expect(h.run { $0.useMM(cpu: 1, task: H.kthreadd, mm: H.mm0) } == nil)
        let a = h.after
        #expect(a.tasks[1] == .init(status: TaskStatus.running, mm: H.mm0, activeMM: H.mm0, kthread: true))
        // mmget: users 2; kthread_use_mm: mmgrab 3, then mmdrop_lazy_tlb of the borrow 2.
        #expect(a.mms[1] == .init(live: true, users: 2, count: 2))
    }

    @Test func useMMFromInitMMDropsThatBorrow() {
        var h = H(Self.all)
        h.state.tasks[1].activeMM = Ref.initMM
        h.state.mms[0].count = 2
        h.state.mms[1].count = 1
        #expect(h.run { $0.useMM(cpu: 1, task: H.kthreadd, mm: H.mm0) } == nil)
        #expect(h.after.mms[0].count == 1)
        #expect(h.after.mms[1] == .init(live: true, users: 2, count: 2))
    }

    @Test func unuseMMLeavesTheThreadLazyOnTheMM() {
        var h = H(Self.all)
        h.state.tasks[1].mm = H.mm0
        h.state.mms[1] = .init(live: true, users: 2, count: 2)
        #expect(h.run { $0.unuseMM(cpu: 1, task: H.kthreadd) } == nil)
        let a = h.after
        #expect(a.tasks[1] == .init(status: TaskStatus.running, mm: Ref.none, activeMM: H.mm0, kthread: true))
        // kthread_unuse_mm: lazy grab 3, drop the use reference 2; mmput: users 1.
        #expect(a.mms[1] == .init(live: true, users: 1, count: 2))
    }

    @Test func unuseMMByTheLastUserTearsDownAndKeepsTheLazyReference() {
        var h = H(Self.all)
        h.state.tasks[0] = .init(status: TaskStatus.unused, mm: Ref.none, activeMM: Ref.none)
        h.state.cpus[0].curr = H.idle0
        h.state.tasks[2].activeMM = Ref.initMM
        h.state.mms[0].count = 2
        h.state.tasks[1].mm = H.mm0
        h.state.mms[1] = .init(live: true, users: 1, count: 2)  // the users' reference and the use pin
        #expect(h.run { $0.unuseMM(cpu: 1, task: H.kthreadd) } == nil)
        #expect(h.after.tasks[1].activeMM == H.mm0)
        #expect(h.after.mms[1] == .init(live: true, users: 0, count: 1))  // a zombie held by kthreadd
    }

    @Test func aKernelThreadInsideUseMMMayOnlyScheduleOrUnuse() {
        var h = H(Self.all)
        h.state.tasks[1].mm = H.mm0
        h.state.tasks[0].status = TaskStatus.runnable
        h.state.cpus[0].curr = H.idle0
        h.state.tasks[2].activeMM = H.mm0
        h.state.mms[1] = .init(live: true, users: 2, count: 3)
        let expected: Set<UInt32> = [
            Step.schedule(cpu: 0, next: H.initTask),
            Step.schedule(cpu: 1, next: H.initTask), Step.schedule(cpu: 1, next: H.idle1),
            Step.unuseMM(cpu: 1, task: H.kthreadd),
        ]
        #expect(h.enabled() == expected)
    }

    @Test func aLazyKernelThreadMayUseEveryLiveMMThatHasUsers() {
        var h = H(Self.all)
        // Make mm slot 1 a live zombie (users 0) held lazily by idle0: not usable.
        h.state.mms[2] = .init(live: true, users: 0, count: 1)
        h.state.tasks[2].activeMM = H.mm1
        h.state.cpus[0].curr = H.idle0
        h.state.tasks[0].status = TaskStatus.runnable
        let labels = h.enabled()
        #expect(labels.contains(Step.useMM(cpu: 1, task: H.kthreadd, mm: 0)))
        #expect(!labels.contains(Step.useMM(cpu: 1, task: H.kthreadd, mm: 1)))
        #expect(labels.contains(Step.exit(cpu: 1, task: H.kthreadd)))
        // init is a user task: it never uses an mm this way.
        var user = H(Self.all)
        user.state.cpus[1].curr = H.idle1
        user.state.tasks[1] = .init(status: TaskStatus.runnable, mm: Ref.none, activeMM: Ref.none, kthread: true)
        user.state.tasks[3].activeMM = H.mm0
        #expect(!user.enabled().contains { Step(label: $0)?.kind == .useMM })
    }

    @Test func kthreadFlagsAreStateOnlyWithUseMM() throws {
        let bounds = Bounds(cpus: 2, tasks: 3, mms: 3)
        let plain = Machine(model: try Fixture.load("models/linux-6.mmc"), bounds: bounds)
        let exec = Machine(model: try Fixture.load("models/linux-6-exec.mmc"), bounds: bounds)
        let all = Machine(model: Self.all, bounds: bounds)
        // The reference configuration keeps its packed width (README: 71 bits at (2, 3, 3)).
        #expect((plain.layout.bits, plain.layout.words) == (71, 2))
        #expect((exec.layout.bits, exec.layout.words) == (71, 2))
        #expect((all.layout.bits, all.layout.words) == (74, 2))
        #expect(plain.loadInitialState() == .done && all.loadInitialState() == .done)
        #expect(KernelState(layout: plain.layout, fields: plain.work).tasks[1].kthread == false)
        let boot = KernelState(layout: all.layout, fields: all.work)
        #expect(boot.tasks.map(\.kthread) == [false, true, false, false, false])
    }

    @Test func cloneGivesAKthreadChildTheFlagAndExecClearsIt() {
        var h = H(Self.all)
        h.state.tasks.insert(.init(status: TaskStatus.unused, mm: Ref.none, activeMM: Ref.none), at: 2)
        let bounds = Bounds(cpus: 2, tasks: 3, mms: 2)
        let machine = Machine(model: Self.all, bounds: bounds)
        func run(_ s: KernelState, _ action: (Machine) -> StepOutcome) -> KernelState? {
            s.write(layout: machine.layout, into: machine.base)
            machine.baseWritten()
            return action(machine).ran ? KernelState(layout: machine.layout, fields: machine.work) : nil
        }
        let kchild = run(h.state) { $0.clone(cpu: 1, parent: 1, child: 2, how: .kthread) }
        #expect(kchild?.tasks[2] == .init(status: TaskStatus.runnable, mm: Ref.none, activeMM: Ref.none, kthread: true))
        let thread = run(h.state) { $0.clone(cpu: 0, parent: 0, child: 2, how: .thread) }
        #expect(thread?.tasks[2] == .init(status: TaskStatus.runnable, mm: H.mm0, activeMM: H.mm0, kthread: false))
        // kthreadd execs (the user-mode-helper path): a user task from then on.
        let exec = run(h.state) { $0.exec(cpu: 1, task: 1) }
        #expect(exec?.tasks[1] == .init(status: TaskStatus.running, mm: H.mm1, activeMM: H.mm1, kthread: false))
        #expect(exec?.mms[1].count == 1)  // kthreadd's lazy reference on mm0 dropped
    }

    @Test func aDeadKernelThreadsSlotIsCleared() {
        var h = H(Self.all)
        h.state.tasks[1].status = TaskStatus.exiting
        #expect(h.run { $0.schedule(cpu: 1, next: H.idle1) } == nil)
        #expect(h.after.tasks[1] == .init(status: TaskStatus.unused, mm: Ref.none, activeMM: Ref.none, kthread: false))
        #expect(h.after.tasks[3].activeMM == H.mm0)  // the borrow was handed to idle1
    }
}

@Suite struct CloneFailTests {
    typealias H = ExtensionHarness

    /// The base state with kthreadd's slot free (kthreadd has died; idle1 runs on cpu1).
    static func harness(_ model: CompiledModel) -> H {
        var h = H(model)
        h.state.tasks[1] = .init(status: TaskStatus.unused, mm: Ref.none, activeMM: Ref.none)
        h.state.cpus[1].curr = H.idle1
        h.state.tasks[3] = .init(status: TaskStatus.running, mm: Ref.none, activeMM: H.mm0)
        return h
    }

    @Test func aFailedCloneGivesBackWhatCopyMMTookAndLeavesTheSlotFree() throws {
        let h = Self.harness(try Fixture.load("models/linux-6-all.mmc"))
        let before = h.state
        #expect(h.run { $0.cloneFail(cpu: 0, parent: H.initTask, child: 1, how: .thread) } == nil)
        #expect(h.after == before)  // mmget, then the error path's mmput
        #expect(h.run { $0.cloneFail(cpu: 0, parent: H.initTask, child: 1, how: .fork) } == nil)
        #expect(h.after == before)  // dup_mm's new mm is freed again
        #expect(h.run { $0.clone(cpu: 0, parent: H.initTask, child: 1, how: .fork) } == nil)
        #expect(h.after.mms[2] == .init(live: true, users: 1, count: 1))
    }

    @Test func aFailedChildStillHoldingItsMMIsALeakAtTheErrorPath() throws {
        let text = """
            expect pass
            actions schedule, clone_thread, clone_fail
            routine context_switch(prev: task, next: task) {
            }
            routine copy_mm(parent: task, child: task, how: how) {
                child.mm = parent.mm
                child.active_mm = parent.mm
                parent.mm.users += 1
            }
            routine bad_fork_cleanup_mm(child: task) {
                child.mm.users -= 1
            }
            """
        let h = Self.harness(try Fixture.compile(text))
        let b = h.run { $0.cloneFail(cpu: 0, parent: H.initTask, child: 1, how: .thread) }
        #expect(b?.property == .noLeak)
        #expect(b?.reason == .deadTaskHolds(task: 1, activeMM: false))
        #expect(b?.mm == H.mm0)
        #expect(h.line(b) == 10)  // bad_fork_cleanup_mm's declaration
    }

    @Test func cloneFailIsOfferedForEachCloneTheModelHas() throws {
        let h = Self.harness(try Fixture.load("models/linux-6-all.mmc"))
        let fails = h.enabled().compactMap(Step.init(label:)).filter { $0.kind == .cloneFail }
        #expect(Set(fails.map(\.how)) == [.thread, .fork])
        #expect(fails.allSatisfy { $0.task == H.initTask && $0.child == 1 })
    }
}

@Suite struct ShootdownTests {
    static let shootdown = try! Fixture.load("models/linux-6-shootdown.mmc")
    static let noShootdown = try! Fixture.load("models/bugs/shootdown-without-shootdown.mmc")
    typealias H = ExtensionHarness

    @Test func theLastPutShootsEveryLazyUserToInitMMBeforeTheFree() {
        // init exits on cpu0 while kthreadd runs lazily on mm0 on cpu1, holding no count.
        let h = H(Self.shootdown, shootdownCounts: true)
        #expect(h.run { $0.exit(cpu: 0, task: H.initTask) } == nil)
        let a = h.after
        #expect(a.mms[1] == .init(live: false, users: 0, count: 0))
        #expect(a.tasks[0] == .init(status: TaskStatus.exiting, mm: Ref.none, activeMM: Ref.initMM))
        #expect(a.tasks[1] == .init(status: TaskStatus.running, mm: Ref.none, activeMM: Ref.initMM, kthread: true))
        #expect(a.mms[0].count == 3)  // no reference taken on init_mm
    }

    @Test func withoutTheShootdownTheSameFreeIsWhileBorrowed() {
        let b = H(Self.noShootdown, shootdownCounts: true).run { $0.exit(cpu: 0, task: H.initTask) }
        #expect(b?.property == .noFreeWhileBorrowed)
        #expect(b?.reason == .freeHeldByTask(task: H.initTask, activeMM: true))
    }

    /// The IPI handler's test is do_shoot_lazy_tlb's, `current->active_mm == mm`: it moves
    /// a current task that still has the mm as its mm too (the kernel warns and moves it),
    /// and the free then fails on that task's mm.
    @Test func theShootdownMovesEveryCurrentTaskOnTheMM() throws {
        // A hand-written exit that frees mm0 while cpu1's task still has it as its mm.
        let text = """
            expect pass
            actions schedule, exit, use_mm, shootdown
            routine context_switch(prev: task, next: task) {
            }
            routine mmget(m: mm) {
            }
            routine kthread_use_mm(t: task, m: mm) {
            }
            routine mmgrab_lazy_tlb(m: mm) {
            }
            routine mmdrop_lazy_tlb(m: mm) {
            }
            routine exit_mm(t: task) {
                let m = t.mm
                t.mm = none
                m.users -= 1
                m.count -= 1
                free(m)
            }
            """
        var h = H(try Fixture.compile(text), shootdownCounts: true)
        h.state.tasks[1].mm = H.mm0  // kthreadd inside use_mm: a real user
        let b = h.run { $0.exit(cpu: 0, task: H.initTask) }
        #expect(b?.reason == .freeHeldByTask(task: H.kthreadd, activeMM: false))
        #expect(h.after.tasks[0].activeMM == Ref.initMM)  // init, lazy by then, was moved
        #expect(h.after.tasks[1].activeMM == Ref.initMM)  // and kthreadd, whose mm is mm0
        #expect(h.after.tasks[1].mm == H.mm0)
    }

    @Test func theShootdownUnloadsTheMMFromTheActingCPU() {
        // kthreadd is the last user, through use_mm; unuse_mm's mmput frees mm0 on cpu1,
        // where kthreadd runs on it: the shootdown switches cpu1 itself to init_mm.
        var h = H(Self.shootdown, shootdownCounts: true)
        h.state.tasks[0] = .init(status: TaskStatus.unused, mm: Ref.none, activeMM: Ref.none)
        h.state.cpus[0].curr = H.idle0
        h.state.tasks[2].activeMM = Ref.initMM
        h.state.tasks[1].mm = H.mm0
        h.state.mms[1] = .init(live: true, users: 1, count: 2)
        #expect(h.run { $0.unuseMM(cpu: 1, task: H.kthreadd) } == nil)
        #expect(h.after.mms[1].live == false)
        #expect(h.after.tasks[1].activeMM == Ref.initMM)
    }

    /// The shootdown model never takes a reference on init_mm: in every reachable state
    /// init_mm.count is its boot value 1 + cpus.
    @Test(arguments: [(1, 2, 1), (2, 2, 2), (2, 3, 3)])
    func initMMCountStaysOnePlusCPUs(_ b: (Int, Int, Int)) {
        let levels = Fixture.levels(Self.shootdown, Bounds(cpus: b.0, tasks: b.1, mms: b.2))
        let counts = Set(levels.joined().map(\.mms[0].count))
        #expect(counts == [Int32(1 + b.0)])
        // Not a vacuous check: with the lazy references counted, init_mm.count moves.
        let refcount = Fixture.levels(UseMMTests.all, Bounds(cpus: b.0, tasks: b.1, mms: b.2))
        #expect(Set(refcount.joined().map(\.mms[0].count)).count > 1)
    }
}

@Suite struct StepLabelTests {
    @Test func everyKindRoundTripsThroughItsLabel() {
        let steps = [
            Step(kind: .schedule, cpu: 7, task: 23), Step(kind: .exit, cpu: 1, task: 15),
            Step(kind: .exec, cpu: 0, task: 2),
            Step(kind: .clone, cpu: 3, task: 4, child: 15, how: .fork),
            Step(kind: .cloneFail, cpu: 7, task: 15, child: 14, how: .kthread),
            Step(kind: .useMM, cpu: 5, task: 9, mm: 15), Step(kind: .unuseMM, cpu: 2, task: 1),
            Step(kind: .proceed, cpu: 6, task: 0), Step(kind: .shootdown, cpu: 7, task: 0, mm: 15),
            Step(kind: .vfork, cpu: 4, task: 3, child: 13, how: .vfork),
            Step(kind: .getTaskMM, cpu: 7, task: 15, child: 14),
            Step(kind: .procOpen, cpu: 3, task: 2, child: 11, holder: 3),
            Step(kind: .oomRelease, cpu: 7, task: 15, holder: 7),
        ]
        for s in steps {
            #expect(Step(label: s.label) == s)
            #expect(s.label < 1 << 31)
        }
        #expect(Step.useMM(cpu: 5, task: 9, mm: 15) == steps[5].label)
        #expect(Step.cloneFail(cpu: 7, parent: 15, child: 14, how: .kthread) == steps[4].label)
        #expect(Step.proceed(cpu: 6) == steps[7].label)
        #expect(Step.shootdown(cpu: 7, mm: 15) == steps[8].label)
        #expect(Step(label: UInt32(Action.allCases.count)) == nil)  // no kind past the catalogue
        #expect(Step(label: 1 << 31) == nil)  // past the 31 bits of a label
    }
}
