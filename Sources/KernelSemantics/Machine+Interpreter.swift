import ModelLanguage

/// The interpreter of the compiled model code.
extension Machine {
    /// Makes the lowest free mm slot live with users = count = 1 and returns its reference,
    /// or `Ref.none` when every slot is in use.
    @inline(__always)
    func allocateMM() -> Int32 {
        var k = 1
        while k <= Int(M) && work[oLive + k] != 0 { k += 1 }
        if k > Int(M) { return Ref.none }
        set(oLive + k, 1)
        set(oUsers + k, 1)
        set(oCount + k, 1)
        return Int32(k + 1)
    }

    /// Whether `m` is a live mm slot (`init_mm`, none and the dangling mark are not).
    @inline(__always)
    func isLive(_ m: Int32) -> Bool { m >= Ref.initMM && m <= dangling && work[oLive &+ Int(m) &- 1] != 0 }

    /// Runs code from `entry` to its `end`, or in fine mode to the next yield point after
    /// the first instruction that touches the kernel state (a step does one thing: yields
    /// before it, where only locals moved, are passed). Returns `.done` at the end,
    /// `.paused` at a yield point, or why the step did not run to either.
    ///
    /// Written for speed, as it runs every instruction of every step: the loop is compiled
    /// once per mode (`CodeMode`); an instruction's fields are read where used, not all
    /// copied first; `mm` and `active_mm` are addressed through local base pointers; the
    /// program counter and the indices use unchecked arithmetic (a compiled model's jumps
    /// stay inside its code, and an mm reference used as an index is first checked live).
    func execute(from entry: Int) -> StepOutcome {
        if coverage != nil {
            return fine
                ? interpret(from: entry, in: code, FineCountedCode.self)
                : interpret(from: entry, in: code, CoarseCountedCode.self)
        }
        guard fine else { return interpret(from: entry, in: code, CoarseCode.self) }
        return tracking
            ? interpret(from: entry, in: code, FineTrackedCode.self) : interpret(from: entry, in: code, FineCode.self)
    }

    /// Coarse mode without coverage: `execute` of the compact code from its `entry`.
    func interpretCompact(from entry: Int) -> StepOutcome {
        interpret(from: entry, in: compactCode, CoarseCode.self)
    }

    /// `execute` for code of one mode: `Mode.fine` is a constant in each specialized copy,
    /// so coarse code never tests an instruction for touching the state.
    private func interpret<Mode: CodeMode>(
        from entry: Int, in code: UnsafeMutablePointer<Instruction>, _: Mode.Type
    ) -> StepOutcome {
        let fine = Mode.fine, tracks = Mode.tracks
        var pc = entry
        let r = registers
        let w = work
        let mm = w + oMM, active = w + oActive
        // Coarse code has no yields and needs no start site: it counts as touched at once.
        var touched = !fine
        while true {
            let i = UnsafePointer(code + pc)
            pc &+= 1
            if Mode.counts { coverage?.note(i.site) }
            if !touched && i.operation.touchesState {
                touched = true
                startSite = i.site
            }
            switch i.operation {
            case .yield:
                if touched { return .paused(at: i.a) }
            case .constant:
                r[Int(i.a)] = i.b
            case .move:
                r[Int(i.a)] = r[Int(i.b)]
            case .loadMM:
                r[Int(i.a)] = mm[Int(r[Int(i.b)])]
            case .loadActiveMM:
                r[Int(i.a)] = active[Int(r[Int(i.b)])]
            case .storeMM:
                let t = r[Int(i.a)], v = r[Int(i.b)]
                if v == Ref.initMM { return fail(.initMMImmortal, .initMMAsMM, mm: v, site: i.site) }
                if v > Ref.initMM && !isLive(v) { return fail(.noUseAfterFree, .notLive(.assign), mm: v, site: i.site) }
                if t >= T && v != Ref.none { return failModel(.idleTaskMM(task: t), site: i.site) }
                set(oMM &+ Int(t), v)
            case .storeActiveMM:
                let v = r[Int(i.b)]
                if v > Ref.initMM && !isLive(v) { return fail(.noUseAfterFree, .notLive(.assign), mm: v, site: i.site) }
                set(oActive &+ Int(r[Int(i.a)]), v)
            case .loadPrevMM:
                r[Int(i.a)] = w[oPrev &+ Int(cpu)]
            case .storePrevMM:
                let v = r[Int(i.a)]
                if v > Ref.initMM && !isLive(v) { return fail(.noUseAfterFree, .notLive(.assign), mm: v, site: i.site) }
                set(oPrev &+ Int(cpu), v)
            case .loadCurr:
                r[Int(i.a)] = currentTask(Int(cpu), in: w)
            case .loadUsers, .loadCount, .jumpIfUsersEqual, .jumpIfUsersNotEqual, .jumpIfCountEqual,
                .jumpIfCountNotEqual:
                let m = r[Int(i.b)]
                if tracks { footprint.read(m) }
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.readCounter), mm: m, site: i.site) }
                if !isLive(m) { return fail(.noUseAfterFree, .notLive(.readCounter), mm: m, site: i.site) }
                let op = i.operation
                let users = op == .loadUsers || op == .jumpIfUsersEqual || op == .jumpIfUsersNotEqual
                let value = w[(users ? oUsers : oCount) &+ Int(m) &- 1]
                switch op {
                case .loadUsers, .loadCount: r[Int(i.a)] = value
                case .jumpIfUsersEqual, .jumpIfCountEqual: if value == r[Int(i.a)] { pc = Int(i.c) }
                default: if value != r[Int(i.a)] { pc = Int(i.c) }
                }
            case .addUsers, .addCount:
                let m = r[Int(i.a)]
                let users = i.operation == .addUsers
                if tracks { footprint.changed(m, users: users) }
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.changeCounter), mm: m, site: i.site) }
                if users && m == Ref.initMM { return fail(.initMMImmortal, .initMMUsersChanged, mm: m, site: i.site) }
                if !isLive(m) { return fail(.noUseAfterFree, .notLive(.changeCounter), mm: m, site: i.site) }
                let slot = (users ? oUsers : oCount) &+ Int(m) &- 1
                if users && i.b > 0 && w[slot] == 0 {
                    return fail(.noUsersFromZero, .usersFromZero, mm: m, site: i.site)
                }
                let value = w[slot] + i.b
                if value < 0 {
                    return fail(
                        .noUnderflow, .underflow(counter: users ? .users : .count, value: value), mm: m, site: i.site)
                }
                if value > cap {
                    return fail(.noUnderflow, .overCap(counter: users ? .users : .count, cap: cap), mm: m, site: i.site)
                }
                set(slot, value)
            case .newMM:
                if tracks { footprint.global = true }
                let m = allocateMM()
                if m == Ref.none {
                    if fine { return .blocked }
                    return failModel(.noFreeMMSlot, site: i.site)
                }
                r[Int(i.a)] = m
            case .free:
                if tracks { footprint.global = true }
                let freed = free(r[Int(i.a)], site: i.site)
                guard case .done = freed else { return freed }
            case .exitMmap:
                if tracks { footprint.global = true }
                let m = r[Int(i.a)]
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.exitMmap), mm: m, site: i.site) }
                if m == Ref.initMM { return fail(.initMMImmortal, .exitMmapInitMM, mm: m, site: i.site) }
                if !isLive(m) { return fail(.noUseAfterFree, .notLive(.exitMmap), mm: m, site: i.site) }
                for t in 0..<Int(T + C) where mm[t] == m {
                    return fail(.noTeardownInUse, .teardownInUse(task: Int32(t)), mm: m, site: i.site)
                }
            case .switchMM:
                if i.c != 0 {
                    let prev = r[Int(i.b)]
                    if prev == Ref.none {
                        return fail(.noUseAfterFree, .noneUsed(.switchAwayFrom), mm: prev, site: i.site)
                    }
                    if prev > Ref.initMM && !isLive(prev) {
                        return fail(.noUseAfterFree, .notLive(.switchAwayFrom), mm: prev, site: i.site)
                    }
                }
                let m = r[Int(i.a)]
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.switchMM), mm: m, site: i.site) }
                if m > Ref.initMM && !isLive(m) {
                    return fail(.noUseAfterFree, .notLive(.switchMM), mm: m, site: i.site)
                }
                loaded = m
            case .loadHolderMM:
                if tracks { footprint.global = true }
                r[Int(i.a)] = w[oHolderMM &+ Int(r[Int(i.b)])]
            case .storeHolderMM:
                if tracks { footprint.global = true }
                let v = r[Int(i.b)]
                if v > Ref.initMM && !isLive(v) { return fail(.noUseAfterFree, .notLive(.assign), mm: v, site: i.site) }
                set(oHolderMM &+ Int(r[Int(i.a)]), v)
            case .accessRemoteVM:
                let m = r[Int(i.a)]
                if tracks { footprint.read(m) }
                if m == Ref.none { return fail(.noUseAfterFree, .noneUsed(.accessRemoteVM), mm: m, site: i.site) }
                if m == Ref.initMM { return fail(.initMMImmortal, .accessInitMM, mm: m, site: i.site) }
                if !isLive(m) { return fail(.noUseAfterFree, .notLive(.accessRemoteVM), mm: m, site: i.site) }
                if w[oUsers &+ Int(m) &- 1] == 0 {
                    return fail(.noTeardownInUse, .accessWithoutUsers, mm: m, site: i.site)
                }
            case .lockTask:
                if tracks { footprint.global = true }
                let t = Int(r[Int(i.a)])
                if oLock >= 0 && t < Int(T) {
                    if w[oLock &+ t] != 0 { return .blocked }  // another CPU holds it: wait
                    set(oLock &+ t, 1)
                }
            case .unlockTask:
                if tracks { footprint.global = true }
                let t = Int(r[Int(i.a)])
                if oLock >= 0 && t < Int(T) { set(oLock &+ t, 0) }
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
            case .jumpIfMMEqual:
                if mm[Int(r[Int(i.b)])] == r[Int(i.a)] { pc = Int(i.c) }
            case .jumpIfMMNotEqual:
                if mm[Int(r[Int(i.b)])] != r[Int(i.a)] { pc = Int(i.c) }
            case .end:
                return .done
            }
        }
    }

}

/// Whether the code `Machine.execute` runs is fine (each statement a step) or coarse, as a
/// type, so that the interpreter loop is compiled once for each.
protocol CodeMode {
    static var fine: Bool { get }
    /// The loop notes the step's footprint (`Machine.footprint`) as it goes.
    static var tracks: Bool { get }
    /// The loop notes each statement it runs in `Machine.coverage`.
    static var counts: Bool { get }
}

extension CodeMode {
    static var tracks: Bool { false }
    static var counts: Bool { false }
}

enum CoarseCode: CodeMode {
    static var fine: Bool { false }
}

enum FineCode: CodeMode {
    static var fine: Bool { true }
}

/// Fine code run to find out whether a step is independent (`Machine+Independence.swift`).
enum FineTrackedCode: CodeMode {
    static var fine: Bool { true }
    static var tracks: Bool { true }
}

/// Code run while `--coverage` counts statements (never with partial-order reduction).
enum CoarseCountedCode: CodeMode {
    static var fine: Bool { false }
    static var counts: Bool { true }
}

enum FineCountedCode: CodeMode {
    static var fine: Bool { true }
    static var counts: Bool { true }
}

/// The interpreter reads an instruction's fields through its pointer, each where it is
/// used: copying the whole instruction first loads fields most operations do not need.
extension UnsafePointer where Pointee == Instruction {
    fileprivate var operation: Instruction.Operation { pointee.operation }
    fileprivate var a: Int32 { pointee.a }
    fileprivate var b: Int32 { pointee.b }
    fileprivate var c: Int32 { pointee.c }
    fileprivate var site: Int32 { pointee.site }
}
