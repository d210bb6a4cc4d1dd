import ModelLanguage

// The command line's formatting of numbers and columns, in one place.

/// A count with its thousands grouped: 4211 -> "4,211".
func grouped(_ n: Int) -> String { Digits.grouped(n) }

/// `x` with exactly `places` decimals.
func fixed(_ x: Double, _ places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let v = (x * scale).rounded() / scale
    var s = String(v)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < places { s += String(repeating: "0", count: places - decimals) }
    } else if places > 0 {
        s += "." + String(repeating: "0", count: places)
    }
    return s
}

extension String {
    func leftPadding(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
