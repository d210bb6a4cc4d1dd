import ModelLanguage

/// A readable kernel state: what a packed state means, for traces and tests.
///
/// Task ids: slot tasks 0..<T, then the idle task of CPU c at T + c. mm references:
/// 0 none, 1 `init_mm`, 2 + i mm slot i (`Ref`). `mms[0]` is `init_mm`, `mms[1 + i]` slot i.
public struct KernelState: Sendable, Equatable {
    public struct Task: Sendable, Equatable {
        /// Idle tasks: running when current, else runnable.
        public var status: TaskStatus
        public var mm: Int32
        public var activeMM: Int32
        /// Fine mode: 1 + the yield point where the task's own action is paused (0: none),
        /// and the registers saved there (in the order of the yield point's `saved`).
        public var pc: Int32 = 0
        public internal(set) var frame: [Int32] = []
        /// The `TaskField`s, as stored (by raw value; 0 where the model does not store one).
        public var fields: [Int32] = Array(repeating: 0, count: TaskField.allCases.count)

        public init(
            status: TaskStatus, mm: Int32, activeMM: Int32, pc: Int32 = 0, frame: [Int32] = [], kthread: Bool = false
        ) {
            self.status = status
            self.mm = mm
            self.activeMM = activeMM
            self.pc = pc
            self.frame = frame
            self.kthread = kthread
        }

        /// Task field `f` as stored.
        public subscript(_ f: TaskField) -> Int32 {
            get { fields[f.rawValue] }
            set { fields[f.rawValue] = newValue }
        }

        /// PF_KTHREAD (slot tasks; stored only in models that switch on use_mm).
        public var kthread: Bool {
            get { self[.kthread] != 0 }
            set { self[.kthread] = newValue ? 1 : 0 }
        }

    }
    public struct CPU: Sendable, Equatable {
        /// Task id of the current task.
        public var curr: Int32
        public var prevMM: Int32
        /// Fine mode: 1 + the yield point where the CPU's schedule action is paused (0:
        /// none), the registers saved there (prev, next, ...), and the mm loaded on the CPU.
        public var pc: Int32 = 0
        public var frame: [Int32] = []
        public var loaded: Int32 = 0
    }
    public struct MM: Sendable, Equatable {
        public var live: Bool
        public var users: Int32
        public var count: Int32
    }

    /// A holder slot: the mm it holds, its kind (0 free, else 1 + `Action.HolderFamily`),
    /// and (fine mode) whether an action of it is in progress.
    public struct Holder: Sendable, Equatable {
        public var mm: Int32
        public var kind: Int32
        public var busy: Bool = false
        public var family: Action.HolderFamily? { Action.HolderFamily(rawValue: kind - 1) }
    }

    public var tasks: [Task]
    public var cpus: [CPU]
    public var mms: [MM]
    public var holders: [Holder] = []

    init(tasks: [Task], cpus: [CPU], mms: [MM], holders: [Holder] = []) {
        self.tasks = tasks
        self.cpus = cpus
        self.mms = mms
        self.holders = holders
    }

    /// Reads an unpacked state.
    init(layout: StateLayout, fields w: UnsafePointer<Int32>) {
        let b = layout.bounds
        let ks = layout.frames?.scheduleSlots ?? 0, kt = layout.frames?.taskSlots ?? 0
        let fine = layout.frames != nil
        cpus = (0..<b.cpus).map { c in
            var cpu = CPU(curr: layout.currentTask(w, cpu: c), prevMM: w[layout.prevMM + c])
            if fine {
                cpu.pc = w[layout.cpuPC + c]
                cpu.frame = (0..<ks).map { w[layout.cpuFrame + c * ks + $0] }
                cpu.loaded = w[layout.loaded + c]
            }
            return cpu
        }
        tasks = (0..<(b.tasks + b.cpus)).map { t in
            let status: TaskStatus
            if t < b.tasks {
                status = TaskStatus(rawValue: w[layout.status + t]) ?? .unused
            } else {
                // An idle task runs when its CPU runs it.
                status = w[layout.curr + t - b.tasks] == StateLayout.idleCurr ? .running : .runnable
            }
            var task = Task(status: status, mm: w[layout.mm + t], activeMM: w[layout.activeMM + t])
            if t < b.tasks {
                for f in TaskField.allCases { task[f] = w[layout.offset(f) + t] }
            }
            if fine && t < b.tasks {
                task.pc = w[layout.taskPC + t]
                task.frame = (0..<kt).map { w[layout.taskFrame + t * kt + $0] }
            }
            return task
        }
        mms = (0...b.mms).map { k in
            MM(live: w[layout.mmLive + k] != 0, users: w[layout.users + k], count: w[layout.count + k])
        }
        holders = (0..<layout.holders).map { h in
            Holder(
                mm: w[layout.holderMM + h], kind: w[layout.holderKind + h], busy: fine && w[layout.holderBusy + h] != 0)
        }
    }

    /// Reads a packed state.
    public init(layout: StateLayout, packed: UnsafePointer<UInt64>) {
        let w = UnsafeMutablePointer<Int32>.allocate(capacity: layout.fieldCount)
        defer { w.deallocate() }
        layout.initializeConstants(w)
        layout.unpack(packed, into: w)
        self.init(layout: layout, fields: w)
    }

    /// Writes this state into an unpacked buffer (for tests and hand-made states).
    func write(layout: StateLayout, into w: UnsafeMutablePointer<Int32>) {
        let b = layout.bounds
        layout.initializeConstants(w)
        let ks = layout.frames?.scheduleSlots ?? 0, kt = layout.frames?.taskSlots ?? 0
        let fine = layout.frames != nil
        for (c, cpu) in cpus.enumerated() {
            w[layout.curr + c] = StateLayout.currField(task: cpu.curr, tasks: Int32(b.tasks))
            w[layout.prevMM + c] = cpu.prevMM
            if fine {
                w[layout.cpuPC + c] = cpu.pc
                w[layout.loaded + c] = cpu.loaded
                for (j, v) in cpu.frame.prefix(ks).enumerated() { w[layout.cpuFrame + c * ks + j] = v }
            }
        }
        for (t, task) in tasks.enumerated() {
            if t < b.tasks {
                w[layout.status + t] = task.status.rawValue
                for f in TaskField.allCases { w[layout.offset(f) + t] = layout.stores(f) ? task[f] : 0 }
            }
            if fine && t < b.tasks {
                w[layout.taskPC + t] = task.pc
                for (j, v) in task.frame.prefix(kt).enumerated() { w[layout.taskFrame + t * kt + j] = v }
            }
            w[layout.mm + t] = task.mm
            w[layout.activeMM + t] = task.activeMM
        }
        for (k, mm) in mms.enumerated() where k > 0 {
            w[layout.mmLive + k] = mm.live ? 1 : 0
            w[layout.users + k] = mm.users
            w[layout.count + k] = mm.count
        }
        w[layout.count] = mms[0].count
        for (h, holder) in holders.enumerated() where h < layout.holders {
            w[layout.holderMM + h] = holder.mm
            w[layout.holderKind + h] = holder.kind
            if fine { w[layout.holderBusy + h] = holder.busy ? 1 : 0 }
        }
    }

    /// The packed form of this state.
    func packed(layout: StateLayout) -> [UInt64] {
        let w = UnsafeMutablePointer<Int32>.allocate(capacity: layout.fieldCount)
        defer { w.deallocate() }
        write(layout: layout, into: w)
        var words = [UInt64](repeating: 0, count: layout.words)
        words.withUnsafeMutableBufferPointer { layout.pack(w, into: $0.baseAddress!) }
        return words
    }
}
