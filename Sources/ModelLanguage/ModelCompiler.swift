/// Checks a model file and compiles it into `CompiledModel` code.
///
/// Every error is reported (in source order) as a `Diagnostic`: syntax errors from the
/// parser, then names, types, arities, settings, expectations and required routines from
/// the checker. Code is produced only for an error-free file.
public enum ModelCompiler {
    /// Compiles `text` (the contents of `path`). `properties` are the property names that
    /// `expect violation <property>` may name; `mode`, when given, overrides the file's.
    public static func compile(path: String, text: String, properties: [String],
                               mode: CompiledModel.Mode? = nil) -> Result<CompiledModel, ModelErrors> {
        var lexer = Lexer(text)
        let tokens = lexer.tokenize()
        var parser = Parser(tokens: tokens)
        let syntax = parser.parseModel()
        // What a malformed part of the file may have hidden is not reported missing: a
        // routine whose header broke, a declaration that did not parse, or anything after
        // an unterminated comment.
        let truncated = lexer.diagnostics.contains { $0.message == "unterminated comment" }
        let checker = Checker(syntax: syntax, properties: properties, brokenRoutines: parser.brokenRoutines,
                              declarationsSeen: parser.declarationsSeen, truncated: truncated)
        checker.modeOverride = mode
        checker.check()
        let diagnostics = lexer.diagnostics + parser.diagnostics + checker.diagnostics
        if !diagnostics.isEmpty {
            let sorted = diagnostics.enumerated().sorted {
                ($0.element.location, $0.offset) < ($1.element.location, $1.offset)
            }.map(\.element)
            return .failure(ModelErrors(path: path, diagnostics: sorted))
        }
        return .success(checker.emitModel(path: path, text: text))
    }
}

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
    var routines: [String: RoutineInfo] = [:]
    var routineOrder: [String] = []
    private var seenDeclarations: [String: SourceLocation] = [:]

    init(syntax: ModelSyntax, properties: [String], brokenRoutines: Set<String> = [],
         declarationsSeen: Set<String> = [], truncated: Bool = false) {
        self.syntax = syntax
        self.properties = properties
        self.brokenRoutines = brokenRoutines
        self.declarationsSeen = declarationsSeen
        self.truncated = truncated
    }

    func error(_ at: SourceLocation, _ message: String) { diagnostics.append(Diagnostic(at, message)) }

    func check() {
        for declaration in syntax.declarations { declare(declaration) }
        if !seenExpect && !declarationsSeen.contains("expect") && !truncated {
            error(SourceLocation(line: 1, column: 1), "model states no expectation: add 'expect pass' or 'expect violation <property>'")
        }
        if actionsAt == nil && !declarationsSeen.contains("actions") && !truncated {
            error(SourceLocation(line: 1, column: 1), "model switches on no actions: add for example 'actions schedule, exit, clone_thread, clone_fork, clone_kthread'")
        }
        // Actions that only make sense together with another one.
        for (action, at) in actionLocations {
            if action == .unuseMM && !actions.contains(.useMM) {
                error(at, "action 'unuse_mm' needs action 'use_mm': without it no kernel thread ever uses an mm")
            }
            if action == .cloneFail && actions.isDisjoint(with: .anyClone) {
                error(at, "action 'clone_fail' needs a clone action to fail (clone_thread, clone_fork or clone_kthread)")
            }
        }
        if let modeOverride { mode = modeOverride }
        for entry in EntryRoutine.allCases {
            if let info = routines[entry.name] {
                let checked = entry.isCheckedWhenDefined || entry.isRequired(by: actions)
                if checked && info.parameterTypes != entry.parameterTypes && !info.hasUnknownType {
                    error(info.syntax.at, "routine \(entry.name) must be declared as \(entry.signature)")
                }
            } else if !brokenRoutines.contains(entry.name), !truncated,
                      let (action, at) = actionLocations.first(where: { entry.isRequired(by: $0.0) }) {
                let name = ActionSet.names.first { $0.1 == action }?.0 ?? "the action"
                error(at, "action '\(name)' needs routine \(entry.signature), which the model does not define")
            }
        }
        // Type-check every routine once on its own, and collect the call graph.
        var edges: [String: [(callee: String, at: SourceLocation)]] = [:]
        for name in routineOrder {
            guard let info = routines[name] else { continue }
            let emitter = Emitter(checker: self, reporting: true)
            emitter.checkRoutine(info)
            edges[name] = emitter.calls
        }
        reportRecursion(edges)
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
                    error(propertyAt, "unknown property '\(property)' (properties: \(properties.joined(separator: ", ")))")
                    self.expectation = .pass
                }
            }
        case .setting(let name, let value, let at, let valueAt):
            guard once(name, at) else { return }
            settings[name] = CompiledModel.Setting(value: value, location: valueAt)
        case .word(let name, let value, let at, let valueAt):
            guard once(name, at) else { return }
            if name == "mode" {
                guard let m = CompiledModel.Mode(rawValue: value) else {
                    return error(valueAt, "unknown mode '\(value)' (modes: coarse, fine)")
                }
                mode = m
            } else {
                guard value == "yes" || value == "no" else {
                    return error(valueAt, "preemptible takes 'yes' or 'no', got '\(value)'")
                }
                preemptible = value == "yes"
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
                    error(nameAt, "unknown action '\(name)' (actions: \(ActionSet.names.map(\.0).joined(separator: ", ")))")
                }
            }
        case .routine(let routine):
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
                default:
                    error(parameter.typeAt, "unknown type '\(parameter.type)' (types: task, mm, how)")
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

    private func reportRecursion(_ edges: [String: [(callee: String, at: SourceLocation)]]) {
        // Depth-first search for a cycle; report each back edge once, at its call site.
        var state: [String: Int] = [:]  // 1 = on the stack, 2 = done
        var stack: [String] = []
        func visit(_ r: String) {
            state[r] = 1
            stack.append(r)
            for (callee, at) in edges[r] ?? [] {
                switch state[callee] {
                case 1:
                    let cycle = stack[(stack.firstIndex(of: callee) ?? 0)...] + [callee]
                    error(at, "recursive call \(cycle.joined(separator: " -> ")): routines are inlined, so recursion is not allowed")
                case nil where routines[callee] != nil:
                    visit(callee)
                default:
                    break
                }
            }
            stack.removeLast()
            state[r] = 2
        }
        for r in routineOrder where state[r] == nil { visit(r) }
    }

    /// Emits the code of each enabled action (only called on an error-free model).
    func emitModel(path: String, text: String) -> CompiledModel {
        let emitter = Emitter(checker: self, reporting: false)
        emitter.fine = mode == .fine
        var scheduleEntry: Int?, exitEntry: Int?, cloneEntry: Int?, execEntry: Int?
        var useMMEntry: Int?, unuseMMEntry: Int?, cloneFailEntry: Int?
        if actions.contains(.schedule) {
            scheduleEntry = emitter.emitAction(.schedule, [(.contextSwitch, [0, 1]), (.finishTaskSwitch, [0])])
        }
        if actions.contains(.exit) {
            exitEntry = emitter.emitAction(.exit, [(.exitMM, [0])])
        }
        if !actions.isDisjoint(with: .anyClone) {
            cloneEntry = emitter.emitAction(.clone, [(.copyMM, [0, 1, 2])])
        }
        if actions.contains(.exec) {
            execEntry = emitter.emitAction(.exec, [(.execMmap, [0, 1])])
        }
        if actions.contains(.useMM) {
            useMMEntry = emitter.emitAction(.useMM, [(.mmget, [1]), (.kthreadUseMM, [0, 1])])
        }
        if actions.contains(.unuseMM) {
            unuseMMEntry = emitter.emitAction(.unuseMM, [(.kthreadUnuseMM, [0, 1]), (.mmput, [1])])
        }
        if actions.contains(.cloneFail) {
            cloneFailEntry = emitter.emitAction(.cloneFail, [(.copyMM, [0, 1, 2]), (.badForkCleanupMM, [1])])
        }
        let yields = emitter.yields
        func frameSize(_ task: Bool) -> Int {
            yields.filter { ($0.action != .schedule) == task }.map(\.saved.count).max() ?? 0
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return CompiledModel(
            path: path, name: name ?? defaultName(path), sourceLines: lines,
            expectation: expectation ?? .pass,
            cpus: settings["cpus"], tasks: settings["tasks"], mms: settings["mms"], cap: settings["cap"],
            actions: actions, mode: mode, preemptible: preemptible, yields: yields,
            scheduleFrameSize: frameSize(false), taskFrameSize: frameSize(true),
            mmRegisters: CompiledModel.ActionKind.allCases.map { emitter.mmRegistersByAction[$0] ?? [] },
            taskRegisters: CompiledModel.ActionKind.allCases.map { emitter.taskRegistersByAction[$0] ?? [] },
            code: emitter.code,
            scheduleEntry: scheduleEntry, exitEntry: exitEntry, cloneEntry: cloneEntry, execEntry: execEntry,
            useMMEntry: useMMEntry, unuseMMEntry: unuseMMEntry, cloneFailEntry: cloneFailEntry,
            cleanupSite: cloneFailEntry == nil ? nil : entrySite(.badForkCleanupMM, in: emitter),
            registerCount: Int(emitter.registerHighWater), sites: emitter.sites)
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
