import ModelLanguage

/// One action with its parameters: the label of a transition, packed into 32 bits for the
/// explorer (kind: 3 bits, cpu: 4, task: 6, child: 6, how: 2).
public struct Step: Sendable, Hashable {
    /// `proceed` (fine mode): the next statement of whatever is in progress on the CPU.
    public enum Kind: UInt32, Sendable { case schedule = 0, exit = 1, clone = 2, exec = 3, proceed = 4 }

    public var kind: Kind
    public var cpu: Int
    /// schedule: the next task; exit, exec: the acting task; clone: the parent; proceed: unused.
    public var task: Int32
    /// clone: the child's slot.
    public var child: Int32
    /// clone: how the child shares memory.
    public var how: CloneKind

    public init(kind: Kind, cpu: Int, task: Int32, child: Int32 = 0, how: CloneKind = .thread) {
        self.kind = kind
        self.cpu = cpu
        self.task = task
        self.child = child
        self.how = how
    }

    @inline(__always)
    public static func schedule(cpu: Int, next: Int32) -> UInt32 {
        Kind.schedule.rawValue | UInt32(cpu) << 3 | UInt32(next) << 7
    }

    @inline(__always)
    public static func exit(cpu: Int, task: Int32) -> UInt32 {
        Kind.exit.rawValue | UInt32(cpu) << 3 | UInt32(task) << 7
    }

    @inline(__always)
    public static func exec(cpu: Int, task: Int32) -> UInt32 {
        Kind.exec.rawValue | UInt32(cpu) << 3 | UInt32(task) << 7
    }

    @inline(__always)
    public static func proceed(cpu: Int) -> UInt32 {
        Kind.proceed.rawValue | UInt32(cpu) << 3
    }

    @inline(__always)
    public static func clone(cpu: Int, parent: Int32, child: Int32, how: CloneKind) -> UInt32 {
        Kind.clone.rawValue | UInt32(cpu) << 3 | UInt32(parent) << 7 | UInt32(child) << 13 | UInt32(how.rawValue) << 19
    }

    public var label: UInt32 {
        kind.rawValue | UInt32(cpu) << 3 | UInt32(task) << 7 | UInt32(child) << 13 | UInt32(how.rawValue) << 19
    }

    public init?(label: UInt32) {
        guard let kind = Kind(rawValue: label & 7), let how = CloneKind(rawValue: Int32(label >> 19 & 3)) else { return nil }
        self.init(kind: kind, cpu: Int(label >> 3 & 15), task: Int32(label >> 7 & 63),
                  child: Int32(label >> 13 & 63), how: how)
    }
}
