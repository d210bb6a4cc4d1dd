import ModelLanguage

/// `--coverage`: which statements of the model the explored steps executed, per statement
/// (a source location, however many call chains inline it) and per routine, like SPIN's
/// "unreached in proctype" report.
struct CoverageReport {
    struct Statement {
        var location: SourceLocation
        var routine: String
        /// Executions by taken steps, over every chain that inlines it.
        var hits: Int
    }
    struct Routine {
        var name: String
        var statements: Int
        var reached: Int
        var hits: Int
    }

    let statements: [Statement]
    let routines: [Routine]
    /// The search explored every reachable state (no limit cut it, no violation stopped it).
    let complete: Bool

    var unreached: [Statement] { statements.filter { $0.hits == 0 } }

    /// From the hits per site (`KernelSystem.statementHits`).
    init(model: CompiledModel, siteHits: [Int], complete: Bool) {
        var byLocation: [SourceLocation: Statement] = [:]
        // A site no instruction carries (the opening line of a region, whose code is its
        // statements') is no statement of its own.
        let carried = Set(model.code.map(\.site))
        for (i, site) in model.sites.enumerated() where carried.contains(Int32(i)) {
            let hits = i < siteHits.count ? siteHits[i] : 0
            byLocation[site.location, default: Statement(location: site.location, routine: site.routine, hits: 0)]
                .hits += hits
        }
        statements = byLocation.values.sorted { $0.location < $1.location }
        var order: [String] = []
        var table: [String: Routine] = [:]
        for s in statements {
            if table[s.routine] == nil {
                order.append(s.routine)
                table[s.routine] = Routine(name: s.routine, statements: 0, reached: 0, hits: 0)
            }
            table[s.routine]?.statements += 1
            table[s.routine]?.reached += s.hits > 0 ? 1 : 0
            table[s.routine]?.hits += s.hits
        }
        routines = order.compactMap { table[$0] }
        self.complete = complete
    }

    /// The report's lines for the text output.
    func lines(model: CompiledModel) -> [String] {
        let reached = statements.count - unreached.count
        let share = statements.isEmpty ? 100 : reached * 100 / statements.count
        var lines = [
            "coverage  \(reached) of \(statements.count) statements executed by the explored steps (\(share)%)"
                + (complete ? "" : "; PARTIAL: the search did not explore every state")
        ]
        let width = max(routines.map(\.name.count).max() ?? 0, 7)
        lines.append("  \("routine".padding(width))  statements  executions")
        for r in routines {
            lines.append(
                "  \(r.name.padding(width))  \("\(r.reached)/\(r.statements)".leftPadding(10))  \(grouped(r.hits).leftPadding(10))"
            )
        }
        if unreached.isEmpty {
            lines.append("  every statement was executed")
        } else {
            lines.append("  not executed:")
            for s in unreached {
                lines.append("    \(model.path):\(s.location)  in \(s.routine):  \(model.sourceLine(s.location.line))")
            }
        }
        return lines
    }

    var json: JSON {
        .object([
            ("complete", .bool(complete)),
            ("statements", .int(statements.count)),
            ("executed", .int(statements.count - unreached.count)),
            (
                "routines",
                .array(
                    routines.map {
                        .object([
                            ("name", .string($0.name)), ("statements", .int($0.statements)),
                            ("executed", .int($0.reached)), ("executions", .int($0.hits)),
                        ])
                    })
            ),
            (
                "notExecuted",
                .array(
                    unreached.map {
                        .object([
                            ("line", .int($0.location.line)), ("column", .int($0.location.column)),
                            ("routine", .string($0.routine)),
                        ])
                    })
            ),
        ])
    }
}
