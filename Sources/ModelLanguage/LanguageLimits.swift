/// The limits the model language puts on a file, all in one place. Each is far above what a
/// real model needs (the shipped models nest blocks 3 deep counting the routine's body,
/// parentheses 1 deep, call chains 4 routines long, define at most 14 routines; their code
/// and fine-mode frames are checked far inside the limits by LanguageLimitTests), and low
/// enough that the parser's, checker's and emitter's recursion stays well inside a 512 KiB
/// thread stack in a debug build (a debug frame of the parser is 1-3 KiB: a nested block
/// costs the parser about 3.6 KiB, a parenthesis about 3.3 KiB, an inlined call the emitter
/// about 2.4 KiB; the deepest file these limits allow was measured to need less than
/// 256 KiB). Crossing one is an error at the place that crosses it.
enum LanguageLimits {
    /// Blocks (`if`/`else`, `atomic`, `irqs_off`) nested inside one routine. Each
    /// `else if` opens a block inside the `else` it belongs to, so it counts as one level.
    static let maxBlockDepth = 32

    /// Nesting of an expression or condition: parentheses, `not`, call arguments, fields
    /// (`t.mm.count`) and each `and`/`or` of a chain add one level.
    static let maxExpressionDepth = 32

    /// Routines in one call chain (the entry routine counts): calls are inlined, so this is
    /// how deep the compiler's inlining goes.
    static let maxCallDepth = 16

    /// Statements nested inside one another once calls are inlined: each block and each
    /// call (whose body is inlined inside the call) adds a level. The emitter recurses
    /// through these, so a chain of routines each nesting blocks deeply stays bounded too.
    static let maxInlinedNesting = 64

    /// Routines in one file.
    static let maxRoutines = 1000

    /// Instructions in one routine with every call inlined (each call inlines a copy of its
    /// callee, so a routine that calls the next twice doubles at each level). An action is
    /// at most two entry routines.
    static let maxInlinedInstructions = 20_000

    /// Values (parameters and locals) fine mode keeps in the state for a paused step: a
    /// saved register takes at least 3 bits of a packed state, at most 21 to a 64-bit word,
    /// and a state has at most 16 words (`StateLayout.maxWords`), so a CPU's paused
    /// schedule frame and a task's paused frame together can never keep more than 336.
    static let maxSavedValues = 16 * (64 / 3)

    /// The most characters of a run of bad characters quoted in one error.
    static let maxQuotedCharacters = 16
}
