import ModelLanguage

/// The checks: free and what it checks, the shootdown, the dangling marks, the properties
/// of the state between steps, and how a violation is recorded.
extension Machine {
    // MARK: free

    /// free(m), with the checks of SEMANTICS.md §6.3 in their order: use-after-free, then
    /// no-free-while-borrowed, then free-at-zero. In the shootdown variant, every CPU whose
    /// current task runs on the live mm (active_mm m) is first switched to init_mm, taking
    /// no reference (cleanup_lazy_tlbs: an IPI to each such CPU, the acting one included).
    func free(_ m: Int32, site: Int32) -> StepOutcome {
        let w = work
        if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.free), mm: m, site: site) }
        if m == Ref.initMM { return fail(.initMMImmortal, .freeInitMM, mm: m, site: site) }
        if !isLive(m) { return fail(.noUseAfterFree, .notLive(.free), mm: m, site: site) }
        if shootdown {
            // In fine mode another CPU's switch is its own step, an IPI it takes when its
            // interrupts are on (`shootdownIPI`). The free waits for every other CPU that
            // may still run on m (as mm_cpumask(m) has it): until it has taken the IPI if
            // its task's active_mm is m, or until its interrupts are on again if it is
            // inside a switch or an irqs_off region with m loaded or in hand.
            if fine {
                for c in 0..<Int(C) where c != Int(cpu) {
                    let waits = shootsDown(c, m) || (!acceptsInterrupt(w, c) && involves(c, m))
                    if waits { return .awaitingShootdown(mm: m) }
                }
            }
            for c in 0..<Int(C) where (c == Int(cpu) || !fine) && shootsDown(c, m) {
                set(oActive + Int(currentTask(c, in: w)), Ref.initMM)
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
        for h in 0..<Int(H) where w[oHolderMM + h] == m {
            return fail(.noFreeWhileBorrowed, .freeHeldByHolder(holder: Int32(h)), mm: m, site: site)
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
        set(oLive + k, 0)
        set(oUsers + k, 0)
        set(oCount + k, 0)
        markDangling(m)
        return .done
    }

    // MARK: The lazy-TLB shootdown

    /// Whether the shootdown IPI for `m` switches CPU c, in `work`: do_shoot_lazy_tlb's
    /// test `current->active_mm == mm`. Its task runs on m lazily (mm none); or, where
    /// the kernel would WARN_ON_ONCE(current->mm), it is inside an exec or a
    /// kthread_use_mm that lets interrupts in between its stores and its switch_mm.
    @inline(__always)
    func shootsDown(_ c: Int, _ m: Int32) -> Bool {
        work[oActive + Int(currentTask(c, in: work))] == m
    }

    /// Whether CPU c has `m` loaded, pending in prev_mm, as its current task's active_mm,
    /// or (inside a switch) as the next task's active_mm, in `work` (fine mode).
    func involves(_ c: Int, _ m: Int32) -> Bool {
        let w = work
        if w[oLoaded + c] == m || w[oPrev + c] == m { return true }
        if w[oActive + Int(currentTask(c, in: w))] == m { return true }
        if w[oCPUPC + c] != 0 && ks > 1 {
            let next = Int(w[oCPUFrame + c * ks + 1])
            if next < Int(T + C) && w[oActive + next] == m { return true }
        }
        return false
    }

    /// Fine mode with shootdown: CPU c takes the IPI for mm `m` (cleanup_lazy_tlbs): if its
    /// current task's active_mm is m, it is switched to init_mm, taking no reference.
    func shootdownIPI(cpu c: Int, mm m: Int32) -> StepOutcome {
        begin(c, .shootdown)
        if shootsDown(c, m) {
            set(oActive + Int(currentTask(c, in: work)), Ref.initMM)
            loaded = Ref.initMM
        }
        return endStep()
    }

    /// Whether CPU c can take an IPI now in state `w` (fine mode): not inside its schedule
    /// action, and its task (if inside a routine) not in an irqs_off region (a
    /// `preempt_off` one takes IPIs).
    func acceptsInterrupt(_ w: UnsafeMutablePointer<Int32>, _ c: Int) -> Bool {
        if w[oCPUPC + c] != 0 { return false }
        let t = currentTask(c, in: w)
        guard t < T, w[oTaskPC + Int(t)] != 0 else { return true }
        return yields[Int(w[oTaskPC + Int(t)] - 1)].interruptible
    }

    /// Whether CPU c can take an IPI in the state being expanded.
    func acceptsInterrupt(cpu c: Int) -> Bool { acceptsInterrupt(base, c) }

    /// `shootsDown(c, m)` in `base`.
    func baseShootsDown(cpu c: Int, mm m: Int32) -> Bool { base[oActive + Int(current(c))] == m }

    // MARK: Dangling marks

    /// A local still pointing to a freed mm is not a holder, and using it is a use after
    /// free even once the slot is reused: every mm register of the running action, and in
    /// fine mode every paused frame's saved mm, that holds `m` now holds the dangling mark.
    func markDangling(_ m: Int32) {
        let k = Int(action.rawValue)
        for j in mmRegisterStart[k]..<mmRegisterStart[k + 1] where registers[Int(mmRegisters[j])] == m {
            registers[Int(mmRegisters[j])] = m + dangling
        }
        guard fine else { return }
        let w = work
        for c in 0..<Int(C) where w[oCPUPC + c] != 0 {
            for (j, isMM) in savedIsMM[Int(w[oCPUPC + c] - 1)].enumerated() where isMM && w[oCPUFrame + c * ks + j] == m
            {
                set(oCPUFrame + c * ks + j, m + dangling)
            }
        }
        for t in 0..<Int(T) where w[oTaskPC + t] != 0 {
            for (j, isMM) in savedIsMM[Int(w[oTaskPC + t] - 1)].enumerated()
            where isMM && w[oTaskFrame + t * kt + j] == m {
                set(oTaskFrame + t * kt + j, m + dangling)
            }
        }
    }

    // MARK: State-level properties

    /// The properties that hold between steps: live mms have count > 0 and a holder (a task,
    /// a CPU or a holder slot);
    /// active_mm is consistent with mm.
    ///
    /// Called after every step, so it is written for speed: one pass over the tasks and
    /// one over the mm slots gather everything into bit masks, without branches, with
    /// unchecked arithmetic on indices that the layout bounds; a violation is then
    /// reported exactly as the checks in their order would (`firstInconsistentTask`
    /// finds which task).
    func checkState() -> StepOutcome {
        let tasks = Int(T), cpus = Int(C), mms = Int(M)
        let w = UnsafePointer(work)
        let mm = w + oMM, active = w + oActive, status = w + oStatus, curr = w + oCurr, prev = w + oPrev
        // Every mm reference some task or CPU holds (bit r for reference r), and the bits in
        // which some task's active_mm differs from what it must be: its mm if it has one,
        // else none unless the task runs (then anything: a lazy borrow).
        var held: UInt32 = 0
        var mismatch: Int32 = 0
        for t in 0..<tasks {
            let m = mm[t], a = active[t], s = status[t]
            held |= Machine.bit(m) | Machine.bit(a)
            let running = s == TaskStatus.running.rawValue || s == TaskStatus.exiting.rawValue
            mismatch |= a ^ (m != Ref.none ? m : running ? a : Ref.none)
        }
        for c in 0..<cpus {
            let t = tasks &+ c
            let m = mm[t], a = active[t]
            held |= Machine.bit(m) | Machine.bit(a) | Machine.bit(prev[c])
            let running = curr[c] == StateLayout.idleCurr  // an idle task: when its CPU runs it
            mismatch |= a ^ (m != Ref.none ? m : running ? a : Ref.none)
        }
        for h in 0..<Int(H) { held |= Machine.bit(w[oHolderMM &+ h]) }
        // The mm slots (bit k + 1 for slot k, as its reference) that are live, and those at
        // count 0.
        let live = w + oLive, count = w + oCount
        var liveSlots: UInt32 = 0
        var zeroSlots: UInt32 = 0
        for k in 1..<(mms &+ 1) {
            let b: UInt32 = 1 &<< UInt32(truncatingIfNeeded: k &+ 1)
            liveSlots |= live[k] != 0 ? b : 0
            zeroSlots |= count[k] == 0 ? b : 0
        }
        let atZero = liveSlots & zeroSlots, unheld = liveSlots & ~held
        if atZero != 0 {
            return fail(.freeAtZero, .liveAtZeroCount, mm: Int32(atZero.trailingZeroBitCount), site: -1)
        }
        if unheld != 0 {
            return fail(.noLeak, .noHolder, mm: Int32(unheld.trailingZeroBitCount), site: -1)
        }
        return mismatch != 0 ? firstInconsistentTask() : .done
    }

    /// Bit r of a mask of mm references, for a reference r read from the state (refs are
    /// at most `Bounds.maxMMs` + 1, so the shift never reaches the word's width).
    @inline(__always)
    static func bit(_ r: Int32) -> UInt32 {
        assert(r >= 0 && r < 32, "mm reference \(r) outside a 32-bit mask")
        return 1 &<< UInt32(truncatingIfNeeded: r)
    }

    /// The violation of active_mm consistency by the first task that breaks it (the slow
    /// path of `checkState`, taken only when some task does).
    func firstInconsistentTask() -> StepOutcome {
        let w = work
        for t in 0..<Int(T + C) {
            let mm = w[oMM + t], active = w[oActive + t]
            if mm == Ref.none && active == Ref.none { continue }
            let running: Bool
            if t < Int(T) {
                let s = w[oStatus + t]
                running = s == TaskStatus.running.rawValue || s == TaskStatus.exiting.rawValue
            } else {
                running = w[oCurr + t - Int(T)] == StateLayout.idleCurr  // idle: when its CPU runs it
            }
            if mm != Ref.none && active != mm {
                return fail(.activeMMConsistent, .activeMMDiffers(task: Int32(t)), mm: active, site: -1)
            }
            if !running && mm == Ref.none {
                return fail(.activeMMConsistent, .staleActiveMM(task: Int32(t)), mm: active, site: -1)
            }
        }
        return .done
    }

    // MARK: Violations

    /// The outcome of a step that violates `property` at statement `site` (-1: between steps).
    @inline(__always)
    func fail(_ property: Property, _ reason: Breach.Reason, mm: Int32, site: Int32) -> StepOutcome {
        // A dangling local names the mm it pointed to.
        .violated(
            Breach(code: Int32(property.rawValue), reason: reason, mm: mm > dangling ? mm - dangling : mm, site: site))
    }

    /// The outcome of a step whose model code cannot run (not a property of the kernel).
    func failModel(_ reason: Breach.Reason, site: Int32) -> StepOutcome {
        .violated(Breach(code: Property.modelErrorCode, reason: reason, mm: Ref.none, site: site))
    }
}
