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

/// An error in a model file, printed as `file:line:column: error: message`.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }
    public var description: String { "\(location): error: \(message)" }
    /// The one-line form with the file's path in front.
    public func formatted(path: String) -> String { "\(path):\(location): error: \(message)" }
}

/// All the errors found in one model file, in source order.
public struct ModelErrors: Error, Sendable, Equatable {
    public var path: String
    public var diagnostics: [Diagnostic]
    public init(path: String, diagnostics: [Diagnostic]) {
        self.path = path
        self.diagnostics = diagnostics
    }
    /// One line per error.
    public var lines: [String] { diagnostics.map { $0.formatted(path: path) } }
}
