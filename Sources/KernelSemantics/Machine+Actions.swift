import ModelLanguage

/// The actions: each runs one step of a model action on `work`, starting from `base`.
extension Machine {
    // MARK: Starting and ending a step

    /// The task running on CPU `c` in `base`, as a task id.
    @inline(__always)
    public func current(_ c: Int) -> Int32 { currentTask(c, in: base) }

    /// The task running on CPU `c` in `w` (`base` or `work`), as a task id (idle(c) = T + c).
    @inline(__always)
    func currentTask(_ c: Int, in w: UnsafeMutablePointer<Int32>) -> Int32 {
        StateLayout.currentTask(curr: w[oCurr + c], cpu: c, tasks: T)
    }

    /// Starts a step on CPU c: `work` becomes a copy of `base`, and the mm loaded on c is
    /// taken from it.
    @inline(__always)
    func begin(_ c: Int) {
        work.update(from: base, count: layout.fieldCount)
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
    func setStatus(_ t: Int, _ s: TaskStatus) { work[oStatus + t] = s.rawValue }

    /// The action's inputs, in the registers its code reads them from.
    @inline(__always)
    func inputs(_ a: Int32, _ b: Int32, _ c: Int32) {
        registers[0] = a
        registers[1] = b
        registers[2] = c
    }

    /// Runs an action's code from its entry (an action without code is done at once).
    @inline(__always)
    func run(_ kind: CompiledModel.ActionKind, from entry: Int?) -> StepOutcome {
        action = kind
        guard let entry else { return .done }
        return execute(from: entry)
    }

    /// The end of a step that ran (`ran` is `.done` or `.paused`): in fine mode the CPU's
    /// loaded mm is kept, and the properties of the state between steps are checked only
    /// when no routine is in progress anywhere.
    @inline(__always)
    func endStep(_ ran: StepOutcome = .done) -> StepOutcome {
        if fine {
            work[oLoaded + Int(cpu)] = loaded
            for c in 0..<Int(C) where work[oCPUPC + c] != 0 { return ran }
            for t in 0..<Int(T) where work[oTaskPC + t] != 0 { return ran }
        }
        let verdict = checkState()
        guard case .done = verdict else { return verdict }
        return ran
    }

    // MARK: The actions

    /// schedule(c, next): context_switch(prev, next), finish_task_switch(prev), then the
    /// switch itself. In fine mode this starts the action (a preemption when the current
    /// task is inside a routine) and runs its first step.
    public func schedule(cpu c: Int, next: Int32) -> StepOutcome {
        begin(c)
        let prev = current(c)
        inputs(prev, next, 0)
        if fine && next < T { setStatus(Int(next), .running) }  // taken by this CPU
        return afterScheduleStep(c, prev: prev, next: next, run(.schedule, from: model.scheduleEntry))
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
    /// slot cleared), next runs on c.
    func completeSchedule(_ c: Int, prev: Int32, next: Int32) -> StepOutcome {
        if prev < T {
            let p = Int(prev)
            if work[oStatus + p] == TaskStatus.exiting.rawValue {
                let buried = bury(prev, mmSite: exitSite, activeMMSite: scheduleSite)
                guard case .done = buried else { return buried }
            } else {
                setStatus(p, .runnable)
            }
        }
        work[oCurr + c] = StateLayout.currField(task: next, tasks: T)
        if next < T { setStatus(Int(next), .running) }
        if work[oActive + Int(next)] == Ref.none {
            return fail(.noUseAfterFree, .runningWithoutActiveMM(task: next), mm: Ref.none, site: scheduleSite)
        }
        return endStep()
    }

    /// exit(t) on CPU c: exit_mm(t); t becomes exiting.
    public func exit(cpu c: Int, task t: Int32) -> StepOutcome {
        begin(c)
        inputs(t, 0, 0)
        return afterTaskStep(t, run(.exit, from: model.exitEntry))
    }

    /// clone(parent, how) on CPU c into task slot `child`: copy_mm(parent, child, how). A
    /// kthread clone gives a kernel-thread child (PF_KTHREAD, where flags are stored).
    public func clone(cpu c: Int, parent: Int32, child: Int32, how: CloneKind) -> StepOutcome {
        startClone(c, parent, child, how)
        return afterTaskStep(parent, run(.clone, from: model.cloneEntry))
    }

    /// clone_fail(parent, how) on CPU c into task slot `child`: copy_mm(parent, child, how),
    /// then the error path bad_fork_cleanup_mm(child). The child never runs: its slot is
    /// cleared at the end of the step, and it must hold no mm by then (a no-leak violation
    /// otherwise, as for a dead task at its final switch).
    public func cloneFail(cpu c: Int, parent: Int32, child: Int32, how: CloneKind) -> StepOutcome {
        startClone(c, parent, child, how)
        return afterTaskStep(parent, run(.cloneFail, from: model.cloneFailEntry))
    }

    /// The child's slot is taken (in fine mode not schedulable until copy_mm is done).
    func startClone(_ c: Int, _ parent: Int32, _ child: Int32, _ how: CloneKind) {
        begin(c)
        setStatus(Int(child), fine ? .forming : .runnable)
        if tracksKthread && how == .kthread { work[oKthread + Int(child)] = 1 }
        inputs(parent, child, how.rawValue)
    }

    /// use_mm(t, m) on CPU c, t a kernel thread with no mm and m a live mm slot reference
    /// with users > 0: mmget(m), then kthread_use_mm(t, m).
    public func useMM(cpu c: Int, task t: Int32, mm m: Int32) -> StepOutcome {
        begin(c)
        inputs(t, m, 0)
        return afterTaskStep(t, run(.useMM, from: model.useMMEntry))
    }

    /// unuse_mm(t) on CPU c, t a kernel thread using an mm: kthread_unuse_mm(t, m), then
    /// mmput(m), with m = t.mm.
    public func unuseMM(cpu c: Int, task t: Int32) -> StepOutcome {
        begin(c)
        inputs(t, work[oMM + Int(t)], 0)
        return afterTaskStep(t, run(.unuseMM, from: model.unuseMMEntry))
    }

    /// exec(t) on CPU c: a new mm (the lowest free slot, users = count = 1), then
    /// exec_mmap(t, new). The caller guarantees a free mm slot. A task that execs is no
    /// longer a kernel thread: begin_new_exec (flush_old_exec in older kernels) clears PF_KTHREAD.
    public func exec(cpu c: Int, task t: Int32) -> StepOutcome {
        begin(c)
        let m = allocateMM()
        if m == Ref.none { return failModel(.noFreeMMSlot, site: -1) }
        inputs(t, m, 0)
        return afterTaskStep(t, run(.exec, from: model.execEntry))
    }

    /// A step of a task's own action (exit, clone, exec) on the acting CPU: pause it in the
    /// task's frame, or finish the action.
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
        case .exit: setStatus(Int(registers[0]), .exiting)
        case .clone: if fine { setStatus(Int(registers[1]), .runnable) }
        case .exec: work[oKthread + Int(t)] = 0   // begin_new_exec clears PF_KTHREAD
        case .cloneFail:
            let buried = bury(registers[1], mmSite: cleanupSite, activeMMSite: cleanupSite)
            guard case .done = buried else { return buried }
        case .schedule, .useMM, .unuseMM: break
        }
        return endStep()
    }

    /// A dead task (an exiting one at its final switch, a failed clone's child): it must
    /// hold nothing by now (a no-leak violation reported at `mmSite` or `activeMMSite`
    /// otherwise), and its slot is cleared.
    func bury(_ t: Int32, mmSite: Int32, activeMMSite: Int32) -> StepOutcome {
        let k = Int(t)
        if work[oMM + k] != Ref.none {
            return fail(.noLeak, .deadTaskHolds(task: t, activeMM: false), mm: work[oMM + k], site: mmSite)
        }
        if work[oActive + k] != Ref.none {
            return fail(.noLeak, .deadTaskHolds(task: t, activeMM: true), mm: work[oActive + k], site: activeMMSite)
        }
        setStatus(k, .unused)
        work[oKthread + k] = 0
        return .done
    }

    // MARK: Fine mode: going on from a pause

    /// Fine mode: the next step of whatever is in progress on CPU c — its schedule action,
    /// or the current task's paused exit, clone or exec (also after the task was switched
    /// out and back in, on this or another CPU).
    public func proceed(cpu c: Int) -> StepOutcome {
        begin(c)
        if work[oCPUPC + c] != 0 {
            let y = restoreFrame(pc: oCPUPC + c, frame: oCPUFrame + c * ks)
            action = .schedule
            let ran = execute(from: yields[y].pc)
            // The switch's inputs (prev, next) were restored with the frame.
            return afterScheduleStep(c, prev: current(c), next: registers[1], ran)
        }
        let t = current(c)
        let y = restoreFrame(pc: oTaskPC + Int(t), frame: oTaskFrame + Int(t) * kt)
        action = yields[y].action
        return afterTaskStep(t, execute(from: yields[y].pc))
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

    /// Saves the registers of an action paused at yield point `y` in a frame of the state.
    func saveFrame(_ y: Int32, pc: Int, frame: Int) {
        work[pc] = y + 1
        for (j, r) in yields[Int(y)].saved.enumerated() { work[frame + j] = registers[Int(r)] }
    }

    /// Loads a paused frame into the registers and clears it in the state; returns its
    /// yield point.
    func restoreFrame(pc: Int, frame: Int) -> Int {
        let y = Int(work[pc] - 1)
        work[pc] = 0
        let saved = yields[y].saved
        for (j, r) in saved.enumerated() {
            registers[Int(r)] = work[frame + j]
            work[frame + j] = 0
        }
        return y
    }
}
