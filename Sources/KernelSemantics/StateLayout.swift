import ModelLanguage

/// Where each field of a kernel state lives, both unpacked (an array of `Int32` the machine
/// works on) and packed (bit fields in `words` 64-bit words, no field straddling a word).
///
/// Unpacked fields, indexed by task id (slots 0..<T, then idle(c) = T + c) or mm index
/// (0 = `init_mm`, 1 + i = mm slot i):
/// - `mm[T+C]`, `activeMM[T+C]`: mm references (0 none, 1 init_mm, 2 + i slot i);
///   idle tasks' `mm` is always none and not packed;
/// - `status[T]`: a `TaskStatus` raw value: 0 unused, 1 runnable, 2 running, 3 exiting;
/// - `curr[C]`: 0 the CPU's idle task, 1 + t slot task t; `prevMM[C]`;
/// - `mmLive[M+1]`, `users[M+1]`, `count[M+1]`: `init_mm`'s liveness and users are
///   constants (not packed); its count is packed;
/// - one array `[T]` per `TaskField` (the kthread flag, the vfork link, ...), at
///   `offset(field)`: packed (1 bit for a flag, enough for `0...T` for a task link) only
///   when the model switches on an action that needs it (`stores(field)`); otherwise
///   always 0 and not part of the state, so such models keep their packed width and state
///   counts;
/// - with `holders N`: `holderMM[H]` and `holderKind[H]` (in fine mode also
///   `holderBusy[H]`), packed only then.
///
/// Fine mode adds what a paused routine needs, and nothing in coarse mode:
/// - `cpuPC[C]`: 0, or 1 + the yield point where the CPU's schedule action is paused;
///   `cpuFrame[C * scheduleSlots]`: its saved registers; `loaded[C]`: the mm loaded on
///   the CPU (inside a routine it can differ from the current task's active_mm);
/// - `taskPC[T]`, `taskFrame[T * taskSlots]`: where a task's own action is
///   paused (also while the task is switched out), and its saved registers;
/// - `status` takes a fifth value, `forming`: a clone's child while copy_mm runs.
///
/// A field that holds a task id or an mm reference must also be renamed by `Symmetry`
/// (its `apply`, references, keys and `identical`); `SymmetryTests` fails until it is.
public struct StateLayout: Sendable {
    /// The extra fields of fine mode: how many registers a paused frame saves, and the
    /// largest values a yield index and a saved register can hold.
    struct Frames: Sendable, Equatable {
        var scheduleSlots: Int
        var taskSlots: Int
        var yieldPoints: Int
        var largestSavedValue: Int
        init(scheduleSlots: Int, taskSlots: Int, yieldPoints: Int, largestSavedValue: Int) {
            self.scheduleSlots = scheduleSlots
            self.taskSlots = taskSlots
            self.yieldPoints = yieldPoints
            self.largestSavedValue = largestSavedValue
        }
    }

    let bounds: Bounds
    let frames: Frames?
    let taskIDs: Int
    let mm: Int, activeMM: Int, status: Int, curr: Int, prevMM: Int
    let mmLive: Int, users: Int, count: Int
    /// Fine mode's fields (all at `fieldCount` in coarse mode: empty).
    let cpuPC: Int, cpuFrame: Int, loaded: Int, taskPC: Int, taskFrame: Int
    /// Where the `TaskField` arrays start (`offset(_:)`).
    let taskFields: Int
    /// The holder slots (SEMANTICS.md §2.8, §2.9): `holderMM[H]`, the mm reference each holds;
    /// `holderKind[H]`, 0 for a free slot, else 1 + its `Action.HolderFamily`; in fine
    /// mode `holderBusy[H]`, 1 while an action of the slot is in progress.
    let holders: Int
    let holderMM: Int, holderKind: Int, holderBusy: Int
    /// The task fields that are part of the state, in `TaskField` order.
    let storedTaskFields: [TaskField]
    /// Number of unpacked fields.
    let fieldCount: Int
    /// Packed width in words.
    public let words: Int
    /// Packed width in bits actually used.
    public let bits: Int
    /// Bytes of the packed words that can be nonzero (the rest of the last word is zero).
    public let bytes: Int
    /// A split layout: the words of the first part (the second part is the rest); 0 when
    /// the layout is not split.
    public let splitWords: Int
    /// A split layout: how many components (each CPU, each task, the mms, the holders, in
    /// that order) the first part holds.
    let splitComponents: Int

    /// One packed field: where it is unpacked, and its word, shift and mask when packed.
    struct PackedField: Sendable {
        var offset: Int32
        var word: Int32
        var shift: UInt64
        var mask: UInt64
    }
    let packed: [PackedField]
    /// For each word, the end of its fields in `packed` (they are in word order).
    let wordEnds: [Int]
    /// For each unpacked field (by offset), where `packChanges` writes it: its word, its
    /// shift and its mask shifted into place (0 for a field not packed, a constant, so
    /// that writing it changes no bit).
    struct FieldChange: Sendable {
        var word: Int
        var shift: UInt64
        var mask: UInt64
    }
    let changes: [FieldChange]

    /// Largest packed width this version accepts.
    public static let maxWords = 16

    /// `init_mm`'s constant mm_users (the kernel's static value).
    static let initMMUsers: Int32 = 2

    /// The layout of a model with the switches `actions` (which decide the task fields and
    /// status values stored) at `bounds`; `frames` in fine mode.
    /// With `split`, the fields are packed component by component (each CPU, each task,
    /// the mms, the holders), and the second part begins on a new word, `splitWords` in:
    /// the two parts vary more nearly independently than the words of the usual order, so
    /// that the compressed store (`CompressedStore`) keeps few distinct halves.
    init(
        bounds: Bounds, actions: ActionSet = [], frames: Frames? = nil, holders: Int = 0, taskLock: Bool = false,
        split: Bool = false
    ) {
        self.bounds = bounds
        storedTaskFields = TaskField.allCases.filter {
            $0.isStored(actions: actions, taskLock: taskLock && frames != nil)
        }
        self.frames = frames
        self.holders = holders
        let c = bounds.cpus, t = bounds.tasks, m = bounds.mms
        taskIDs = t + c
        mm = 0
        activeMM = mm + taskIDs
        status = activeMM + taskIDs
        curr = status + t
        prevMM = curr + c
        mmLive = prevMM + c
        users = mmLive + m + 1
        count = users + m + 1
        taskFields = count + m + 1
        let ks = frames?.scheduleSlots ?? 0, kt = frames?.taskSlots ?? 0, fine = frames != nil
        holderMM = taskFields + StateLayout.taskFieldCount * t
        holderKind = holderMM + holders
        holderBusy = holderKind + holders
        cpuPC = holderBusy + (fine ? holders : 0)
        cpuFrame = cpuPC + (fine ? c : 0)
        loaded = cpuFrame + c * ks
        taskPC = loaded + (fine ? c : 0)
        taskFrame = taskPC + (fine ? t : 0)
        fieldCount = taskFrame + t * kt

        let refBits = StateLayout.width(m + 1)
        let currBits = StateLayout.width(t)
        let counterBits = StateLayout.width(bounds.cap)
        let statusBits = StateLayout.width(Int(TaskStatus.largest(fine: fine, actions: actions)))
        let kindBits = StateLayout.width(Action.HolderFamily.allCases.count)
        let pcBits = StateLayout.width(frames?.yieldPoints ?? 0)
        // A saved register holds a task id, an mm reference (or a dangling one, up to
        // 2m + 2), a `how`, a holder slot, or a number.
        let slotBits = StateLayout.width(
            max(frames?.largestSavedValue ?? 0, t + c, 2 * m + 2, bounds.cap, holders))
        // The fields, (offset, width), by component: each CPU, each task, the mms, the
        // holders; a component's core fields, then (fine mode) its paused frame.
        typealias Fields = [(offset: Int, width: Int)]
        var cpuCore: [Fields] = [], cpuFrames: [Fields] = [], taskCore: [Fields] = [], taskFrames: [Fields] = []
        for i in 0..<c {
            cpuCore.append([(curr + i, currBits), (prevMM + i, refBits), (activeMM + t + i, refBits)])
            var frame: Fields = []
            if fine {
                frame = [(cpuPC + i, pcBits), (loaded + i, refBits)]
                for j in 0..<ks { frame.append((cpuFrame + i * ks + j, slotBits)) }
            }
            cpuFrames.append(frame)
        }
        for i in 0..<t {
            var core: Fields = [(status + i, statusBits), (mm + i, refBits), (activeMM + i, refBits)]
            for f in storedTaskFields {
                core.append((taskFields + f.rawValue * t + i, f.content == .flag ? 1 : StateLayout.width(t)))
            }
            taskCore.append(core)
            var frame: Fields = []
            if fine {
                frame = [(taskPC + i, pcBits)]
                for j in 0..<kt { frame.append((taskFrame + i * kt + j, slotBits)) }
            }
            taskFrames.append(frame)
        }
        var mmFields: Fields = []
        for i in 1...m { mmFields += [(mmLive + i, 1), (users + i, counterBits), (count + i, counterBits)] }
        mmFields.append((count, counterBits))
        var holderFields: Fields = []
        for h in 0..<holders {
            holderFields += [(holderMM + h, refBits), (holderKind + h, kindBits)]
            if fine { holderFields.append((holderBusy + h, 1)) }
        }
        var fields: Fields
        var breakBefore = -1
        var firstPartComponents = 0
        if split {
            // Component by component, core and frame together, and a new word where the
            // second part begins: at the component boundary that best halves the bits.
            let components =
                (0..<c).map { cpuCore[$0] + cpuFrames[$0] } + (0..<t).map { taskCore[$0] + taskFrames[$0] }
                + [mmFields, holderFields].filter { !$0.isEmpty }
            let sizes = components.map { $0.reduce(0) { $0 + $1.width } }
            let total = sizes.reduce(0, +)
            var best = 1, bestGap = Int.max, before = 0
            for k in 1..<components.count {
                before += sizes[k - 1]
                let gap = abs(total - 2 * before)
                if gap < bestGap {
                    best = k
                    bestGap = gap
                }
            }
            fields = components.prefix(best).flatMap { $0 }
            breakBefore = fields.count
            firstPartComponents = best
            fields += components.dropFirst(best).flatMap { $0 }
        } else {
            fields =
                cpuCore.flatMap { $0 } + taskCore.flatMap { $0 } + mmFields + holderFields
                + cpuFrames.flatMap { $0 } + taskFrames.flatMap { $0 }
        }

        var placed: [PackedField] = []
        var word = 0, shift = 0, used = 0
        var firstRight = 0
        for (n, (offset, w)) in fields.enumerated() {
            if shift + w > 64 || (n == breakBefore && shift > 0) {
                word += 1
                shift = 0
            }
            if n == breakBefore { firstRight = word }
            placed.append(
                PackedField(offset: Int32(offset), word: Int32(word), shift: UInt64(shift), mask: (1 << UInt64(w)) - 1))
            shift += w
            used += w
        }
        splitWords = firstRight
        splitComponents = firstPartComponents
        packed = placed
        words = word + 1
        wordEnds = (0..<words).map { k in placed.lastIndex(where: { $0.word == k }).map { $0 + 1 } ?? 0 }
        var changes = [FieldChange](repeating: FieldChange(word: 0, shift: 0, mask: 0), count: fieldCount)
        for f in placed {
            changes[Int(f.offset)] = FieldChange(word: Int(f.word), shift: f.shift, mask: f.mask << f.shift)
        }
        self.changes = changes
        bits = used
        bytes = (word * 64 + shift + 7) / 8
    }

    /// The number of `TaskField`s (each has its array, stored or not).
    static let taskFieldCount = TaskField.allCases.count

    /// Where task field `f` of slot 0 is unpacked (slot t at `offset(f) + t`).
    @inline(__always)
    func offset(_ f: TaskField) -> Int { taskFields + f.rawValue * bounds.tasks }

    /// Whether task field `f` is part of the state.
    func stores(_ f: TaskField) -> Bool { storedTaskFields.contains(f) }

    /// Bits needed to hold values 0...maxValue.
    static func width(_ maxValue: Int) -> Int {
        var b = 1
        while (1 << b) <= maxValue { b += 1 }
        return b
    }

    /// Fills the fields that are constant and never packed.
    func initializeConstants(_ w: UnsafeMutablePointer<Int32>) {
        w.update(repeating: 0, count: fieldCount)
        w[mmLive] = 1
        w[users] = StateLayout.initMMUsers
    }

    /// Writes all `words` words of `out`. The fields are placed word by word, in order,
    /// and every word has some: each word is gathered in a register and stored once.
    @inline(__always)
    func pack(_ w: UnsafePointer<Int32>, into out: UnsafeMutablePointer<UInt64>) {
        packed.withUnsafeBufferPointer { fields in
            wordEnds.withUnsafeBufferPointer { ends in
                var i = 0
                for k in 0..<ends.count {
                    var bits: UInt64 = 0
                    let end = ends[k]
                    while i < end {
                        let f = fields[i]
                        let value = UInt64(UInt32(bitPattern: w[Int(f.offset)]))
                        assert(
                            value & ~f.mask == 0,
                            "field \(f.offset) holds \(w[Int(f.offset)]), wider than its \(f.mask.nonzeroBitCount) bits"
                        )
                        bits |= value &<< f.shift
                        i &+= 1
                    }
                    out[k] = bits
                }
            }
        }
    }

    /// `pack` of `w` when it differs from the state `parent` packs (all `words` words) only
    /// in fields marked in `dirty` (a bit per field offset, `dirtyWords` words): `parent`
    /// with those fields rewritten.
    @inline(__always)
    func packChanges(
        _ w: UnsafePointer<Int32>, dirty: UnsafePointer<UInt64>, words dirtyWords: Int,
        parent: UnsafePointer<UInt64>, into out: UnsafeMutablePointer<UInt64>
    ) {
        // Most states are a word or two: copied inline rather than by a call.
        switch words {
        case 1: out[0] = parent[0]
        case 2:
            out[0] = parent[0]
            out[1] = parent[1]
        default: out.update(from: parent, count: words)
        }
        changes.withUnsafeBufferPointer { changes in
            for d in 0..<dirtyWords {
                var bits = dirty[d]
                while bits != 0 {
                    let offset = d &<< 6 &+ bits.trailingZeroBitCount
                    bits &= bits &- 1
                    let c = changes[offset]
                    let value = UInt64(UInt32(bitPattern: w[offset])) &<< c.shift
                    assert(
                        c.mask == 0
                            || (value & ~c.mask == 0 && value &>> c.shift == UInt64(UInt32(bitPattern: w[offset]))),
                        "field \(offset) holds \(w[offset]), wider than its bits")
                    out[c.word] = out[c.word] & ~c.mask | value & c.mask
                }
            }
        }
    }

    @inline(__always)
    func unpack(_ s: UnsafePointer<UInt64>, into w: UnsafeMutablePointer<Int32>) {
        packed.withUnsafeBufferPointer { fields in
            for f in fields {
                w[Int(f.offset)] = Int32(truncatingIfNeeded: (s[Int(f.word)] &>> f.shift) & f.mask)
            }
        }
    }
}

// MARK: The split

extension StateLayout {
    /// What each part of a split layout holds, e.g. "CPUs 0-1, task 0 | tasks 1-2, the mms".
    public var splitDescription: String {
        let c = bounds.cpus, t = bounds.tasks
        func range(_ what: String, _ from: Int, _ to: Int) -> String? {
            guard to > from else { return nil }
            return to - from == 1 ? "\(what) \(from)" : "\(what)s \(from)-\(to - 1)"
        }
        func part(_ from: Int, _ to: Int) -> String {
            var out: [String] = []
            if let r = range("CPU", min(from, c), min(to, c)) { out.append(r) }
            if let r = range("task", min(max(from - c, 0), t), min(max(to - c, 0), t)) { out.append(r) }
            if from <= c + t && to > c + t { out.append("the mms") }
            if holders > 0 && to > c + t + 1 { out.append("the holders") }
            return out.joined(separator: ", ")
        }
        let all = c + t + 1 + (holders > 0 ? 1 : 0)
        return "\(part(0, splitComponents)) | \(part(splitComponents, all))"
    }
}

// MARK: The curr encoding

extension StateLayout {
    /// The `curr` field of a CPU that runs its idle task.
    static let idleCurr: Int32 = 0

    /// The task CPU c runs, from its `curr` field `e`: `idleCurr` is the CPU's idle task
    /// (task id `tasks + c`), 1 + t is slot task t. The one place the encoding is decoded.
    @inline(__always)
    static func currentTask(curr e: Int32, cpu c: Int, tasks: Int32) -> Int32 {
        e == idleCurr ? tasks + Int32(c) : e - 1
    }

    /// The `curr` field naming task t (an idle task, t >= `tasks`, is `idleCurr`).
    @inline(__always)
    static func currField(task t: Int32, tasks: Int32) -> Int32 { t < tasks ? t + 1 : idleCurr }

    /// The task CPU c runs in the unpacked state `w`, as a task id (idle(c) = T + c).
    @inline(__always)
    func currentTask(_ w: UnsafePointer<Int32>, cpu c: Int) -> Int32 {
        StateLayout.currentTask(curr: w[curr + c], cpu: c, tasks: Int32(bounds.tasks))
    }
}
