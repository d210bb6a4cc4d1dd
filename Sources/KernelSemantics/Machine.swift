import ModelLanguage

/// Runs a compiled model's actions on one unpacked kernel state, checking every property
/// at the exact statement where it can first fail.
///
/// `base` holds the state being expanded; each action starts from a copy of it in `work`,
/// runs the model's code there, and leaves either the successor or, after a violation, the
/// state as it was at the failing statement; it returns a `StepOutcome` saying which.
/// Nothing is allocated per action: all buffers are made once, in `init`.
///
/// The type is split by concern: this file holds its fields, `init` and the initial state;
/// `Machine+Actions.swift` the actions and the paused frames of fine mode;
/// `Machine+Interpreter.swift` the loop that runs the model's code; `Machine+Checks.swift`
/// free and its checks, the shootdown, the dangling marks and the properties checked
/// between steps.
///
/// `@exclusivity(unchecked)`: these fields are read and written on every statement of the
/// hot loop, by this object alone and never re-entrantly; the runtime checks cost ~10%.
public final class Machine {
    let model: CompiledModel
    let layout: StateLayout
    /// The state being expanded (unpacked).
    let base: UnsafeMutablePointer<Int32>
    /// The state an action works on (unpacked).
    let work: UnsafeMutablePointer<Int32>

    let code: UnsafeMutablePointer<Instruction>
    /// Each action's first instruction (by `Action.rawValue`; -1: no code).
    let entries: UnsafeMutablePointer<Int>
    /// Coarse mode: the code made shorter (`CompactCoarseCode`), and its entries; run
    /// unless `--coverage` counts statements (then `code`). Fine mode: empty.
    let compactCode: UnsafeMutablePointer<Instruction>
    let compactEntries: UnsafeMutablePointer<Int>
    /// The register of each action's inputs: `inputRegisters[action * inputs + input]`, -1
    /// for an input the action does not have (`Action.Spec.inputs`).
    let inputRegisters: UnsafeMutablePointer<Int32>
    /// The number of `Action.Input` cases (the table's stride).
    let inputKinds = Action.Input.allCases.count
    /// `model.mmRegisters`, flat: action k's mm registers are
    /// `mmRegisters[mmRegisterStart[k] ..< mmRegisterStart[k + 1]]`.
    let mmRegisters: UnsafeMutablePointer<Int32>
    let mmRegisterStart: UnsafeMutablePointer<Int>
    let registers: UnsafeMutablePointer<Int32>
    let T: Int32, C: Int32, M: Int32, cap: Int32
    let oMM: Int, oActive: Int, oStatus: Int, oCurr: Int, oPrev: Int, oLive: Int, oUsers: Int, oCount: Int
    let oKthread: Int
    /// Holder slots (`StateLayout.holderMM`), and the task lock bits (-1: not stored).
    let H: Int32, oHolderMM: Int, oHolderKind: Int, oHolderBusy: Int, oLock: Int
    /// By `Action.rawValue`: the kind (1 + `Action.HolderFamily`) of the holder slots the
    /// action fills or uses, 0 for none; and whether it fills one (an open, with a target).
    let holderKindOf: UnsafeMutablePointer<Int32>
    let opensHolder: UnsafeMutablePointer<Bool>
    let scheduleSite: Int32, exitSite: Int32, cleanupSite: Int32
    /// The model stores kthread flags (it switches on use_mm).
    let tracksKthread: Bool
    /// The model switches on the lazy-TLB shootdown variant.
    let shootdown: Bool
    /// The acting CPU.
    @exclusivity(unchecked) var cpu: Int32 = 0
    /// The mm loaded on the acting CPU during the action.
    @exclusivity(unchecked) var loaded: Int32 = 0

    // Fine mode.
    /// Each statement is a step: actions pause at yield points.
    let fine: Bool
    let yields: [CompiledModel.YieldPoint]
    /// For each yield point, which of its saved registers hold mm references.
    let savedIsMM: [[Bool]]
    let ks: Int, kt: Int
    let oCPUPC: Int, oCPUFrame: Int, oLoaded: Int, oTaskPC: Int, oTaskFrame: Int
    /// The action running (selects the mm registers to mark dangling at a free).
    @exclusivity(unchecked) var action: Action = .schedule
    /// The statement the last step started with (a site index), or -1.
    @exclusivity(unchecked) var startSite: Int32 = -1
    /// A local that still points to freed mm slot reference m holds m + `dangling`
    /// (past every live reference, and still saying which mm it was).
    let dangling: Int32

    /// The fields of `work` the step has written (`set`), a bit each: the successor is
    /// packed from its parent's packed words by rewriting only these
    /// (`StateLayout.packChanges`), and the next step starts by putting back only these
    /// from `base` (`begin`). `dirtyWords` words of bits.
    let dirty: UnsafeMutablePointer<UInt64>
    let dirtyWords: Int
    /// `base` packed (when loaded with `loadBase`), for `packChanges`.
    let parent: UnsafeMutablePointer<UInt64>
    /// `work` may differ from `base` in fields not marked in `dirty` (`base` was loaded, or
    /// `work` written whole): the next step starts from a whole copy, and its successor is
    /// packed whole until then.
    @exclusivity(unchecked) var workDiffers = true
    /// `parent` is `base` packed.
    @exclusivity(unchecked) var hasParent = false

    /// Steps leave the properties of the state between steps unchecked: the search checks
    /// them apart (`KernelSystem.stateViolation`) on the successors it has not stored.
    @exclusivity(unchecked) var defersStateChecks = false

    /// Counts the statements taken steps execute, when `--coverage` asks (`KernelSystem`).
    var coverage: CoverageCounter?

    // Partial-order reduction (fine mode): `Machine+Independence.swift`.
    /// The interpreter notes what the step touches in `footprint` (`FineTrackedCode`).
    @exclusivity(unchecked) var tracking = false
    @exclusivity(unchecked) var footprint = Footprint()
    /// Some action the model switches on may start with any live mm that has users (use_mm).
    let takesAnyMMWithUsers: Bool

    /// The state layout `model` needs at `bounds` (fine mode adds the paused frames); with
    /// `split`, packed in two parts (`StateLayout.splitWords`).
    public static func layout(model: CompiledModel, bounds: Bounds, split: Bool = false) -> StateLayout {
        let holders = model.holderSlots
        guard model.mode == .fine else {
            return StateLayout(bounds: bounds, actions: model.actions, holders: holders, split: split)
        }
        let largestConstant = model.code.filter { $0.operation == .constant }.map { Int($0.b) }.max() ?? 0
        return StateLayout(
            bounds: bounds, actions: model.actions,
            frames: StateLayout.Frames(
                scheduleSlots: model.scheduleFrameSize, taskSlots: model.taskFrameSize,
                yieldPoints: model.yields.count, largestSavedValue: largestConstant),
            holders: holders, taskLock: model.usesTaskLock, split: split)
    }

    init(model: CompiledModel, bounds: Bounds, split: Bool = false) {
        self.model = model
        shootdown = model.actions.contains(.shootdown)
        takesAnyMMWithUsers = TaskActionVariant.enabled(by: model.actions).contains {
            $0.requires.contains(.eachLiveMM)
        }
        layout = Machine.layout(model: model, bounds: bounds, split: split)
        tracksKthread = layout.stores(.kthread)
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
        oKthread = layout.offset(.kthread)
        H = Int32(layout.holders)
        oHolderMM = layout.holderMM
        oHolderKind = layout.holderKind
        oHolderBusy = layout.holderBusy
        oLock = layout.stores(.taskLock) ? layout.offset(.taskLock) : -1
        holderKindOf = .allocate(capacity: Action.allCases.count)
        opensHolder = .allocate(capacity: Action.allCases.count)
        for a in Action.allCases {
            holderKindOf[Int(a.rawValue)] = a.spec.holderFamily.map { 1 + $0.rawValue } ?? 0
            opensHolder[Int(a.rawValue)] = a.spec.holderFamily != nil && a.register(of: .target) != nil
        }
        base = .allocate(capacity: layout.fieldCount)
        work = .allocate(capacity: layout.fieldCount)
        dirtyWords = (layout.fieldCount + 63) / 64
        dirty = .allocate(capacity: dirtyWords)
        dirty.initialize(repeating: 0, count: dirtyWords)
        parent = .allocate(capacity: layout.words)
        parent.initialize(repeating: 0, count: layout.words)
        layout.initializeConstants(base)
        layout.initializeConstants(work)
        code = .allocate(capacity: max(model.code.count, 1))
        code.initialize(from: model.code, count: model.code.count)
        entries = .allocate(capacity: model.entries.count)
        for (a, e) in model.entries.enumerated() { entries[a] = e ?? -1 }
        inputRegisters = .allocate(capacity: Action.allCases.count * inputKinds)
        for a in Action.allCases {
            for i in Action.Input.allCases {
                inputRegisters[Int(a.rawValue) * inputKinds + i.rawValue] = a.register(of: i) ?? -1
            }
        }
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
        let compact = model.mode == .fine ? nil : CompactCoarseCode(model)
        compactCode = .allocate(capacity: max(compact?.code.count ?? 0, 1))
        if let compact { compactCode.initialize(from: compact.code, count: compact.code.count) }
        compactEntries = .allocate(capacity: model.entries.count)
        for a in 0..<model.entries.count { compactEntries[a] = compact?.entries[a] ?? -1 }
        let registerCount = max(model.registerCount, compact?.registerCount ?? 0, CompiledModel.inputRegisters)
        registers = .allocate(capacity: registerCount)
        registers.initialize(repeating: 0, count: registerCount)
        // Written by no instruction of the compact code, so set once.
        for (r, v) in compact?.constants ?? [] { registers[Int(r)] = v }
        scheduleSite = model.entry(.schedule).map { model.code[$0].site } ?? -1
        exitSite = model.entry(.exit).map { model.code[$0].site } ?? -1
        cleanupSite = model.cleanupSite ?? -1
    }

    deinit {
        base.deallocate()
        work.deallocate()
        dirty.deallocate()
        parent.deallocate()
        code.deallocate()
        compactCode.deallocate()
        compactEntries.deallocate()
        inputRegisters.deallocate()
        entries.deallocate()
        registers.deallocate()
        mmRegisters.deallocate()
        mmRegisterStart.deallocate()
        holderKindOf.deallocate()
        opensHolder.deallocate()
    }

    // MARK: The initial state

    /// Writes the reference boot (SEMANTICS.md §2.4) into `work` and checks it.
    func loadInitialState() -> StepOutcome {
        layout.initializeConstants(work)
        for c in 0..<Int(C) {
            work[oCurr + c] = StateLayout.idleCurr
            work[oActive + Int(T) + c] = Ref.initMM
        }
        work[oCount] = C + 1
        if fine {
            for c in 0..<Int(C) { work[oLoaded + c] = Ref.initMM }
        }
        work[oStatus] = TaskStatus.runnable.rawValue
        work[oMM] = Ref.slot(0)
        work[oActive] = Ref.slot(0)
        work[oLive + 1] = 1
        work[oUsers + 1] = 1
        work[oCount + 1] = 1
        if T >= 2 {
            work[oStatus + 1] = TaskStatus.runnable.rawValue
            if tracksKthread { work[oKthread + 1] = 1 }  // kthreadd
        }
        workDiffers = true
        return checkState()
    }

    // MARK: Loading a state

    /// Makes packed `state` the base state, the one the next steps start from.
    @inline(__always)
    func loadBase(_ state: UnsafePointer<UInt64>) {
        layout.unpack(state, into: base)
        parent.update(from: state, count: layout.words)
        hasParent = true
        workDiffers = true
    }

    /// Makes packed `state` the work state, to check it between steps: the next step copies
    /// `base` whole.
    @inline(__always)
    func loadWork(_ state: UnsafePointer<UInt64>) {
        layout.unpack(state, into: work)
        workDiffers = true
    }

    /// `base` was written by hand: the next step copies it whole, and packs whole.
    func baseWritten() {
        hasParent = false
        workDiffers = true
    }

    /// Writes field `f` of `work`, noting it in `dirty`. Every write of `work` by a step
    /// goes through here (`begin` checks, in debug builds, that `work` is `base` again once
    /// the fields noted are put back).
    @inline(__always)
    func set(_ f: Int, _ v: Int32) {
        assert(f >= 0 && f < layout.fieldCount, "field \(f) outside the state")
        work[f] = v
        dirty[f &>> 6] |= 1 &<< UInt64(truncatingIfNeeded: f & 63)
    }
}
