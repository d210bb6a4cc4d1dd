import ModelLanguage

/// Runs a compiled model's actions on one unpacked kernel state, checking every property
/// at the exact statement where it can first fail.
///
/// `base` holds the state being expanded; each action starts from a copy of it in `work`,
/// runs the model's code there, and leaves either the successor or, after a violation, the
/// state as it was at the failing statement (with `breach` set). Nothing is allocated per
/// action: all buffers are made once, in `init`.
///
/// `@exclusivity(unchecked)`: these fields are read and written on every statement of the
/// hot loop, by this object alone and never re-entrantly; the runtime checks cost ~10%.
public final class Machine {
    public let model: CompiledModel
    public let layout: StateLayout
    /// The state being expanded (unpacked).
    public let base: UnsafeMutablePointer<Int32>
    /// The state an action works on (unpacked).
    public let work: UnsafeMutablePointer<Int32>
    /// What the last failed action violated.
    @exclusivity(unchecked) public private(set) var breach: Breach?

    private let code: UnsafeMutablePointer<Instruction>
    /// `model.mmRegisters`, flat: action k's mm registers are
    /// `mmRegisters[mmRegisterStart[k] ..< mmRegisterStart[k + 1]]`.
    private let mmRegisters: UnsafeMutablePointer<Int32>
    private let mmRegisterStart: UnsafeMutablePointer<Int>
    private let registers: UnsafeMutablePointer<Int32>
    private let T: Int32, C: Int32, M: Int32, cap: Int32
    private let oMM: Int, oActive: Int, oStatus: Int, oCurr: Int, oPrev: Int, oLive: Int, oUsers: Int, oCount: Int
    private let oKthread: Int
    private let scheduleSite: Int32, exitSite: Int32, cleanupSite: Int32
    /// The model stores kthread flags (it switches on use_mm).
    private let tracksKthread: Bool
    /// The model switches on the lazy-TLB shootdown variant.
    private let shootdown: Bool
    /// The acting CPU.
    @exclusivity(unchecked) private var cpu: Int32 = 0
    /// The mm loaded on the acting CPU during the action.
    @exclusivity(unchecked) private var loaded: Int32 = 0

    // Fine mode.
    /// Each statement is a step: actions pause at yield points.
    public let fine: Bool
    private let yields: [CompiledModel.YieldPoint]
    /// For each yield point, which of its saved registers hold mm references.
    private let savedIsMM: [[Bool]]
    private let ks: Int, kt: Int
    private let oCPUPC: Int, oCPUFrame: Int, oLoaded: Int, oTaskPC: Int, oTaskFrame: Int
    /// The action running (selects the mm registers to mark dangling at a free).
    @exclusivity(unchecked) private var action: CompiledModel.ActionKind = .schedule
    /// Where the last step paused (a yield index), or -1 when its action ran to the end.
    @exclusivity(unchecked) public private(set) var pausedAt: Int32 = -1
    /// The statement the last step started with (a site index), or -1.
    @exclusivity(unchecked) public private(set) var startSite: Int32 = -1
    /// A local that still points to freed mm slot reference m holds m + `dangling`
    /// (past every live reference, and still saying which mm it was).
    public let dangling: Int32
    /// Fine mode: the last step could not run because it makes a new mm and no mm slot is
    /// free (an allocation waits for memory): it is not enabled.
    @exclusivity(unchecked) public private(set) var blocked = false
    /// Fine mode with shootdown: the mm whose free the last step waited for, because some
    /// other CPU still runs on it lazily and has not taken its shootdown IPI (else none).
    @exclusivity(unchecked) public private(set) var awaitedShootdown: Int32 = Ref.none

    /// The state layout `model` needs at `bounds` (fine mode adds the paused frames).
    public static func layout(model: CompiledModel, bounds: Bounds) -> StateLayout {
        let tracksKthread = model.actions.contains(.useMM)
        guard model.mode == .fine else { return StateLayout(bounds: bounds, tracksKthread: tracksKthread) }
        let largestConstant = model.code.filter { $0.operation == .constant }.map { Int($0.b) }.max() ?? 0
        return StateLayout(bounds: bounds, tracksKthread: tracksKthread, frames: StateLayout.Frames(
            scheduleSlots: model.scheduleFrameSize, taskSlots: model.taskFrameSize,
            yieldPoints: model.yields.count, largestSavedValue: largestConstant))
    }

    public init(model: CompiledModel, bounds: Bounds) {
        self.model = model
        tracksKthread = model.actions.contains(.useMM)
        shootdown = model.actions.contains(.shootdown)
        layout = Machine.layout(model: model, bounds: bounds)
        fine = model.mode == .fine
        yields = model.yields
        savedIsMM = model.yields.map { y in model.savedKinds(y).map { $0 == .mm } }
        ks = model.scheduleFrameSize
        kt = model.taskFrameSize
        oCPUPC = layout.cpuPC
        oCPUFrame = layout.cpuFrame
        oLoaded = layout.loaded
        oTaskPC = layout.taskPC
        oTaskFrame = layout.taskFrame
        dangling = Int32(bounds.mms + 1)
        T = Int32(bounds.tasks)
        C = Int32(bounds.cpus)
        M = Int32(bounds.mms)
        cap = Int32(bounds.cap)
        oMM = layout.mm
        oActive = layout.activeMM
        oStatus = layout.status
        oCurr = layout.curr
        oPrev = layout.prevMM
        oLive = layout.mmLive
        oUsers = layout.users
        oCount = layout.count
        oKthread = layout.kthread
        base = .allocate(capacity: layout.fieldCount)
        work = .allocate(capacity: layout.fieldCount)
        layout.initializeConstants(base)
        layout.initializeConstants(work)
        code = .allocate(capacity: max(model.code.count, 1))
        code.initialize(from: model.code, count: model.code.count)
        let flat = model.mmRegisters.flatMap { $0 }
        mmRegisters = .allocate(capacity: max(flat.count, 1))
        mmRegisters.initialize(from: flat, count: flat.count)
        mmRegisterStart = .allocate(capacity: model.mmRegisters.count + 1)
        var start = 0
        for (k, list) in model.mmRegisters.enumerated() {
            mmRegisterStart[k] = start
            start += list.count
        }
        mmRegisterStart[model.mmRegisters.count] = start
        registers = .allocate(capacity: max(model.registerCount, CompiledModel.inputRegisters))
        registers.initialize(repeating: 0, count: max(model.registerCount, CompiledModel.inputRegisters))
        scheduleSite = model.scheduleEntry.map { model.code[$0].site } ?? -1
        exitSite = model.exitEntry.map { model.code[$0].site } ?? -1
        cleanupSite = model.cleanupSite ?? -1
    }

    deinit {
        base.deallocate()
        work.deallocate()
        code.deallocate()
        registers.deallocate()
        mmRegisters.deallocate()
        mmRegisterStart.deallocate()
    }

    // MARK: The initial state

    /// Writes the reference boot (SEMANTICS.md §2.4) into `work` and checks it.
    public func loadInitialState() -> Bool {
        breach = nil
        layout.initializeConstants(work)
        for c in 0..<Int(C) {
            work[oCurr + c] = 0
            work[oActive + Int(T) + c] = Ref.initMM
        }
        work[oCount] = C + 1
        if fine {
            for c in 0..<Int(C) { work[oLoaded + c] = Ref.initMM }
        }
        work[oStatus] = StateLayout.runnable
        work[oMM] = Ref.slot(0)
        work[oActive] = Ref.slot(0)
        work[oLive + 1] = 1
        work[oUsers + 1] = 1
        work[oCount + 1] = 1
        if T >= 2 {
            work[oStatus + 1] = StateLayout.runnable
            if tracksKthread { work[oKthread + 1] = 1 }   // kthreadd
        }
        return checkState()
    }

    // MARK: Actions

    /// The task running on CPU `c` in `base`, as a task id.
    @inline(__always)
    public func current(_ c: Int) -> Int32 {
        let e = base[oCurr + c]
        return e == 0 ? T + Int32(c) : e - 1
    }

    @inline(__always)
    private func begin(_ c: Int) {
        work.update(from: base, count: layout.fieldCount)
        cpu = Int32(c)
        if fine {
            loaded = work[oLoaded + c]
        } else {
            let e = work[oCurr + c]
            loaded = work[oActive + Int(e == 0 ? T + Int32(c) : e - 1)]
        }
        breach = nil
        blocked = false
        awaitedShootdown = Ref.none
        pausedAt = -1
        startSite = -1
    }

    /// The action's inputs, in the registers its code reads them from.
    @inline(__always)
    private func inputs(_ a: Int32, _ b: Int32, _ c: Int32) {
        registers[0] = a
        registers[1] = b
        registers[2] = c
    }

    /// Runs an action's code from its entry, or on from a yield point (fine mode). Returns
    /// false on a violation; `pausedAt` says whether it paused.
    @inline(__always)
    private func run(_ kind: CompiledModel.ActionKind, from entry: Int?) -> Bool {
        action = kind
        guard let entry else { return true }
        return execute(from: entry)
    }

    /// The end of a step: in fine mode the CPU's loaded mm is kept, and the properties of
    /// the state between steps are checked only when no routine is in progress anywhere.
    @inline(__always)
    private func endStep() -> Bool {
        guard fine else { return checkState() }
        work[oLoaded + Int(cpu)] = loaded
        for c in 0..<Int(C) where work[oCPUPC + c] != 0 { return true }
        for t in 0..<Int(T) where work[oTaskPC + t] != 0 { return true }
        return checkState()
    }

    /// schedule(c, next): context_switch(prev, next), finish_task_switch(prev), then the
    /// switch itself. Returns false on a violation. In fine mode this starts the action
    /// (a preemption when the current task is inside a routine) and runs its first step.
    public func schedule(cpu c: Int, next: Int32) -> Bool {
        begin(c)
        let prev = current(c)
        inputs(prev, next, 0)
        if fine && next < T { work[oStatus + Int(next)] = StateLayout.running }  // taken by this CPU
        if !run(.schedule, from: model.scheduleEntry) { return false }
        if pausedAt >= 0 {
            saveFrame(pc: oCPUPC + c, frame: oCPUFrame + c * ks)
            return endStep()
        }
        return completeSchedule(c, prev: prev, next: next)
    }

    /// The switch itself, after finish_task_switch: prev is runnable again (or dead, its
    /// slot cleared), next runs on c.
    private func completeSchedule(_ c: Int, prev: Int32, next: Int32) -> Bool {
        if prev < T {
            let p = Int(prev)
            if work[oStatus + p] == StateLayout.exiting {
                if !bury(prev, mmSite: exitSite, activeMMSite: scheduleSite) { return false }
            } else {
                work[oStatus + p] = StateLayout.runnable
            }
        }
        work[oCurr + c] = next < T ? next + 1 : 0
        if next < T { work[oStatus + Int(next)] = StateLayout.running }
        if work[oActive + Int(next)] == Ref.none {
            return fail(.noUseAfterFree, .runningWithoutActiveMM(task: next), mm: Ref.none, site: scheduleSite)
        }
        return endStep()
    }

    /// exit(t) on CPU c: exit_mm(t); t becomes exiting.
    public func exit(cpu c: Int, task t: Int32) -> Bool {
        begin(c)
        inputs(t, 0, 0)
        if !run(.exit, from: model.exitEntry) { return false }
        return afterTaskStep(t)
    }

    /// clone(parent, how) on CPU c into task slot `child`: copy_mm(parent, child, how). A
    /// kthread clone gives a kernel-thread child (PF_KTHREAD, where flags are stored).
    public func clone(cpu c: Int, parent: Int32, child: Int32, how: CloneKind) -> Bool {
        startClone(c, parent, child, how)
        if !run(.clone, from: model.cloneEntry) { return false }
        return afterTaskStep(parent)
    }

    /// The child's slot is taken (in fine mode not schedulable until copy_mm is done).
    private func startClone(_ c: Int, _ parent: Int32, _ child: Int32, _ how: CloneKind) {
        begin(c)
        work[oStatus + Int(child)] = fine ? StateLayout.forming : StateLayout.runnable
        if tracksKthread && how == .kthread { work[oKthread + Int(child)] = 1 }
        inputs(parent, child, how.rawValue)
    }

    /// A step of a task's own action (exit, clone, exec) on the acting CPU: pause it in the
    /// task's frame, or finish the action.
    private func afterTaskStep(_ t: Int32) -> Bool {
        if pausedAt >= 0 {
            saveFrame(pc: oTaskPC + Int(t), frame: oTaskFrame + Int(t) * kt)
            return endStep()
        }
        switch action {
        case .exit: work[oStatus + Int(registers[0])] = StateLayout.exiting
        case .clone: if fine { work[oStatus + Int(registers[1])] = StateLayout.runnable }
        case .exec: work[oKthread + Int(t)] = 0   // begin_new_exec clears PF_KTHREAD
        case .cloneFail: if !bury(registers[1], mmSite: cleanupSite, activeMMSite: cleanupSite) { return false }
        case .schedule, .useMM, .unuseMM: break
        }
        return endStep()
    }

    /// Fine mode: the next step of whatever is in progress on CPU c — its schedule action,
    /// or the current task's paused exit, clone or exec (also after the task was switched
    /// out and back in, on this or another CPU).
    public func proceed(cpu c: Int) -> Bool {
        begin(c)
        if work[oCPUPC + c] != 0 {
            let y = restoreFrame(pc: oCPUPC + c, frame: oCPUFrame + c * ks)
            action = .schedule
            if !execute(from: yields[y].pc) { return false }
            if pausedAt >= 0 {
                saveFrame(pc: oCPUPC + c, frame: oCPUFrame + c * ks)
                return endStep()
            }
            return completeSchedule(c, prev: current(c), next: registers[1])
        }
        let t = current(c)
        let y = restoreFrame(pc: oTaskPC + Int(t), frame: oTaskFrame + Int(t) * kt)
        action = yields[y].action
        if !execute(from: yields[y].pc) { return false }
        return afterTaskStep(t)
    }

    /// Whether CPU c is inside its schedule action (fine mode).
    @inline(__always)
    public func cpuInSchedule(_ c: Int) -> Bool { fine && base[oCPUPC + c] != 0 }

    /// The yield point where task t is paused (fine mode), or -1.
    @inline(__always)
    public func taskPausedAt(_ t: Int32) -> Int32 { fine && t < T ? base[oTaskPC + Int(t)] - 1 : -1 }

    /// Whether a task paused at yield point `y` may be switched out there.
    @inline(__always)
    public func isPreemptionPoint(_ y: Int32) -> Bool { model.preemptible && yields[Int(y)].preemptible }

    private func saveFrame(pc: Int, frame: Int) {
        let y = Int(pausedAt)
        work[pc] = pausedAt + 1
        for (j, r) in yields[y].saved.enumerated() { work[frame + j] = registers[Int(r)] }
    }

    /// Loads a paused frame into the registers and clears it in the state; returns its
    /// yield point.
    private func restoreFrame(pc: Int, frame: Int) -> Int {
        let y = Int(work[pc] - 1)
        work[pc] = 0
        let saved = yields[y].saved
        for (j, r) in saved.enumerated() {
            registers[Int(r)] = work[frame + j]
            work[frame + j] = 0
        }
        return y
    }

    /// clone_fail(parent, how) on CPU c into task slot `child`: copy_mm(parent, child, how),
    /// then the error path bad_fork_cleanup_mm(child). The child never runs: its slot is
    /// cleared at the end of the step, and it must hold no mm by then (a no-leak violation
    /// otherwise, as for a dead task at its final switch).
    public func cloneFail(cpu c: Int, parent: Int32, child: Int32, how: CloneKind) -> Bool {
        startClone(c, parent, child, how)
        if !run(.cloneFail, from: model.cloneFailEntry) { return false }
        return afterTaskStep(parent)
    }

    /// A dead task (an exiting one at its final switch, a failed clone's child): it must
    /// hold nothing by now (a no-leak violation reported at `mmSite` or `activeMMSite`
    /// otherwise), and its slot is cleared.
    private func bury(_ t: Int32, mmSite: Int32, activeMMSite: Int32) -> Bool {
        let k = Int(t)
        if work[oMM + k] != Ref.none {
            return fail(.noLeak, .deadTaskHolds(task: t, activeMM: false), mm: work[oMM + k], site: mmSite)
        }
        if work[oActive + k] != Ref.none {
            return fail(.noLeak, .deadTaskHolds(task: t, activeMM: true), mm: work[oActive + k], site: activeMMSite)
        }
        work[oStatus + k] = StateLayout.unused
        work[oKthread + k] = 0
        return true
    }

    /// use_mm(t, m) on CPU c, t a kernel thread with no mm and m a live mm slot reference
    /// with users > 0: mmget(m), then kthread_use_mm(t, m).
    public func useMM(cpu c: Int, task t: Int32, mm m: Int32) -> Bool {
        begin(c)
        inputs(t, m, 0)
        if !run(.useMM, from: model.useMMEntry) { return false }
        return afterTaskStep(t)
    }

    /// unuse_mm(t) on CPU c, t a kernel thread using an mm: kthread_unuse_mm(t, m), then
    /// mmput(m), with m = t.mm.
    public func unuseMM(cpu c: Int, task t: Int32) -> Bool {
        begin(c)
        inputs(t, work[oMM + Int(t)], 0)
        if !run(.unuseMM, from: model.unuseMMEntry) { return false }
        return afterTaskStep(t)
    }

    /// exec(t) on CPU c: a new mm (the lowest free slot, users = count = 1), then
    /// exec_mmap(t, new). The caller guarantees a free mm slot. A task that execs is no
    /// longer a kernel thread: begin_new_exec (flush_old_exec in older kernels) clears PF_KTHREAD.
    public func exec(cpu c: Int, task t: Int32) -> Bool {
        begin(c)
        let m = allocateMM()
        if m == Ref.none { return failModel(.noFreeMMSlot, site: -1) }
        inputs(t, m, 0)
        if !run(.exec, from: model.execEntry) { return false }
        return afterTaskStep(t)
    }

    // MARK: The code

    /// Makes the lowest free mm slot live with users = count = 1 and returns its reference,
    /// or `Ref.none` when every slot is in use.
    @inline(__always)
    private func allocateMM() -> Int32 {
        var k = 1
        while k <= Int(M) && work[oLive + k] != 0 { k += 1 }
        if k > Int(M) { return Ref.none }
        work[oLive + k] = 1
        work[oUsers + k] = 1
        work[oCount + k] = 1
        return Int32(k + 1)
    }

    /// Whether `m` is a live mm slot (`init_mm`, none and the dangling mark are not).
    @inline(__always)
    private func isLive(_ m: Int32) -> Bool { m >= Ref.initMM && m <= dangling && work[oLive + Int(m) - 1] != 0 }

    /// Runs code from `entry` to its `end`, or in fine mode to the next yield point after
    /// the first instruction that touches the kernel state (a step does one thing: yields
    /// before it, where only locals moved, are passed). Returns false on a violation.
    private func execute(from entry: Int) -> Bool {
        var pc = entry
        let r = registers
        let w = work
        // Coarse code has no yields and needs no start site: it counts as touched at once.
        var touched = !fine
        while true {
            let i = code[pc]
            pc += 1
            if !touched && i.operation.touchesState {
                touched = true
                startSite = i.site
            }
            switch i.operation {
            case .yield:
                if touched {
                    pausedAt = i.a
                    return true
                }
            case .constant:
                r[Int(i.a)] = i.b
            case .move:
                r[Int(i.a)] = r[Int(i.b)]
            case .loadMM:
                r[Int(i.a)] = w[oMM + Int(r[Int(i.b)])]
            case .loadActiveMM:
                r[Int(i.a)] = w[oActive + Int(r[Int(i.b)])]
            case .storeMM:
                let t = r[Int(i.a)], v = r[Int(i.b)]
                if v == Ref.initMM { return fail(.initMMImmortal, .initMMAsMM, mm: v, site: i.site) }
                if v > Ref.initMM && !isLive(v) { return fail(.noUseAfterFree, .notLive(.assign), mm: v, site: i.site) }
                if t >= T && v != Ref.none { return failModel(.idleTaskMM(task: t), site: i.site) }
                w[oMM + Int(t)] = v
            case .storeActiveMM:
                let v = r[Int(i.b)]
                if v > Ref.initMM && !isLive(v) { return fail(.noUseAfterFree, .notLive(.assign), mm: v, site: i.site) }
                w[oActive + Int(r[Int(i.a)])] = v
            case .loadPrevMM:
                r[Int(i.a)] = w[oPrev + Int(cpu)]
            case .storePrevMM:
                let v = r[Int(i.a)]
                if v > Ref.initMM && !isLive(v) { return fail(.noUseAfterFree, .notLive(.assign), mm: v, site: i.site) }
                w[oPrev + Int(cpu)] = v
            case .loadCurr:
                let e = w[oCurr + Int(cpu)]
                r[Int(i.a)] = e == 0 ? T + cpu : e - 1
            case .loadUsers, .loadCount:
                let m = r[Int(i.b)]
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.readCounter), mm: m, site: i.site) }
                if !isLive(m) { return fail(.noUseAfterFree, .notLive(.readCounter), mm: m, site: i.site) }
                r[Int(i.a)] = w[(i.operation == .loadUsers ? oUsers : oCount) + Int(m) - 1]
            case .addUsers, .addCount:
                let m = r[Int(i.a)]
                let users = i.operation == .addUsers
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.changeCounter), mm: m, site: i.site) }
                if users && m == Ref.initMM { return fail(.initMMImmortal, .initMMUsersChanged, mm: m, site: i.site) }
                if !isLive(m) { return fail(.noUseAfterFree, .notLive(.changeCounter), mm: m, site: i.site) }
                let slot = (users ? oUsers : oCount) + Int(m) - 1
                let value = w[slot] + i.b
                if value < 0 {
                    return fail(.noUnderflow, .underflow(counter: users ? .users : .count, value: value), mm: m, site: i.site)
                }
                if value > cap {
                    return fail(.noUnderflow, .overCap(counter: users ? .users : .count, cap: cap), mm: m, site: i.site)
                }
                w[slot] = value
            case .newMM:
                let m = allocateMM()
                if m == Ref.none {
                    if fine {
                        blocked = true
                        return false
                    }
                    return failModel(.noFreeMMSlot, site: i.site)
                }
                r[Int(i.a)] = m
            case .free:
                if !free(r[Int(i.a)], site: i.site) { return false }
            case .exitMmap:
                let m = r[Int(i.a)]
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.exitMmap), mm: m, site: i.site) }
                if m == Ref.initMM { return fail(.initMMImmortal, .exitMmapInitMM, mm: m, site: i.site) }
                if !isLive(m) { return fail(.noUseAfterFree, .notLive(.exitMmap), mm: m, site: i.site) }
                for t in 0..<Int(T + C) where w[oMM + t] == m {
                    return fail(.noTeardownInUse, .teardownInUse(task: Int32(t)), mm: m, site: i.site)
                }
            case .switchMM:
                let m = r[Int(i.a)]
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.switchMM), mm: m, site: i.site) }
                if m > Ref.initMM && !isLive(m) { return fail(.noUseAfterFree, .notLive(.switchMM), mm: m, site: i.site) }
                loaded = m
            case .jump:
                pc = Int(i.c)
            case .jumpIfEqual:
                if r[Int(i.a)] == r[Int(i.b)] { pc = Int(i.c) }
            case .jumpIfNotEqual:
                if r[Int(i.a)] != r[Int(i.b)] { pc = Int(i.c) }
            case .jumpIfLess:
                if r[Int(i.a)] < r[Int(i.b)] { pc = Int(i.c) }
            case .jumpIfLessOrEqual:
                if r[Int(i.a)] <= r[Int(i.b)] { pc = Int(i.c) }
            case .end:
                return true
            }
        }
    }

    /// free(m), with the checks of SEMANTICS.md §6.3 in their order: use-after-free, then
    /// no-free-while-borrowed, then free-at-zero. In the shootdown variant, every CPU whose
    /// current task borrows the live mm lazily (active_mm m, mm none) is first switched to
    /// init_mm, taking no reference (cleanup_lazy_tlbs: an IPI to each such CPU, the acting
    /// one included).
    private func free(_ m: Int32, site: Int32) -> Bool {
        let w = work
        if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.free), mm: m, site: site) }
        if m == Ref.initMM { return fail(.initMMImmortal, .freeInitMM, mm: m, site: site) }
        if !isLive(m) { return fail(.noUseAfterFree, .notLive(.free), mm: m, site: site) }
        if shootdown {
            // In fine mode another CPU's switch is its own step, an IPI it takes when its
            // interrupts are on (`shootdownIPI`). The free waits for every other CPU that
            // may still run on m (as mm_cpumask(m) has it): until it has taken the IPI if
            // its task runs on m lazily, or until its interrupts are on again if it is
            // inside a switch or an irqs_off region with m loaded or in hand.
            if fine {
                for c in 0..<Int(C) where c != Int(cpu) {
                    let waits = lazilyBorrows(c, m) || (!acceptsInterrupt(w, c) && involves(c, m))
                    if waits {
                        blocked = true
                        awaitedShootdown = m
                        return false
                    }
                }
            }
            for c in 0..<Int(C) where (c == Int(cpu) || !fine) && lazilyBorrows(c, m) {
                let e = w[oCurr + c]
                w[oActive + (e == 0 ? Int(T) + c : Int(e) - 1)] = Ref.initMM
                if c == Int(cpu) { loaded = Ref.initMM }
            }
        }
        let k = Int(m) - 1
        if w[oUsers + k] != 0 {
            return fail(.noFreeWhileBorrowed, .freeWithUsers(w[oUsers + k]), mm: m, site: site)
        }
        for t in 0..<Int(T + C) {
            if w[oMM + t] == m {
                return fail(.noFreeWhileBorrowed, .freeHeldByTask(task: Int32(t), activeMM: false), mm: m, site: site)
            }
            if w[oActive + t] == m {
                return fail(.noFreeWhileBorrowed, .freeHeldByTask(task: Int32(t), activeMM: true), mm: m, site: site)
            }
        }
        for c in 0..<Int(C) where w[oPrev + c] == m {
            return fail(.noFreeWhileBorrowed, .freePendingInPrevMM(cpu: Int32(c)), mm: m, site: site)
        }
        if loaded == m {
            return fail(.noFreeWhileBorrowed, .freeLoaded(cpu: cpu), mm: m, site: site)
        }
        if fine {
            for c in 0..<Int(C) where c != Int(cpu) && w[oLoaded + c] == m {
                return fail(.noFreeWhileBorrowed, .freeLoaded(cpu: Int32(c)), mm: m, site: site)
            }
        }
        if w[oCount + k] != 0 {
            return fail(.freeAtZero, .freeAtCount(w[oCount + k]), mm: m, site: site)
        }
        w[oLive + k] = 0
        w[oUsers + k] = 0
        w[oCount + k] = 0
        markDangling(m)
        return true
    }

    /// Whether CPU c's current task runs on `m` lazily (active_mm m, no mm), in `work`.
    @inline(__always)
    private func lazilyBorrows(_ c: Int, _ m: Int32) -> Bool {
        let e = work[oCurr + c]
        let t = e == 0 ? Int(T) + c : Int(e) - 1
        return work[oActive + t] == m && work[oMM + t] == Ref.none
    }

    /// Whether CPU c has `m` loaded, pending in prev_mm, as its current task's active_mm,
    /// or (inside a switch) as the next task's active_mm, in `work` (fine mode).
    private func involves(_ c: Int, _ m: Int32) -> Bool {
        let w = work
        if w[oLoaded + c] == m || w[oPrev + c] == m { return true }
        let e = w[oCurr + c]
        if w[oActive + (e == 0 ? Int(T) + c : Int(e) - 1)] == m { return true }
        if w[oCPUPC + c] != 0 && ks > 1 {
            let next = Int(w[oCPUFrame + c * ks + 1])
            if next < Int(T + C) && w[oActive + next] == m { return true }
        }
        return false
    }

    /// Fine mode with shootdown: CPU c takes the IPI for mm `m` (cleanup_lazy_tlbs): if its
    /// current task runs on m lazily, it is switched to init_mm, taking no reference.
    public func shootdownIPI(cpu c: Int, mm m: Int32) -> Bool {
        begin(c)
        if lazilyBorrows(c, m) {
            let e = work[oCurr + c]
            work[oActive + (e == 0 ? Int(T) + c : Int(e) - 1)] = Ref.initMM
            loaded = Ref.initMM
        }
        return endStep()
    }

    /// Whether CPU c can take an IPI now in state `w` (fine mode): not inside its schedule
    /// action, and its task (if inside a routine) not in an irqs_off region.
    private func acceptsInterrupt(_ w: UnsafeMutablePointer<Int32>, _ c: Int) -> Bool {
        if w[oCPUPC + c] != 0 { return false }
        let e = w[oCurr + c]
        guard e != 0, w[oTaskPC + Int(e - 1)] != 0 else { return true }
        return yields[Int(w[oTaskPC + Int(e - 1)] - 1)].preemptible
    }

    /// Whether CPU c can take an IPI in the state being expanded.
    public func acceptsInterrupt(cpu c: Int) -> Bool { acceptsInterrupt(base, c) }

    /// Whether CPU c's current task runs on `m` lazily, in `base`.
    public func baseLazilyBorrows(cpu c: Int, mm m: Int32) -> Bool {
        let t = Int(current(c))
        return base[oActive + t] == m && base[oMM + t] == Ref.none
    }

    /// A local still pointing to a freed mm is not a holder, and using it is a use after
    /// free even once the slot is reused: every mm register of the running action, and in
    /// fine mode every paused frame's saved mm, that holds `m` now holds the dangling mark.
    private func markDangling(_ m: Int32) {
        let k = Int(action.rawValue)
        for j in mmRegisterStart[k]..<mmRegisterStart[k + 1] where registers[Int(mmRegisters[j])] == m {
            registers[Int(mmRegisters[j])] = m + dangling
        }
        guard fine else { return }
        let w = work
        for c in 0..<Int(C) where w[oCPUPC + c] != 0 {
            for (j, isMM) in savedIsMM[Int(w[oCPUPC + c] - 1)].enumerated() where isMM && w[oCPUFrame + c * ks + j] == m {
                w[oCPUFrame + c * ks + j] = m + dangling
            }
        }
        for t in 0..<Int(T) where w[oTaskPC + t] != 0 {
            for (j, isMM) in savedIsMM[Int(w[oTaskPC + t] - 1)].enumerated() where isMM && w[oTaskFrame + t * kt + j] == m {
                w[oTaskFrame + t * kt + j] = m + dangling
            }
        }
    }

    // MARK: State-level properties

    /// The properties that hold between steps: live mms have count > 0 and a holder;
    /// active_mm is consistent with mm.
    private func checkState() -> Bool {
        let w = work
        // One pass marks every mm reference some task or CPU holds (bit r for reference r).
        var held: UInt32 = 0
        for t in 0..<Int(T + C) { held |= 1 << UInt32(w[oMM + t]) | 1 << UInt32(w[oActive + t]) }
        for c in 0..<Int(C) { held |= 1 << UInt32(w[oPrev + c]) }
        for k in 1...Int(M) where w[oLive + k] != 0 && w[oCount + k] == 0 {
            return fail(.freeAtZero, .liveAtZeroCount, mm: Int32(k + 1), site: -1)
        }
        for k in 1...Int(M) where w[oLive + k] != 0 && held & (1 << UInt32(k + 1)) == 0 {
            return fail(.noLeak, .noHolder, mm: Int32(k + 1), site: -1)
        }
        for t in 0..<Int(T + C) {
            let mm = w[oMM + t], active = w[oActive + t]
            if mm == Ref.none && active == Ref.none { continue }
            let running: Bool
            if t < Int(T) {
                let s = w[oStatus + t]
                running = s == StateLayout.running || s == StateLayout.exiting
            } else {
                running = w[oCurr + t - Int(T)] == 0
            }
            if mm != Ref.none && active != mm {
                return fail(.activeMMConsistent, .activeMMDiffers(task: Int32(t)), mm: active, site: -1)
            }
            if !running && mm == Ref.none {
                return fail(.activeMMConsistent, .staleActiveMM(task: Int32(t)), mm: active, site: -1)
            }
        }
        return true
    }

    @inline(__always)
    private func fail(_ property: Property, _ reason: Breach.Reason, mm: Int32, site: Int32) -> Bool {
        // A dangling local names the mm it pointed to.
        breach = Breach(code: Int32(property.rawValue), reason: reason, mm: mm > dangling ? mm - dangling : mm, site: site)
        return false
    }

    private func failModel(_ reason: Breach.Reason, site: Int32) -> Bool {
        breach = Breach(code: Property.modelErrorCode, reason: reason, mm: Ref.none, site: site)
        return false
    }
}

/// The encoding of mm references in states and registers.
public enum Ref {
    public static let none: Int32 = 0
    public static let initMM: Int32 = 1
    /// The reference to mm slot `i`.
    public static func slot(_ i: Int) -> Int32 { Int32(i + 2) }
}
