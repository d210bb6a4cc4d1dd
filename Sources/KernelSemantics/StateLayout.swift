/// Where each field of a kernel state lives, both unpacked (an array of `Int32` the machine
/// works on) and packed (bit fields in `words` 64-bit words, no field straddling a word).
///
/// Unpacked fields, indexed by task id (slots 0..<T, then idle(c) = T + c) or mm index
/// (0 = `init_mm`, 1 + i = mm slot i):
/// - `mm[T+C]`, `activeMM[T+C]`: mm references (0 none, 1 init_mm, 2 + i slot i);
///   idle tasks' `mm` is always none and not packed;
/// - `status[T]`: 0 unused, 1 runnable, 2 running, 3 exiting;
/// - `curr[C]`: 0 the CPU's idle task, 1 + t slot task t; `prevMM[C]`;
/// - `mmLive[M+1]`, `users[M+1]`, `count[M+1]`: `init_mm`'s liveness and users are
///   constants (not packed); its count is packed;
/// - `kthread[T]`: each task slot's PF_KTHREAD flag, 0 or 1. Packed (one bit a slot) only
///   when the model switches on use_mm (`tracksKthread`); otherwise always 0 and not part
///   of the state, so such models keep their packed width and state counts.
public struct StateLayout: Sendable {
    public let bounds: Bounds
    public let taskIDs: Int
    public let mm: Int, activeMM: Int, status: Int, curr: Int, prevMM: Int
    public let mmLive: Int, users: Int, count: Int
    public let kthread: Int
    /// Whether the kthread flags are part of the state.
    public let tracksKthread: Bool
    /// Number of unpacked fields.
    public let fieldCount: Int
    /// Packed width in words.
    public let words: Int
    /// Packed width in bits actually used.
    public let bits: Int

    /// One packed field: where it is unpacked, and its word, shift and mask when packed.
    struct PackedField: Sendable {
        var offset: Int32
        var word: Int32
        var shift: UInt64
        var mask: UInt64
    }
    let packed: [PackedField]

    /// Largest packed width this version accepts.
    public static let maxWords = 16

    public static let unused: Int32 = 0, runnable: Int32 = 1, running: Int32 = 2, exiting: Int32 = 3
    /// `init_mm`'s constant mm_users (the kernel's static value).
    public static let initMMUsers: Int32 = 2

    public init(bounds: Bounds, tracksKthread: Bool = false) {
        self.bounds = bounds
        self.tracksKthread = tracksKthread
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
        kthread = count + m + 1
        fieldCount = kthread + t

        let refBits = StateLayout.width(m + 1)
        let currBits = StateLayout.width(t)
        let counterBits = StateLayout.width(bounds.cap)
        var fields: [(Int, Int)] = []  // (offset, width)
        for i in 0..<c { fields.append((curr + i, currBits)); fields.append((prevMM + i, refBits)); fields.append((activeMM + t + i, refBits)) }
        for i in 0..<t {
            fields.append((status + i, 2)); fields.append((mm + i, refBits)); fields.append((activeMM + i, refBits))
            if tracksKthread { fields.append((kthread + i, 1)) }
        }
        for i in 1...m { fields.append((mmLive + i, 1)); fields.append((users + i, counterBits)); fields.append((count + i, counterBits)) }
        fields.append((count, counterBits))

        var placed: [PackedField] = []
        var word = 0, shift = 0, used = 0
        for (offset, w) in fields {
            if shift + w > 64 {
                word += 1
                shift = 0
            }
            placed.append(PackedField(offset: Int32(offset), word: Int32(word), shift: UInt64(shift), mask: (1 << UInt64(w)) - 1))
            shift += w
            used += w
        }
        packed = placed
        words = word + 1
        bits = used
    }

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

    @inline(__always)
    func pack(_ w: UnsafePointer<Int32>, into out: UnsafeMutablePointer<UInt64>) {
        packed.withUnsafeBufferPointer { fields in
            for f in fields {
                out[Int(f.word)] |= UInt64(UInt32(bitPattern: w[Int(f.offset)])) &<< f.shift
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
