/// The encoding of mm references in states and registers (SEMANTICS.md §1.5): 0 none,
/// 1 `init_mm`, 2 + i mm slot i; a local still pointing to a freed slot holds the
/// reference plus `Machine.dangling`. One definition for both layers: the compiler writes
/// `none` and `init_mm` into the code it emits with these values, and the kernel
/// semantics reads and stores them.
public enum Ref {
    public static let none: Int32 = 0
    public static let initMM: Int32 = 1
    /// The reference to mm slot `i`.
    @inline(__always)
    public static func slot(_ i: Int) -> Int32 { Int32(i + 2) }
}
