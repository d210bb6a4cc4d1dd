/// Recursive-descent parser for model files. It reports every syntax error it can find:
/// after an error it skips to the start of the next statement (or declaration) and goes on.
struct Parser {
    private var tokens: [Token]
    private var p = 0
    private(set) var diagnostics: [Diagnostic] = []
    /// Routines whose header could not be parsed: the checker says nothing more about them.
    private(set) var brokenRoutines: Set<String> = []
    /// Set when a block ran into the next `routine` or the end of the file: the enclosing
    /// blocks end there too, without another error.
    private var abandonedBlock = false
    /// Declaration words seen, even where the declaration itself was malformed.
    private(set) var declarationsSeen: Set<String> = []

    /// Words that start a top-level declaration.
    static let declarationWords: Set<String> = [
        "model", "expect", "cpus", "tasks", "mms", "cap", "actions", "mode", "preemptible", "routine",
    ]

    private struct Failure: Error {}

    init(tokens: [Token]) { self.tokens = tokens }

    mutating func parseModel() -> ModelSyntax {
        var model = ModelSyntax()
        while !current.isEnd {
            do {
                model.declarations.append(try declaration())
            } catch {
                syncDeclaration()
            }
        }
        return model
    }

    // MARK: Declarations

    private mutating func declaration() throws -> DeclarationSyntax {
        let t = current
        guard t.kind == .identifier, Parser.declarationWords.contains(t.text) else {
            throw fail(t.location, "expected a declaration (model, expect, cpus, tasks, mms, cap, actions, mode, preemptible or routine), found \(t.quoted)")
        }
        advance()
        declarationsSeen.insert(t.text)
        switch t.text {
        case "model":
            let name = current
            guard name.kind == .string else { throw expected("a quoted model name after 'model'") }
            advance()
            return .model(name: name.text, at: t.location)
        case "expect":
            let word = current
            if word.isWord("pass") {
                advance()
                return .expect(.pass, at: t.location)
            }
            if word.isWord("violation") {
                advance()
                let property = current
                guard property.kind == .identifier, !Parser.declarationWords.contains(property.text) else {
                    throw expected("a property name after 'expect violation'")
                }
                advance()
                return .expect(.violation(property: property.text, at: property.location), at: t.location)
            }
            throw expected("'pass' or 'violation <property>' after 'expect'")
        case "cpus", "tasks", "mms", "cap":
            let value = current
            guard value.kind == .integer else { throw expected("a number after '\(t.text)'") }
            advance()
            return .setting(name: t.text, value: value.value, at: t.location, valueAt: value.location)
        case "actions":
            var names: [(name: String, at: SourceLocation)] = []
            repeat {
                let name = current
                guard name.kind == .identifier, !Parser.declarationWords.contains(name.text) else {
                    throw expected("an action name")
                }
                advance()
                names.append((name.text, name.location))
            } while accept(",")
            return .actions(names, at: t.location)
        case "mode", "preemptible":
            let value = current
            let words = t.text == "mode" ? "'coarse' or 'fine'" : "'yes' or 'no'"
            guard value.kind == .identifier, !Parser.declarationWords.contains(value.text) else {
                throw expected("\(words) after '\(t.text)'")
            }
            advance()
            return .word(name: t.text, value: value.text, at: t.location, valueAt: value.location)
        default:
            return .routine(try routine(at: t.location))
        }
    }

    private mutating func routine(at: SourceLocation) throws -> RoutineSyntax {
        let name = try identifier("a routine name after 'routine'")
        do {
            try expect("(", "after the routine name")
            var parameters: [ParameterSyntax] = []
            if !current.isSymbol(")") {
                repeat {
                    let param = try identifier("a parameter name")
                    try expect(":", "after parameter '\(param.text)' (parameters are written 'name: type')")
                    let type = try identifier("a parameter type (task, mm or how)")
                    parameters.append(ParameterSyntax(name: param.text, at: param.location, type: type.text, typeAt: type.location))
                } while accept(",")
            }
            try expect(")", "to close the parameter list")
            let irqsOff = current.isWord("irqs_off")
            if irqsOff { advance() }
            abandonedBlock = false
            let body = try block()
            return RoutineSyntax(name: name.text, at: name.location, parameters: parameters, irqsOff: irqsOff, body: body)
        } catch {
            brokenRoutines.insert(name.text)
            throw error
        }
    }

    // MARK: Statements

    private mutating func block() throws -> [StatementSyntax] {
        try expect("{", "to open a block")
        var statements: [StatementSyntax] = []
        while !current.isSymbol("}") {
            // A block that runs into the end of the file or the next routine ends there:
            // one error, and the statements read so far are kept and checked.
            if abandonedBlock { return statements }
            if current.isEnd {
                _ = fail(current.location, "expected '}' to close the block, found end of file")
                abandonedBlock = true
                return statements
            }
            if current.isWord("routine") {
                _ = fail(current.location, "expected '}' to close the block before 'routine'")
                abandonedBlock = true
                return statements
            }
            do {
                statements.append(try statement())
                _ = accept(";")
            } catch {
                syncStatement()
            }
        }
        advance()
        return statements
    }

    private mutating func statement() throws -> StatementSyntax {
        let t = current
        if t.isWord("let") {
            advance()
            let name = try identifier("a name after 'let'")
            try expect("=", "after 'let \(name.text)'")
            return .binding(name: name.text, value: try expression(), at: t.location, nameAt: name.location)
        }
        if t.isWord("else") {
            throw fail(t.location, "'else' without a matching 'if'")
        }
        if t.isWord("if") {
            return try conditional()
        }
        if t.isWord("return") {
            advance()
            return .return(at: t.location)
        }
        if let kind = RegionKind(rawValue: t.text), t.kind == .identifier, tokens[p + 1].isSymbol("{") {
            advance()
            return .region(kind, body: try block(), at: t.location)
        }
        guard t.kind == .identifier else { throw fail(t.location, "expected a statement, found \(t.quoted)") }
        let target = try expression()
        let op = current
        if op.isSymbol("=") {
            advance()
            return .assignment(target: target, value: try expression(), at: t.location)
        }
        if op.isSymbol("+=") || op.isSymbol("-=") {
            advance()
            let amount = current
            guard amount.kind == .integer else { throw expected("a number after '\(op.text)'") }
            advance()
            return .adjustment(target: target, delta: op.text == "+=" ? amount.value : -amount.value, at: t.location,
                               amountAt: amount.location)
        }
        if case .call(let name, let arguments, _) = target {
            return .call(name: name, arguments: arguments, at: t.location)
        }
        throw expected("'=', '+=', '-=' or a call after '\(t.text)...'")
    }

    private mutating func conditional() throws -> StatementSyntax {
        let at = current.location
        advance()
        let condition = try self.condition()
        let then = try block()
        var otherwise: [StatementSyntax]?
        if current.isWord("else") {
            advance()
            otherwise = current.isWord("if") ? [try conditional()] : try block()
        }
        return .conditional(condition, then: then, otherwise: otherwise, at: at)
    }

    // MARK: Conditions and expressions

    private mutating func condition() throws -> ConditionSyntax {
        var c = try conjunction()
        while current.isWord("or") || current.isSymbol("||") {
            advance()
            c = .or(c, try conjunction())
        }
        return c
    }

    private mutating func conjunction() throws -> ConditionSyntax {
        var c = try negation()
        while current.isWord("and") || current.isSymbol("&&") {
            advance()
            c = .and(c, try negation())
        }
        return c
    }

    private mutating func negation() throws -> ConditionSyntax {
        if current.isWord("not") || current.isSymbol("!") {
            advance()
            return .not(try negation())
        }
        if accept("(") {
            let c = try condition()
            try expect(")", "to close the condition")
            return c
        }
        let lhs = try expression()
        let op = current
        if op.isWord("is") {
            advance()
            let negated = current.isWord("not")
            if negated { advance() }
            guard current.isWord("none") else { throw expected("'none' after '\(negated ? "is not" : "is")'") }
            advance()
            return .isNone(lhs, negated: negated, at: op.location)
        }
        guard op.kind == .symbol, let comparison = ComparisonSyntax(rawValue: op.text) else {
            throw expected("a comparison (==, !=, <, <=, >, >=, is none, is not none)")
        }
        advance()
        return .comparison(lhs, comparison, try expression(), at: op.location)
    }

    private mutating func expression() throws -> ExpressionSyntax {
        let t = current
        var e: ExpressionSyntax
        switch t.kind {
        case .integer:
            advance()
            e = .integer(t.value, at: t.location)
        case .identifier:
            advance()
            if accept("(") {
                var arguments: [ExpressionSyntax] = []
                if !current.isSymbol(")") {
                    repeat { arguments.append(try expression()) } while accept(",")
                }
                try expect(")", "to close the arguments of '\(t.text)'")
                e = .call(name: t.text, arguments: arguments, at: t.location)
            } else {
                e = .name(t.text, at: t.location)
            }
        default:
            throw expected("an expression")
        }
        while accept(".") {
            let field = try identifier("a field name after '.'")
            e = .member(e, field: field.text, at: field.location)
        }
        return e
    }

    // MARK: Tokens and recovery

    private var current: Token { tokens[p] }

    private mutating func advance() {
        if p < tokens.count - 1 { p += 1 }
    }

    private mutating func accept(_ symbol: String) -> Bool {
        if current.isSymbol(symbol) {
            advance()
            return true
        }
        return false
    }

    private mutating func expect(_ symbol: String, _ purpose: String) throws {
        guard accept(symbol) else { throw expected("'\(symbol)' \(purpose)") }
    }

    private mutating func identifier(_ what: String) throws -> Token {
        let t = current
        guard t.kind == .identifier else { throw expected(what) }
        advance()
        return t
    }

    /// "expected X, found Y" at the offending token — or, when that token is already on a
    /// later line, at the end of the line where something was missing.
    private mutating func expected(_ what: String) -> Failure {
        let t = current
        if p > 0, t.location.line > tokens[p - 1].location.line {
            return fail(tokens[p - 1].end, "expected \(what), found end of \(t.isEnd ? "file" : "line")")
        }
        return fail(t.location, "expected \(what), found \(t.quoted)")
    }

    private mutating func fail(_ at: SourceLocation, _ message: String) -> Failure {
        diagnostics.append(Diagnostic(at, message))
        return Failure()
    }

    /// Skips the rest of a broken statement: to the next line, or past a block opened on
    /// the broken line, or up to the `}` that closes the enclosing block.
    private mutating func syncStatement() {
        let line = current.location.line
        var depth = 0
        while !current.isEnd {
            if depth == 0 && (current.isSymbol("}") || current.location.line > line) { return }
            if current.isSymbol("{") { depth += 1 }
            if current.isSymbol("}") {
                depth -= 1
                if depth == 0 {
                    advance()
                    continue
                }
            }
            advance()
        }
    }

    /// Skips to the next declaration word that starts a line outside any block.
    private mutating func syncDeclaration() {
        if current.kind == .identifier, Parser.declarationWords.contains(current.text),
           p == 0 || tokens[p - 1].location.line < current.location.line { return }
        let line = current.location.line
        var depth = 0
        if current.isSymbol("{") { depth = 1 }
        advance()
        while !current.isEnd {
            if current.isSymbol("{") { depth += 1 }
            if current.isSymbol("}") { depth = max(0, depth - 1) }
            if depth == 0, current.location.line > line, current.kind == .identifier,
               Parser.declarationWords.contains(current.text) { return }
            advance()
        }
    }
}

extension Token {
    var isEnd: Bool { kind == .end }
}
