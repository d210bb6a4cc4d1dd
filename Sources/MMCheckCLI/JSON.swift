/// A JSON value with its object keys in the order given, written by `--format json`.
/// (Foundation's serializer orders keys by hash or alphabet; a document that reads in the
/// order of the text report is easier to check by eye.)
indirect enum JSON: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// The version of the documents' layout, in every document's `schema` field; raised
    /// whenever a field changes meaning or goes away (README, "JSON output").
    static let schema = "mmcheck/1"

    static func == (a: JSON, b: JSON) -> Bool { a.rendered() == b.rendered() }

    /// A string, or null.
    static func string(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }
    /// A whole number, or null.
    static func int(_ n: Int?) -> JSON { n.map(JSON.int) ?? .null }

    /// The document, indented by two spaces per level, with a final newline left to the caller.
    func rendered(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let n): return String(n)
        case .double(let x):
            guard x.isFinite else { return "null" }
            return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
        case .string(let s): return JSON.quoted(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy(\.isScalar) { return "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]" }
            return "[\n" + items.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            return "{\n"
                + fields.map { inner + JSON.quoted($0.0) + ": " + $0.1.rendered(indent: inner) }.joined(
                    separator: ",\n") + "\n\(indent)}"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    /// `s` as a JSON string: quotes, backslashes and control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
