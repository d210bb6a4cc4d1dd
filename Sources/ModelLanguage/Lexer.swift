/// Splits a model file into tokens. Comments are `#` or `//` to the end of the line and
/// `/* ... */`; newlines are plain whitespace. Identifiers may contain `-` between letters
/// (so property names such as `no-leak` are one word; the language has no subtraction).
struct Lexer {
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var column = 1
    private(set) var diagnostics: [Diagnostic] = []

    init(_ text: String) { bytes = Array(text.utf8) }

    mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        while true {
            skipTrivia()
            let start = SourceLocation(line: line, column: column)
            guard i < bytes.count else {
                tokens.append(Token(kind: .end, text: "", location: start, end: start))
                return tokens
            }
            let c = bytes[i]
            if isLetter(c) {
                var j = i + 1
                while j < bytes.count {
                    if isLetter(bytes[j]) || isDigit(bytes[j]) {
                        j += 1
                    } else if bytes[j] == UInt8(ascii: "-"), j + 1 < bytes.count, isLetter(bytes[j + 1]) {
                        j += 1
                    } else {
                        break
                    }
                }
                let word = text(i, j)
                advance(j - i)
                tokens.append(Token(kind: .identifier, text: word, location: start, end: here))
            } else if isDigit(c) {
                var j = i
                var value = 0
                while j < bytes.count, isDigit(bytes[j]) {
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(Int(bytes[j] - 48))
                    value = (o1 || o2) ? Int.max : s
                    j += 1
                }
                var k = j
                while k < bytes.count, isLetter(bytes[k]) || isDigit(bytes[k]) { k += 1 }
                if k > j {
                    // Report the malformed number once, and go on as if it were its digits.
                    diagnostics.append(Diagnostic(start, "malformed number '\(text(i, k))'"))
                }
                let digits = text(i, j)
                advance(k - i)
                tokens.append(Token(kind: .integer, text: digits, location: start, end: here, value: value))
            } else if c == UInt8(ascii: "\"") {
                var j = i + 1
                while j < bytes.count, bytes[j] != UInt8(ascii: "\""), bytes[j] != 10 { j += 1 }
                let closed = j < bytes.count && bytes[j] == UInt8(ascii: "\"")
                if !closed {
                    // Report it once, and go on as if the string ended with the line.
                    diagnostics.append(Diagnostic(start, "unterminated string"))
                }
                let content = text(i + 1, j)
                advance(j - i + (closed ? 1 : 0))
                tokens.append(Token(kind: .string, text: content, location: start, end: here))
            } else if let symbol = symbol(at: i) {
                advance(symbol.utf8.count)
                tokens.append(Token(kind: .symbol, text: symbol, location: start, end: here))
            } else {
                // One error for a run of bad characters (none of them whitespace), each shown
                // escaped when it is invisible or a control character.
                var j = i
                var count = 0
                var shown = ""
                while j < bytes.count, isBad(at: j) {
                    let end = min(j + utf8Length(bytes[j]), bytes.count)
                    if count < LanguageLimits.maxQuotedCharacters {
                        shown += Lexer.escaped(String(decoding: bytes[j..<end], as: UTF8.self))
                    }
                    count += 1
                    j = end
                }
                let message =
                    count == 1
                    ? "unexpected character '\(shown)'"
                    : count <= LanguageLimits.maxQuotedCharacters
                        ? "unexpected characters '\(shown)'"
                        : "unexpected characters '\(shown)...' (\(count) in a row)"
                diagnostics.append(Diagnostic(start, message))
                advance(j - i)
            }
        }
    }

    private static let symbols2 = ["==", "!=", "<=", ">=", "+=", "-=", "&&", "||"]
    private static let symbols1 = Set("{}(),:.;=<>!".utf8)

    private func symbol(at i: Int) -> String? {
        if i + 1 < bytes.count {
            let two = text(i, i + 2)
            if Lexer.symbols2.contains(two) { return two }
        }
        return Lexer.symbols1.contains(bytes[i]) ? text(i, i + 1) : nil
    }

    private mutating func skipTrivia() {
        while i < bytes.count {
            let c = bytes[i]
            if c == 32 || c == 9 || c == 13 || c == 10 {
                advance(1)
            } else if c == UInt8(ascii: "#") || (c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/")) {
                while i < bytes.count, bytes[i] != 10 { advance(1) }
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                let start = SourceLocation(line: line, column: column)
                advance(2)
                while i < bytes.count, !(bytes[i] == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/")) { advance(1) }
                if i >= bytes.count {
                    diagnostics.append(Diagnostic(start, "unterminated comment"))
                } else {
                    advance(2)
                }
            } else {
                return
            }
        }
    }

    /// Whether the character at byte `j` can start no token and is not whitespace or the
    /// start of a comment.
    private func isBad(at j: Int) -> Bool {
        let c = bytes[j]
        if isLetter(c) || isDigit(c) || c == 32 || c == 9 || c == 13 || c == 10 { return false }
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "#") { return false }
        if c == UInt8(ascii: "/"), j + 1 < bytes.count,
            bytes[j + 1] == UInt8(ascii: "/") || bytes[j + 1] == UInt8(ascii: "*")
        {
            return false
        }
        return symbol(at: j) == nil
    }

    /// A bad character as an error message shows it: as itself when it is visible,
    /// otherwise escaped as Swift writes it (`\t`, `\u{1}`, `\u{202E}`).
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate,
                    .unassigned, .spaceSeparator:
                    out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private var here: SourceLocation { SourceLocation(line: line, column: column) }

    private func peek(_ k: Int) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }

    private mutating func advance(_ n: Int) {
        for _ in 0..<n where i < bytes.count {
            if bytes[i] == 10 {
                line += 1
                column = 1
            } else if bytes[i] & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
    }

    private func text(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }
    private func isLetter(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == UInt8(ascii: "_")
    }
    private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private func utf8Length(_ c: UInt8) -> Int {
        c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
    }
}
