import Explorer
import ModelLanguage

/// A model at given bounds as a transition system for the explorer: it enumerates the
/// enabled actions of a packed state, runs each on the `Machine`, and packs the result.
public final class KernelSystem: TransitionSystem {
    let machine: Machine
    public let layout: StateLayout
    let bounds: Bounds
    public var stateWords: Int { layout.words }
    public var stateBytes: Int { layout.bytes }
    public var splitWords: Int { layout.splitWords > 0 ? layout.splitWords : max(1, layout.words / 2) }
    public let propertyNames = Property.outcomeNames

    private let actions: ActionSet
    /// The task actions the model switches on, in the order they are offered.
    private let variants: UnsafeMutablePointer<TaskActionVariant>
    private let variantCount: Int
    private let fine: Bool
    /// Fine mode with shootdown: mms (bit r for reference r) whose free some step of the
    /// state being expanded waits for.
    private var awaited: UInt64 = 0
    private let T: Int32, C: Int
    private let tracksKthread: Bool

    /// Symmetry reduction over CPUs, task slots, mm slots and holder slots, when asked for.
    let symmetry: Symmetry?
    public var isSymmetric: Bool { symmetry != nil }

    /// With coverage: the workers made for other threads, whose counts `coverage` adds.
    private var workers: [KernelSystem] = []

    /// `coverage`: count the statements each taken step executes (`statementHits`);
    /// `split`: pack states in two parts for the compressed store (`StateLayout.splitWords`).
    public init(
        model: CompiledModel, bounds: Bounds, symmetry: Bool = false, coverage: Bool = false, split: Bool = false
    ) {
        machine = Machine(model: model, bounds: bounds, split: split)
        if coverage { machine.coverage = CoverageCounter(sites: model.sites.count) }
        layout = machine.layout
        self.symmetry = symmetry ? Symmetry(layout: layout, model: model) : nil
        self.bounds = bounds
        actions = model.actions
        let enabled = TaskActionVariant.enabled(by: model.actions)
        variantCount = enabled.count
        variants = .allocate(capacity: max(enabled.count, 1))
        variants.initialize(from: enabled, count: enabled.count)
        fine = model.mode == .fine
        T = Int32(bounds.tasks)
        C = bounds.cpus
        tracksKthread = layout.stores(.kthread)
        hasReduction = fine && C > 1 && !actions.contains(.shootdown) && !model.reachesOtherTasks
    }

    deinit {
        variants.deinitialize(count: variantCount)
        variants.deallocate()
    }

    public func initialStates(into buffer: SuccessorBuffer) {
        emit(machine.loadInitialState(), label: 0, into: buffer)
    }

    /// The same model at the same bounds, with its own machine and symmetry scratch.
    public func makeWorker() -> (any TransitionSystem)? {
        let worker = KernelSystem(
            model: machine.model, bounds: bounds, symmetry: symmetry != nil, coverage: machine.coverage != nil,
            split: layout.splitWords > 0)
        if machine.coverage != nil { workers.append(worker) }
        return worker
    }

    /// With coverage: for each site of the model (`CompiledModel.sites`), how many taken
    /// steps executed it, on this system and the workers made from it; nil without.
    public var statementHits: [Int]? {
        guard let own = machine.coverage else { return nil }
        let total = CoverageCounter(sites: machine.model.sites.count)
        total.add(own)
        for worker in workers { worker.machine.coverage.map(total.add) }
        return total.hits
    }

    public func canonicalize(_ state: UnsafeMutablePointer<UInt64>) {
        symmetry?.canonicalize(state)
    }

    /// The properties of the state between steps (`Machine.checkBetweenSteps`) depend on
    /// the state alone, and are the same on every state of an orbit: each says whether some
    /// mm, task or CPU breaks it, and renaming them keeps which one comes first.
    public var canDeferStateChecks: Bool { true }

    public func setDefersStateChecks(_ on: Bool) { machine.defersStateChecks = on }

    public func stateViolation(_ state: UnsafePointer<UInt64>) -> Int32 {
        machine.loadWork(state)
        guard case .violated(let breach) = machine.checkBetweenSteps() else { return SuccessorBuffer.noViolation }
        return breach.code
    }

    /// Makes `state` the machine's base state.
    func load(_ state: UnsafePointer<UInt64>) {
        machine.loadBase(state)
    }

    public func expand(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) {
        machine.loadBase(state)
        expandBase(into: buffer)
    }

    /// Partial-order reduction: in fine mode, with more than one CPU and without the
    /// shootdown variant (whose IPIs another CPU's free can offer to any CPU).
    /// Not with outside holders either: get_task_mm and the holder actions reach tasks that
    /// are not their CPU's, which the argument for independence assumes no step does.
    /// Stored: it is read at every step of a reduced set, and working it out from the model
    /// copied the model's arrays there (retaining each, on every thread at once).
    public let hasReduction: Bool

    /// No cycle is made of reduced steps alone, so the search needs no proviso: a reduced
    /// step is a `proceed` (`expandReduced`), which takes one CPU's action in progress on from
    /// where it paused to a later yield point or to its end, and changes no other frame's
    /// place but to end it (a task buried). With every jump forward
    /// (`CompiledModel.jumpsOnlyForward`), `Machine.progress` therefore grows with every
    /// reduced step, and only the start of an action, never a reduced step, brings it down.
    /// It counts frames, not names, so it is the same on every state of an orbit: neither
    /// does a cycle of orbits close by reduced steps alone.
    public var reductionIsAcyclic: Bool { machine.model.jumpsOnlyForward }

    /// The first CPU, in order, whose next step is independent of the other CPUs' and
    /// their future steps (`Machine.independentProceed`) takes that step alone; when none
    /// has one, every enabled step (`expand`).
    public func expandReduced(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool {
        machine.loadBase(state)
        if reducedBase(into: buffer) { return true }
        expandBase(into: buffer)
        return false
    }

    /// The reduced set of `expandReduced` alone: one CPU's independent step, or nothing.
    public func reducedSet(_ state: UnsafePointer<UInt64>, into buffer: SuccessorBuffer) -> Bool {
        machine.loadBase(state)
        return reducedBase(into: buffer)
    }

    /// `reducedSet` of the state unpacked in the machine's base.
    @inline(__always)
    private func reducedBase(into buffer: SuccessorBuffer) -> Bool {
        guard hasReduction else { return false }
        for c in 0..<C where machine.onlyProceeds(c) {
            if let outcome = machine.independentProceed(cpu: c) {
                emit(outcome, label: Step.proceed(cpu: c), into: buffer)
                return true
            }
        }
        return false
    }

    /// `expand` of the state unpacked in the machine's base.
    private func expandBase(into buffer: SuccessorBuffer) {
        awaited = 0
        let base = machine.base
        let oStatus = layout.status, oMM = layout.mm, oLive = layout.mmLive, oUsers = layout.users
        let oKthread = layout.offset(.kthread)
        var freeTask: Int32 = -1
        for t in 0..<Int(T) where base[oStatus + t] == TaskStatus.unused.rawValue {
            freeTask = Int32(t)
            break
        }
        var freeMM = false
        for k in 1...bounds.mms where base[oLive + k] == 0 {
            freeMM = true
            break
        }
        let holders = layout.holders, oHolderKind = layout.holderKind
        var freeHolder: Int32 = -1
        for h in 0..<holders where base[oHolderKind + h] == 0 {
            freeHolder = Int32(h)
            break
        }
        for c in 0..<C {
            let curr = machine.current(c)
            if fine {
                // Inside its schedule action the CPU can only go on with it.
                if machine.cpuInSchedule(c) {
                    emit(machine.proceed(cpu: c), label: Step.proceed(cpu: c), into: buffer)
                    continue
                }
                // Its task inside a task action goes on, or (at a preemption point) is
                // switched out; it starts nothing new.
                let paused = machine.taskPausedAt(curr)
                if paused >= 0 {
                    emit(machine.proceed(cpu: c), label: Step.proceed(cpu: c), into: buffer)
                    if machine.isPreemptionPoint(paused) { schedules(c, curr, base, buffer) }
                    continue
                }
            }
            schedules(c, curr, base, buffer)
            guard curr < T, base[oStatus + Int(curr)] == TaskStatus.running.rawValue else { continue }
            let hasMM = base[oMM + Int(curr)] != Ref.none
            let kthread = tracksKthread && base[oKthread + Int(curr)] != 0
            // The requirements this task and state do not meet: a variant is enabled when it
            // needs none of them.
            var unmet: Action.Requirements = []
            if kthread && hasMM { unmet.insert(.notUsingMM) }
            unmet.insert(hasMM ? .hasNoMM : .hasMM)
            if !kthread { unmet.insert(.kthread) }
            if freeTask < 0 { unmet.insert(.freeTaskSlot) }
            if !freeMM { unmet.insert(.freeMMSlot) }
            if freeHolder < 0 { unmet.insert(.freeHolder) }
            for i in 0..<variantCount {
                let v = variants[i]
                let r = v.requires
                if !r.isDisjoint(with: unmet) { continue }
                var step = Step(kind: v.action, cpu: c, task: curr, child: v.takesChild ? freeTask : 0, how: v.how)
                if r.contains(.eachLiveMM) {
                    for k in 1...bounds.mms where base[oLive + k] != 0 && base[oUsers + k] > 0 {
                        step.mm = Int32(k - 1)
                        emit(machine.run(step), label: step.label, into: buffer)
                    }
                } else if r.contains(.eachTarget) {
                    if r.contains(.freeHolder) { step.holder = freeHolder }
                    for t in 0..<T where Machine.isTarget(base[oStatus + Int(t)]) {
                        step.child = t
                        emit(machine.run(step), label: step.label, into: buffer)
                    }
                } else if r.contains(.eachHolder) {
                    let kind = 1 + v.holderFamily
                    for h in 0..<holders where machine.holderTakesAction(h, kind: kind) {
                        step.holder = Int32(h)
                        emit(machine.run(step), label: step.label, into: buffer)
                    }
                } else {
                    emit(machine.run(step), label: step.label, into: buffer)
                }
            }
        }
        // A free waiting for shootdown IPIs: each CPU whose task's active_mm is the mm
        // takes its IPI as a step of its own, once its interrupts are on.
        if awaited != 0 {
            for k in 1...bounds.mms where awaited & (1 << UInt64(k + 1)) != 0 {
                for d in 0..<C
                where machine.baseShootsDown(cpu: d, mm: Int32(k + 1)) && machine.acceptsInterrupt(cpu: d) {
                    emit(
                        machine.shootdownIPI(cpu: d, mm: Int32(k + 1)), label: Step.shootdown(cpu: d, mm: Int32(k - 1)),
                        into: buffer)
                }
            }
        }
    }

    /// Every schedule(c, next) from a state where `curr` is current on c.
    @inline(__always)
    private func schedules(_ c: Int, _ curr: Int32, _ base: UnsafeMutablePointer<Int32>, _ buffer: SuccessorBuffer) {
        guard actions.contains(.schedule) else { return }
        let oStatus = layout.status
        for t in 0..<T where base[oStatus + Int(t)] == TaskStatus.runnable.rawValue {
            emit(machine.schedule(cpu: c, next: t), label: Step.schedule(cpu: c, next: t), into: buffer)
        }
        let idle = T + Int32(c)
        if curr != idle {
            emit(machine.schedule(cpu: c, next: idle), label: Step.schedule(cpu: c, next: idle), into: buffer)
        }
    }

    /// Adds a step's successor, or its violation, to `buffer`. A step that waits (fine
    /// mode) is not enabled and adds nothing: one that makes a new mm while no slot is
    /// free, or one that frees an mm another CPU may still run on under shootdown (that mm
    /// is noted in `awaited`, so the CPUs' IPIs are offered).
    @inline(__always)
    private func emit(_ outcome: StepOutcome, label: UInt32, into buffer: SuccessorBuffer) {
        if let coverage = machine.coverage {
            switch outcome {
            case .done, .paused, .violated: coverage.finishStep(taken: true)
            case .blocked, .awaitingShootdown: coverage.finishStep(taken: false)
            }
        }
        switch outcome {
        case .done, .paused:
            // Packing writes every word: from the parent, only the fields the step wrote.
            let out = buffer.nextStateToOverwrite()
            if machine.hasParent && !machine.workDiffers {
                layout.packChanges(
                    machine.work, dirty: machine.dirty, words: machine.dirtyWords, parent: machine.parent, into: out)
                #if DEBUG
                    let whole = UnsafeMutablePointer<UInt64>.allocate(capacity: layout.words)
                    layout.pack(machine.work, into: whole)
                    for w in 0..<layout.words { assert(out[w] == whole[w], "a field written without set()") }
                    whole.deallocate()
                #endif
            } else {
                layout.pack(machine.work, into: out)
            }
            buffer.commit(label: label)
        case .violated(let breach):
            _ = buffer.nextState()
            buffer.commit(label: label, violation: breach.code)
        case .blocked:
            return
        case .awaitingShootdown(let m):
            awaited |= 1 << UInt64(m)
        }
    }

    /// Runs one step on the machine's base state (for replay).
    func run(_ step: Step) -> StepOutcome { machine.run(step) }
}
