import ModelLanguage

/// What a step touched beyond the fields of its own CPU and tasks, as the interpreter
/// notes it while `Machine.tracking` (fine mode).
struct Footprint {
    /// The mm references (bit r for reference r) whose counters the step read or changed.
    var counters: UInt32 = 0
    /// The step changed some mm's users.
    var changesUsers = false
    /// The step allocated, freed or tore down an mm (each reads or writes every slot or
    /// every task).
    var global = false

    @inline(__always)
    mutating func read(_ r: Int32) { counters |= Footprint.bit(r) }

    @inline(__always)
    mutating func changed(_ r: Int32, users: Bool) {
        counters |= Footprint.bit(r)
        changesUsers = changesUsers || users
    }

    /// Bit r of a mask of references; a dangling mark past the mask's width sets none.
    @inline(__always)
    static func bit(_ r: Int32) -> UInt32 { r >= 0 && r < 32 ? 1 &<< UInt32(r) : 0 }
}

/// Partial-order reduction in fine mode: whether one CPU's next step is independent of
/// everything the other CPUs can do before it and invisible to the properties, so that it
/// alone may be expanded. README, "Partial-order reduction", has the argument; in short:
///
/// - A CPU c *owns* its current task and, inside its schedule action, the task it switches
///   to: no other CPU can name them (another CPU names only its own current task, tasks
///   it may schedule, which are runnable, and free slots), so their fields, c's own
///   fields (prev_mm, loaded mm) and c's frame are written by c alone. Another CPU reads
///   them only in the scans of `free` and `exit_mmap` (is m held anywhere?).
/// - Those scans come out the same before and after c's step when, for every mm another
///   CPU can name, whether some task, prev_mm or loaded mm holds it (and whether some
///   task's mm is it) is the same before and after.
/// - An mm no other CPU can name (held only where c owns it) cannot be counted, freed or
///   torn down by another CPU: c's step may touch its counters.
/// - A free of an mm held in a field fails: so a saved register of c that holds an mm
///   another CPU can name is safe while that mm is held somewhere.
extension Machine {
    /// Whether CPU c's only enabled step in `base` is its `proceed`: it is inside its
    /// schedule action, or its current task is paused inside an action at a yield point
    /// where it cannot be preempted.
    func onlyProceeds(_ c: Int) -> Bool {
        guard fine else { return false }
        if base[oCPUPC + c] != 0 { return true }
        let y = taskPausedAt(current(c))
        return y >= 0 && !isPreemptionPoint(y)
    }

    /// How far the actions in progress in state `w` (unpacked) have come: for each CPU in
    /// its schedule action and each task paused in a task action, the address where its
    /// frame resumes, and for each CPU and task with no action in progress one past the last
    /// instruction. A `proceed` raises its own frame's term (the code jumps only forward)
    /// and touches no other frame but to end it (`KernelSystem.reductionIsAcyclic`).
    func progress(_ w: UnsafePointer<Int32>) -> Int {
        let done = model.code.count
        var sum = 0
        for c in 0..<Int(C) { sum += w[oCPUPC + c] == 0 ? done : yields[Int(w[oCPUPC + c] - 1)].pc }
        for t in 0..<Int(T) { sum += w[oTaskPC + t] == 0 ? done : yields[Int(w[oTaskPC + t] - 1)].pc }
        return sum
    }

    /// The mm slot references (bit r for reference r) that a CPU other than c could name
    /// before c's next step, in `base`: every reference held where c does not own it (a
    /// field of a task that is not c's current task or the task c is switching to, another
    /// CPU's prev_mm or loaded mm, a saved register of a frame not c's), and, when the
    /// model has use_mm (which takes any live mm with users), every live slot with users.
    func mmsOthersCanName(_ c: Int) -> UInt32 {
        let w = base
        let curr = Int(current(c))
        let next = w[oCPUPC + c] != 0 && ks > 1 ? Int(w[oCPUFrame + c * ks + 1]) : -1
        var named: UInt32 = 0
        for t in 0..<Int(T + C) where t != curr && t != next {
            named |= Footprint.bit(w[oMM + t]) | Footprint.bit(w[oActive + t])
        }
        for d in 0..<Int(C) where d != c {
            named |= Footprint.bit(w[oPrev + d]) | Footprint.bit(w[oLoaded + d])
            if w[oCPUPC + d] != 0 { named |= savedMMs(pc: w[oCPUPC + d], frame: oCPUFrame + d * ks) }
        }
        for t in 0..<Int(T) where t != curr && t != next && w[oTaskPC + t] != 0 {
            named |= savedMMs(pc: w[oTaskPC + t], frame: oTaskFrame + t * kt)
        }
        if takesAnyMMWithUsers {
            for k in 1...Int(M) where w[oLive + k] != 0 && w[oUsers + k] > 0 { named |= Footprint.bit(Int32(k + 1)) }
        }
        return named & slotMask
    }

    /// The references of mm slots (bits 2 ... M + 1).
    var slotMask: UInt32 { ((1 &<< UInt32(M)) &- 1) &<< 2 }

    /// The mm references in the saved registers of a frame paused at `pc` (1 + its yield
    /// point) in `base`.
    private func savedMMs(pc: Int32, frame: Int) -> UInt32 {
        var mms: UInt32 = 0
        for (j, isMM) in savedIsMM[Int(pc - 1)].enumerated() where isMM { mms |= Footprint.bit(base[frame + j]) }
        return mms
    }

    /// The mm references held in `w` where `free` looks (some task's mm or active_mm, some
    /// CPU's prev_mm or loaded mm), and those that are some task's mm (where `exit_mmap`
    /// looks).
    private func holders(_ w: UnsafeMutablePointer<Int32>) -> (any: UInt32, mm: UInt32) {
        var any: UInt32 = 0, mm: UInt32 = 0
        for t in 0..<Int(T + C) {
            mm |= Footprint.bit(w[oMM + t])
            any |= Footprint.bit(w[oActive + t])
        }
        for c in 0..<Int(C) { any |= Footprint.bit(w[oPrev + c]) | Footprint.bit(w[oLoaded + c]) }
        return (any | mm, mm)
    }

    /// Whether the step CPU c just took, which ended its action (in `work`), ended it in a
    /// way no other CPU can tell from before: the end frees no task slot (a clone into the
    /// lowest free slot would pick another) and leaves no task that waits for its vfork
    /// child where it was current (waking it would make it runnable rather than running).
    /// The ends that remain make a task runnable (another CPU can switch to it only
    /// afterwards), exiting, or a kernel thread no longer.
    private func endIsIndependent(cpu c: Int) -> Bool {
        switch action {
        case .schedule:
            let prev = Int(current(c))
            return prev >= Int(T) || work[oStatus + prev] == TaskStatus.runnable.rawValue
        case .cloneFail, .getTaskMM, .procOpen, .procAccess, .procRelease, .oomKill, .oomReap, .oomRelease:
            return false  // (no reduction in models with outside holders: `KernelSystem.hasReduction`)
        case .exit, .clone, .vfork, .exec, .useMM, .unuseMM, .proceed, .shootdown:
            return true
        }
    }

    /// CPU c's `proceed` from `base` when it is independent of every step the other CPUs
    /// can take before it and invisible to the properties, else nil. It is when:
    /// - it pauses again (c's action is in progress before and after, so the state between
    ///   steps is not checked), or it ends its action in a way no other CPU can tell
    ///   (`endIsIndependent`); it violates nothing and does not wait;
    /// - it neither allocates, frees nor tears down an mm, nor (in a model with use_mm)
    ///   changes users, which decides which mms use_mm may take;
    /// - it reads or changes the counters only of mms no other CPU can name
    ///   (`mmsOthersCanName`), init_mm never;
    /// - its frame holds no mm another CPU can name unless that mm is held in a field;
    /// - for every mm another CPU can name, being held (and being some task's mm) is the
    ///   same before and after it.
    /// The caller has checked `onlyProceeds(c)`. `work` then holds the successor.
    func independentProceed(cpu c: Int) -> StepOutcome? {
        let named = mmsOthersCanName(c)
        let before = holders(base)
        let w = base
        let frameMMs =
            w[oCPUPC + c] != 0
            ? savedMMs(pc: w[oCPUPC + c], frame: oCPUFrame + c * ks)
            : savedMMs(pc: w[oTaskPC + Int(current(c))], frame: oTaskFrame + Int(current(c)) * kt)
        if frameMMs & named & ~before.any != 0 { return nil }
        footprint = Footprint()
        tracking = true
        let outcome = proceed(cpu: c)
        tracking = false
        switch outcome {
        case .paused: break
        case .done: if !endIsIndependent(cpu: c) { return nil }
        case .violated, .blocked, .awaitingShootdown: return nil
        }
        if footprint.global { return nil }
        if footprint.changesUsers && takesAnyMMWithUsers { return nil }
        if footprint.counters & (named | Footprint.bit(Ref.initMM)) != 0 { return nil }
        let after = holders(work)
        if (before.any ^ after.any) & named != 0 || (before.mm ^ after.mm) & named != 0 { return nil }
        return outcome
    }
}
