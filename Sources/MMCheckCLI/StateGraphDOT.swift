import Explorer
import Foundation
import KernelSemantics
import ModelLanguage

/// `--dot FILE`: the reachable state graph (`StateGraph`) in Graphviz DOT. Each state is a
/// node labelled compactly by slot: a line of CPUs (`cpu0 t1`: its current task), one per
/// task in use (`t1 R mm=m0 act=m0`; R running, r runnable, X exiting, F forming, W waiting
/// for a vfork child), one of mms (`init c3  m0 u1 c2`: users and count). Steps are edges
/// labelled as trace lines; a violating step is a red edge to a red box naming the property.
struct StateGraphDOT {
    let model: CompiledModel
    let bounds: Bounds

    func render(_ graph: StateGraph, layout: StateLayout) -> String {
        var out = [
            "digraph mmcheck {", "  // \(model.path) at \(bounds.cpus) cpus, \(bounds.tasks) tasks, \(bounds.mms) mms",
        ]
        out.append("  node [shape=box, fontname=\"monospace\", fontsize=10];")
        out.append("  edge [fontname=\"monospace\", fontsize=9];")
        let initial = Set(graph.initial)
        for (n, words) in graph.states.enumerated() {
            let state = words.withUnsafeBufferPointer { KernelState(layout: layout, packed: $0.baseAddress!) }
            let style = initial.contains(n) ? ", style=bold, peripheries=2" : ""
            out.append("  s\(n) [label=\(Self.quoted("#\(n)\n" + label(state)))\(style)];")
        }
        var violations = 0
        for (state, property) in graph.initialViolations {
            out.append(
                "  v\(violations) [label=\(Self.quoted(Property.outcomeNames[property])), color=red, fontcolor=red];")
            out.append("  s\(state) -> v\(violations) [color=red];")
            violations += 1
        }
        for edge in graph.edges {
            let text = Step(label: edge.label).map { TraceFile.describe($0, bounds: bounds) } ?? "label \(edge.label)"
            if let to = edge.to {
                out.append("  s\(edge.from) -> s\(to) [label=\(Self.quoted(text))];")
            } else {
                let property = edge.violation.map { Property.outcomeNames[$0] } ?? "violation"
                out.append("  v\(violations) [label=\(Self.quoted(property)), color=red, fontcolor=red];")
                out.append("  s\(edge.from) -> v\(violations) [label=\(Self.quoted(text)), color=red, fontcolor=red];")
                violations += 1
            }
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    /// A state in a few short lines, by slot.
    func label(_ s: KernelState) -> String {
        func mm(_ r: Int32) -> String { r == Ref.none ? "-" : r == Ref.initMM ? "init" : "m\(r - 2)" }
        func task(_ t: Int32) -> String { t < Int32(bounds.tasks) ? "t\(t)" : "idle\(Int(t) - bounds.tasks)" }
        var lines = [s.cpus.enumerated().map { "cpu\($0.offset) \(task($0.element.curr))" }.joined(separator: "  ")]
        for (t, x) in s.tasks.enumerated() where t < bounds.tasks && x.status != .unused {
            let status: String
            switch x.status {
            case .running: status = "R"
            case .runnable: status = "r"
            case .exiting: status = "X"
            case .forming: status = "F"
            case .vforkWaiting: status = "W"
            case .unused: status = "-"
            }
            lines.append("t\(t) \(status) mm=\(mm(x.mm)) act=\(mm(x.activeMM))\(x.pc != 0 ? " @\(x.pc - 1)" : "")")
        }
        var counts = ["init c\(s.mms[0].count)"]
        for k in 1..<s.mms.count where s.mms[k].live {
            counts.append("m\(k - 1) u\(s.mms[k].users) c\(s.mms[k].count)")
        }
        lines.append(counts.joined(separator: "  "))
        for (h, holder) in s.holders.enumerated() where holder.kind != 0 { lines.append("h\(h) \(mm(holder.mm))") }
        return lines.joined(separator: "\n")
    }

    /// A DOT string literal.
    static func quoted(_ s: String) -> String {
        "\""
            + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
