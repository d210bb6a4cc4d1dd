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
    /// Blocks open around the current token (see `LanguageLimits.maxBlockDepth`).
    private var blockDepth = 0
    /// Parentheses, `not`s and call argument lists open around the current token: how deep
    /// the parser's own recursion into an expression is (see `LanguageLimits.maxExpressionDepth`).
    private var expressionDepth = 0
    /// The last error said something was missing at the end of the previous line.
    private var failedAtEndOfLine = false

    /// Words that start a top-level declaration.
    static let declarationWords: Set<String> = [
        "model", "expect", "cpus", "tasks", "mms", "cap", "holders", "actions", "mode", "preemptible",
        "preempt_rt", "routine",
    ]

    /// A statement or declaration could not be parsed (already reported). `recovered`: the
    /// parser has already skipped it, so the caller goes on from the current token.
    private struct Failure: Error {
        var recovered = false
    }

    /// Words that cannot be a value: where an expression is expected, one of them means the
    /// expression is missing (as in `let m =` at the end of a line, and `if` on the next).
    static let keywords: Set<String> = [
        "let", "if", "else", "return", "is", "not", "and", "or", "routine", "irqs_off", "preempt_off", "atomic",
        "task_lock",
    ]

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
            throw fail(
                t.location,
                "expected a declaration (model, expect, cpus, tasks, mms, cap, holders, actions, mode, preemptible, preempt_rt or routine), found \(t.quoted)"
            )
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
        case "cpus", "tasks", "mms", "cap", "holders":
            let value = current
            guard value.kind == .integer else { throw expected("a number after '\(t.text)'") }
            advance()
            return .setting(name: t.text, value: value.value, text: value.text, at: t.location, valueAt: value.location)
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
        case "mode", "preemptible", "preempt_rt":
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
                    parameters.append(
                        ParameterSyntax(name: param.text, at: param.location, type: type.text, typeAt: type.location))
                } while accept(",")
            }
            try expect(")", "to close the parameter list")
            // `irqs_off` or `preempt_off` before the body: the whole routine is that region.
            var region: RegionKind?
            if current.isWord(RegionKind.irqsOff.rawValue) || current.isWord(RegionKind.preemptOff.rawValue) {
                region = RegionKind(rawValue: current.text)
                advance()
            }
            abandonedBlock = false
            let body = try block()
            return RoutineSyntax(
                name: name.text, at: name.location, parameters: parameters, region: region, body: body)
        } catch {
            brokenRoutines.insert(name.text)
            throw error
        }
    }

    // MARK: Statements

    private mutating func block() throws -> [StatementSyntax] {
        try expect("{", "to open a block")
        blockDepth += 1
        defer { blockDepth -= 1 }
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
            let start = p
            do {
                statements.append(try statement())
                _ = accept(";")
            } catch let failure as Failure where failure.recovered {
                continue
            } catch {
                syncStatement(from: start)
            }
        }
        advance()
        return statements
    }

    // The functions a nested block recurses through (statement, conditional, block) keep
    // their own frames small (the rest is in functions that return before recursing), so
    // that `LanguageLimits.maxBlockDepth` levels fit a small thread stack in a debug build.

    private mutating func statement() throws -> StatementSyntax {
        if current.isWord("if") {
            try enterBlock(at: current.location)
            return try conditional()
        }
        if let kind = regionKind() {
            let at = current.location
            try enterBlock(at: at)
            advance()
            return .region(kind, body: try block(), at: at)
        }
        if current.isWord("task_lock") {
            let at = current.location
            try enterBlock(at: at)
            return try taskLock(at: at)
        }
        return try simpleStatement()
    }

    /// `task_lock(t) { ... }`.
    @inline(never)
    private mutating func taskLock(at: SourceLocation) throws -> StatementSyntax {
        advance()
        try expect("(", "after 'task_lock' (it is written 'task_lock(t) { ... }')")
        let task = try expression(after: "'task_lock('")
        try expect(")", "to close task_lock's argument")
        return .taskLock(task: task, body: try block(), at: at)
    }

    /// The region a statement opens (`atomic {`, `irqs_off {`, `preempt_off {`), if it is one.
    @inline(never)
    private func regionKind() -> RegionKind? {
        let t = current
        guard t.kind == .identifier, let kind = RegionKind(rawValue: t.text), tokens[p + 1].isSymbol("{") else {
            return nil
        }
        return kind
    }

    /// A statement that opens no block.
    @inline(never)
    private mutating func simpleStatement() throws -> StatementSyntax {
        let t = current
        if t.isWord("let") {
            advance()
            let name = try identifier("a name after 'let'")
            try expect("=", "after 'let \(name.text)'")
            return .binding(name: name.text, value: try expression(after: "'='"), at: t.location, nameAt: name.location)
        }
        if t.isWord("else") {
            throw fail(t.location, "'else' without a matching 'if'")
        }
        if t.isWord("return") {
            advance()
            return .return(at: t.location)
        }
        guard t.kind == .identifier, !Parser.keywords.contains(t.text) else {
            throw fail(t.location, "expected a statement, found \(t.quoted)")
        }
        let target = try expression()
        let op = current
        if op.isSymbol("=") {
            advance()
            return .assignment(target: target, value: try expression(after: "'='"), at: t.location)
        }
        if op.isSymbol("+=") || op.isSymbol("-=") {
            advance()
            let amount = current
            guard amount.kind == .integer else { throw expected("a number after '\(op.text)'") }
            advance()
            return .adjustment(
                target: target, delta: op.text == "+=" ? amount.value : -amount.value, amount: amount.text,
                at: t.location, amountAt: amount.location)
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
            if current.isWord("if") {
                // `else if` is an `if` inside the `else`: one more level of nesting.
                try enterBlock(at: current.location)
                blockDepth += 1
                defer { blockDepth -= 1 }
                otherwise = [try conditional()]
            } else {
                otherwise = try block()
            }
        }
        return .conditional(condition, then: then, otherwise: otherwise, at: at)
    }

    /// Before a statement that opens a block: when that block would be nested deeper than
    /// `LanguageLimits.maxBlockDepth`, reports it once at `at` and skips the statement.
    private mutating func enterBlock(at: SourceLocation) throws {
        guard blockDepth >= LanguageLimits.maxBlockDepth else { return }
        _ = fail(at, "blocks nested deeper than \(LanguageLimits.maxBlockDepth)")
        skipBlockStatement()
        throw Failure(recovered: true)
    }

    /// Skips the statement at the current token and the blocks it opens (with any `else`
    /// blocks), without looking inside: up to its last `}`, or up to the `}` that closes
    /// the enclosing block when it opens none.
    private mutating func skipBlockStatement() {
        var depth = 0
        while !current.isEnd {
            if current.isSymbol("{") {
                depth += 1
            } else if current.isSymbol("}") {
                if depth == 0 { return }
                depth -= 1
                if depth == 0 {
                    advance()
                    guard current.isWord("else") else { return }
                }
            }
            advance()
        }
    }

    // MARK: Conditions and expressions

    // Each returns the node and its height (how deeply the node nests); the checker and the
    // emitter recurse over that height, so it is kept within `LanguageLimits.maxExpressionDepth`.

    private mutating func condition() throws -> ConditionSyntax { try conditionWithHeight().0 }

    private mutating func conditionWithHeight() throws -> (ConditionSyntax, Int) {
        var (c, height) = try conjunction()
        while current.isWord("or") || current.isSymbol("||") {
            let op = current
            advance()
            let (rhs, h) = try conjunction()
            height = try checkHeight(max(height, h) + 1, at: op.location)
            c = .or(c, rhs)
        }
        return (c, height)
    }

    private mutating func conjunction() throws -> (ConditionSyntax, Int) {
        var (c, height) = try negation()
        while current.isWord("and") || current.isSymbol("&&") {
            let op = current
            advance()
            let (rhs, h) = try negation()
            height = try checkHeight(max(height, h) + 1, at: op.location)
            c = .and(c, rhs)
        }
        return (c, height)
    }

    private mutating func negation() throws -> (ConditionSyntax, Int) {
        if current.isWord("not") || current.isSymbol("!") {
            let op = current
            try enterExpression(at: op.location)
            defer { expressionDepth -= 1 }
            advance()
            let (inner, h) = try negation()
            return (.not(inner), try checkHeight(h + 1, at: op.location))
        }
        if current.isSymbol("(") {
            try enterExpression(at: current.location)
            defer { expressionDepth -= 1 }
            advance()
            let c = try conditionWithHeight()
            try expect(")", "to close the condition")
            return c
        }
        return try comparison()
    }

    /// `e is none`, `e is not none`, `a == b` and the other comparisons.
    @inline(never)
    private mutating func comparison() throws -> (ConditionSyntax, Int) {
        let (lhs, lh) = try expressionWithHeight()
        let op = current
        if op.isWord("is") {
            advance()
            let negated = current.isWord("not")
            if negated { advance() }
            guard current.isWord("none") else { throw expected("'none' after '\(negated ? "is not" : "is")'") }
            advance()
            return (.isNone(lhs, negated: negated, at: op.location), try checkHeight(lh + 1, at: op.location))
        }
        guard op.kind == .symbol, let comparison = ComparisonSyntax(rawValue: op.text) else {
            throw expected("a comparison (==, !=, <, <=, >, >=, is none, is not none)")
        }
        advance()
        let (rhs, rh) = try expressionWithHeight(after: "'\(op.text)'")
        return (.comparison(lhs, comparison, rhs, at: op.location), try checkHeight(max(lh, rh) + 1, at: op.location))
    }

    private mutating func expression(after context: String? = nil) throws -> ExpressionSyntax {
        try expressionWithHeight(after: context).0
    }

    /// An expression; `context` (for example `'='`) says what it follows, for the error
    /// when it is missing.
    private mutating func expressionWithHeight(after context: String? = nil) throws -> (ExpressionSyntax, Int) {
        let t = current
        var e: ExpressionSyntax
        var height = 1
        switch t.kind {
        case .integer:
            advance()
            e = .integer(t.value, text: t.text, at: t.location)
        case .identifier where !Parser.keywords.contains(t.text):
            advance()
            if current.isSymbol("(") {
                try enterExpression(at: current.location)
                defer { expressionDepth -= 1 }
                advance()
                var arguments: [ExpressionSyntax] = []
                if !current.isSymbol(")") {
                    repeat {
                        let (argument, h) = try expressionWithHeight()
                        height = try checkHeight(max(height, h + 1), at: argument.location)
                        arguments.append(argument)
                    } while accept(",")
                }
                try expect(")", "to close the arguments of '\(t.text)'")
                e = .call(name: t.text, arguments: arguments, at: t.location)
            } else {
                e = .name(t.text, at: t.location)
            }
        default:
            throw expected("an expression" + (context.map { " after \($0)" } ?? ""))
        }
        while current.isSymbol(".") {
            advance()
            let field = try identifier("a field name after '.'")
            height = try checkHeight(height + 1, at: field.location)
            e = .member(e, field: field.text, at: field.location)
        }
        return (e, height)
    }

    /// Before the parser recurses into a nested expression (a parenthesis, a `not`, call
    /// arguments): refuses to go deeper than `LanguageLimits.maxExpressionDepth`.
    private mutating func enterExpression(at: SourceLocation) throws {
        guard expressionDepth < LanguageLimits.maxExpressionDepth else { throw tooDeep(at) }
        expressionDepth += 1
    }

    /// A node's height, refused (at `at`) when it exceeds `LanguageLimits.maxExpressionDepth`.
    private mutating func checkHeight(_ height: Int, at: SourceLocation) throws -> Int {
        guard height <= LanguageLimits.maxExpressionDepth else { throw tooDeep(at) }
        return height
    }

    private mutating func tooDeep(_ at: SourceLocation) -> Failure {
        fail(at, "expression nested deeper than \(LanguageLimits.maxExpressionDepth)")
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
            let failure = fail(tokens[p - 1].end, "expected \(what), found end of \(t.isEnd ? "file" : "line")")
            failedAtEndOfLine = true
            return failure
        }
        return fail(t.location, "expected \(what), found \(t.quoted)")
    }

    private mutating func fail(_ at: SourceLocation, _ message: String) -> Failure {
        failedAtEndOfLine = false
        diagnostics.append(Diagnostic(at, message))
        return Failure()
    }

    /// Skips the rest of a broken statement: to the next line, or past a block opened on
    /// the broken line, or up to the `}` that closes the enclosing block.
    private mutating func syncStatement(from start: Int) {
        // Something was missing at the end of the previous line, after the statement's
        // start: the statement ended there, and the next one starts here.
        if failedAtEndOfLine && p > start {
            failedAtEndOfLine = false
            return
        }
        failedAtEndOfLine = false
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
            p == 0 || tokens[p - 1].location.line < current.location.line
        {
            return
        }
        let line = current.location.line
        var depth = 0
        if current.isSymbol("{") { depth = 1 }
        advance()
        while !current.isEnd {
            if current.isSymbol("{") { depth += 1 }
            if current.isSymbol("}") { depth = max(0, depth - 1) }
            if depth == 0, current.location.line > line, current.kind == .identifier,
                Parser.declarationWords.contains(current.text)
            {
                return
            }
            advance()
        }
    }
}

extension Token {
    var isEnd: Bool { kind == .end }
}
