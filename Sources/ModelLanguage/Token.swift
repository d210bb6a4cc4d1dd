/// One lexical token of a model file.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case identifier
        case integer
        case string
        case symbol
        case end
    }
    var kind: Kind
    /// The token's text (a string literal without its quotes).
    var text: String
    var location: SourceLocation
    /// The position just after the token.
    var end: SourceLocation
    /// Value of an integer literal (saturated at Int.max).
    var value: Int = 0

    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
    func isWord(_ s: String) -> Bool { kind == .identifier && text == s }

    /// How the token is named in an error message.
    var quoted: String {
        switch kind {
        case .end: return "end of file"
        case .string: return "string \"\(text)\""
        default: return "'\(text)'"
        }
    }
}
