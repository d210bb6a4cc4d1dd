/// A routine as declared: its syntax and its checked parameter types.
struct RoutineInfo {
    var syntax: RoutineSyntax
    var parameterTypes: [ValueType]
    /// A parameter's type is not a type (already reported).
    var hasUnknownType: Bool { parameterTypes.contains(.invalid) }
}

/// Resolves declarations, type-checks every routine, and emits the inlined action code.
final class Checker {
    let syntax: ModelSyntax
    let properties: [String]
    let brokenRoutines: Set<String>
    let declarationsSeen: Set<String>
    let truncated: Bool
    var diagnostics: [Diagnostic] = []
    /// Warnings: what compiles but probably does not mean what it says.
    var warnings: [Diagnostic] = []

    var name: String?
    var expectation: CompiledModel.Expectation?
    var settings: [String: CompiledModel.Setting] = [:]
    var actions: ActionSet = []
    var actionsAt: SourceLocation?
    /// Where each enabled action is named.
    var actionLocations: [(ActionSet, SourceLocation)] = []
    private var seenExpect = false
    var mode: CompiledModel.Mode = .coarse
    /// The command line's `--mode`, which wins over the file's.
    var modeOverride: CompiledModel.Mode?
    var preemptible = false
    /// CONFIG_PREEMPT_RT: `preempt_off` regions (spinlock_t) are preemptible; and where the
    /// file said so, for the message when `preemptible` is not on.
    var preemptRT = false
    var preemptRTAt: SourceLocation?
    var routines: [String: RoutineInfo] = [:]
    var routineOrder: [String] = []
    private var seenDeclarations: [String: SourceLocation] = [:]

    init(
        syntax: ModelSyntax, properties: [String], brokenRoutines: Set<String> = [],
        declarationsSeen: Set<String> = [], truncated: Bool = false
    ) {
        self.syntax = syntax
        self.properties = properties
        self.brokenRoutines = brokenRoutines
        self.declarationsSeen = declarationsSeen
        self.truncated = truncated
    }

    func error(_ at: SourceLocation, _ message: String) { diagnostics.append(Diagnostic(at, message)) }
    func warning(_ at: SourceLocation, _ message: String) {
        warnings.append(Diagnostic(at, message, severity: .warning))
    }

    func check() {
        for declaration in syntax.declarations { declare(declaration) }
        if !seenExpect && !declarationsSeen.contains("expect") && !truncated {
            error(
                SourceLocation(line: 1, column: 1),
                "model states no expectation: add 'expect pass' or 'expect violation <property>'")
        }
        if actionsAt == nil && !declarationsSeen.contains("actions") && !truncated {
            error(
                SourceLocation(line: 1, column: 1),
                "model switches on no actions: add for example 'actions schedule, exit, clone_thread, clone_fork, clone_kthread'"
            )
        }
        // Actions that only make sense together with another one.
        for (flag, at) in actionLocations {
            if let needs = ActionSet.switches.first(where: { $0.flag == flag })?.needs,
                actions.isDisjoint(with: needs.flags)
            {
                error(at, needs.message)
            }
        }
        if let h = settings["holders"], !(1...CompiledModel.maxHolders).contains(h.value) {
            error(h.location, "holders must be 1 to \(CompiledModel.maxHolders), got \(h.text)")
        }
        if settings["holders"] == nil && !truncated,
            let (flag, at) = actionLocations.first(where: { !$0.0.isDisjoint(with: .holderActions) })
        {
            let name = ActionSet.names.first { $0.1 == flag }?.0 ?? "the action"
            error(at, "action '\(name)' needs holder slots: add 'holders N' (1 to \(CompiledModel.maxHolders))")
        }
        if preemptRT && !preemptible, let at = preemptRTAt {
            error(at, "preempt_rt yes needs 'preemptible yes': a PREEMPT_RT kernel is fully preemptible")
        }
        if let modeOverride { mode = modeOverride }
        for entry in EntryRoutine.allCases {
            if let info = routines[entry.name] {
                let checked = entry.isCheckedWhenDefined || entry.isRequired(by: actions)
                if checked && info.parameterTypes != entry.parameterTypes && !info.hasUnknownType {
                    error(info.syntax.at, "routine \(entry.name) must be declared as \(entry.signature)")
                }
            } else if !brokenRoutines.contains(entry.name), !truncated,
                let (action, at) = actionLocations.first(where: { entry.isRequired(by: $0.0) })
            {
                let name = ActionSet.names.first { $0.1 == action }?.0 ?? "the action"
                error(at, "action '\(name)' needs routine \(entry.signature), which the model does not define")
            }
        }
        // Type-check every routine once on its own, and collect the call graph.
        var graph = CallGraph(routines: routineOrder, calls: [:], sizeEvents: [:], ownSize: [:])
        for name in routineOrder {
            guard let info = routines[name] else { continue }
            let emitter = Emitter(checker: self, reporting: true)
            emitter.checkRoutine(info)
            graph.calls[name] = emitter.calls
            graph.sizeEvents[name] = emitter.sizeEvents
            graph.ownSize[name] = emitter.ownSize
        }
        checkCalls(graph)
        // Warnings are for files that compile (see ModelCompiler.compile).
        guard diagnostics.isEmpty else { return }
        warnUnused(graph)
        for name in routineOrder {
            if let info = routines[name] { _ = warnUnreachable(info.syntax.body) }
        }
    }

    /// Recursion, then (in a graph without it) call chains and inlined sizes past their
    /// limits: all before anything is inlined.
    private func checkCalls(_ graph: CallGraph) {
        let (order, cycles) = graph.postOrder()
        for (cycle, at) in cycles {
            error(
                at,
                "recursive call \(CallGraph.chain(cycle, separator: " -> ")): routines are inlined, so recursion is not allowed"
            )
        }
        guard cycles.isEmpty else { return }
        let maxDepth = LanguageLimits.maxCallDepth
        let deepChains = graph.tooDeepCalls(order: order, maxCallDepth: maxDepth)
        for (chain, at) in deepChains {
            error(
                at,
                "call chain deeper than \(maxDepth): \(CallGraph.chain(chain, separator: " > ")) (routines are inlined)"
            )
        }
        if deepChains.isEmpty {
            let maxNesting = LanguageLimits.maxInlinedNesting
            for (chain, at) in graph.tooDeeplyNested(order: order, limit: maxNesting) {
                error(
                    at,
                    "blocks and calls nested deeper than \(maxNesting) once calls are inlined (\(CallGraph.chain(chain, separator: " > ")))"
                )
            }
        }
        let limit = LanguageLimits.maxInlinedInstructions
        let sizes = graph.inlinedSizes(order: order, limit: limit)
        for (routine, at, isCall) in graph.tooLarge(size: sizes, limit: limit) {
            let size = "larger than \(Digits.grouped(limit)) instructions"
            error(
                at,
                isCall
                    ? "inlining this call makes routine '\(routine)' \(size) (each call inlines a copy of the routine it calls)"
                    : "routine '\(routine)' is \(size) here")
        }
    }

    /// A routine that nothing calls and no action runs (whether or not its action is
    /// switched on) never runs: most likely a misspelt entry routine, which is then
    /// silently missing (finish_task_switch is optional).
    private func warnUnused(_ graph: CallGraph) {
        var called = Set<String>()
        for r in routineOrder { for call in graph.calls[r] ?? [] { called.insert(call.callee) } }
        let entries = EntryRoutine.allCases.map(\.name)
        let missing = entries.filter { routines[$0] == nil }
        for name in routineOrder where !called.contains(name) && !entries.contains(name) {
            guard let info = routines[name] else { continue }
            var message = "routine '\(name)' is never called, and no action runs it"
            let allowed = max(1, min(2, name.count / 4))
            let near = missing.filter { abs($0.count - name.count) <= allowed }
                .map { ($0, editDistance($0, name)) }.filter { $0.1 <= allowed }
            if let best = near.min(by: { $0.1 < $1.1 }) {
                message += ": did you mean '\(best.0)'?"
            }
            warning(info.syntax.at, message)
        }
    }

    /// Warns at the first statement of `block` (and of each block inside it) that can never
    /// run; returns whether every way through `block` ends in a `return`. Recursion is as
    /// deep as the blocks nest (at most `LanguageLimits.maxBlockDepth`).
    private func warnUnreachable(_ block: [StatementSyntax]) -> Bool {
        var reason: String?
        for statement in block {
            if let reason {
                warning(statement.location, "statement is never run: \(reason)")
                return true
            }
            switch statement {
            case .return:
                reason = "it follows a 'return'"
            case .conditional(_, let then, let otherwise, _):
                let thenReturns = warnUnreachable(then)
                let otherwiseReturns = otherwise.map { warnUnreachable($0) } ?? false
                if thenReturns && otherwiseReturns { reason = "every branch of the 'if' before it returns" }
            case .region(let kind, let body, _):
                if warnUnreachable(body) { reason = "the \(kind.rawValue) block before it returns" }
            case .taskLock(_, let body, _):
                if warnUnreachable(body) { reason = "the task_lock block before it returns" }
            default:
                break
            }
        }
        return reason != nil
    }

    private func declare(_ declaration: DeclarationSyntax) {
        switch declaration {
        case .model(let name, let at):
            guard once("model", at) else { return }
            self.name = name
        case .expect(let expectation, let at):
            guard once("expect", at) else { return }
            seenExpect = true
            switch expectation {
            case .pass:
                self.expectation = .pass
            case .violation(let property, let propertyAt):
                if properties.contains(property) {
                    self.expectation = .violation(property)
                } else {
                    error(
                        propertyAt, "unknown property '\(property)' (properties: \(properties.joined(separator: ", ")))"
                    )
                    self.expectation = .pass
                }
            }
        case .setting(let name, let value, let text, let at, let valueAt):
            guard once(name, at) else { return }
            // The bounds' ranges are the kernel semantics' to check (with the command line's
            // values); a number too large for any of them is refused here, quoted as written.
            guard value < Int.max else {
                return error(valueAt, "\(name) must be a small number, got \(text)")
            }
            settings[name] = CompiledModel.Setting(value: value, location: valueAt, text: text)
        case .word(let name, let value, let at, let valueAt):
            guard once(name, at) else { return }
            if name == "mode" {
                guard let m = CompiledModel.Mode(rawValue: value) else {
                    return error(valueAt, "unknown mode '\(value)' (modes: coarse, fine)")
                }
                mode = m
            } else {
                guard value == "yes" || value == "no" else {
                    return error(valueAt, "\(name) takes 'yes' or 'no', got '\(value)'")
                }
                if name == "preempt_rt" {
                    preemptRT = value == "yes"
                    preemptRTAt = valueAt
                } else {
                    preemptible = value == "yes"
                }
            }
        case .actions(let names, let at):
            guard once("actions", at) else { return }
            actionsAt = at
            for (name, nameAt) in names {
                if let action = ActionSet.names.first(where: { $0.0 == name })?.1 {
                    if actions.contains(action) {
                        error(nameAt, "action '\(name)' is listed twice")
                    }
                    actions.insert(action)
                    actionLocations.append((action, nameAt))
                } else {
                    error(
                        nameAt,
                        "unknown action '\(name)' (actions: \(ActionSet.names.map(\.0).joined(separator: ", ")))")
                }
            }
        case .routine(let routine):
            if routineOrder.count == LanguageLimits.maxRoutines {
                error(routine.at, "more than \(LanguageLimits.maxRoutines) routines")
            }
            if Primitive(rawValue: routine.name) != nil {
                error(routine.at, "'\(routine.name)' is a primitive and cannot be redefined")
                return
            }
            if Constant.reserved.contains(routine.name) {
                error(routine.at, "'\(routine.name)' is a reserved word")
                return
            }
            if let previous = routines[routine.name] {
                error(routine.at, "routine '\(routine.name)' is already defined at line \(previous.syntax.at.line)")
                return
            }
            var types: [ValueType] = []
            var names: Set<String> = []
            for parameter in routine.parameters {
                if !names.insert(parameter.name).inserted {
                    error(parameter.at, "parameter '\(parameter.name)' is declared twice")
                }
                if Constant.reserved.contains(parameter.name) {
                    error(parameter.at, "'\(parameter.name)' is a reserved word")
                }
                switch parameter.type {
                case "task": types.append(.task)
                case "mm": types.append(.mm)
                case "how": types.append(.how)
                case "holder": types.append(.holder)
                default:
                    error(parameter.typeAt, "unknown type '\(parameter.type)' (types: task, mm, how, holder)")
                    types.append(.invalid)
                }
            }
            routines[routine.name] = RoutineInfo(syntax: routine, parameterTypes: types)
            routineOrder.append(routine.name)
        }
    }

    private func once(_ word: String, _ at: SourceLocation) -> Bool {
        if let previous = seenDeclarations[word] {
            error(at, "'\(word)' is already set at line \(previous.line)")
            return false
        }
        seenDeclarations[word] = at
        return true
    }

    /// Emits the code of each enabled action (only called on an error-free model). Fails
    /// only in fine mode, when a paused step would keep more values than a state can hold.
    func emitModel(path: String, text: String) -> Result<CompiledModel, Diagnostic> {
        let emitter = Emitter(checker: self, reporting: false)
        emitter.fine = mode == .fine
        emitter.preemptRT = preemptRT
        var entries = [Int?](repeating: nil, count: Action.allCases.count)
        for action in Action.allCases where action.isOn(in: actions) && !action.spec.calls.isEmpty {
            entries[Int(action.rawValue)] = emitter.emitAction(action)
        }
        let limit = LanguageLimits.maxSavedValues
        let values = "values (parameters and locals used later) in the state"
        let never = "a state can never hold more than \(limit) (it has at most 16 words)"
        if let (pc, count) = emitter.tooManySaved {
            let at = emitter.sites[Int(emitter.code[pc].site)].location
            return .failure(Diagnostic(at, "a step paused here would keep more than \(count) \(values); \(never)"))
        }
        let yields = emitter.yields
        // The largest frame of each kind, and where it is kept: a paused schedule on a CPU
        // and a paused task action are both in a state, side by side.
        func largestFrame(_ task: Bool) -> (size: Int, pc: Int)? {
            yields.filter { ($0.action != .schedule) == task }.max { $0.saved.count < $1.saved.count }
                .map { ($0.saved.count, $0.pc) }
        }
        let schedule = largestFrame(false), task = largestFrame(true)
        if (schedule?.size ?? 0) + (task?.size ?? 0) > limit,
            let larger = [schedule, task].compactMap({ $0 }).max(by: { $0.size < $1.size })
        {
            let other = larger.pc == schedule?.pc ? task?.size ?? 0 : schedule?.size ?? 0
            let at = emitter.sites[Int(emitter.code[larger.pc].site)].location
            return .failure(
                Diagnostic(
                    at,
                    "a step paused here would keep \(larger.size) \(values), and a paused step of another action \(other) more; \(never)"
                ))
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return .success(
            CompiledModel(
                path: path, name: name ?? defaultName(path), sourceLines: lines,
                expectation: expectation ?? .pass,
                cpus: settings["cpus"], tasks: settings["tasks"], mms: settings["mms"], cap: settings["cap"],
                actions: actions, mode: mode, preemptible: preemptible, preemptRT: preemptRT, yields: yields,
                scheduleFrameSize: schedule?.size ?? 0, taskFrameSize: task?.size ?? 0,
                mmRegisters: Action.allCases.map { emitter.mmRegistersByAction[$0] ?? [] },
                taskRegisters: Action.allCases.map { emitter.taskRegistersByAction[$0] ?? [] },
                holderRegisters: Action.allCases.map { emitter.holderRegistersByAction[$0] ?? [] },
                holders: settings["holders"], usesTaskLock: emitter.usesTaskLock,
                code: emitter.code, entries: entries,
                cleanupSite: entries[Int(Action.cloneFail.rawValue)] == nil
                    ? nil : entrySite(.badForkCleanupMM, in: emitter),
                registerCount: Int(emitter.registerHighWater), sites: emitter.sites))
    }

    /// The site of an entry routine's declaration, as the emitter registered it when the
    /// routine was inlined into an action.
    private func entrySite(_ entry: EntryRoutine, in emitter: Emitter) -> Int32? {
        guard let at = routines[entry.name]?.syntax.at else { return nil }
        return emitter.sites.firstIndex { $0.location == at && $0.chain == entry.name }.map(Int32.init)
    }

    private func defaultName(_ path: String) -> String {
        var base = path.split(separator: "/").last.map(String.init) ?? path
        if base.hasSuffix(".mmc") { base.removeLast(4) }
        return base
    }
}
