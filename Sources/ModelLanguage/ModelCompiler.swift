/// Checks a model file and compiles it into `CompiledModel` code.
///
/// Every error is reported (in source order) as a `Diagnostic`: syntax errors from the
/// parser, then names, types, arities, settings, expectations and required routines from
/// the checker. Code is produced only for an error-free file.
public enum ModelCompiler {
    /// Compiles `text` (the contents of `path`). `properties` are the property names that
    /// `expect violation <property>` may name; `mode`, when given, overrides the file's.
    public static func compile(
        path: String, text: String, properties: [String],
        mode: CompiledModel.Mode? = nil
    ) -> Result<CompiledModel, ModelErrors> {
        var lexer = Lexer(text)
        let tokens = lexer.tokenize()
        var parser = Parser(tokens: tokens)
        let syntax = parser.parseModel()
        // What a malformed part of the file may have hidden is not reported missing: a
        // routine whose header broke, a declaration that did not parse, or anything after
        // an unterminated comment.
        let truncated = lexer.diagnostics.contains { $0.message == "unterminated comment" }
        let checker = Checker(
            syntax: syntax, properties: properties, brokenRoutines: parser.brokenRoutines,
            declarationsSeen: parser.declarationsSeen, truncated: truncated)
        checker.modeOverride = mode
        checker.check()
        var diagnostics = lexer.diagnostics + parser.diagnostics + checker.diagnostics
        if diagnostics.isEmpty {
            switch checker.emitModel(path: path, text: text) {
            case .success(var model):
                model.warnings = sortedBySource(checker.warnings)
                return .success(model)
            case .failure(let error):
                diagnostics.append(error)
            }
        }
        // A file that does not compile reports its errors only: its warnings (a routine
        // nothing calls, a statement that never runs) are often what an error left behind.
        return .failure(ModelErrors(path: path, diagnostics: sortedBySource(diagnostics)))
    }

    /// Sorted by position; at the same position, in the order found.
    private static func sortedBySource(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted {
            ($0.element.location, $0.offset) < ($1.element.location, $1.offset)
        }.map(\.element)
    }
}
