/// One operation of compiled model code: a register machine over small integers.
///
/// Registers hold task ids, mm references, `how` values or counter values, as the
/// kernel semantics encodes them. Every routine call is inlined at compile time, so an
/// action is one straight run of instructions with fixed registers and no call stack.
/// The language has no loops: every jump goes forward (`CompiledModel.jumpsOnlyForward`).
public struct Instruction: Sendable, Equatable {
    public enum Operation: UInt8, Sendable {
        /// r[a] = b
        case constant
        /// r[a] = r[b]
        case move
        /// r[a] = task(r[b]).mm
        case loadMM
        /// r[a] = task(r[b]).active_mm
        case loadActiveMM
        /// task(r[a]).mm = r[b]
        case storeMM
        /// task(r[a]).active_mm = r[b]
        case storeActiveMM
        /// r[a] = cpu.prev_mm
        case loadPrevMM
        /// cpu.prev_mm = r[a]
        case storePrevMM
        /// r[a] = cpu.curr
        case loadCurr
        /// r[a] = mm(r[b]).users
        case loadUsers
        /// r[a] = mm(r[b]).count
        case loadCount
        /// mm(r[a]).users += b
        case addUsers
        /// mm(r[a]).count += b
        case addCount
        /// r[a] = a new mm (lowest free slot, users = count = 1)
        case newMM
        /// free(r[a])
        case free
        /// exit_mmap(r[a])
        case exitMmap
        /// switch_mm(r[a]) on the acting CPU; c = 1: switch_mm(r[b], r[a]), switching away
        /// from r[b], which is a use of it
        case switchMM
        /// pc = c
        case jump
        /// if r[a] == r[b] { pc = c }
        case jumpIfEqual
        /// if r[a] != r[b] { pc = c }
        case jumpIfNotEqual
        /// if r[a] < r[b] { pc = c }
        case jumpIfLess
        /// if r[a] <= r[b] { pc = c }
        case jumpIfLessOrEqual
        /// end of the action's code
        case end
        /// fine mode: a statement boundary, yield point a (b = 1: preemptible); a step
        /// that reaches it (other than where it started) pauses here
        case yield
        /// r[a] = holder(r[b]).mm
        case loadHolderMM
        /// holder(r[a]).mm = r[b]
        case storeHolderMM
        /// access_remote_vm(r[a]): a use of the mm's address space
        case accessRemoteVM
        /// task_lock(task(r[a])): in fine mode the step waits while another CPU holds it
        case lockTask
        /// task_unlock(task(r[a]))
        case unlockTask
        /// Coarse compact code only (`CompactCoarseCode`): a load and the jump that tests
        /// what it loaded, as one instruction, `b` what the load reads from and `a` what
        /// the value is compared with. if task(r[b]).mm == r[a] { pc = c }
        case jumpIfMMEqual
        /// if task(r[b]).mm != r[a] { pc = c }
        case jumpIfMMNotEqual
        /// if mm(r[b]).users == r[a] { pc = c }, failing where `loadUsers` would
        case jumpIfUsersEqual
        /// if mm(r[b]).users != r[a] { pc = c }, failing where `loadUsers` would
        case jumpIfUsersNotEqual
        /// if mm(r[b]).count == r[a] { pc = c }, failing where `loadCount` would
        case jumpIfCountEqual
        /// if mm(r[b]).count != r[a] { pc = c }, failing where `loadCount` would
        case jumpIfCountNotEqual
    }

    public var operation: Operation
    public var a: Int32
    public var b: Int32
    public var c: Int32
    /// Index into `CompiledModel.sites`: the statement this instruction belongs to.
    public var site: Int32

    init(_ operation: Operation, _ a: Int32 = 0, _ b: Int32 = 0, _ c: Int32 = 0, site: Int32) {
        self.operation = operation
        self.a = a
        self.b = b
        self.c = c
        self.site = site
    }
}

/// The registers an instruction reads and writes: the one place that says which operand
/// is which (`Liveness`, `CompactCoarseCode`).
extension Instruction {
    /// Operand `a` is a register the instruction reads.
    public var readsA: Bool {
        switch operation {
        case .storeMM, .storeActiveMM, .storeHolderMM, .storePrevMM, .addUsers, .addCount, .free, .exitMmap,
            .accessRemoteVM, .lockTask, .unlockTask, .switchMM, .jumpIfEqual, .jumpIfNotEqual, .jumpIfLess,
            .jumpIfLessOrEqual, .jumpIfMMEqual, .jumpIfMMNotEqual, .jumpIfUsersEqual, .jumpIfUsersNotEqual,
            .jumpIfCountEqual, .jumpIfCountNotEqual:
            return true
        default: return false
        }
    }

    /// Operand `b` is a register the instruction reads (`switchMM` reads its `prev` only
    /// when `c` says it has one).
    public var readsB: Bool {
        switch operation {
        case .move, .loadMM, .loadActiveMM, .loadUsers, .loadCount, .loadHolderMM, .storeMM, .storeActiveMM,
            .storeHolderMM, .jumpIfEqual, .jumpIfNotEqual, .jumpIfLess, .jumpIfLessOrEqual, .jumpIfMMEqual,
            .jumpIfMMNotEqual, .jumpIfUsersEqual, .jumpIfUsersNotEqual, .jumpIfCountEqual, .jumpIfCountNotEqual:
            return true
        case .switchMM: return c != 0
        default: return false
        }
    }

    /// Operand `a` is the register the instruction writes.
    public var writesA: Bool {
        switch operation {
        case .constant, .loadPrevMM, .loadCurr, .newMM, .move, .loadMM, .loadActiveMM, .loadUsers, .loadCount,
            .loadHolderMM:
            return true
        default: return false
        }
    }
}

extension Instruction.Operation {
    /// Sets the program counter to `c` (always, or when its condition holds).
    public var isJump: Bool {
        switch self {
        case .jump, .jumpIfEqual, .jumpIfNotEqual, .jumpIfLess, .jumpIfLessOrEqual, .jumpIfMMEqual, .jumpIfMMNotEqual,
            .jumpIfUsersEqual, .jumpIfUsersNotEqual, .jumpIfCountEqual, .jumpIfCountNotEqual:
            return true
        default: return false
        }
    }

    /// Reads or writes the kernel state (not only registers and the program counter).
    @inline(__always)
    public var touchesState: Bool {
        switch self {
        case .constant, .move, .jump, .jumpIfEqual, .jumpIfNotEqual, .jumpIfLess, .jumpIfLessOrEqual, .end, .yield:
            return false
        default:
            return true
        }
    }
}

/// The statement an instruction came from: its place in the file and the chain of inlined
/// routine calls it was reached through (for example `finish_task_switch > mmdrop`).
public struct Site: Sendable, Equatable, Hashable {
    public var location: SourceLocation
    public var routine: String
    public var chain: String
}
