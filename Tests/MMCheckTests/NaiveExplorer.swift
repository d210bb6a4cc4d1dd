// A deliberately naive second explorer for the linux-6 model (models/linux-6.mmc), written
// straight from the reference semantics (models/SEMANTICS.md, first written as PROTOCOL.md), to cross-check the production checker's counts.
//
// Independence is the point: nothing here uses the production modules (no model compiler,
// no KernelSemantics state or steps, no packed states, no Explorer search). The state is a
// plain struct of arrays, the linux-6 routines are hand-written Swift, and the search is a
// textbook breadth-first search over a `Set`. Speed is not a goal; readability is.

/// An mm a task, CPU or routine can name: `init_mm` or one of the `M` mm slots.
enum NaiveMM: Hashable, CustomStringConvertible {
    case initMM
    case slot(Int)

    var description: String {
        switch self {
        case .initMM: return "init_mm"
        case .slot(let i): return "mm\(i)"
        }
    }
}

/// A task: the idle task of a CPU, or one of the `T` task slots (slot 0 is `init`, slot 1
/// `kthreadd`).
enum NaiveTaskRef: Hashable, CustomStringConvertible {
    case idle(cpu: Int)
    case slot(Int)

    var description: String {
        switch self {
        case .idle(let c): return "idle\(c)"
        case .slot(let i): return "task\(i)"
        }
    }
}

/// One state between whole actions (coarse mode), holding exactly what the reference semantics'
/// "What is stored" lists: per CPU `curr`, `prev_mm` and the idle task's `active_mm`; per
/// task slot `status`, `mm`, `active_mm`; per mm slot `status`, `users`, `count`; and
/// `init_mm.count`. Nothing else (no kthread flag: linux-6 does not use kthread_use_mm).
struct NaiveState: Hashable, CustomStringConvertible {
    enum Status: Hashable { case unused, runnable, running, exiting }

    struct CPU: Hashable {
        var curr: NaiveTaskRef
        var prevMM: NaiveMM? = nil
        /// The idle task's `active_mm` (its `mm` is always none).
        var idleActiveMM: NaiveMM? = nil
    }

    struct Task: Hashable {
        var status: Status = .unused
        var mm: NaiveMM? = nil
        var activeMM: NaiveMM? = nil
    }

    struct MM: Hashable {
        var live = false
        var users = 0
        var count = 0
    }

    var cpus: [CPU]
    var tasks: [Task]
    var mms: [MM]
    var initMMCount: Int

    // --- reading and writing a task's fields, idle tasks included ---

    func mm(of t: NaiveTaskRef) -> NaiveMM? {
        switch t {
        case .idle: return nil
        case .slot(let i): return tasks[i].mm
        }
    }

    func activeMM(of t: NaiveTaskRef) -> NaiveMM? {
        switch t {
        case .idle(let c): return cpus[c].idleActiveMM
        case .slot(let i): return tasks[i].activeMM
        }
    }

    mutating func setActiveMM(_ m: NaiveMM?, of t: NaiveTaskRef) {
        switch t {
        case .idle(let c): cpus[c].idleActiveMM = m
        case .slot(let i): tasks[i].activeMM = m
        }
    }

    /// Every task that exists: the idle tasks and the used task slots.
    var existingTasks: [NaiveTaskRef] {
        cpus.indices.map { NaiveTaskRef.idle(cpu: $0) }
            + tasks.indices.filter { tasks[$0].status != .unused }.map { NaiveTaskRef.slot($0) }
    }

    /// Whether `t` is current on some CPU.
    func isCurrent(_ t: NaiveTaskRef) -> Bool { cpus.contains { $0.curr == t } }

    /// The CPU task slot `i` is current on, if any.
    func cpu(running i: Int) -> Int? { cpus.indices.first { cpus[$0].curr == .slot(i) } }

    var lowestFreeTaskSlot: Int? { tasks.indices.first { tasks[$0].status == .unused } }
    var lowestFreeMMSlot: Int? { mms.indices.first { !mms[$0].live } }

    var description: String {
        func name(_ m: NaiveMM?) -> String { m.map(\.description) ?? "none" }
        var parts: [String] = []
        for (c, cpu) in cpus.enumerated() {
            parts.append(
                "cpu\(c){curr \(cpu.curr), prev_mm \(name(cpu.prevMM)), idle.active \(name(cpu.idleActiveMM))}")
        }
        for (i, t) in tasks.enumerated() where t.status != .unused {
            parts.append("task\(i){\(t.status), mm \(name(t.mm)), active \(name(t.activeMM))}")
        }
        for (i, m) in mms.enumerated() where m.live {
            parts.append("mm\(i){users \(m.users), count \(m.count)}")
        }
        parts.append("init_mm{count \(initMMCount)}")
        return parts.joined(separator: " ")
    }
}

/// A property violation the naive explorer found: the reference semantics' property name (or one of
/// the explorer's own extra invariants), and what happened.
struct NaiveViolation: Error, Hashable, CustomStringConvertible {
    var property: String
    var detail: String
    var description: String { "\(property): \(detail)" }
}

/// One action of the reference semantics' coarse mode.
enum NaiveAction: Hashable, CustomStringConvertible {
    enum How: Hashable { case thread, fork, kthread }

    case schedule(cpu: Int, next: NaiveTaskRef)
    case exit(task: Int)
    case clone(task: Int, how: How)

    var description: String {
        switch self {
        case .schedule(let c, let next): return "schedule(cpu\(c), \(next))"
        case .exit(let t): return "exit(task\(t))"
        case .clone(let t, let how): return "clone(task\(t), \(how))"
        }
    }
}

/// The execution of one action: the state being changed, the acting CPU and its loaded mm
/// (a local of the step: between steps it is always `curr.active_mm`), and the linux-6
/// routines of models/linux-6.mmc, each throwing at the first property it breaks.
struct NaiveStep {
    var s: NaiveState
    let cpu: Int
    let cap: Int
    var loaded: NaiveMM?

    // --- checks shared by the routines ---

    /// An mm used by a routine must be `init_mm` or a live slot ("None used as an mm" and
    /// reading/counting a freed slot are both no-use-after-free).
    func requireLive(_ m: NaiveMM?, _ use: String) throws -> NaiveMM {
        guard let m else {
            throw NaiveViolation(property: "no-use-after-free", detail: "\(use) of none")
        }
        if case .slot(let i) = m, !s.mms[i].live {
            throw NaiveViolation(property: "no-use-after-free", detail: "\(use) of freed \(m)")
        }
        return m
    }

    func requireBelowCap(_ value: Int, _ counter: String) throws {
        if value + 1 > cap {
            throw NaiveViolation(property: "no-underflow", detail: "\(counter) would pass the cap \(cap)")
        }
    }

    // --- include/linux/sched/mm.h, kernel/fork.c ---

    mutating func mmgrab(_ m: NaiveMM?) throws {
        let m = try requireLive(m, "mmgrab")
        switch m {
        case .initMM:
            try requireBelowCap(s.initMMCount, "init_mm.count")
            s.initMMCount += 1
        case .slot(let i):
            try requireBelowCap(s.mms[i].count, "\(m).count")
            s.mms[i].count += 1
        }
    }

    mutating func mmdrop(_ m: NaiveMM?) throws {
        let m = try requireLive(m, "mmdrop")
        let countNow: Int
        switch m {
        case .initMM:
            s.initMMCount -= 1
            countNow = s.initMMCount
        case .slot(let i):
            s.mms[i].count -= 1
            countNow = s.mms[i].count
        }
        if countNow < 0 {
            throw NaiveViolation(property: "no-underflow", detail: "\(m).count below 0")
        }
        if countNow == 0 {
            try free(m)  // __mmdrop
        }
    }

    mutating func mmget(_ m: NaiveMM?) throws {
        let m = try requireLive(m, "mmget")
        // init_mm's users is a constant and not part of the state (unreachable in linux-6).
        guard case .slot(let i) = m else { return }
        if s.mms[i].users == 0 {
            throw NaiveViolation(property: "no-users-from-zero", detail: "\(m).users raised from 0")
        }
        try requireBelowCap(s.mms[i].users, "\(m).users")
        s.mms[i].users += 1
    }

    mutating func mmput(_ m: NaiveMM?) throws {
        let m = try requireLive(m, "mmput")
        guard case .slot(let i) = m else { return }
        s.mms[i].users -= 1
        if s.mms[i].users < 0 {
            throw NaiveViolation(property: "no-underflow", detail: "\(m).users below 0")
        }
        if s.mms[i].users == 0 {
            try exitMmap(m)  // __mmput
            try mmdrop(m)  // the users' collective count
        }
    }

    /// Tears down the user mappings: no task may still have `m` as its `mm`.
    mutating func exitMmap(_ m: NaiveMM) throws {
        _ = try requireLive(m, "exit_mmap")
        for t in s.existingTasks where s.mm(of: t) == m {
            throw NaiveViolation(property: "no-teardown-in-use", detail: "exit_mmap(\(m)) while \(t).mm is it")
        }
    }

    /// Frees `m`, checking in the reference semantics' order: use-after-free, no-free-while-borrowed,
    /// free-at-zero (init_mm: init-mm-immortal). The slot goes back to unused, counters 0.
    mutating func free(_ m: NaiveMM) throws {
        guard case .slot(let i) = m else {
            throw NaiveViolation(property: "init-mm-immortal", detail: "init_mm freed")
        }
        guard s.mms[i].live else {
            throw NaiveViolation(property: "no-use-after-free", detail: "\(m) freed twice")
        }
        if s.mms[i].users != 0 {
            throw NaiveViolation(property: "no-free-while-borrowed", detail: "\(m) freed with users \(s.mms[i].users)")
        }
        for t in s.existingTasks where s.mm(of: t) == m || s.activeMM(of: t) == m {
            throw NaiveViolation(property: "no-free-while-borrowed", detail: "\(m) freed while \(t) holds it")
        }
        for (c, cpu) in s.cpus.enumerated() where cpu.prevMM == m {
            throw NaiveViolation(
                property: "no-free-while-borrowed", detail: "\(m) freed while pending in cpu\(c).prev_mm")
        }
        if loaded == m {
            throw NaiveViolation(property: "no-free-while-borrowed", detail: "\(m) freed while loaded on cpu\(cpu)")
        }
        if s.mms[i].count != 0 {
            throw NaiveViolation(property: "free-at-zero", detail: "\(m) freed at count \(s.mms[i].count)")
        }
        s.mms[i] = NaiveState.MM()
    }

    /// Loads `m`'s page tables on the acting CPU.
    mutating func switchMM(_ m: NaiveMM?) throws {
        loaded = try requireLive(m, "switch_mm")
    }

    /// dup_mm: the lowest free mm slot, with `users = count = 1` (the caller checked one
    /// is free: clone(fork) is enabled only then).
    mutating func newMM() -> NaiveMM {
        let i = s.lowestFreeMMSlot!
        s.mms[i] = NaiveState.MM(live: true, users: 1, count: 1)
        return .slot(i)
    }

    // --- kernel/sched/core.c (since v5.4) ---

    mutating func contextSwitch(prev: NaiveTaskRef, next: NaiveTaskRef) throws {
        if s.mm(of: next) == nil {
            // To a kernel thread: stay lazy, on prev's active_mm.
            let borrowed = try requireLive(s.activeMM(of: prev), "next.active_mm = prev.active_mm")
            s.setActiveMM(borrowed, of: next)
            if s.mm(of: prev) != nil {
                try mmgrab(s.activeMM(of: prev))  // user -> kernel: grab
            } else {
                s.setActiveMM(nil, of: prev)  // kernel -> kernel: hand over
            }
        } else {
            // To a user task.
            try switchMM(s.mm(of: next))
            if s.mm(of: prev) == nil {  // kernel -> user: drop later
                s.cpus[cpu].prevMM = s.activeMM(of: prev)
                s.setActiveMM(nil, of: prev)
            }
        }
    }

    mutating func finishTaskSwitch(prev: NaiveTaskRef) throws {
        let m = s.cpus[cpu].prevMM
        s.cpus[cpu].prevMM = nil
        if m != nil {
            try mmdrop(m)
        }
    }

    // --- kernel/exit.c ---

    mutating func exitMM(_ t: Int) throws {
        guard let m = s.tasks[t].mm else { return }
        try mmgrab(m)  // the exiting task becomes a lazy user of m
        s.tasks[t].mm = nil  // active_mm stays m until the final switch
        try mmput(m)
    }

    // --- kernel/fork.c ---

    mutating func copyMM(parent: Int, child: Int, how: NaiveAction.How) throws {
        s.tasks[child].mm = nil
        s.tasks[child].activeMM = nil
        guard let parentMM = s.tasks[parent].mm else { return }  // a kernel thread
        if how == .thread {  // CLONE_VM
            try mmget(parentMM)
            s.tasks[child].mm = parentMM
            s.tasks[child].activeMM = parentMM
        } else {  // fork: dup_mm
            let m = newMM()
            s.tasks[child].mm = m
            s.tasks[child].activeMM = m
        }
    }
}

/// What a naive run found.
struct NaiveResult {
    var states = 0
    /// Every firing of an enabled action from a reached state, violating ones included.
    var transitions = 0
    /// The deepest BFS level at which a new state was found (the initial state is level 0).
    var depth = 0
    /// New states found at each BFS level.
    var levelSizes: [Int] = []
    /// Every violation found (state, action, what), the first ones kept in full.
    var violationCount = 0
    var violations: [String] = []
}

/// The naive explorer of linux-6 at bounds (C, T, M), in the reference semantics' coarse mode.
struct NaiveExplorer {
    let cpus: Int
    let tasks: Int
    let mms: Int
    let cap: Int

    /// The counter cap defaults to the reference semantics' `2·(T + C) + 2`.
    init(cpus: Int, tasks: Int, mms: Int, cap: Int? = nil) {
        self.cpus = cpus
        self.tasks = tasks
        self.mms = mms
        self.cap = cap ?? 2 * (tasks + cpus) + 2
    }

    /// The reference boot.
    func initialState() -> NaiveState {
        var s = NaiveState(
            cpus: (0..<cpus).map { NaiveState.CPU(curr: .idle(cpu: $0), prevMM: nil, idleActiveMM: .initMM) },
            tasks: Array(repeating: NaiveState.Task(), count: tasks),
            mms: Array(repeating: NaiveState.MM(), count: mms),
            initMMCount: 1 + cpus)
        s.tasks[0] = NaiveState.Task(status: .runnable, mm: .slot(0), activeMM: .slot(0))  // init
        s.mms[0] = NaiveState.MM(live: true, users: 1, count: 1)
        if tasks >= 2 {
            s.tasks[1] = NaiveState.Task(status: .runnable, mm: nil, activeMM: nil)  // kthreadd
        }
        return s
    }

    /// Every action enabled in `s`, with the reference semantics' enabling conditions.
    func enabledActions(_ s: NaiveState) -> [NaiveAction] {
        var actions: [NaiveAction] = []
        for c in 0..<cpus {
            // schedule(c, next): next runnable (from any CPU), or next = idle(c) when
            // idle(c) is not already current.
            for i in 0..<tasks where s.tasks[i].status == .runnable {
                actions.append(.schedule(cpu: c, next: .slot(i)))
            }
            if s.cpus[c].curr != .idle(cpu: c) {
                actions.append(.schedule(cpu: c, next: .idle(cpu: c)))
            }
        }
        // exit and clone: a running slot task that is not exiting (idle tasks only schedule).
        for i in 0..<tasks where s.tasks[i].status == .running {
            actions.append(.exit(task: i))
            guard s.lowestFreeTaskSlot != nil else { continue }
            if s.tasks[i].mm == nil {
                actions.append(.clone(task: i, how: .kthread))
            } else {
                actions.append(.clone(task: i, how: .thread))
                if s.lowestFreeMMSlot != nil {
                    actions.append(.clone(task: i, how: .fork))
                }
            }
        }
        return actions
    }

    /// Fires `action` from `s`: the next state, or the first violation.
    func fire(_ action: NaiveAction, from s: NaiveState) -> Result<NaiveState, NaiveViolation> {
        do {
            var after: NaiveState
            switch action {
            case .schedule(let c, let next):
                let prev = s.cpus[c].curr
                var step = NaiveStep(s: s, cpu: c, cap: cap, loaded: s.activeMM(of: prev))
                try step.contextSwitch(prev: prev, next: next)
                try step.finishTaskSwitch(prev: prev)
                after = step.s
                // The statuses and curr change at the end of the action.
                if case .slot(let p) = prev {
                    if after.tasks[p].status == .exiting {
                        let dead = after.tasks[p]
                        if dead.mm != nil || dead.activeMM != nil {
                            throw NaiveViolation(
                                property: "no-leak",
                                detail:
                                    "dead \(prev) still holds mm \(String(describing: dead.mm)) / active_mm \(String(describing: dead.activeMM))"
                            )
                        }
                        after.tasks[p] = NaiveState.Task()  // slot cleared
                    } else {
                        after.tasks[p].status = .runnable
                    }
                }
                if case .slot(let n) = next {
                    after.tasks[n].status = .running
                }
                after.cpus[c].curr = next

            case .exit(let t):
                let c = s.cpu(running: t)!
                var step = NaiveStep(s: s, cpu: c, cap: cap, loaded: s.tasks[t].activeMM)
                try step.exitMM(t)
                after = step.s
                after.tasks[t].status = .exiting

            case .clone(let t, let how):
                let c = s.cpu(running: t)!
                let child = s.lowestFreeTaskSlot!
                var step = NaiveStep(s: s, cpu: c, cap: cap, loaded: s.tasks[t].activeMM)
                try step.copyMM(parent: t, child: child, how: how)
                after = step.s
                after.tasks[child].status = .runnable
            }
            if let v = invariantViolation(after) { throw v }
            return .success(after)
        } catch let v as NaiveViolation {
            return .failure(v)
        } catch {
            return .failure(NaiveViolation(property: "internal", detail: "\(error)"))
        }
    }

    /// The state properties, checked independently in every reached state: the ones
    /// the reference semantics state, plus exact reference accounting (which linux-6 keeps).
    func invariantViolation(_ s: NaiveState) -> NaiveViolation? {
        func fail(_ property: String, _ detail: String) -> NaiveViolation {
            NaiveViolation(property: property, detail: detail)
        }
        // Counters non-negative and within the cap.
        if s.initMMCount < 0 || s.initMMCount > cap { return fail("no-underflow", "init_mm.count \(s.initMMCount)") }
        for (i, m) in s.mms.enumerated() {
            if m.users < 0 || m.count < 0 || m.users > cap || m.count > cap {
                return fail("no-underflow", "mm\(i) users \(m.users) count \(m.count)")
            }
            if !m.live && (m.users != 0 || m.count != 0) {
                return fail("slot-cleared", "unused mm\(i) has users \(m.users) count \(m.count)")
            }
        }
        // Unused task slots hold nothing.
        for (i, t) in s.tasks.enumerated() where t.status == .unused && (t.mm != nil || t.activeMM != nil) {
            return fail("no-leak", "unused task\(i) holds an mm")
        }
        // Between actions no prev_mm is pending (coarse mode).
        for (c, cpu) in s.cpus.enumerated() where cpu.prevMM != nil {
            return fail("prev-mm-empty", "cpu\(c).prev_mm is \(cpu.prevMM!) between actions")
        }
        // No freed mm referenced by a task or CPU; init_mm is never a task's mm.
        func isFreed(_ m: NaiveMM?) -> Bool {
            if case .slot(let i)? = m { return !s.mms[i].live }
            return false
        }
        for t in s.existingTasks {
            if isFreed(s.mm(of: t)) || isFreed(s.activeMM(of: t)) {
                return fail("no-use-after-free", "\(t) references a freed mm")
            }
            if s.mm(of: t) == .initMM { return fail("init-mm-immortal", "\(t).mm is init_mm") }
        }
        // Status "running" exactly when current on a CPU; each CPU runs its own idle or a slot task.
        for (c, cpu) in s.cpus.enumerated() {
            switch cpu.curr {
            case .idle(let owner) where owner != c: return fail("internal", "cpu\(c) runs idle\(owner)")
            case .slot(let i) where s.tasks[i].status != .running && s.tasks[i].status != .exiting:
                return fail("internal", "cpu\(c) runs task\(i) with status \(s.tasks[i].status)")
            default: break
            }
        }
        for (i, t) in s.tasks.enumerated() where (t.status == .running || t.status == .exiting) != s.isCurrent(.slot(i))
        {
            return fail("internal", "task\(i) status \(t.status) disagrees with the CPUs' curr")
        }
        // active-mm-consistent.
        for t in s.existingTasks {
            if let mm = s.mm(of: t), s.activeMM(of: t) != mm {
                return fail(
                    "active-mm-consistent", "\(t).mm \(mm) but active_mm \(String(describing: s.activeMM(of: t)))")
            }
            if s.mm(of: t) == nil, !s.isCurrent(t), s.activeMM(of: t) != nil {
                return fail("active-mm-consistent", "\(t) not running, no mm, active_mm \(s.activeMM(of: t)!)")
            }
        }
        // Every live mm has count > 0 and a holder; and its counters are exactly right:
        // users = tasks with it as mm; count = 1 (for all users, while users > 0) + lazy
        // holders (no mm, it as active_mm) + pending prev_mm.
        func holders(_ m: NaiveMM) -> (users: Int, lazy: Int, pending: Int) {
            let users = s.existingTasks.filter { s.mm(of: $0) == m }.count
            let lazy = s.existingTasks.filter { s.mm(of: $0) == nil && s.activeMM(of: $0) == m }.count
            let pending = s.cpus.filter { $0.prevMM == m }.count
            return (users, lazy, pending)
        }
        for (i, slot) in s.mms.enumerated() where slot.live {
            let m = NaiveMM.slot(i)
            if slot.count <= 0 { return fail("free-at-zero", "live \(m) at count \(slot.count)") }
            let h = holders(m)
            let anyHolder = s.existingTasks.contains { s.mm(of: $0) == m || s.activeMM(of: $0) == m } || h.pending > 0
            if !anyHolder { return fail("no-leak", "live \(m) has no holder") }
            if slot.users != h.users || slot.count != (h.users > 0 ? 1 : 0) + h.lazy + h.pending {
                return fail("refcount-exact", "\(m) users \(slot.users) count \(slot.count), holders \(h)")
            }
        }
        let h = holders(.initMM)
        if s.initMMCount != 1 + h.lazy + h.pending {
            return fail(
                "refcount-exact", "init_mm.count \(s.initMMCount), lazy holders \(h.lazy) + pending \(h.pending)")
        }
        return nil
    }

    /// Plain breadth-first search: a `Set` of seen states and an array queue.
    func run(keepViolations: Int = 10) -> NaiveResult {
        var result = NaiveResult()
        let start = initialState()
        if let v = invariantViolation(start) {
            result.violationCount += 1
            result.violations.append("initial state \(start): \(v)")
            return result
        }
        var seen: Set<NaiveState> = [start]
        var queue: [(state: NaiveState, level: Int)] = [(start, 0)]
        result.levelSizes = [1]
        var head = 0
        while head < queue.count {
            let (s, level) = queue[head]
            head += 1
            for action in enabledActions(s) {
                result.transitions += 1
                switch fire(action, from: s) {
                case .failure(let v):
                    result.violationCount += 1
                    if result.violations.count < keepViolations {
                        result.violations.append("from \(s): \(action) -> \(v)")
                    }
                case .success(let next):
                    if seen.insert(next).inserted {
                        queue.append((next, level + 1))
                        if level + 1 == result.levelSizes.count { result.levelSizes.append(0) }
                        result.levelSizes[level + 1] += 1
                        result.depth = max(result.depth, level + 1)
                    }
                }
            }
        }
        result.states = seen.count
        return result
    }
}
