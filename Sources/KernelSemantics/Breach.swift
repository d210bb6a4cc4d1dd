/// What exactly went wrong in a violating step: the property, the mm and task involved,
/// the statement (site) that failed, and the specific reason.
public struct Breach: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// free/exit_mmap/switch_mm (to or away from)/counter/assignment on an mm slot that
        /// is not live.
        case notLive(Use)
        /// none used as an mm.
        case noneUsed(Use)
        case freeInitMM
        case exitMmapInitMM
        case initMMUsersChanged
        case initMMAsMM
        case freeWithUsers(Int32)
        /// A task (id) still has the mm as its `mm` (field 0) or `active_mm` (field 1).
        case freeHeldByTask(task: Int32, activeMM: Bool)
        case freePendingInPrevMM(cpu: Int32)
        case freeLoaded(cpu: Int32)
        case freeAtCount(Int32)
        case underflow(counter: Counter, value: Int32)
        /// users raised from 0: an mmget where mmget_not_zero was needed.
        case usersFromZero
        case overCap(counter: Counter, cap: Int32)
        case liveAtZeroCount
        case noHolder
        case deadTaskHolds(task: Int32, activeMM: Bool)
        case teardownInUse(task: Int32)
        /// access_remote_vm of an mm whose users are 0: its address space is torn down (or
        /// being torn down), and nothing pins it.
        case accessWithoutUsers
        /// access_remote_vm of init_mm.
        case accessInitMM
        /// free while a holder slot still holds the mm.
        case freeHeldByHolder(holder: Int32)
        case activeMMDiffers(task: Int32)
        case staleActiveMM(task: Int32)
        case runningWithoutActiveMM(task: Int32)
        /// The model's code cannot run: no free mm slot for new_mm().
        case noFreeMMSlot
        /// The model's code gives an idle task an mm.
        case idleTaskMM(task: Int32)
    }

    /// How an mm was used when it was found not live (or none).
    public enum Use: String, Sendable {
        case free
        case exitMmap = "exit_mmap"
        case switchMM = "switch_mm"
        /// The `prev` of switch_mm(prev, next).
        case switchAwayFrom = "switch_mm away from"
        case accessRemoteVM = "access_remote_vm"
        case readCounter = "read a counter of"
        case
            changeCounter = "change a counter of"
        case assign = "assign"
    }

    public enum Counter: String, Sendable { case users, count }

    /// Outcome code: a `Property` raw value or `Property.modelErrorCode`.
    public var code: Int32
    public var reason: Reason
    /// mm reference involved (0 none).
    public var mm: Int32
    /// Index into the model's sites of the failing statement, or -1 for a state-level check.
    public var site: Int32

    public var property: Property? { Property(rawValue: Int(code)) }
}
