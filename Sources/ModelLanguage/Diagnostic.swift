/// A position in a model file (1-based line and column).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
    public var description: String { "\(line):\(column)" }
}

/// An error or a warning in a model file, printed as `file:line:column: error: message`
/// (or `warning:`).
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// An error stops the file from compiling; a warning does not (it points at something
    /// that compiles but probably does not mean what it says).
    public enum Severity: String, Sendable, Equatable {
        case error, warning
    }

    public var location: SourceLocation
    public var message: String
    var severity: Severity
    public init(_ location: SourceLocation, _ message: String, severity: Severity = .error) {
        self.location = location
        self.message = message
        self.severity = severity
    }
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
    /// The one-line form with the file's path in front.
    func formatted(path: String) -> String { "\(path):\(location): \(severity.rawValue): \(message)" }
}

/// All the errors found in one model file, in source order.
public struct ModelErrors: Error, Sendable, Equatable {
    var path: String
    var diagnostics: [Diagnostic]
    public init(path: String, diagnostics: [Diagnostic]) {
        self.path = path
        self.diagnostics = diagnostics
    }
    /// One line per error.
    public var lines: [String] { diagnostics.map { $0.formatted(path: path) } }

    /// At most `limit` lines: the first `limit` errors, then, when there are more, one line
    /// `... and 4,211 more errors` instead of the rest.
    public func lines(limit: Int) -> [String] {
        let shown = max(0, limit)
        guard diagnostics.count > shown else { return lines }
        let rest = diagnostics.count - shown
        return diagnostics.prefix(shown).map { $0.formatted(path: path) }
            + ["... and \(Digits.grouped(rest)) more error\(rest == 1 ? "" : "s")"]
    }
}
