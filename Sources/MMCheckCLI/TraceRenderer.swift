import KernelSemantics
import ModelLanguage

/// Prints a replayed counterexample for people: the initial state once in full, then each
/// step as one line (`cpu1: schedule  init -> kthreadd`) followed by what that step changed,
/// and at the end the property, the mm, and the model line of the failing statement.
struct TraceRenderer {
    let model: CompiledModel
    let bounds: Bounds

    /// The trace as lines; with `fullStates`, each step is followed by the whole state.
    func render(_ replay: Replay, fullStates: Bool = false) -> [String] {
        var names = TraceNames(bounds: bounds)
        var lines = ["Initial state"]
        lines += describe(replay.initial, names)
        if let breach = replay.initialBreach {
            lines += describe(breach, names, indent: "  ")
        }
        let width = String(replay.entries.count).count
        var switchedOut: Set<Int32> = []
        for (i, entry) in replay.entries.enumerated() {
            let (oldNames, failedChild) = names.advance(over: entry)
            let number = String(repeating: " ", count: width - String(i + 1).count) + String(i + 1)
            lines.append("")
            lines.append("\(number)  \(headline(entry, names, switchedOut: &switchedOut))")
            let indent = String(repeating: " ", count: width + 4)
            if entry.site >= 0, Int(entry.site) < model.sites.count {
                let site = model.sites[Int(entry.site)]
                lines.append(indent + "\(site.chain):\(site.location.line)  \(model.sourceLine(site.location.line))")
            }
            if let breach = entry.breach, breach.site >= 0 {
                lines.append(indent + "(stopped at the failing statement; the changes up to it:)")
            }
            lines += changes(entry.before, entry.after, oldNames, names, failedChild: failedChild).map { indent + $0 }
            if fullStates && entry.breach == nil {
                lines.append(indent + "state after step \(i + 1):")
                lines += describe(entry.after, names).map { indent + $0 }
            }
            if let breach = entry.breach {
                lines += describe(breach, names, indent: indent)
            }
        }
        return lines
    }

    /// `cpu0: schedule  idle0 -> init`, `cpu0: exit  init`, `cpu0: clone  init -> t2 (thread)`,
    /// `cpu0: use_mm  kthreadd mm0`, `cpu0: unuse_mm  kthreadd mm0`,
    /// `cpu0: clone_fail  init -> t2 (thread)`; in fine mode also
    /// `cpu0: preempt kthreadd inside exec_mmap at line 41 -> init`,
    /// `cpu1: kthreadd resumes its exec in exec_mmap at line 41` and continued actions.
    /// `switchedOut` tracks the tasks preempted and not yet resumed.
    func headline(_ entry: Replay.Entry, _ names: TraceNames, switchedOut: inout Set<Int32>) -> String {
        let s = entry.step
        switch s.kind {
        case .useMM: return "cpu\(s.cpu): use_mm  \(names.task(s.task)) \(names.mm(Ref.slot(Int(s.mm))))"
        case .unuseMM:
            return "cpu\(s.cpu): unuse_mm  \(names.task(s.task)) \(names.mm(entry.before.tasks[Int(s.task)].mm))"
        case .cloneFail:
            return "cpu\(s.cpu): clone_fail  \(names.task(s.task)) -> \(names.task(s.child)) (\(s.how.name))"
        case .shootdown:
            let cpu = entry.before.cpus[s.cpu]
            return
                "cpu\(s.cpu): shootdown IPI for \(names.mm(Ref.slot(Int(s.mm)))): \(names.task(cpu.curr)) switched to init_mm"
        case .schedule where entry.preemptedAt >= 0:
            switchedOut.insert(entry.prev)
            return
                "cpu\(s.cpu): preempt \(names.task(entry.prev)) inside \(place(entry.preemptedAt)) -> \(names.task(s.task))"
        case .proceed:
            let cpu = entry.before.cpus[s.cpu]
            if cpu.pc != 0 {
                let next = cpu.frame.count > 1 ? names.task(cpu.frame[1]) : "?"
                return "cpu\(s.cpu): schedule  \(names.task(cpu.curr)) -> \(next) (continued)"
            }
            let t = cpu.curr
            let y = Int(t) < entry.before.tasks.count ? entry.before.tasks[Int(t)].pc - 1 : -1
            let action = y >= 0 && Int(y) < model.yields.count ? model.yields[Int(y)].action.spec.name : "action"
            if switchedOut.remove(t) != nil {
                return "cpu\(s.cpu): \(names.task(t)) resumes its \(action) in \(place(y))"
            }
            return "cpu\(s.cpu): \(action)  \(names.task(t)) (continued)"
        case .schedule: return "cpu\(s.cpu): schedule  \(names.task(entry.prev)) -> \(names.task(s.task))"
        case .exit: return "cpu\(s.cpu): exit  \(names.task(s.task))"
        case .exec: return "cpu\(s.cpu): exec  \(names.task(s.task))"
        case .clone: return "cpu\(s.cpu): clone  \(names.task(s.task)) -> \(names.task(s.child)) (\(s.how.name))"
        case .vfork: return "cpu\(s.cpu): vfork  \(names.task(s.task)) -> \(names.task(s.child)) (the parent waits)"
        case .getTaskMM:
            return "cpu\(s.cpu): get_task_mm  \(names.task(s.task)) reads \(names.task(s.child))'s memory"
        case .procOpen, .oomKill:
            return
                "cpu\(s.cpu): \(s.kind.spec.name)  \(names.task(s.task)) -> \(names.task(s.child)) into holder\(s.holder)"
        case .procAccess, .procRelease, .oomReap, .oomRelease:
            return "cpu\(s.cpu): \(s.kind.spec.name)  \(names.task(s.task)) holder\(s.holder)"
        }
    }

    /// `exec_mmap at line 41`: the statement where yield point `y` pauses.
    func place(_ y: Int32) -> String {
        guard y >= 0, Int(y) < model.yields.count else { return "?" }
        let site = model.sites[Int(model.code[model.yields[Int(y)].pc].site)]
        return "\(site.routine) at line \(site.location.line)"
    }

    func describe(_ state: KernelState, _ names: TraceNames) -> [String] {
        var lines: [String] = []
        for (c, cpu) in state.cpus.enumerated() {
            var line = "  cpu\(c)      curr \(names.task(cpu.curr))  prev_mm \(names.mm(cpu.prevMM))"
            if model.mode == .fine {
                line += "  loaded \(names.mm(cpu.loaded))"
                if cpu.pc != 0 { line += "  in schedule, next: \(place(cpu.pc - 1))" }
            }
            lines.append(line)
        }
        for (t, task) in state.tasks.enumerated() {
            let idle = t >= bounds.tasks
            if !idle && task.status == .unused { continue }
            let status = idle ? (task.status == .running ? "running" : "idle") : statusName(task.status)
            var line =
                "  \(pad(names.task(Int32(t)), 9)) \(pad(status, 9)) mm \(pad(names.mm(task.mm), 7)) active_mm \(names.mm(task.activeMM))"
            let fields = TaskField.allCases.compactMap { fieldValue($0, task[$0], names) }
            if !fields.isEmpty { line = pad(line, 50) + " " + fields.joined(separator: "  ") }
            if task.pc != 0 { line += "  paused before \(place(task.pc - 1))" }
            lines.append(line)
        }
        lines.append("  \(pad("init_mm", 9)) count \(state.mms[0].count)")
        for k in 1..<state.mms.count where state.mms[k].live {
            lines.append("  \(pad(names.mm(Int32(k + 1)), 9)) users \(state.mms[k].users)  count \(state.mms[k].count)")
        }
        for (h, holder) in state.holders.enumerated() where holder.kind != 0 {
            lines.append("  \(pad("holder\(h)", 9)) \(holderText(holder, names))")
        }
        return lines
    }

    /// `/proc file, mm mm0` or `OOM victim, mm none (busy)`.
    private func holderText(_ holder: KernelState.Holder, _ names: TraceNames) -> String {
        let family: String
        switch holder.family {
        case .procFile: family = "/proc file"
        case .oomVictim: family = "OOM victim"
        case nil: return "free"
        }
        return "\(family), mm \(names.mm(holder.mm))\(holder.busy ? " (in use)" : "")"
    }

    /// One field a step changed: `field  old -> new`, or a task or mm that appeared
    /// (`old` nil) or an mm that was freed.
    struct Change {
        enum Kind: String { case changed, created, freed }
        var kind: Kind
        var field: String
        var old: String?
        var new: String

        /// The trace's line for it.
        var line: String {
            switch kind {
            case .changed: return "\(field.padding(22)) \(old ?? "") -> \(new)"
            case .created: return "\(field.padding(22)) new: \(new)"
            case .freed: return "\(field.padding(22)) freed (\(old ?? "") before this step)"
            }
        }
    }

    /// The fields that differ between `a` and `b`, as `field  old -> new` lines.
    /// `failedChild`: the child of a clone_fail step, which never runs.
    func changes(
        _ a: KernelState, _ b: KernelState, _ oldNames: TraceNames, _ names: TraceNames,
        failedChild: Int32? = nil
    ) -> [String] {
        changeList(a, b, oldNames, names, failedChild: failedChild).map(\.line)
    }

    /// The changes between `a` and `b`, field by field.
    func changeList(
        _ a: KernelState, _ b: KernelState, _ oldNames: TraceNames, _ names: TraceNames,
        failedChild: Int32? = nil
    ) -> [Change] {
        var lines: [Change] = []
        func line(_ field: String, _ old: String, _ new: String) {
            lines.append(Change(kind: .changed, field: field, old: old, new: new))
        }
        for c in a.cpus.indices where a.cpus[c] != b.cpus[c] {
            if a.cpus[c].curr != b.cpus[c].curr {
                line("cpu\(c).curr", oldNames.task(a.cpus[c].curr), names.task(b.cpus[c].curr))
            }
            if a.cpus[c].prevMM != b.cpus[c].prevMM {
                line("cpu\(c).prev_mm", oldNames.mm(a.cpus[c].prevMM), names.mm(b.cpus[c].prevMM))
            }
        }
        for t in a.tasks.indices where a.tasks[t] != b.tasks[t] {
            let x = a.tasks[t], y = b.tasks[t], idle = t >= bounds.tasks
            if !idle && x.status == .unused {
                let status = Int32(t) == failedChild ? "being forked (never runs)" : statusName(y.status)
                let fields = TaskField.allCases.compactMap { fieldValue($0, y[$0], names) }.map { ", " + $0 }.joined()
                lines.append(
                    Change(
                        kind: .created, field: names.task(Int32(t)), old: nil,
                        new: "\(status), mm \(names.mm(y.mm)), active_mm \(names.mm(y.activeMM))\(fields)"))
                continue
            }
            let name = oldNames.task(Int32(t))
            if !idle && x.status != y.status {
                line(
                    "\(name).status", statusName(x.status),
                    y.status == .unused ? "dead (slot cleared)" : statusName(y.status))
            }
            if x.mm != y.mm { line("\(name).mm", oldNames.mm(x.mm), names.mm(y.mm)) }
            if x.activeMM != y.activeMM { line("\(name).active_mm", oldNames.mm(x.activeMM), names.mm(y.activeMM)) }
            for f in TaskField.allCases where x[f] != y[f] && y.status != .unused {
                func shown(_ v: Int32, _ n: TraceNames) -> String {
                    switch f.content {
                    case .flag: return v != 0 ? "yes" : "no"
                    case .taskLink: return v != 0 ? n.task(v - 1) : "none"
                    }
                }
                line("\(name).\(f.name)", shown(x[f], oldNames), shown(y[f], names))
            }
        }
        for k in a.mms.indices where a.mms[k] != b.mms[k] {
            let x = a.mms[k], y = b.mms[k]
            let ref = Int32(k + 1)
            if !x.live && y.live {
                lines.append(
                    Change(kind: .created, field: names.mm(ref), old: nil, new: "users \(y.users), count \(y.count)"))
                continue
            }
            let name = oldNames.mm(ref)
            if x.live && !y.live {
                lines.append(
                    Change(kind: .freed, field: name, old: "users \(x.users), count \(x.count)", new: "freed"))
                continue
            }
            if x.users != y.users { line("\(name).users", "\(x.users)", "\(y.users)") }
            if x.count != y.count { line("\(name).count", "\(x.count)", "\(y.count)") }
        }
        for h in a.holders.indices where a.holders[h] != b.holders[h] {
            line("holder\(h)", holderText(a.holders[h], oldNames), holderText(b.holders[h], names))
        }
        return lines
    }

    func describe(_ breach: Breach, _ names: TraceNames, indent: String) -> [String] {
        let title = breach.property?.name ?? Property.modelErrorName
        var lines = ["", "\(indent)VIOLATION  \(title): \(message(breach, names))"]
        lines += whereItFailed(breach).map { indent + "  " + $0 }
        return lines
    }

    /// Where the failing statement is, with its source line.
    func whereItFailed(_ breach: Breach) -> [String] {
        guard breach.site >= 0, Int(breach.site) < model.sites.count else {
            return ["checked after the step: a property of the state between steps"]
        }
        let site = model.sites[Int(breach.site)]
        let chain = site.chain == site.routine ? site.routine : "\(site.routine) (via \(site.chain))"
        return ["at \(model.path):\(site.location) in \(chain):", "    \(model.sourceLine(site.location.line))"]
    }

    func message(_ b: Breach, _ names: TraceNames) -> String {
        let mm = names.mm(b.mm)
        switch b.reason {
        case .notLive(let use):
            switch use {
            case .free: return "\(mm) is freed again: it is no longer live"
            case .exitMmap: return "exit_mmap(\(mm)) on an mm that is already freed"
            case .switchMM: return "switch_mm loads \(mm), which is already freed"
            case .switchAwayFrom: return "switch_mm switches away from \(mm), which is already freed"
            case .readCounter: return "reads a counter of \(mm), which is already freed"
            case .changeCounter: return "changes a counter of \(mm), which is already freed"
            case .assign: return "assigns \(mm), which is already freed"
            case .accessRemoteVM: return "access_remote_vm reads \(mm), which is already freed"
            }
        case .noneUsed(let use):
            switch use {
            case .free, .exitMmap, .switchMM, .accessRemoteVM: return "\(use.rawValue)(none): none used as an mm"
            case .switchAwayFrom: return "switch_mm(none, ...): none used as an mm"
            case .readCounter, .changeCounter, .assign: return "\(use.rawValue) none: none used as an mm"
            }
        case .freeInitMM: return "init_mm is freed"
        case .exitMmapInitMM: return "exit_mmap(init_mm): init_mm's mappings are torn down"
        case .initMMUsersChanged: return "init_mm.users changes: nobody holds a real reference on init_mm"
        case .initMMAsMM: return "init_mm becomes a task's mm"
        case .freeWithUsers(let users): return "\(mm) is freed while its users is still \(users)"
        case .freeHeldByTask(let t, let active):
            return "\(mm) is freed while \(names.task(t)).\(active ? "active_mm" : "mm") still points to it"
        case .freePendingInPrevMM(let c): return "\(mm) is freed while cpu\(c).prev_mm still holds it for a later drop"
        case .freeLoaded(let c): return "\(mm) is freed while cpu\(c) still has it loaded (before switch_mm)"
        case .freeAtCount(let count): return "\(mm) is freed at count \(count), not 0"
        case .underflow(let counter, let value): return "\(mm).\(counter.rawValue) drops to \(value)"
        case .usersFromZero:
            return "\(mm).users is raised from 0: an mmget where mmget_not_zero was needed"
        case .overCap(let counter, let cap):
            return "\(mm).\(counter.rawValue) passes the cap of \(cap): a reference leaks each time round"
        case .liveAtZeroCount: return "\(mm) is live with count 0: nothing will ever free it"
        case .noHolder: return "\(mm) is live but no task or CPU holds it: it can never be freed"
        case .deadTaskHolds(let t, let active):
            return "\(names.task(t)) dies still holding \(mm) as its \(active ? "active_mm" : "mm")"
        case .teardownInUse(let t): return "exit_mmap(\(mm)) while \(names.task(t)).mm is still \(mm)"
        case .accessWithoutUsers:
            return "access_remote_vm(\(mm)) while \(mm).users is 0: its address space is torn down and nothing pins it"
        case .accessInitMM: return "access_remote_vm(init_mm): init_mm has no user address space"
        case .freeHeldByHolder(let h): return "\(mm) is freed while holder\(h) still holds it"
        case .activeMMDiffers(let t): return "\(names.task(t)) has an mm but its active_mm is \(mm)"
        case .staleActiveMM(let t):
            return "\(names.task(t)) is not running and has no mm, but its active_mm is still \(mm)"
        case .runningWithoutActiveMM(let t): return "\(names.task(t)) runs with no active_mm: the CPU has none loaded"
        case .noFreeMMSlot: return "new_mm() finds no free mm slot at these bounds (raise --mms)"
        case .idleTaskMM(let t): return "the model gives \(names.task(t)) an mm; idle tasks never have one"
        }
    }

    /// A task field that is set, as a state line shows it (`kthread`, `vfork_done init`), or
    /// nil when it is clear.
    private func fieldValue(_ f: TaskField, _ v: Int32, _ names: TraceNames) -> String? {
        guard v != 0 else { return nil }
        switch f.content {
        case .flag: return f.name
        case .taskLink: return "\(f.name) \(names.task(v - 1))"
        }
    }

    private func statusName(_ s: TaskStatus) -> String {
        switch s {
        case .unused: return "unused"
        case .runnable: return "runnable"
        case .running: return "running"
        case .exiting: return "exiting"
        case .forming: return "forming"
        case .vforkWaiting: return "waiting for its vfork child"
        }
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }
}
