/// The parsed form of a model file, before names and types are checked.
struct ModelSyntax {
    var declarations: [DeclarationSyntax] = []
}

enum DeclarationSyntax {
    case model(name: String, at: SourceLocation)
    case expect(ExpectationSyntax, at: SourceLocation)
    /// `cpus N`, `tasks N`, `mms N`, `cap N`; `text` is the number as written (`value` is
    /// saturated at Int.max).
    case setting(name: String, value: Int, text: String, at: SourceLocation, valueAt: SourceLocation)
    case actions([(name: String, at: SourceLocation)], at: SourceLocation)
    /// `mode coarse|fine`, `preemptible yes|no`, `preempt_rt yes|no`: a word setting and
    /// where its value is.
    case word(name: String, value: String, at: SourceLocation, valueAt: SourceLocation)
    case routine(RoutineSyntax)
}

enum ExpectationSyntax {
    case pass
    case violation(property: String, at: SourceLocation)
}

struct RoutineSyntax {
    var name: String
    var at: SourceLocation
    var parameters: [ParameterSyntax]
    /// Declared `irqs_off` or `preempt_off`: the whole routine is that region.
    var region: RegionKind? = nil
    var body: [StatementSyntax]
}

/// A block that changes how fine mode interleaves its statements.
enum RegionKind: String {
    /// `irqs_off { ... }`: local_irq_disable (or a lock taken with interrupts off): neither
    /// an IPI nor a preemption comes in on this CPU inside (other CPUs still interleave).
    case irqsOff = "irqs_off"
    /// `preempt_off { ... }`: a spinlock_t section (task_lock): the task is not preempted
    /// inside, but IPIs still come in; under `preempt_rt yes` (where spinlock_t sleeps) it
    /// is preemptible too.
    case preemptOff = "preempt_off"
    /// `atomic { ... }`: the whole block is one step (as an atomic_dec_and_test is).
    case atomic
}

struct ParameterSyntax {
    var name: String
    var at: SourceLocation
    var type: String
    var typeAt: SourceLocation
}

indirect enum StatementSyntax {
    case binding(name: String, value: ExpressionSyntax, at: SourceLocation, nameAt: SourceLocation)
    case assignment(target: ExpressionSyntax, value: ExpressionSyntax, at: SourceLocation)
    /// `target += n` (positive delta) or `target -= n` (negative delta); `amount` is `n`
    /// as written (`delta` is saturated at ±Int.max).
    case adjustment(target: ExpressionSyntax, delta: Int, amount: String, at: SourceLocation, amountAt: SourceLocation)
    case conditional(ConditionSyntax, then: [StatementSyntax], otherwise: [StatementSyntax]?, at: SourceLocation)
    case call(name: String, arguments: [ExpressionSyntax], at: SourceLocation)
    case `return`(at: SourceLocation)
    case region(RegionKind, body: [StatementSyntax], at: SourceLocation)
    /// `task_lock(t) { ... }`: task t's alloc_lock (a spinlock_t) held around the block: a
    /// `preempt_off` region that also keeps out every other CPU's `task_lock` of the same
    /// task until it ends.
    case taskLock(task: ExpressionSyntax, body: [StatementSyntax], at: SourceLocation)

    var location: SourceLocation {
        switch self {
        case .binding(_, _, let at, _), .assignment(_, _, let at), .adjustment(_, _, _, let at, _),
            .conditional(_, _, _, let at), .call(_, _, let at), .return(let at), .region(_, _, let at),
            .taskLock(_, _, let at):
            return at
        }
    }
}

indirect enum ExpressionSyntax {
    /// A name: a parameter or local, or one of the constants (`none`, `init_mm`, `thread`, ...).
    case name(String, at: SourceLocation)
    /// A number literal: its value (saturated at Int.max) and its text as written.
    case integer(Int, text: String, at: SourceLocation)
    /// `base.field`; `at` is the field name's location.
    case member(ExpressionSyntax, field: String, at: SourceLocation)
    case call(name: String, arguments: [ExpressionSyntax], at: SourceLocation)

    var location: SourceLocation {
        switch self {
        case .name(_, let at), .integer(_, _, let at), .call(_, _, let at): return at
        case .member(let base, _, _): return base.location
        }
    }
}

enum ComparisonSyntax: String {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

indirect enum ConditionSyntax {
    case comparison(ExpressionSyntax, ComparisonSyntax, ExpressionSyntax, at: SourceLocation)
    /// `e is none` / `e is not none`.
    case isNone(ExpressionSyntax, negated: Bool, at: SourceLocation)
    case and(ConditionSyntax, ConditionSyntax)
    case or(ConditionSyntax, ConditionSyntax)
    case not(ConditionSyntax)
}
