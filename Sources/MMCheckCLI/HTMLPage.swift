import Foundation
import KernelSemantics
import ModelLanguage

/// A replayed counterexample as one self-contained HTML page (inline style and script, no
/// outside resources): one swimlane per CPU with each step in the lane of the CPU that took
/// it, the failing statement in its source, a timeline of every mm's `users` and `count`,
/// and, for the step selected with ← / → or a click, who holds a reference to each live mm.
/// The page opens at the last step, the violation.
struct HTMLPage {
    let model: CompiledModel
    let bounds: Bounds

    /// The page for `replay`, a counterexample of `property` (its name as printed, e.g.
    /// `no-free-while-borrowed`); `note` says which trace it is (e.g. "a shortest trace").
    func render(property: String, replay: Replay, note: String) -> String {
        let trace = Trace(page: self, replay: replay)
        var html: [String] = []
        html.append("<!DOCTYPE html>")
        html.append("<html lang=\"en\">")
        html.append("<head>")
        html.append("<meta charset=\"utf-8\">")
        html.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        html.append("<title>\(Self.escape("\(property) in \(model.name)")) — mmcheck</title>")
        html.append("<style>\n\(Self.style)\n\(laneStyle)\n</style>")
        html.append("</head>")
        html.append("<body>")
        html += header(property: property, replay: replay, note: note)
        html += violationSection(property: property, trace: trace)
        html += timelines(trace)
        html.append("<div id=\"main\">")
        html += lanes(trace)
        html += statePanel()
        html.append("</div>")
        html.append("<script type=\"application/json\" id=\"trace-data\">\(trace.json(property: property))</script>")
        html.append("<script>\n\(Self.script)\n</script>")
        html.append("</body>")
        html.append("</html>")
        return html.joined(separator: "\n") + "\n"
    }

    /// Who holds a reference to each live mm (`init_mm` included) in `state`, as
    /// (mm reference, holder) pairs in mm order: each task's `mm` and `active_mm`
    /// (`t2.mm`), each CPU's `prev_mm`, in fine mode each CPU's loaded mm, each holder slot,
    /// and each paused frame's saved mm register (a local of the routine it is paused in).
    /// A slot task that is not in use holds nothing.
    func holders(in state: KernelState, names: TraceNames) -> [(mm: Int32, holder: String)] {
        var out: [(mm: Int32, holder: String)] = []
        for k in state.mms.indices where state.mms[k].live {
            let ref = Int32(k + 1)
            var seen: Set<String> = []
            func add(_ holder: String) {
                if seen.insert(holder).inserted { out.append((ref, holder)) }
            }
            for (t, task) in state.tasks.enumerated() where t >= bounds.tasks || task.status != .unused {
                if task.mm == ref { add("\(names.task(Int32(t))).mm") }
                if task.activeMM == ref { add("\(names.task(Int32(t))).active_mm") }
            }
            for (c, cpu) in state.cpus.enumerated() where cpu.prevMM == ref { add("cpu\(c).prev_mm") }
            if model.mode == .fine {
                for (c, cpu) in state.cpus.enumerated() where cpu.loaded == ref { add("cpu\(c) has it loaded") }
            }
            for (h, holder) in state.holders.enumerated() where holder.kind != 0 && holder.mm == ref {
                add("holder\(h) (\(holder.family == .oomVictim ? "OOM victim" : "/proc file"))")
            }
            for (t, task) in state.tasks.enumerated()
            where t < bounds.tasks && task.status != .unused && savedMMs(pc: task.pc, frame: task.frame).contains(ref) {
                add("a local of \(pausedPlace(task.pc - 1)) (task \(names.task(Int32(t))))")
            }
            for (c, cpu) in state.cpus.enumerated() where savedMMs(pc: cpu.pc, frame: cpu.frame).contains(ref) {
                add("a local of cpu\(c)'s schedule")
            }
        }
        return out
    }

    /// The mm references saved in a frame paused at `pc` (1 + a yield point; 0: none).
    private func savedMMs(pc: Int32, frame: [Int32]) -> [Int32] {
        let y = Int(pc) - 1
        guard y >= 0, y < model.yields.count else { return [] }
        let kinds = model.savedKinds(model.yields[y])
        return zip(kinds, frame).compactMap { $0.0 == .mm ? $0.1 : nil }
    }

    /// `exec_mmap, paused at line 41`: where yield point `y` pauses.
    private func pausedPlace(_ y: Int32) -> String {
        guard y >= 0, Int(y) < model.yields.count else { return "?" }
        let pc = model.yields[Int(y)].pc
        guard pc < model.code.count, Int(model.code[pc].site) < model.sites.count, model.code[pc].site >= 0 else {
            return "?"
        }
        let site = model.sites[Int(model.code[pc].site)]
        return "\(site.routine), paused at line \(site.location.line)"
    }
}

extension HTMLPage {
    /// One step as the lanes show it.
    struct StepView {
        var number: Int
        var cpu: Int
        var headline: String
        /// `preempt`, `resume`, `interrupt`, `violation`.
        var classes: [String]
        /// Fine mode: where the step started (`file:line`, the routine chain) and its source.
        var statement: (location: String, chain: String, text: String)?
        var changes: [String]
        var breach: Breach?
    }

    /// The counterexample walked once: each step's view, the names after each step, and
    /// every state (the initial one, then the one after each step).
    struct Trace {
        var steps: [StepView] = []
        var states: [KernelState] = []
        var names: [TraceNames] = []
        /// The violation and the names it is told with.
        var breach: Breach?
        var breachNames: TraceNames
        let page: HTMLPage

        init(page: HTMLPage, replay: Replay) {
            self.page = page
            let renderer = TraceRenderer(model: page.model, bounds: page.bounds)
            var names = TraceNames(bounds: page.bounds)
            states = [replay.initial]
            self.names = [names]
            breach = replay.initialBreach
            breachNames = names
            var switchedOut: Set<Int32> = []
            let file = (page.model.path as NSString).lastPathComponent
            for (i, entry) in replay.entries.enumerated() {
                let (oldNames, failedChild) = names.advance(over: entry)
                let s = entry.step
                var classes: [String] = []
                // `preempt`, `resume` or `interrupt`, as the JSON's `event` says.
                if let event = renderer.event(entry, switchedOut: switchedOut) { classes.append(event) }
                if entry.breach != nil { classes.append("violation") }
                let headline = renderer.headline(entry, names, switchedOut: &switchedOut)
                var statement: (String, String, String)?
                if entry.site >= 0, Int(entry.site) < page.model.sites.count {
                    let site = page.model.sites[Int(entry.site)]
                    statement = (
                        "\(file):\(site.location.line)", site.chain, page.model.sourceLine(site.location.line)
                    )
                }
                let changes = renderer.changes(entry.before, entry.after, oldNames, names, failedChild: failedChild)
                steps.append(
                    StepView(
                        number: i + 1, cpu: s.cpu, headline: headline, classes: classes, statement: statement,
                        changes: changes, breach: entry.breach))
                states.append(entry.after)
                self.names.append(names)
                if let b = entry.breach {
                    breach = b
                    breachNames = names
                }
            }
        }

        /// The per-step data the script shows: each state's mms and holders.
        func json(property: String) -> String {
            struct MMState: Encodable {
                var index: Int
                var name: String
                var live: Bool
                var users: Int32
                var count: Int32
            }
            struct Holding: Encodable {
                var mm: String
                var holder: String
            }
            struct StepState: Encodable {
                var step: Int
                var title: String
                var statement: String
                var mms: [MMState]
                var holders: [Holding]
            }
            struct PageData: Encodable {
                var property: String
                var violationStep: Int
                var states: [StepState]
            }
            var out: [StepState] = []
            // A slot not yet used has no name of its own: `slot 1`.
            var used = Array(repeating: false, count: states.first?.mms.count ?? 0)
            for (i, state) in states.enumerated() {
                let n = names[i]
                let mms = state.mms.indices.map { k in
                    used[k] = used[k] || state.mms[k].live
                    return MMState(
                        index: k, name: used[k] ? n.mm(Int32(k + 1)) : "slot \(k - 1)", live: state.mms[k].live,
                        users: state.mms[k].users, count: state.mms[k].count)
                }
                let holders = page.holders(in: state, names: n).map { Holding(mm: n.mm($0.mm), holder: $0.holder) }
                let step = i > 0 ? steps[i - 1] : nil
                let title = step.map { "step \($0.number): \($0.headline)" } ?? "initial state"
                let statement = step?.statement.map { "\($0.location)  \($0.text)" } ?? ""
                out.append(StepState(step: i, title: title, statement: statement, mms: mms, holders: holders))
            }
            let data = PageData(
                property: property, violationStep: breach != nil ? steps.count : -1, states: out)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let text = (try? encoder.encode(data)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
            return HTMLPage.escapeForScript(text)
        }
    }
}
