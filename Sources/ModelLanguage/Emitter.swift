/// Type-checks routine bodies and emits their instructions.
///
/// In checking mode (`reporting`), each routine is checked on its own and calls are only
/// checked against the callee's signature. In emitting mode, calls are inlined: each
/// inlined instance gets its own registers, and `return` jumps to the instance's end.
final class Emitter {
    private unowned let checker: Checker
    private let reporting: Bool
    private(set) var code: [Instruction] = []
    private(set) var sites: [Site] = []
    private var siteIndex: [Site: Int32] = [:]
    private var site: Int32 = 0
    private var nextRegister = Int32(CompiledModel.inputRegisters)
    private(set) var registerHighWater = Int32(CompiledModel.inputRegisters)
    private var labelTargets: [Int] = []
    private var fixups: [(pc: Int, label: Int)] = []
    private var frames: [Frame] = []
    /// Calls seen while checking: (callee, call site, number of arguments).
    private(set) var calls: [(callee: String, at: SourceLocation, arguments: Int)] = []
    /// While checking: each statement's start and each call, in source order, with the size
    /// of the routine's own code so far (see `ownSize`). The checker bounds the inlined
    /// size from these before anything is inlined.
    private(set) var sizeEvents: [SizeEvent] = []
    /// While checking: statements seen (each may become a yield in fine mode).
    private var statementCount = 0
    /// While checking: statements open around the current one (1 at the routine's top level).
    private var statementDepth = 0

    /// A statement's start or a call, with the routine's own code size before it.
    struct SizeEvent {
        var at: SourceLocation
        var offset: Int
        /// How deeply the statement (or the statement making the call) is nested: 1 at the
        /// routine's top level.
        var depth: Int
        /// The call's callee and argument count (nil: a statement's start).
        var call: (callee: String, arguments: Int)?
    }

    /// While checking: an upper bound on the instructions the routine's own statements
    /// become (its code without the calls inlined, and a yield for each statement).
    var ownSize: Int { code.count + statementCount }

    // Fine mode: a `.yield` before each statement that is a step of its own.
    /// Emit yields (fine mode).
    var fine = false
    private(set) var yields: [CompiledModel.YieldPoint] = []
    private var action: Action = .schedule
    /// Inside an `atomic` block: its statements are one step, no yields.
    private var atomicDepth = 0
    /// Inside `irqs_off` blocks or routines: yields take no IPI and are not preemption points.
    private var irqsOffDepth = 0
    /// Inside `preempt_off` blocks or routines: yields are not preemption points (unless
    /// `preemptRT`), but take IPIs.
    private var preemptOffDepth = 0
    /// CONFIG_PREEMPT_RT: `preempt_off` (a spinlock_t section) is preemptible.
    var preemptRT = false
    /// Whether the code passed a preemptible (an interruptible) point since the last yield
    /// was emitted: at a region's entry the flags outside it are noted here. A yield sits
    /// before its statement; between the end of the statement before it and the yield only
    /// locals moved and regions were entered or left (local_irq_disable() is a call, not a
    /// step), so a preemption or an IPI anywhere there is the same as one at the yield: the
    /// first statement of a region is preemptible when the code just before it is.
    private var stretchPreemptible = false
    private var stretchInterruptible = false
    private var actionMMRegisters: Set<Int32> = []
    private var actionTaskRegisters: Set<Int32> = []
    private var actionHolderRegisters: Set<Int32> = []
    /// Fine mode: a yield point (its pc) where more registers are live than a state can
    /// ever hold, and that limit (nothing is saved then; the model is refused).
    private(set) var tooManySaved: (pc: Int, limit: Int)?
    /// The mm-typed registers of each emitted action, by `Action`.
    private(set) var mmRegistersByAction: [Action: [Int32]] = [:]
    /// The task-typed registers of each emitted action, by `Action`.
    private(set) var taskRegistersByAction: [Action: [Int32]] = [:]
    /// The holder-typed registers of each emitted action, by `Action`.
    private(set) var holderRegistersByAction: [Action: [Int32]] = [:]

    /// Records mm- and task-typed registers of the action being emitted, then makes the value.
    private func noted(register: Int32, type: ValueType, isTemporary: Bool) -> Value {
        if register >= 0 && type == .mm { actionMMRegisters.insert(register) }
        if register >= 0 && type == .task { actionTaskRegisters.insert(register) }
        if register >= 0 && type == .holder { actionHolderRegisters.insert(register) }
        return Value(register: register, type: type, isTemporary: isTemporary)
    }

    struct Value {
        var register: Int32
        var type: ValueType
        /// A fresh register holding an intermediate result, free to be bound to a name.
        var isTemporary: Bool
    }

    private struct Frame {
        var routine: String
        var returnLabel: Int
        /// The registers of the tasks whose task_lock this routine's own code holds here,
        /// innermost last: a `return` unlocks them before it jumps.
        var locks: [Int32] = []
    }
    /// Some action's code takes a task_lock (the state then keeps a lock bit per task).
    private(set) var usesTaskLock = false

    private typealias Scope = [String: Value]

    init(checker: Checker, reporting: Bool) {
        self.checker = checker
        self.reporting = reporting
    }

    // MARK: Entry points

    /// Checks one routine on its own, its parameters bound to fresh registers.
    func checkRoutine(_ info: RoutineInfo) {
        var scope: Scope = [:]
        for (parameter, type) in zip(info.syntax.parameters, info.parameterTypes) {
            scope[parameter.name] = noted(register: newRegister(), type: type, isTemporary: false)
        }
        let end = newLabel()
        frames.append(Frame(routine: info.syntax.name, returnLabel: end))
        emitBlock(info.syntax.body, scope)
        frames.removeLast()
        place(end)
    }

    /// Emits one action: its entry routines (`Action.Spec.calls`) called in order on its
    /// input registers. Returns the action's first instruction.
    func emitAction(_ kind: Action) -> Int {
        let spec = kind.spec
        let start = code.count
        let firstYield = yields.count
        action = kind
        stretchPreemptible = false
        stretchInterruptible = false
        actionMMRegisters = []
        actionTaskRegisters = []
        actionHolderRegisters = []
        nextRegister = Int32(CompiledModel.inputRegisters)
        // Every input register has its input's type, whether or not a routine takes it: a
        // paused frame saves them all, and a symmetry renames them by type.
        for (i, input) in spec.inputs.enumerated() {
            _ = noted(register: Int32(i), type: input.type, isTemporary: false)
        }
        for call in spec.calls {
            let entry = call.routine
            guard let info = checker.routines[entry.name] else { continue }
            setSite(info.syntax.at, routine: entry.name)
            let inputs = call.arguments.map { Int32(spec.inputs.firstIndex(of: $0) ?? 0) }
            let arguments = zip(inputs, entry.parameterTypes).map { noted(register: $0, type: $1, isTemporary: false) }
            inline(info, arguments)
        }
        emit(.end)
        for (pc, label) in fixups { code[pc].c = Int32(labelTargets[label]) }
        fixups.removeAll()
        mmRegistersByAction[kind] = actionMMRegisters.sorted()
        taskRegistersByAction[kind] = actionTaskRegisters.sorted()
        holderRegistersByAction[kind] = actionHolderRegisters.sorted()
        if yields.count > firstYield && tooManySaved == nil {
            // What each pause must keep: the inputs, and every register read before written.
            let points = yields[firstYield...].map(\.pc)
            switch Liveness.liveIn(
                code: code, range: start..<code.count, registers: Int(registerHighWater), at: points,
                limit: LanguageLimits.maxSavedValues)
            {
            case .success(let live):
                let inputs = (0..<Int32(CompiledModel.inputRegisters)).map { $0 }
                for (y, registers) in zip(firstYield..<yields.count, live) {
                    yields[y].saved = inputs + registers.filter { $0 >= CompiledModel.inputRegisters }
                }
            case .failure(let excess):
                tooManySaved = (excess.pc, LanguageLimits.maxSavedValues)
            }
        }
        return start
    }

    // MARK: Statements

    private func emitBlock(_ statements: [StatementSyntax], _ outer: Scope) {
        var scope = outer
        for statement in statements { emitStatement(statement, &scope) }
    }

    private func emitStatement(_ statement: StatementSyntax, _ scope: inout Scope) {
        if reporting {
            statementDepth += 1
            sizeEvents.append(SizeEvent(at: statement.location, offset: ownSize, depth: statementDepth))
            statementCount += 1
        }
        defer { if reporting { statementDepth -= 1 } }
        setSite(statement.location, routine: frames.last?.routine ?? "")
        if fine && !reporting && atomicDepth == 0 && !isLocal(statement) { emitYield() }
        // Nested blocks and calls recurse through here: the work of each kind of statement
        // is in a function of its own, so this frame stays small (see LanguageLimits).
        switch statement {
        case .conditional(let condition, let then, let otherwise, _):
            emitConditional(condition, then, otherwise, scope)
        case .call(let name, let arguments, let at):
            call(name, arguments, at, scope)
        case .region(let kind, let body, _):
            emitRegion(kind, body, &scope)
        case .taskLock(let task, let body, _):
            emitTaskLock(task, body, &scope)
        default:
            emitSimpleStatement(statement, &scope)
        }
    }

    @inline(never)
    private func emitConditional(
        _ condition: ConditionSyntax, _ then: [StatementSyntax], _ otherwise: [StatementSyntax]?,
        _ scope: Scope
    ) {
        let elseLabel = newLabel()
        emitCondition(condition, jumpWhen: false, to: elseLabel, scope)
        emitBlock(then, scope)
        if let otherwise {
            let end = newLabel()
            emitJump(.jump, 0, 0, to: end)
            place(elseLabel)
            emitBlock(otherwise, scope)
            place(end)
        } else {
            place(elseLabel)
        }
    }

    // A region is not a scope (as local_irq_disable() is a call, not a block): a `let`
    // inside it is visible after it.
    @inline(never)
    private func emitRegion(_ kind: RegionKind, _ body: [StatementSyntax], _ scope: inout Scope) {
        enterRegion(kind)
        for s in body { emitStatement(s, &scope) }
        leaveRegion(kind)
    }

    /// `task_lock(t) { body }`: take t's lock (a step of its own in fine mode, which waits
    /// while another CPU holds it), the body as a `preempt_off` region, then the unlock.
    @inline(never)
    private func emitTaskLock(_ task: ExpressionSyntax, _ body: [StatementSyntax], _ scope: inout Scope) {
        guard let t = expression(task, scope), requireValue(t, task.location) else { return }
        guard t.type == .task || t.type == .invalid else {
            return error(task.location, "task_lock takes a task, got \(article(t.type))")
        }
        usesTaskLock = true
        emit(.lockTask, t.register)
        if !frames.isEmpty { frames[frames.count - 1].locks.append(t.register) }
        enterRegion(.preemptOff)
        for s in body { emitStatement(s, &scope) }
        leaveRegion(.preemptOff)
        if !frames.isEmpty { frames[frames.count - 1].locks.removeLast() }
        emit(.unlockTask, t.register)
    }

    /// A statement that contains no other statement and calls no routine.
    @inline(never)
    private func emitSimpleStatement(_ statement: StatementSyntax, _ scope: inout Scope) {
        switch statement {
        case .binding(let name, let value, _, let nameAt):
            if Constant.reserved.contains(name) {
                return error(nameAt, "'\(name)' is a reserved word")
            }
            if scope[name] != nil {
                return error(nameAt, "'\(name)' is already defined in this routine")
            }
            guard let v = expression(value, scope), requireValue(v, value.location) else { return }
            if v.isTemporary {
                scope[name] = noted(register: v.register, type: v.type, isTemporary: false)
            } else {
                let r = newRegister()
                emit(.move, r, v.register)
                scope[name] = noted(register: r, type: v.type, isTemporary: false)
            }

        case .assignment(let target, let value, let at):
            assignment(target, value, at, scope)

        case .adjustment(let target, let delta, _, _, let amountAt):
            guard case .member(let base, let field, let fieldAt) = target,
                field == "count" || field == "users"
            else {
                return error(target.location, "only an mm's count or users can be changed with += or -=")
            }
            guard let b = expression(base, scope) else { return }
            guard b.type == .mm || b.type == .invalid else {
                return error(fieldAt, fieldError(b.type, field))
            }
            guard abs(delta) <= 1000 else {
                return error(amountAt, "a counter changes by at most 1000 in one statement")
            }
            emit(field == "count" ? .addCount : .addUsers, b.register, Int32(delta))

        case .return:
            if let frame = frames.last {
                for r in frame.locks.reversed() { emit(.unlockTask, r) }
                emitJump(.jump, 0, 0, to: frame.returnLabel)
            }

        case .conditional, .call, .region, .taskLock:
            break  // see emitStatement
        }
    }

    /// A statement that touches no kernel state (it only moves locals, or tests them) is
    /// not a step of its own: nothing another CPU does can tell it apart from the step
    /// after it, so it runs with that one. A call of a routine is not a step either (its
    /// statements are), nor is an irqs_off region (its first statement is).
    private func isLocal(_ statement: StatementSyntax) -> Bool {
        func local(_ e: ExpressionSyntax) -> Bool {
            if case .name = e { return true }
            if case .integer = e { return true }
            return false
        }
        func local(_ c: ConditionSyntax) -> Bool {
            switch c {
            case .comparison(let l, _, let r, _): return local(l) && local(r)
            case .isNone(let e, _, _): return local(e)
            case .and(let l, let r), .or(let l, let r): return local(l) && local(r)
            case .not(let inner): return local(inner)
            }
        }
        switch statement {
        case .return, .region(.irqsOff, _, _), .region(.preemptOff, _, _): return true
        case .call(let name, _, _): return Primitive(rawValue: name) == nil
        case .binding(_, let value, _, _): return local(value)
        case .assignment(.name, let value, _): return local(value)
        case .conditional(let condition, _, _, _): return local(condition)
        case .assignment, .adjustment, .region(.atomic, _, _), .taskLock: return false
        }
    }

    /// Whether a task here may be preempted, or take an IPI (the regions open around it).
    private var preemptibleHere: Bool { irqsOffDepth == 0 && (preemptOffDepth == 0 || preemptRT) }
    private var interruptibleHere: Bool { irqsOffDepth == 0 }

    /// Enters a region (a block, or a routine declared `irqs_off` or `preempt_off`). An
    /// atomic block is one step: it has no yield inside and changes neither flag.
    private func enterRegion(_ kind: RegionKind) {
        if kind != .atomic {
            stretchPreemptible = stretchPreemptible || preemptibleHere
            stretchInterruptible = stretchInterruptible || interruptibleHere
        }
        switch kind {
        case .irqsOff: irqsOffDepth += 1
        case .preemptOff: preemptOffDepth += 1
        case .atomic: atomicDepth += 1
        }
    }

    private func leaveRegion(_ kind: RegionKind) {
        switch kind {
        case .irqsOff: irqsOffDepth -= 1
        case .preemptOff: preemptOffDepth -= 1
        case .atomic: atomicDepth -= 1
        }
    }

    /// A statement boundary: a step may end here.
    private func emitYield() {
        let preemptible = action != .schedule && (stretchPreemptible || preemptibleHere)
        let interruptible = stretchInterruptible || interruptibleHere
        stretchPreemptible = false
        stretchInterruptible = false
        yields.append(
            CompiledModel.YieldPoint(
                pc: code.count, preemptible: preemptible, interruptible: interruptible, saved: [], action: action))
        code.append(Instruction(.yield, Int32(yields.count - 1), preemptible ? 1 : 0, 0, site: site))
    }

    private func assignment(_ target: ExpressionSyntax, _ value: ExpressionSyntax, _ at: SourceLocation, _ scope: Scope)
    {
        switch target {
        case .name(let name, let nameAt):
            guard let local = scope[name] else {
                if Constant.value(of: name) != nil || name == "cpu" {
                    return error(nameAt, "cannot assign to '\(name)'")
                }
                return error(nameAt, "unknown name '\(name)'")
            }
            guard let v = expression(value, scope), requireValue(v, value.location) else { return }
            guard v.type == local.type || v.type == .invalid || local.type == .invalid else {
                return error(
                    value.location, "cannot assign \(article(v.type)) to '\(name)', which holds \(article(local.type))")
            }
            emit(.move, local.register, v.register)
        case .member(let base, let field, let fieldAt):
            guard let b = expression(base, scope) else { return }
            if b.type == .invalid { return }
            let store: Instruction.Operation
            switch (b.type, field) {
            case (.task, "mm"): store = .storeMM
            case (.task, "active_mm"): store = .storeActiveMM
            case (.holder, "mm"): store = .storeHolderMM
            case (.cpu, "prev_mm"): store = .storePrevMM
            case (.cpu, "curr"): return error(fieldAt, "cpu.curr is changed by the schedule action, not by routines")
            case (.mm, "count"), (.mm, "users"):
                return error(fieldAt, "counters change only with += and -=")
            default:
                return error(fieldAt, fieldError(b.type, field))
            }
            guard let v = expression(value, scope), requireValue(v, value.location) else { return }
            guard v.type == .mm || v.type == .invalid else {
                return error(value.location, "cannot assign \(article(v.type)) to '\(field)', which holds an mm")
            }
            if store == .storePrevMM {
                emit(.storePrevMM, v.register)
            } else {
                emit(store, b.register, v.register)
            }
        default:
            error(target.location, "cannot assign to this expression")
        }
    }

    private func call(_ name: String, _ arguments: [ExpressionSyntax], _ at: SourceLocation, _ scope: Scope) {
        if let (info, values) = checkedCall(name, arguments, at, scope) { inline(info, values) }
    }

    /// Checks a call and emits a primitive's or a routine's arguments; returns the routine
    /// and its arguments when it is to be inlined.
    @inline(never)
    private func checkedCall(
        _ name: String, _ arguments: [ExpressionSyntax], _ at: SourceLocation,
        _ scope: Scope
    ) -> (RoutineInfo, [Value])? {
        if let primitive = Primitive(rawValue: name) {
            if primitive == .newMM {
                error(at, "new_mm() makes a new mm: bind it, as in 'let m = new_mm()'")
                return nil
            }
            // switch_mm(next), or switch_mm(prev, next) as the kernel's switch_mm(prev, next,
            // tsk) and activate_mm(prev, next): switching away from prev uses it.
            let most = primitive == .switchMM ? 2 : 1
            guard arguments.count == 1 || arguments.count == most else {
                let takes =
                    most == 2 ? "1 argument (the mm to load) or 2 (the mm left, the mm loaded)" : "1 argument (an mm)"
                error(at, "\(name)() takes \(takes), got \(arguments.count)")
                return nil
            }
            var values: [Value] = []
            for argument in arguments {
                guard let v = expression(argument, scope), requireValue(v, argument.location) else { return nil }
                guard v.type == .mm || v.type == .invalid else {
                    error(argument.location, "\(name)() takes an mm, got \(article(v.type))")
                    return nil
                }
                values.append(v)
            }
            let op: Instruction.Operation
            switch primitive {
            case .free: op = .free
            case .exitMmap: op = .exitMmap
            case .accessRemoteVM: op = .accessRemoteVM
            case .switchMM, .newMM: op = .switchMM
            }
            if values.count == 2 {
                emit(op, values[1].register, values[0].register, 1)
            } else {
                emit(op, values[0].register)
            }
            return nil
        }
        guard let info = checker.routines[name] else {
            if checker.brokenRoutines.contains(name) { return nil }  // its header error is reported
            error(at, "unknown routine '\(name)'")
            return nil
        }
        let expected = info.parameterTypes
        guard arguments.count == expected.count else {
            error(
                at,
                "routine '\(name)' takes \(expected.count) argument\(expected.count == 1 ? "" : "s"), got \(arguments.count)"
            )
            return nil
        }
        var values: [Value] = []
        for (argument, type) in zip(arguments, expected) {
            guard let v = expression(argument, scope), requireValue(v, argument.location) else { return nil }
            guard v.type == type || v.type == .invalid || type == .invalid else {
                error(argument.location, "argument of '\(name)' must be \(article(type)), got \(article(v.type))")
                return nil
            }
            values.append(v)
        }
        if reporting {
            calls.append((name, at, arguments.count))
            sizeEvents.append(SizeEvent(at: at, offset: ownSize, depth: statementDepth, call: (name, arguments.count)))
            return nil
        }
        return (info, values)
    }

    private func inline(_ info: RoutineInfo, _ arguments: [Value]) {
        if frames.contains(where: { $0.routine == info.syntax.name }) { return }  // reported as recursion
        let scope = parameterScope(info, arguments)
        let end = newLabel()
        frames.append(Frame(routine: info.syntax.name, returnLabel: end))
        if let region = info.syntax.region { enterRegion(region) }
        emitBlock(info.syntax.body, scope)
        if let region = info.syntax.region { leaveRegion(region) }
        frames.removeLast()
        place(end)
    }

    /// The scope of an inlined routine: its parameters bound to the arguments (moved to
    /// registers of their own unless they are fresh temporaries).
    @inline(never)
    private func parameterScope(_ info: RoutineInfo, _ arguments: [Value]) -> Scope {
        var scope: Scope = [:]
        for (parameter, argument) in zip(info.syntax.parameters, arguments) {
            if argument.isTemporary {
                scope[parameter.name] = noted(register: argument.register, type: argument.type, isTemporary: false)
            } else {
                let r = newRegister()
                emit(.move, r, argument.register)
                scope[parameter.name] = noted(register: r, type: argument.type, isTemporary: false)
            }
        }
        return scope
    }

    // MARK: Conditions

    /// Emits a jump to `label` taken exactly when `condition` evaluates to `jumpWhen`.
    private func emitCondition(_ condition: ConditionSyntax, jumpWhen: Bool, to label: Int, _ scope: Scope) {
        switch condition {
        case .not(let inner):
            emitCondition(inner, jumpWhen: !jumpWhen, to: label, scope)
        case .and(let l, let r):
            if jumpWhen {
                let skip = newLabel()
                emitCondition(l, jumpWhen: false, to: skip, scope)
                emitCondition(r, jumpWhen: true, to: label, scope)
                place(skip)
            } else {
                emitCondition(l, jumpWhen: false, to: label, scope)
                emitCondition(r, jumpWhen: false, to: label, scope)
            }
        case .or(let l, let r):
            if jumpWhen {
                emitCondition(l, jumpWhen: true, to: label, scope)
                emitCondition(r, jumpWhen: true, to: label, scope)
            } else {
                let skip = newLabel()
                emitCondition(l, jumpWhen: true, to: skip, scope)
                emitCondition(r, jumpWhen: false, to: label, scope)
                place(skip)
            }
        case .isNone(let e, let negated, let at):
            guard let v = expression(e, scope), requireValue(v, e.location) else { return }
            guard v.type == .mm || v.type == .invalid else {
                return error(at, "'is none' tests an mm, got \(article(v.type))")
            }
            let none = newRegister()
            emit(.constant, none, Ref.none)
            let isNone = !negated
            emitJump(isNone == jumpWhen ? .jumpIfEqual : .jumpIfNotEqual, v.register, none, to: label)
        case .comparison(let lhs, let op, let rhs, let at):
            guard let l = expression(lhs, scope), requireValue(l, lhs.location),
                let r = expression(rhs, scope), requireValue(r, rhs.location)
            else { return }
            if l.type == .invalid || r.type == .invalid { return }
            guard l.type == r.type else {
                return error(at, "cannot compare \(article(l.type)) with \(article(r.type))")
            }
            if op != .equal, op != .notEqual, l.type != .int {
                return error(
                    at, "'\(op.rawValue)' compares numbers; \(article(l.type)) can only be compared with == or !=")
            }
            // Reduce every comparison to ==, !=, < or <= (swapping operands for > and >=).
            var (a, b) = (l.register, r.register)
            var holds: Instruction.Operation
            var negation: Instruction.Operation
            switch op {
            case .equal: (holds, negation) = (.jumpIfEqual, .jumpIfNotEqual)
            case .notEqual: (holds, negation) = (.jumpIfNotEqual, .jumpIfEqual)
            case .less:
                (holds, negation) = (.jumpIfLess, .jumpIfLessOrEqual)
                if !jumpWhen { swap(&a, &b) }
            case .lessOrEqual:
                (holds, negation) = (.jumpIfLessOrEqual, .jumpIfLess)
                if !jumpWhen { swap(&a, &b) }
            case .greater:
                (holds, negation) = (.jumpIfLess, .jumpIfLessOrEqual)
                if jumpWhen { swap(&a, &b) }
            case .greaterOrEqual:
                (holds, negation) = (.jumpIfLessOrEqual, .jumpIfLess)
                if jumpWhen { swap(&a, &b) }
            }
            // For < and <=: "not (a < b)" is "b <= a"; the swap above already turned the
            // operands round, so the negated operation applies to (b, a).
            emitJump(jumpWhen ? holds : negation, a, b, to: label)
        }
    }

    // MARK: Expressions

    private func expression(_ e: ExpressionSyntax, _ scope: Scope) -> Value? {
        switch e {
        case .name(let name, let at):
            if let v = scope[name] { return v }
            if let (value, type) = Constant.value(of: name) {
                let r = newRegister()
                emit(.constant, r, value)
                return noted(register: r, type: type, isTemporary: true)
            }
            if name == "cpu" { return noted(register: -1, type: .cpu, isTemporary: false) }
            error(at, "unknown name '\(name)'")
            return nil
        case .integer(let value, let text, let at):
            guard value <= 1000 else {
                error(at, "number \(text) is too large (counters are small: at most 1000)")
                return nil
            }
            let r = newRegister()
            emit(.constant, r, Int32(value))
            return noted(register: r, type: .int, isTemporary: true)
        case .member(let base, let field, let at):
            guard let b = expression(base, scope) else { return nil }
            if b.type == .invalid { return b }
            let r: Int32
            let type: ValueType
            switch (b.type, field) {
            case (.task, "mm"):
                r = newRegister()
                emit(.loadMM, r, b.register)
                type = .mm
            case (.task, "active_mm"):
                r = newRegister()
                emit(.loadActiveMM, r, b.register)
                type = .mm
            case (.holder, "mm"):
                r = newRegister()
                emit(.loadHolderMM, r, b.register)
                type = .mm
            case (.mm, "count"):
                r = newRegister()
                emit(.loadCount, r, b.register)
                type = .int
            case (.mm, "users"):
                r = newRegister()
                emit(.loadUsers, r, b.register)
                type = .int
            case (.cpu, "prev_mm"):
                r = newRegister()
                emit(.loadPrevMM, r)
                type = .mm
            case (.cpu, "curr"):
                r = newRegister()
                emit(.loadCurr, r)
                type = .task
            default:
                error(at, fieldError(b.type, field))
                return nil
            }
            return noted(register: r, type: type, isTemporary: true)
        case .call(let name, let arguments, let at):
            if name == Primitive.newMM.rawValue {
                guard arguments.isEmpty else {
                    error(at, "new_mm() takes no arguments, got \(arguments.count)")
                    return nil
                }
                let r = newRegister()
                emit(.newMM, r)
                return noted(register: r, type: .mm, isTemporary: true)
            }
            if Primitive(rawValue: name) != nil || checker.routines[name] != nil {
                error(at, "'\(name)' does not return a value")
            } else {
                error(at, "unknown routine '\(name)'")
            }
            return nil
        }
    }

    /// `cpu` alone is not a value.
    private func requireValue(_ v: Value, _ at: SourceLocation) -> Bool {
        if v.type == .cpu {
            error(at, "'cpu' is not a value: use cpu.prev_mm or cpu.curr")
            return false
        }
        return true
    }

    private func fieldError(_ type: ValueType, _ field: String) -> String {
        switch type {
        case .task: return "a task has no field '\(field)' (fields: mm, active_mm)"
        case .mm: return "an mm has no field '\(field)' (fields: count, users)"
        case .cpu: return "cpu has no field '\(field)' (fields: prev_mm, curr)"
        case .holder: return "a holder has no field '\(field)' (fields: mm)"
        case .how, .int, .invalid: return "\(article(type)) has no fields"
        }
    }

    private func article(_ type: ValueType) -> String {
        switch type {
        case .task: return "a task"
        case .mm: return "an mm"
        case .how: return "a how"
        case .holder: return "a holder"
        case .int: return "a number"
        case .cpu: return "the cpu"
        case .invalid: return "a value of unknown type"
        }
    }

    // MARK: Code

    private func error(_ at: SourceLocation, _ message: String) {
        if reporting { checker.error(at, message) }
    }

    private func setSite(_ at: SourceLocation, routine: String) {
        let chain = frames.isEmpty ? routine : frames.map(\.routine).joined(separator: " > ")
        let s = Site(location: at, routine: routine, chain: chain)
        if let i = siteIndex[s] {
            site = i
        } else {
            site = Int32(sites.count)
            siteIndex[s] = site
            sites.append(s)
        }
    }

    private func newRegister() -> Int32 {
        let r = nextRegister
        nextRegister += 1
        registerHighWater = max(registerHighWater, nextRegister)
        return r
    }

    private func newLabel() -> Int {
        labelTargets.append(-1)
        return labelTargets.count - 1
    }

    private func place(_ label: Int) { labelTargets[label] = code.count }

    private func emit(_ op: Instruction.Operation, _ a: Int32 = 0, _ b: Int32 = 0, _ c: Int32 = 0) {
        code.append(Instruction(op, a, b, c, site: site))
    }

    private func emitJump(_ op: Instruction.Operation, _ a: Int32, _ b: Int32, to label: Int) {
        fixups.append((code.count, label))
        code.append(Instruction(op, a, b, 0, site: site))
    }
}
