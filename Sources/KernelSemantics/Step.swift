import ModelLanguage

/// One action with its parameters: the label of a transition, packed into 32 bits for the
/// explorer (kind: 5 bits, cpu: 4, task: 6, child: 6, how: 2, mm: 5, holder: 3; 31 bits in
/// all).
/// Which fields an action uses is `Action.Spec.parameters` (the trace line's fields).
public struct Step: Sendable, Hashable {
    typealias Kind = Action

    public var kind: Action
    public var cpu: Int
    /// The `next`, `task` or `parent` parameter: schedule: the next task; exit, exec,
    /// use_mm, unuse_mm: the acting task; clone, clone_fail and the like: the parent.
    public var task: Int32
    /// The `child` parameter: the child's slot; the `target` parameter: the task an outside
    /// holder reaches.
    public var child: Int32
    /// The `how` parameter: how the child shares memory (for an action whose trace line has
    /// no `how=`, its `Action.impliedHow`).
    public var how: CloneKind
    /// The `mm` parameter: use_mm: the mm slot the kernel thread starts to use; shootdown:
    /// the mm slot being freed (a slot number, not a `Ref`).
    public var mm: Int32
    /// The `holder` parameter: a holder slot.
    public var holder: Int32

    public init(
        kind: Action, cpu: Int, task: Int32, child: Int32 = 0, how: CloneKind = .thread, mm: Int32 = 0,
        holder: Int32 = 0
    ) {
        self.kind = kind
        self.cpu = cpu
        self.task = task
        self.child = child
        self.how = how
        self.mm = mm
        self.holder = holder
    }

    static let cpuShift: UInt32 = 5, taskShift: UInt32 = 9, childShift: UInt32 = 15, howShift: UInt32 = 21,
        mmShift: UInt32 = 23, holderShift: UInt32 = 28

    @inline(__always)
    static func pack(
        _ kind: Action, _ cpu: Int, _ task: Int32, child: Int32 = 0, how: CloneKind = .thread,
        mm: Int32 = 0, holder: Int32 = 0
    ) -> UInt32 {
        kind.rawValue | UInt32(cpu) << cpuShift | UInt32(task) << taskShift | UInt32(child) << childShift
            | UInt32(how.rawValue) << howShift | UInt32(mm) << mmShift | UInt32(holder) << holderShift
    }

    // Labels of single steps, for tests and hand-made paths.

    @inline(__always)
    static func schedule(cpu: Int, next: Int32) -> UInt32 { pack(.schedule, cpu, next) }

    @inline(__always)
    static func exit(cpu: Int, task: Int32) -> UInt32 { pack(.exit, cpu, task) }

    @inline(__always)
    static func exec(cpu: Int, task: Int32) -> UInt32 { pack(.exec, cpu, task) }

    @inline(__always)
    static func clone(cpu: Int, parent: Int32, child: Int32, how: CloneKind) -> UInt32 {
        pack(.clone, cpu, parent, child: child, how: how)
    }

    @inline(__always)
    static func cloneFail(cpu: Int, parent: Int32, child: Int32, how: CloneKind) -> UInt32 {
        pack(.cloneFail, cpu, parent, child: child, how: how)
    }

    @inline(__always)
    static func proceed(cpu: Int) -> UInt32 { pack(.proceed, cpu, 0) }

    @inline(__always)
    static func shootdown(cpu: Int, mm: Int32) -> UInt32 { pack(.shootdown, cpu, 0, mm: mm) }

    /// use_mm(task, mm slot `mm`).
    @inline(__always)
    static func useMM(cpu: Int, task: Int32, mm: Int32) -> UInt32 { pack(.useMM, cpu, task, mm: mm) }

    @inline(__always)
    static func unuseMM(cpu: Int, task: Int32) -> UInt32 { pack(.unuseMM, cpu, task) }

    public var label: UInt32 { Step.pack(kind, cpu, task, child: child, how: how, mm: mm, holder: holder) }

    public init?(label: UInt32) {
        guard label >> 31 == 0, let kind = Action(rawValue: label & 31),
            let how = CloneKind(rawValue: Int32(label >> Step.howShift & 3))
        else { return nil }
        self.init(
            kind: kind, cpu: Int(label >> Step.cpuShift & 15), task: Int32(label >> Step.taskShift & 63),
            child: Int32(label >> Step.childShift & 63), how: how, mm: Int32(label >> Step.mmShift & 31),
            holder: Int32(label >> Step.holderShift & 7))
    }
}

extension Step {
    /// The value of trace parameter `p` (a task id, slot number or `CloneKind` raw value).
    public subscript(_ p: Action.Parameter) -> Int32 {
        get {
            switch p {
            case .next, .task, .parent: return task
            case .child, .target: return child
            case .how: return how.rawValue
            case .mm: return mm
            case .holder: return holder
            }
        }
        set {
            switch p {
            case .next, .task, .parent: task = newValue
            case .child, .target: child = newValue
            case .how: how = CloneKind(rawValue: newValue) ?? .thread
            case .mm: mm = newValue
            case .holder: holder = newValue
            }
        }
    }
}
