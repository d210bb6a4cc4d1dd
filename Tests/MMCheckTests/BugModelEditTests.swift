import Foundation
import Testing

/// Every bug model and near miss is its base model with one documented edit: its header's
/// `# Base: FILE.` names the base and `# Edit (ROUTINE, ...): ...` the routine the edit is
/// in. Comments and layout aside, no other routine may differ, and outside routines only
/// the name, the expectation and the default bounds may (or the actions line, for an
/// `Edit (actions)`). A bug model that drifts from its base would test something else.
@Suite struct BugModelEditTests {
    /// A model's code without comments or layout: lines outside routines, and each
    /// routine's lines by name.
    struct Code {
        var declarations: [String] = []
        var routines: [String: [String]] = [:]

        init(_ text: String) {
            var text = text
            while let open = text.range(of: "/*"),
                let close = text.range(of: "*/", range: open.upperBound..<text.endIndex)
            {
                text.removeSubrange(open.lowerBound..<close.upperBound)
            }
            var current: String?
            var depth = 0
            for raw in text.split(separator: "\n") {
                var line = String(raw)
                for marker in ["#", "//"] where line.contains(marker) {
                    line = String(line[..<line.range(of: marker)!.lowerBound])
                }
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard !words.isEmpty else { continue }
                line = words.joined(separator: " ")
                if current == nil, words[0] == "routine" {
                    current = String(words[1].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                    depth = 0
                }
                if let name = current {
                    routines[name, default: []].append(line)
                    depth += line.filter { $0 == "{" }.count - line.filter { $0 == "}" }.count
                    if depth == 0 { current = nil }
                } else {
                    declarations.append(line)
                }
            }
        }
    }

    static let edited = Fixture.modelFiles(under: "models/bugs") + Fixture.modelFiles(under: "models/near-misses")

    @Test(arguments: edited)
    func differsFromItsBaseOnlyInItsEdit(_ file: String) throws {
        let text = try String(contentsOfFile: Repository.path(file), encoding: .utf8)
        let header = text.split(separator: "\n").map(String.init)
        guard let baseLine = header.first(where: { $0.hasPrefix("# Base: ") }),
            let editLine = header.first(where: { $0.hasPrefix("# Edit (") })
        else {
            Issue.record("\(file): no '# Base:' or '# Edit (...)' line")
            return
        }
        var basePath = String(baseLine.dropFirst("# Base: ".count))
        if basePath.hasSuffix(".") { basePath.removeLast() }
        let edit = String(editLine.dropFirst("# Edit (".count).prefix { $0 != "," && $0 != ")" })
        let base = Code(try String(contentsOfFile: Repository.path(basePath), encoding: .utf8))
        let model = Code(text)
        let changed = Set(base.routines.keys).union(model.routines.keys).filter {
            base.routines[$0] != model.routines[$0]
        }
        #expect(
            changed.isSubset(of: [edit]),
            "\(file): routines \(changed.sorted()) differ from \(basePath), the edit is in \(edit)")
        var free: Set<String> = ["model", "expect", "cpus", "tasks", "mms", "cap"]
        if edit == "actions" { free.insert("actions") }
        func fixed(_ lines: [String]) -> [String] { lines.filter { !free.contains(String($0.prefix { $0 != " " })) } }
        #expect(fixed(base.declarations) == fixed(model.declarations), "\(file): declarations differ from \(basePath)")
    }
}
