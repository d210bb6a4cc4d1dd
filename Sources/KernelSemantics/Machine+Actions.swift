import ModelLanguage

/// The actions: each runs one step of a model action on `work`, starting from `base`.
extension Machine {
    // MARK: Starting and ending a step

    /// The task running on CPU `c` in `base`, as a task id.
    @inline(__always)
    func current(_ c: Int) -> Int32 { currentTask(c, in: base) }

    /// The task running on CPU `c` in `w` (`base` or `work`), as a task id (idle(c) = T + c).
    @inline(__always)
    func currentTask(_ c: Int, in w: UnsafeMutablePointer<Int32>) -> Int32 {
        StateLayout.currentTask(curr: w[oCurr + c], cpu: c, tasks: T)
    }

    /// Starts a step of `kind` on CPU c: `work` becomes a copy of `base` (the fields the
    /// last step wrote put back, or all of them when `workDiffers`), and the mm loaded on
    /// c is taken from it. In fine mode the input registers are cleared: a paused frame
    /// saves all of them, so an input this action does not set must not keep the last
    /// action's value (in coarse mode no code reads an input its action does not set).
    @inline(__always)
    func begin(_ c: Int, _ kind: Action) {
        if workDiffers {
            work.update(from: base, count: layout.fieldCount)
            dirty.update(repeating: 0, count: dirtyWords)
            workDiffers = false
        } else {
            for d in 0..<dirtyWords {
                var bits = dirty[d]
                while bits != 0 {
                    let f = d &<< 6 &+ bits.trailingZeroBitCount
                    work[f] = base[f]
                    bits &= bits &- 1
                }
                dirty[d] = 0
            }
        }
        #if DEBUG
            for f in 0..<layout.fieldCount {
                assert(work[f] == base[f], "field \(f) of work was written without set()")
            }
        #endif
        action = kind
        if fine { registers.update(repeating: 0, count: CompiledModel.inputRegisters) }
        cpu = Int32(c)
        if fine {
            loaded = work[oLoaded + c]
        } else {
            loaded = work[oActive + Int(currentTask(c, in: work))]
        }
        startSite = -1
    }

    /// Sets task slot t's status in `work`.
    @inline(__always)
    func setStatus(_ t: Int, _ s: TaskStatus) { set(oStatus + t, s.rawValue) }

    /// The register holding input `i` of the running action (`Action.Spec.inputs`).
    @inline(__always)
    func inputRegister(_ i: Action.Input) -> Int {
        let r = inputRegisters[Int(action.rawValue) * inputKinds + i.rawValue]
        assert(r >= 0, "action \(action.spec.name) has no input \(i)")
        return Int(r)
    }

    /// Sets input `i` of the running action.
    @inline(__always)
    func setInput(_ i: Action.Input, _ v: Int32) { registers[inputRegister(i)] = v }

    /// Input `i` of the running action (after a pause: as restored with its frame).
    @inline(__always)
    func input(_ i: Action.Input) -> Int32 { registers[inputRegister(i)] }

    /// Runs the running action's code from its entry (an action without code is done at once).
    @inline(__always)
    func runCode() -> StepOutcome {
        if !fine && coverage == nil {
            let entry = compactEntries[Int(action.rawValue)]
            return entry < 0 ? .done : interpretCompact(from: entry)
        }
        let entry = entries[Int(action.rawValue)]
        return entry < 0 ? .done : execute(from: entry)
    }

    /// The end of a step that ran (`ran` is `.done` or `.paused`): in fine mode the CPU's
    /// loaded mm is kept, and the properties of the state between steps are checked
    /// (`checkBetweenSteps`), unless `defersStateChecks`.
    @inline(__always)
    func endStep(_ ran: StepOutcome = .done) -> StepOutcome {
        if fine { set(oLoaded + Int(cpu), loaded) }
        if defersStateChecks { return ran }
        let verdict = checkBetweenSteps()
        guard case .done = verdict else { return verdict }
        return ran
    }

    /// The properties of the state in `work` between steps (`checkState`), checked only
    /// when no routine is in progress anywhere (in coarse mode, always). A function of the
    /// state alone, not of the step that reached it.
    @inline(__always)
    func checkBetweenSteps() -> StepOutcome {
        if fine {
            for c in 0..<Int(C) where work[oCPUPC + c] != 0 { return .done }
            for t in 0..<Int(T) where work[oTaskPC + t] != 0 { return .done }
        }
        return checkState()
    }

    // MARK: The actions

    /// Runs step `s` on the base state: the one dispatch from a step's kind to its action.
    func run(_ s: Step) -> StepOutcome {
        switch s.kind {
        case .schedule: return schedule(cpu: s.cpu, next: s.task)
        case .exit: return exit(cpu: s.cpu, task: s.task)
        case .clone, .cloneFail, .vfork: return clone(s.kind, cpu: s.cpu, parent: s.task, child: s.child, how: s.how)
        case .exec: return exec(cpu: s.cpu, task: s.task)
        case .useMM: return useMM(cpu: s.cpu, task: s.task, mm: Ref.slot(Int(s.mm)))
        case .unuseMM: return unuseMM(cpu: s.cpu, task: s.task)
        case .proceed: return proceed(cpu: s.cpu)
        case .shootdown: return shootdownIPI(cpu: s.cpu, mm: Ref.slot(Int(s.mm)))
        case .getTaskMM, .procOpen, .procAccess, .procRelease, .oomKill, .oomReap, .oomRelease:
            return holderAction(s.kind, cpu: s.cpu, task: s.task, target: s.child, holder: s.holder)
        }
    }

    /// schedule(c, next): context_switch(prev, next), finish_task_switch(prev), then the
    /// switch itself. In fine mode this starts the action (a preemption when the current
    /// task is inside a routine) and runs its first step.
    func schedule(cpu c: Int, next: Int32) -> StepOutcome {
        begin(c, .schedule)
        let prev = current(c)
        setInput(.prev, prev)
        setInput(.next, next)
        if fine && next < T { setStatus(Int(next), .running) }  // taken by this CPU
        return afterScheduleStep(c, prev: prev, next: next, runCode())
    }

    /// A step of CPU c's schedule action: pause it in the CPU's frame, or finish the switch.
    @inline(__always)
    func afterScheduleStep(_ c: Int, prev: Int32, next: Int32, _ ran: StepOutcome) -> StepOutcome {
        switch ran {
        case .done:
            return completeSchedule(c, prev: prev, next: next)
        case .paused(let y):
            saveFrame(y, pc: oCPUPC + c, frame: oCPUFrame + c * ks)
            return endStep(ran)
        case .violated, .blocked, .awaitingShootdown:
            return ran
        }
    }

    /// The switch itself, after finish_task_switch: prev is runnable again (or dead, its
    /// slot cleared; or still waiting for its vfork child), next runs on c.
    func completeSchedule(_ c: Int, prev: Int32, next: Int32) -> StepOutcome {
        if prev < T {
            let p = Int(prev)
            if work[oStatus + p] == TaskStatus.exiting.rawValue {
                let buried = bury(prev, mmSite: exitSite, activeMMSite: scheduleSite)
                guard case .done = buried else { return buried }
            } else if work[oStatus + p] != TaskStatus.vforkWaiting.rawValue {
                setStatus(p, .runnable)
            }
        }
        set(oCurr + c, StateLayout.currField(task: next, tasks: T))
        if next < T { setStatus(Int(next), .running) }
        if work[oActive + Int(next)] == Ref.none {
            return fail(.noUseAfterFree, .runningWithoutActiveMM(task: next), mm: Ref.none, site: scheduleSite)
        }
        return endStep()
    }

    /// exit(t) on CPU c: exit_mm(t); t becomes exiting. A vfork child wakes its parent
    /// first (exit_mm_release).
    func exit(cpu c: Int, task t: Int32) -> StepOutcome {
        begin(c, .exit)
        setInput(.task, t)
        completeVforkDone(t)
        return afterTaskStep(t, runCode())
    }

    /// A clone action (`kind` clone, clone_fail or vfork) of `parent` on CPU c into task
    /// slot `child`: copy_mm(parent, child, how), and for clone_fail then the error path
    /// bad_fork_cleanup_mm(child). The child's slot is taken at once (in fine mode not
    /// schedulable until copy_mm is done); a kthread clone gives a kernel-thread child
    /// (PF_KTHREAD, where flags are stored). A failed clone's child never runs: its slot is
    /// cleared at the end of the step, and it must hold no mm by then (a no-leak violation
    /// otherwise, as for a dead task at its final switch). A vfork parent then waits.
    func clone(_ kind: Action = .clone, cpu c: Int, parent: Int32, child: Int32, how: CloneKind) -> StepOutcome {
        begin(c, kind)
        setStatus(Int(child), fine ? .forming : .runnable)
        if tracksKthread && how == .kthread { set(oKthread + Int(child), 1) }
        setInput(.parent, parent)
        setInput(.child, child)
        setInput(.how, how.rawValue)
        return afterTaskStep(parent, runCode())
    }

    /// clone_fail(parent, how) on CPU c into task slot `child` (see `clone`).
    func cloneFail(cpu c: Int, parent: Int32, child: Int32, how: CloneKind) -> StepOutcome {
        clone(.cloneFail, cpu: c, parent: parent, child: child, how: how)
    }

    /// mm_release's complete_vfork_done, at the start of exit_mm and exec_mmap: a vfork
    /// child wakes its waiting parent, which runs on if still current on a CPU.
    func completeVforkDone(_ t: Int32) {
        guard layout.stores(.vforkParent) else { return }
        let o = layout.offset(.vforkParent) + Int(t)
        let link = work[o]
        guard link != 0 else { return }
        set(o, 0)
        let parent = link - 1
        assert(work[oStatus + Int(parent)] == TaskStatus.vforkWaiting.rawValue, "a vfork parent that is not waiting")
        var current = false
        for c in 0..<Int(C) where currentTask(c, in: work) == parent { current = true }
        setStatus(Int(parent), current ? .running : .runnable)
    }

    /// use_mm(t, m) on CPU c, t a kernel thread with no mm and m a live mm slot reference
    /// with users > 0: mmget(m), then kthread_use_mm(t, m).
    func useMM(cpu c: Int, task t: Int32, mm m: Int32) -> StepOutcome {
        begin(c, .useMM)
        setInput(.task, t)
        setInput(.mm, m)
        return afterTaskStep(t, runCode())
    }

    /// unuse_mm(t) on CPU c, t a kernel thread using an mm: kthread_unuse_mm(t, m), then
    /// mmput(m), with m = t.mm.
    func unuseMM(cpu c: Int, task t: Int32) -> StepOutcome {
        begin(c, .unuseMM)
        setInput(.task, t)
        setInput(.mm, work[oMM + Int(t)])
        return afterTaskStep(t, runCode())
    }

    /// exec(t) on CPU c: a new mm (the lowest free slot, users = count = 1), then
    /// exec_mmap(t, new), which as a vfork child first wakes its parent (exec_mm_release).
    /// The caller guarantees a free mm slot. A task that execs is no longer a kernel
    /// thread: begin_new_exec (flush_old_exec in older kernels) clears PF_KTHREAD.
    func exec(cpu c: Int, task t: Int32) -> StepOutcome {
        begin(c, .exec)
        let m = allocateMM()
        if m == Ref.none { return failModel(.noFreeMMSlot, site: -1) }
        setInput(.task, t)
        setInput(.mm, m)
        completeVforkDone(t)
        return afterTaskStep(t, runCode())
    }

    /// An outside holder's action on CPU c, taken by its current task t: get_task_mm
    /// (access_process_vm(target)); an open (holder slot h, the lowest free one, becomes the
    /// family's, then proc_mem_open(h, target) / mark_oom_victim(h, target)); an access or
    /// a release of holder slot h. In fine mode the slot is busy until the action ends:
    /// one action of a slot at a time (SEMANTICS.md §3.12).
    func holderAction(_ kind: Action, cpu c: Int, task t: Int32, target: Int32, holder h: Int32) -> StepOutcome {
        begin(c, kind)
        let k = Int(kind.rawValue)
        if kind == .getTaskMM || opensHolder[k] { setInput(.target, target) }
        if holderKindOf[k] != 0 {
            setInput(.holder, h)
            if opensHolder[k] { set(oHolderKind + Int(h), holderKindOf[k]) }
            if fine { set(oHolderBusy + Int(h), 1) }
        }
        return afterTaskStep(t, runCode())
    }

    /// Whether a task with this status can be reached by an outside holder: it exists (not a
    /// free slot, not a clone's child still forming).
    @inline(__always)
    static func isTarget(_ status: Int32) -> Bool {
        status != TaskStatus.unused.rawValue && status != TaskStatus.forming.rawValue
    }

    /// Whether holder slot h, in `base`, is of kind `kind` (1 + its family), holds an mm
    /// and (fine mode) has no action in progress.
    @inline(__always)
    func holderTakesAction(_ h: Int, kind: Int32) -> Bool {
        base[oHolderKind + h] == kind && base[oHolderMM + h] != Ref.none && !(fine && base[oHolderBusy + h] != 0)
    }

    /// The end of a holder action: its slot is no longer busy, and free again if it holds
    /// no mm.
    @inline(__always)
    func endHolderAction() {
        guard holderKindOf[Int(action.rawValue)] != 0 else { return }
        let h = Int(input(.holder))
        if fine { set(oHolderBusy + h, 0) }
        if work[oHolderMM + h] == Ref.none { set(oHolderKind + h, 0) }
    }

    /// A step of a task action (every action but schedule) on the acting CPU: pause it in
    /// the task's frame, or finish the action.
    func afterTaskStep(_ t: Int32, _ ran: StepOutcome) -> StepOutcome {
        switch ran {
        case .done:
            break
        case .paused(let y):
            saveFrame(y, pc: oTaskPC + Int(t), frame: oTaskFrame + Int(t) * kt)
            return endStep(ran)
        case .violated, .blocked, .awaitingShootdown:
            return ran
        }
        switch action {
        case .exit: setStatus(Int(input(.task)), .exiting)
        case .clone: if fine { setStatus(Int(input(.child)), .runnable) }
        case .vfork:
            let child = input(.child), parent = input(.parent)
            if fine { setStatus(Int(child), .runnable) }
            set(layout.offset(.vforkParent) + Int(child), parent + 1)
            setStatus(Int(parent), .vforkWaiting)  // wait_for_vfork_done
        case .exec: set(oKthread + Int(t), 0)  // begin_new_exec clears PF_KTHREAD
        case .cloneFail:
            let buried = bury(input(.child), mmSite: cleanupSite, activeMMSite: cleanupSite)
            guard case .done = buried else { return buried }
        case .getTaskMM, .procOpen, .procAccess, .procRelease, .oomKill, .oomReap, .oomRelease:
            endHolderAction()
        case .schedule, .useMM, .unuseMM, .proceed, .shootdown: break
        }
        return endStep()
    }

    /// A dead task (an exiting one at its final switch, a failed clone's child): it must
    /// hold nothing by now (a no-leak violation reported at `mmSite` or `activeMMSite`
    /// otherwise), and its slot is cleared, its task fields included.
    func bury(_ t: Int32, mmSite: Int32, activeMMSite: Int32) -> StepOutcome {
        let k = Int(t)
        if work[oMM + k] != Ref.none {
            return fail(.noLeak, .deadTaskHolds(task: t, activeMM: false), mm: work[oMM + k], site: mmSite)
        }
        if work[oActive + k] != Ref.none {
            return fail(.noLeak, .deadTaskHolds(task: t, activeMM: true), mm: work[oActive + k], site: activeMMSite)
        }
        setStatus(k, .unused)
        for f in 0..<StateLayout.taskFieldCount { set(layout.taskFields + f * Int(T) + k, 0) }  // its TaskFields
        return .done
    }

    // MARK: Fine mode: going on from a pause

    /// Fine mode: the next step of whatever is in progress on CPU c — its schedule action,
    /// or the current task's paused task action (also after the task was switched
    /// out and back in, on this or another CPU).
    func proceed(cpu c: Int) -> StepOutcome {
        begin(c, .schedule)
        if work[oCPUPC + c] != 0 {
            let y = restoreFrame(pc: oCPUPC + c, frame: oCPUFrame + c * ks)
            let ran = execute(from: yields[y].pc)
            // The switch's inputs (prev, next) were restored with the frame.
            return afterScheduleStep(c, prev: current(c), next: input(.next), ran)
        }
        let t = current(c)
        let y = restoreFrame(pc: oTaskPC + Int(t), frame: oTaskFrame + Int(t) * kt)
        action = yields[y].action
        return afterTaskStep(t, execute(from: yields[y].pc))
    }

    /// Whether CPU c is inside its schedule action (fine mode).
    @inline(__always)
    func cpuInSchedule(_ c: Int) -> Bool { fine && base[oCPUPC + c] != 0 }

    /// The yield point where task t is paused (fine mode), or -1.
    @inline(__always)
    func taskPausedAt(_ t: Int32) -> Int32 { fine && t < T ? base[oTaskPC + Int(t)] - 1 : -1 }

    /// Whether a task paused at yield point `y` may be switched out there.
    @inline(__always)
    func isPreemptionPoint(_ y: Int32) -> Bool { model.preemptible && yields[Int(y)].preemptible }

    /// Saves the registers of an action paused at yield point `y` in a frame of the state.
    func saveFrame(_ y: Int32, pc: Int, frame: Int) {
        set(pc, y + 1)
        for (j, r) in yields[Int(y)].saved.enumerated() { set(frame + j, registers[Int(r)]) }
    }

    /// Loads a paused frame into the registers and clears it in the state; returns its
    /// yield point.
    func restoreFrame(pc: Int, frame: Int) -> Int {
        let y = Int(work[pc] - 1)
        set(pc, 0)
        let saved = yields[y].saved
        for (j, r) in saved.enumerated() {
            registers[Int(r)] = work[frame + j]
            set(frame + j, 0)
        }
        return y
    }
}
