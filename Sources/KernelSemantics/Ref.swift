/// The encoding of mm references in states and registers.
public enum Ref {
    public static let none: Int32 = 0
    public static let initMM: Int32 = 1
    /// The reference to mm slot `i`.
    public static func slot(_ i: Int) -> Int32 { Int32(i + 2) }
}
