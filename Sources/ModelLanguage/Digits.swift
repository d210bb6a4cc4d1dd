/// Numbers for people, the one formatting every layer's messages use.
public enum Digits {
    /// Digits with an optional sign: a whole number however large (range checks come after).
    public static func isWholeNumber(_ text: some StringProtocol) -> Bool {
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : text[...]
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A count with its thousands grouped by commas (4211 -> "4,211").
    public static func grouped(_ n: Int) -> String {
        var digits = Array(String(n.magnitude))
        var out: [Character] = []
        while digits.count > 3 {
            out = [","] + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return (n < 0 ? "-" : "") + String(digits + out)
    }
}
