/// One single-edit variant of a model (`mmcheck mutate`): what was edited, where, and the
/// whole edited source.
public struct Mutant: Sendable, Equatable {
    /// The kinds of edit, in the order the generator makes them for each statement.
    public enum Kind: String, Sendable, CaseIterable {
        /// One simple statement deleted (a count operation, an assignment, a call, a `free`).
        case delete
        /// Two adjacent statements of one block swapped.
        case swap
        /// A helper called in place of its partner (`mmgrab` for `mmdrop`, ...).
        case helper
        /// A condition negated (`==` and `!=`, `is none` and `is not none`).
        case negate
        /// A branch's condition replaced by true (its body runs always) or false (never).
        case condition
        /// An operand replaced by another of the routine's (the compiler keeps those of the
        /// same type in scope).
        case operand
        /// Fine mode: an `irqs_off`, `preempt_off`, `atomic` or `task_lock` region removed,
        /// its statements kept.
        case dropRegion = "drop-region"
        /// Fine mode: a region's first statement moved before it, or its last after it.
        case moveOut = "move-out"
    }

    /// 1, 2, ... in the order generated.
    public var id: Int
    public var kind: Kind
    /// Where the edit is (the statement's, condition's or operand's position).
    public var location: SourceLocation
    /// The source the edit changes, and what it became, each on one line.
    public var before: String
    public var after: String
    /// The edited model file.
    public var text: String
}

/// Makes every single-edit mutant of a model's routines, from its syntax: statements are
/// found by the parser, and each edit is made on the source lines (one statement per line,
/// a block from its opening line to its closing brace), so a mutant reads like the model
/// it came from. Edits that give the same text as an earlier one are made once.
public enum Mutator {
    /// The partners a helper call may be replaced by.
    static let partners: [String: [String]] = [
        "mmgrab": ["mmdrop", "mmget"], "mmdrop": ["mmgrab", "mmput"], "mmget": ["mmput", "mmgrab"],
        "mmput": ["mmget", "mmdrop"], "mmgrab_lazy_tlb": ["mmdrop_lazy_tlb"], "mmdrop_lazy_tlb": ["mmgrab_lazy_tlb"],
    ]

    /// The mutants of `text`; `regions`: also the region edits (fine mode). A text that does
    /// not parse gives none.
    public static func mutants(of text: String, regions: Bool) -> [Mutant] {
        var lexer = Lexer(text)
        var parser = Parser(tokens: lexer.tokenize())
        let syntax = parser.parseModel()
        var generator = Generator(text: text)
        let routines: [RoutineSyntax] = syntax.declarations.compactMap {
            if case .routine(let r) = $0 { return r }
            return nil
        }
        generator.routineNames = Set(routines.map(\.name))
        for routine in routines {
            generator.routine(routine, regions: regions)
        }
        return generator.mutants
    }
}

/// The edits of one model text.
private struct Generator {
    let lines: [String]
    var routineNames: Set<String> = []
    private(set) var mutants: [Mutant] = []
    private var seen: Set<String>

    init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        seen = [text]
    }

    /// A line's code: the part before a comment.
    private func code(_ i: Int) -> Substring {
        guard lines.indices.contains(i) else { return "" }
        return lines[i].split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// The last line of the statement that starts on line `i` (0-based): its closing brace's
    /// line for a block, else `i`.
    private func end(_ i: Int) -> Int {
        var depth = 0
        for j in i..<lines.count {
            for c in code(j) {
                if c == "{" { depth += 1 }
                if c == "}" { depth -= 1 }
            }
            if depth <= 0 { return j }
        }
        return i
    }

    private func extent(_ s: StatementSyntax) -> ClosedRange<Int> {
        let i = s.location.line - 1
        return i...end(i)
    }

    private func trimmed(_ i: Int) -> String { String(code(i)).trimmingWhitespace() }

    private mutating func add(
        _ kind: Mutant.Kind, _ at: SourceLocation, _ before: String, _ after: String, _ edited: [String]
    ) {
        let text = edited.joined(separator: "\n")
        guard seen.insert(text).inserted else { return }
        mutants.append(
            Mutant(id: mutants.count + 1, kind: kind, location: at, before: before, after: after, text: text))
    }

    /// The edits of routine `r`.
    mutating func routine(_ r: RoutineSyntax, regions: Bool) {
        var found: [String] = []
        func collect(_ e: ExpressionSyntax) {
            if let t = e.plainText, !found.contains(t) { found.append(t) }
            if case .call(_, let arguments, _) = e { arguments.forEach(collect) }
        }
        func walk(_ body: [StatementSyntax]) {
            for s in body {
                switch s {
                case .binding(_, let value, _, _): collect(value)
                case .assignment(let target, let value, _):
                    collect(target)
                    collect(value)
                case .adjustment(let target, _, _, _, _): collect(target)
                case .call(_, let arguments, _): arguments.forEach(collect)
                case .conditional(let c, let then, let otherwise, _):
                    c.operands.forEach(collect)
                    walk(then)
                    walk(otherwise ?? [])
                case .region(_, let inner, _), .taskLock(_, let inner, _): walk(inner)
                case .return: break
                }
            }
        }
        walk(r.body)
        routineOperands = found
        if regions, let region = r.region {
            // `routine f(...) irqs_off {`: the whole routine is the region.
            let i = r.at.line - 1
            if lines.indices.contains(i), let range = lines[i].firstRange(of: " \(region.rawValue) {") {
                var e = lines
                e[i].replaceSubrange(range, with: " {")
                add(.dropRegion, r.at, trimmed(i), trimmed(i).replacingFirst(" \(region.rawValue) {", with: " {"), e)
            }
        }
        block(r.body, regions: regions)
    }

    /// The edits of a block's statements, and of the blocks inside them.
    private mutating func block(_ body: [StatementSyntax], regions: Bool) {
        for (n, s) in body.enumerated() {
            statement(s, regions: regions)
            if n + 1 < body.count { swap(s, body[n + 1]) }
            switch s {
            case .conditional(_, let then, let otherwise, _):
                block(then, regions: regions)
                if let otherwise { block(otherwise, regions: regions) }
            case .region(_, let inner, _), .taskLock(_, let inner, _): block(inner, regions: regions)
            default: break
            }
        }
    }

    private mutating func statement(_ s: StatementSyntax, regions: Bool) {
        let i = s.location.line - 1
        guard lines.indices.contains(i) else { return }
        switch s {
        case .binding(_, let value, _, _):
            delete(s)
            operands([value], in: s)
        case .assignment(let target, let value, _):
            delete(s)
            operands([target, value], in: s)
        case .adjustment(let target, _, _, _, _):
            delete(s)
            operands([target], in: s)
        case .call(let name, let arguments, let at):
            delete(s)
            for partner in Mutator.partners[name] ?? [] where routineNames.contains(partner) {
                replace(.helper, at, name, partner)
            }
            operands(arguments, in: s)
        case .return:
            delete(s)
        case .conditional(let condition, let then, let otherwise, _):
            negate(condition)
            constant(s, then: then, otherwise: otherwise)
            operands(condition.operands, in: s)
        case .region(let kind, let body, _):
            if regions { region(s, opening: "\(kind.rawValue) {", body: body) }
        case .taskLock(_, let body, _):
            if regions { region(s, opening: "task_lock(", body: body) }
        }
    }

    private mutating func delete(_ s: StatementSyntax) {
        let r = extent(s)
        var e = lines
        e.removeSubrange(r)
        add(.delete, s.location, trimmed(r.lowerBound), "(deleted)", e)
    }

    private mutating func swap(_ a: StatementSyntax, _ b: StatementSyntax) {
        let ra = extent(a), rb = extent(b)
        guard ra.upperBound < rb.lowerBound else { return }
        let between = Array(lines[(ra.upperBound + 1)..<rb.lowerBound])
        let e = Array(lines[..<ra.lowerBound]) + lines[rb] + between + lines[ra] + lines[(rb.upperBound + 1)...]
        add(.swap, a.location, "\(trimmed(ra.lowerBound)) / \(trimmed(rb.lowerBound))", "swapped", e)
    }

    /// Replaces the text `old` at `at` by `new`, when the source there reads `old`.
    private mutating func replace(_ kind: Mutant.Kind, _ at: SourceLocation, _ old: String, _ new: String) {
        let i = at.line - 1
        guard lines.indices.contains(i), at.column >= 1 else { return }
        let line = Array(lines[i])
        let c = at.column - 1
        guard c + old.count <= line.count, String(line[c..<(c + old.count)]) == old else { return }
        var e = lines
        e[i] = String(line[..<c]) + new + String(line[(c + old.count)...])
        add(kind, at, trimmed(i), String(e[i].split(separator: "#", maxSplits: 1).first ?? "").trimmingWhitespace(), e)
    }

    private mutating func negate(_ condition: ConditionSyntax) {
        switch condition {
        case .comparison(_, let op, _, let at):
            switch op {
            case .equal: replace(.negate, at, "==", "!=")
            case .notEqual: replace(.negate, at, "!=", "==")
            default: break
            }
        case .isNone(_, let negated, let at):
            if negated {
                replace(.negate, at, "is not none", "is none")
            } else {
                replace(.negate, at, "is none", "is not none")
            }
        case .and, .or, .not: break
        }
    }

    /// The branch taken always (its body in place of the `if`) or never (the `else` body,
    /// or nothing, in its place).
    private mutating func constant(_ s: StatementSyntax, then: [StatementSyntax], otherwise: [StatementSyntax]?) {
        let r = extent(s)
        func body(_ b: [StatementSyntax]) -> [String] {
            guard let first = b.first, let last = b.last else { return [] }
            return Array(lines[extent(first).lowerBound...extent(last).upperBound])
        }
        let head = Array(lines[..<r.lowerBound]), tail = Array(lines[(r.upperBound + 1)...])
        add(.condition, s.location, trimmed(r.lowerBound), "(always true)", head + body(then) + tail)
        add(.condition, s.location, trimmed(r.lowerBound), "(always false)", head + body(otherwise ?? []) + tail)
    }

    /// Each operand replaced by each other operand of the routine's statements seen so far
    /// or later: the names and fields the routine reads and writes.
    private mutating func operands(_ expressions: [ExpressionSyntax], in s: StatementSyntax) {
        for e in expressions {
            guard let text = e.plainText else { continue }
            for other in routineOperands where other != text {
                replace(.operand, e.location, text, other)
            }
        }
    }

    /// The operands of the routine being mutated, in the order first read or written (set
    /// by `routine`).
    private var routineOperands: [String] = []

    /// A region removed (its statements kept), and its first statement moved before it and
    /// its last after it.
    private mutating func region(_ s: StatementSyntax, opening: String, body: [StatementSyntax]) {
        let r = extent(s)
        let open = r.lowerBound, close = r.upperBound
        guard open < close, trimmed(open).hasPrefix(opening), trimmed(open).hasSuffix("{"), trimmed(close) == "}"
        else { return }
        var e = lines
        e.remove(at: close)
        e.remove(at: open)
        add(.dropRegion, s.location, trimmed(open), "(region removed, its statements kept)", e)
        guard body.count >= 2, let first = body.first, let last = body.last else { return }
        let rf = extent(first), rl = extent(last)
        let before =
            Array(lines[..<open]) + lines[rf] + lines[open..<rf.lowerBound] + lines[(rf.upperBound + 1)...]
        add(.moveOut, first.location, trimmed(rf.lowerBound), "before `\(trimmed(open))`", before)
        let after =
            Array(lines[..<rl.lowerBound]) + lines[(rl.upperBound + 1)...close] + lines[rl] + lines[(close + 1)...]
        add(.moveOut, last.location, trimmed(rl.lowerBound), "after the region's end", after)
    }
}

extension ConditionSyntax {
    /// The expressions compared.
    var operands: [ExpressionSyntax] {
        switch self {
        case .comparison(let a, _, let b, _): return [a, b]
        case .isNone(let e, _, _): return [e]
        case .and(let a, let b), .or(let a, let b): return a.operands + b.operands
        case .not(let c): return c.operands
        }
    }
}

extension ExpressionSyntax {
    /// `m`, `prev.active_mm`, `cpu.prev_mm`: a name or a chain of fields, as written; nil
    /// for numbers and calls (an operand replacement swaps pointers, not counts).
    var plainText: String? {
        switch self {
        case .name(let n, _): return n
        case .member(let base, let field, _): return base.plainText.map { "\($0).\(field)" }
        case .integer, .call: return nil
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ old: String, with new: String) -> String {
        guard let r = firstRange(of: old) else { return self }
        var s = self
        s.replaceSubrange(r, with: new)
        return s
    }
}
