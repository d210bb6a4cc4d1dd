import KernelSemantics
import ModelLanguage

extension TraceRenderer {
    /// What kind of event a step is, for a reader of the trace: a preemption, the
    /// resumption of a preempted task, an interrupt (a shootdown IPI), or nil for a plain step.
    /// `switchedOut` holds the tasks preempted and not yet resumed (as `headline` keeps it);
    /// call this before `headline` updates it.
    func event(_ entry: Replay.Entry, switchedOut: Set<Int32>) -> String? {
        switch entry.step.kind {
        case .schedule where entry.preemptedAt >= 0: return "preempt"
        case .shootdown: return "interrupt"
        case .proceed:
            let cpu = entry.before.cpus[entry.step.cpu]
            return cpu.pc == 0 && switchedOut.contains(cpu.curr) ? "resume" : nil
        default: return nil
        }
    }

    /// The steps of a replayed trace as JSON, one object per step: its number, cpu,
    /// action, arguments (as the trace file has them), the readable line, the event kind,
    /// the statement it ran (fine mode), the fields it changed, and the violation it ends in.
    func json(_ replay: Replay) -> JSON {
        var names = TraceNames(bounds: bounds)
        var switchedOut: Set<Int32> = []
        var steps: [JSON] = []
        for (i, entry) in replay.entries.enumerated() {
            let (oldNames, failedChild) = names.advance(over: entry)
            let kind = event(entry, switchedOut: switchedOut)
            let text = headline(entry, names, switchedOut: &switchedOut)
            let s = entry.step
            var arguments: [(String, JSON)] = []
            for p in s.kind.spec.parameters {
                let v = s[p]
                switch p {
                case .next, .task, .parent:
                    arguments.append((p.rawValue, v >= Int32(bounds.tasks) ? .string("idle") : .int(Int(v))))
                case .child, .mm, .target, .holder: arguments.append((p.rawValue, .int(Int(v))))
                case .how: arguments.append(("how", .string(s.how.name)))
                }
            }
            var statement = JSON.null
            if entry.site >= 0, Int(entry.site) < model.sites.count {
                statement = siteJSON(model.sites[Int(entry.site)])
            }
            let changes = changeList(entry.before, entry.after, oldNames, names, failedChild: failedChild).map {
                JSON.object([
                    ("kind", .string($0.kind.rawValue)), ("field", .string($0.field)), ("from", .string($0.old)),
                    ("to", .string($0.new)),
                ])
            }
            steps.append(
                .object([
                    ("step", .int(i + 1)), ("cpu", .int(s.cpu)), ("action", .string(s.kind.spec.name)),
                    ("arguments", .object(arguments)), ("line", .string(TraceFile.describe(s, bounds: bounds))),
                    ("text", .string(text)), ("event", .string(kind)), ("statement", statement),
                    ("changes", .array(changes)), ("violation", entry.breach.map { breachJSON($0, names) } ?? .null),
                ]))
        }
        return .array(steps)
    }

    /// A statement: file, line, column, routine, the chain of calls it was inlined
    /// through, and its source line.
    func siteJSON(_ site: Site) -> JSON {
        .object([
            ("file", .string(model.path)), ("line", .int(site.location.line)),
            ("column", .int(site.location.column)), ("routine", .string(site.routine)),
            ("chain", .string(site.chain)), ("source", .string(model.sourceLine(site.location.line))),
        ])
    }

    /// A violation: its property (or `model-error`), the message, and the failing
    /// statement (null for a property of the state between steps).
    func breachJSON(_ breach: Breach, _ names: TraceNames) -> JSON {
        let at: JSON =
            breach.site >= 0 && Int(breach.site) < model.sites.count ? siteJSON(model.sites[Int(breach.site)]) : .null
        return .object([
            ("property", .string(breach.property?.name ?? Property.modelErrorName)),
            ("message", .string(message(breach, names))), ("at", at),
        ])
    }
}
