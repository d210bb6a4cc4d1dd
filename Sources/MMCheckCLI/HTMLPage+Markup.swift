import Foundation
import KernelSemantics
import ModelLanguage

/// The parts of the page: header, violation, timelines, lanes and the state panel.
extension HTMLPage {
    /// Text for HTML content and attribute values: `&`, `<`, `>` and both quotes escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// JSON text made safe inside a `<script>` element: `<`, `>` and `&` as `\u` escapes
    /// (they occur only inside strings, where the escapes mean the same), and the two line
    /// separators JavaScript once treated as line ends.
    static func escapeForScript(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for c in json.unicodeScalars {
            switch c {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A lane's colour: distinct hues, the same for a CPU everywhere on the page.
    static func laneColour(_ cpu: Int) -> String {
        let hues = [212, 140, 30, 280, 350, 180, 55, 250]
        let hue = hues[cpu % hues.count]
        let light = cpu < hues.count ? 42 : 32
        return "hsl(\(hue), 65%, \(light)%)"
    }

    /// Per-CPU colours of the lane headers, cells and badges.
    var laneStyle: String {
        (0..<bounds.cpus).map { c in
            let colour = Self.laneColour(c)
            return
                "th.lane[data-cpu=\"\(c)\"] { color: \(colour); border-bottom-color: \(colour); }\n"
                + "td.cell[data-cpu=\"\(c)\"] .card { border-left-color: \(colour); }\n"
                + ".cpu-tag[data-cpu=\"\(c)\"] { background: \(colour); }"
        }.joined(separator: "\n")
    }

    /// The title, the model and its bounds, and what the trace is.
    func header(property: String, replay: Replay, note: String) -> [String] {
        let holders = model.holderSlots > 0 ? ", \(model.holderSlots) holders" : ""
        let mode = model.mode == .fine ? "fine" + (model.preemptible ? ", preemptible" : "") : "coarse"
        let facts =
            "\(bounds.cpus) cpus, \(bounds.tasks) tasks, \(bounds.mms) mms\(holders); counter cap \(bounds.cap); "
            + "\(mode) mode; \(replay.entries.count) steps"
        return [
            "<header>",
            "<h1><span class=\"prop\">\(Self.escape(property))</span> in <span class=\"model\">\(Self.escape(model.name))</span></h1>",
            "<p class=\"facts\"><code>\(Self.escape(model.path))</code> — \(Self.escape(facts)) — \(Self.escape(note))</p>",
            "<p class=\"keys\">← / → (or a click on a step) selects a step; the panel shows the state after it. "
                + "The page opens at the violation.</p>",
            "</header>",
        ]
    }

    /// The property, the message, where it failed and the model's source around it.
    func violationSection(property: String, trace: Trace) -> [String] {
        guard let breach = trace.breach else {
            return ["<section id=\"violation\" class=\"none\"><p>This trace ends in no violation.</p></section>"]
        }
        let renderer = TraceRenderer(model: model, bounds: bounds)
        let message = renderer.message(breach, trace.breachNames)
        let stepText = trace.steps.isEmpty ? "the initial state" : "step \(trace.steps.count)"
        var html = ["<section id=\"violation\">"]
        html.append(
            "<h2>VIOLATION <span class=\"prop\">\(Self.escape(property))</span> at \(Self.escape(stepText))</h2>")
        html.append("<p id=\"message\">\(Self.escape(message))</p>")
        if breach.site >= 0, Int(breach.site) < model.sites.count {
            let site = model.sites[Int(breach.site)]
            let where_ = renderer.whereItFailed(breach).first ?? ""
            html.append("<p class=\"where\">\(Self.escape(where_))</p>")
            html += excerpt(around: site.location.line)
        } else {
            html.append(
                "<p class=\"where state-level\">Checked after \(Self.escape(stepText)): a property of the state "
                    + "between steps, not of a statement.</p>")
        }
        html.append("</section>")
        return html
    }

    /// The source lines around `line` (6 either side), numbered, `line` marked `failing`.
    func excerpt(around line: Int) -> [String] {
        let first = max(1, line - 6), last = min(model.sourceLineCount, line + 6)
        guard first <= last else { return [] }
        // One line of markup: the spans are blocks, so a newline between them would show.
        var html = "<pre id=\"source\" class=\"source\">"
        for n in first...last {
            let cls = n == line ? "line failing" : "line"
            let text = Self.escape(model.sourceLineAsWritten(n))
            html += "<span class=\"\(cls)\" data-line=\"\(n)\"><span class=\"ln\">\(n)</span>\(text)</span>"
        }
        return [html + "</pre>"]
    }

    /// One timeline per mm (`init_mm`, then each slot): `users` and `count` after each step
    /// (step 0: the initial state), drawn as two step lines, with each free and the
    /// violation marked. `data-users` / `data-count` list the values (`-`: not live).
    func timelines(_ trace: Trace) -> [String] {
        let n = trace.states.count - 1
        let dx = max(10, min(60, 900 / max(n, 1)))
        let x0 = 120, height = 78, top = 10, bottom = 16
        let width = x0 + n * dx + 24
        var html = ["<section id=\"timelines\">", "<h2>users and count of each mm, step by step</h2>"]
        html.append(
            "<p class=\"legend\"><span class=\"key users\"></span>users <span class=\"key count\"></span>count "
                + "<span class=\"key freed\">✕</span>freed <span class=\"key violation\"></span>violation</p>")
        let failingIndex = trace.breach.map { Int($0.mm) - 1 } ?? -1
        for k in trace.states[0].mms.indices {
            let live = trace.states.map { $0.mms[k].live }
            let users = trace.states.map { $0.mms[k].users }
            let counts = trace.states.map { $0.mms[k].count }
            let freed = (1..<max(trace.states.count, 1)).filter { live[$0 - 1] && !live[$0] }
            let born = (0..<trace.states.count).filter { live[$0] && ($0 == 0 || !live[$0 - 1]) }
            let peak = Int(max(2, (0...n).filter { live[$0] }.map { max(users[$0], counts[$0]) }.max() ?? 2))
            let plot = height - top - bottom
            func x(_ i: Int) -> Int { x0 + i * dx }
            func y(_ v: Int32) -> Double { Double(top) + Double(plot) * (1 - Double(min(Int(v), peak)) / Double(peak)) }
            /// A step line: flat at a step's value until the next step, gaps where not live.
            func line(_ values: [Int32], _ cls: String, _ shift: Double) -> String {
                var segments: [String] = []
                var points: [String] = []
                var previous = 0.0
                for i in 0...n {
                    guard live[i] else {
                        if !points.isEmpty { segments.append(points.joined(separator: " ")) }
                        points = []
                        continue
                    }
                    let yv = y(values[i]) + shift
                    if !points.isEmpty { points.append("\(x(i)),\(previous)") }
                    points.append("\(x(i)),\(yv)")
                    if i == n || !live[i + 1] { points.append("\(x(i) + dx / 2),\(yv)") }
                    previous = yv
                }
                if !points.isEmpty { segments.append(points.joined(separator: " ")) }
                return segments.map { "<polyline class=\"\(cls)\" points=\"\($0)\"/>" }.joined()
            }
            let nameList = Array(Set(born.map { trace.names[$0].mm(Int32(k + 1)) })).sorted()
            let label = k == 0 ? "init_mm" : "slot \(k - 1)"
            let shown = nameList.isEmpty ? "never used" : nameList.joined(separator: ", ")
            let values = { (v: [Int32]) in (0...n).map { live[$0] ? String(v[$0]) : "-" }.joined(separator: ",") }
            var attrs = "id=\"timeline-\(k)\" class=\"timeline\(k == failingIndex ? " failing-mm" : "")\""
            attrs += " data-users=\"\(values(users))\" data-count=\"\(values(counts))\""
            attrs += " data-freed=\"\(freed.map(String.init).joined(separator: " "))\" data-end-step=\"\(n)\""
            attrs += " data-x0=\"\(x0)\" data-dx=\"\(dx)\""
            var svg = "<svg \(attrs) width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\""
            svg += " role=\"img\">"
            svg += "<title>\(Self.escape("\(label): \(shown)"))</title>"
            svg += "<text class=\"mmlabel\" x=\"4\" y=\"\(top + 12)\">\(Self.escape(label))</text>"
            svg += "<text class=\"mmnames\" x=\"4\" y=\"\(top + 28)\">\(Self.escape(shown))</text>"
            svg +=
                "<text class=\"axis\" x=\"\(x0 - 6)\" y=\"\(Int(y(Int32(peak))) + 4)\" text-anchor=\"end\">\(peak)</text>"
            svg += "<text class=\"axis\" x=\"\(x0 - 6)\" y=\"\(Int(y(0)) + 4)\" text-anchor=\"end\">0</text>"
            svg += "<line class=\"base\" x1=\"\(x0)\" x2=\"\(x(n) + dx / 2)\" y1=\"\(y(0))\" y2=\"\(y(0))\"/>"
            for i in stride(from: 0, through: n, by: n > 40 ? 5 : 1) {
                svg += "<text class=\"tick\" x=\"\(x(i))\" y=\"\(height - 3)\" text-anchor=\"middle\">\(i)</text>"
            }
            if trace.breach != nil {
                svg +=
                    "<line class=\"violation-mark\" x1=\"\(x(n))\" x2=\"\(x(n))\" y1=\"\(top - 6)\" y2=\"\(height - bottom + 2)\"/>"
            }
            svg += line(users, "users", 0) + line(counts, "count", 1.5)
            for f in freed {
                svg += "<g class=\"freed\" data-step=\"\(f)\"><title>freed at step \(f)</title>"
                svg += "<text x=\"\(x(f))\" y=\"\(Int(y(0)) + 4)\" text-anchor=\"middle\">✕</text></g>"
            }
            svg +=
                "<line class=\"cursor\" x1=\"\(x(n))\" x2=\"\(x(n))\" y1=\"\(top - 6)\" y2=\"\(height - bottom + 2)\"/>"
            svg += "</svg>"
            html.append(svg)
        }
        html.append("</section>")
        return html
    }

    /// The badge of each row class that marks a step.
    static let badges = ["preempt": "preempted", "resume": "resumes", "interrupt": "IPI", "violation": "violation"]

    /// The swimlanes: one column per CPU, one row per step, the step in its CPU's column.
    func lanes(_ trace: Trace) -> [String] {
        var html = ["<table id=\"lanes\">", "<thead><tr><th class=\"num\">step</th>"]
        for c in 0..<bounds.cpus {
            html[html.count - 1] += "<th class=\"lane\" data-cpu=\"\(c)\">cpu\(c)</th>"
        }
        html[html.count - 1] += "</tr></thead>"
        html.append("<tbody>")
        html.append(
            "<tr class=\"initial\" data-step=\"0\"><td class=\"num\">0</td>"
                + "<td class=\"cell init\" colspan=\"\(bounds.cpus)\">initial state</td></tr>")
        for step in trace.steps {
            let classes = (["step"] + step.classes).joined(separator: " ")
            var row = "<tr class=\"\(classes)\" data-step=\"\(step.number)\"><td class=\"num\">\(step.number)</td>"
            for c in 0..<bounds.cpus {
                guard c == step.cpu else {
                    row += "<td class=\"cell empty\"></td>"
                    continue
                }
                row += "<td class=\"cell\" data-cpu=\"\(c)\"><div class=\"card\">"
                row += "<div class=\"head\">"
                for cls in step.classes {
                    if let text = Self.badges[cls] { row += "<span class=\"badge \(cls)\">\(text)</span>" }
                }
                row += "<span class=\"headline\">\(Self.escape(step.headline))</span></div>"
                if let s = step.statement {
                    row += "<div class=\"stmt\"><span class=\"loc\" title=\"\(Self.escape(s.chain))\">"
                    row += "\(Self.escape(s.location))</span> <code>\(Self.escape(s.text))</code></div>"
                }
                if let breach = step.breach, breach.site >= 0 {
                    row += "<div class=\"note\">stopped at the failing statement; the changes up to it:</div>"
                }
                if !step.changes.isEmpty {
                    row += "<pre class=\"changes\">\(Self.escape(step.changes.joined(separator: "\n")))</pre>"
                }
                if let breach = step.breach {
                    let renderer = TraceRenderer(model: model, bounds: bounds)
                    let title = breach.property?.name ?? Property.modelErrorName
                    row += "<div class=\"breach\"><b>VIOLATION \(Self.escape(title))</b>: "
                    row += Self.escape(renderer.message(breach, trace.breachNames))
                    if breach.site < 0 { row += " <i>(checked after the step)</i>" }
                    row += "</div>"
                }
                row += "</div></td>"
            }
            row += "</tr>"
            html.append(row)
        }
        html.append("</tbody>")
        html.append("</table>")
        return html
    }

    /// The panel the script fills for the selected step: its title, statement, the mms'
    /// counts and who holds each live mm. Filled at load with the last step.
    func statePanel() -> [String] {
        [
            "<aside id=\"state\">",
            "<h2 id=\"current-title\">state</h2>",
            "<p id=\"current-statement\" class=\"stmt\"></p>",
            "<table id=\"mm-state\"><thead><tr><th>mm</th><th>users</th><th>count</th></tr></thead><tbody></tbody></table>",
            "<h3>who holds each reference</h3>",
            "<ul id=\"holders\"></ul>",
            "</aside>",
        ]
    }
}
