import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// What each kind of lock keeps out in fine mode: `irqs_off` (no preemption, no IPI),
/// `preempt_off` (a spinlock_t: no preemption, IPIs come in; preemptible too under
/// `preempt_rt yes`), and `switch_mm(prev, next)`, which uses the mm it switches away from.
@Suite struct LockRegionTests {
    /// FineModeTests' tiny model with mmgrab and the clearing of t.mm in one region of
    /// `region` (nil: none), so that the only pause inside it is between E2 and E3.
    static func tiny(region: String?, rt: Bool = false) -> String {
        let body =
            region.map { "\($0) {\n        mmgrab(m)\n        t.mm = none\n    }" } ?? "mmgrab(m)\n    t.mm = none"
        return FineModeTests.tiny(preemptible: true)
            .replacingOccurrences(of: "preemptible yes", with: "preemptible yes\npreempt_rt \(rt ? "yes" : "no")")
            .replacingOccurrences(
                of: "mmgrab(m)                   # E2\n    t.mm = none                 # E3", with: body)
    }

    /// FineModeTests counts the tiny model by hand: 21 states and 24 transitions when init
    /// can be preempted after E1, E2 or E3 (each preemption adds 3 states and 4 steps), 12
    /// and 12 when it cannot. A region around E2 and E3 takes away the pause between them:
    /// 18 and 20. `preempt_off` does that too, unless the kernel is PREEMPT_RT; `irqs_off`
    /// does it on every kernel.
    @Test(
        arguments: [
            (nil, false, 21, 24), ("preempt_off", false, 18, 20), ("irqs_off", false, 18, 20),
            ("preempt_off", true, 21, 24), ("irqs_off", true, 18, 20),
        ] as [(String?, Bool, Int, Int)])
    func regionKeepsPreemptionOut(_ c: (String?, Bool, Int, Int)) throws {
        let text = Self.tiny(region: c.0, rt: c.1)
        #expect(text.contains(c.0.map { "\($0) {" } ?? "    mmgrab(m)\n    t.mm = none"))
        let r = Fixture.explore(try Fixture.compile(text), Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect(r.ending == .exhausted)
        #expect(r.counterexamples.isEmpty)
        #expect((r.states, r.transitions, r.depth) == (c.2, c.3, 8), "\(c.0 ?? "no region"), rt \(c.1)")
    }

    /// The yield points of nested regions, in order: (preemptible, interruptible). The
    /// first statement of a region may be preempted (or interrupted) before the region is
    /// entered; inside `preempt_off` IPIs come in, inside `irqs_off` nothing does.
    @Test(arguments: [false, true])
    func yieldPointsOfNestedRegions(_ rt: Bool) throws {
        let text = """
            model "nested"
            expect pass
            mode fine
            preemptible yes
            preempt_rt \(rt ? "yes" : "no")
            actions schedule, exit
            routine context_switch(prev: task, next: task) { atomic { next.active_mm = prev.active_mm } }
            routine finish_task_switch(prev: task) { }
            routine exit_mm(t: task) {
                let m = t.mm
                preempt_off {
                    m.count += 1
                    irqs_off {
                        t.mm = none
                        m.count -= 1
                    }
                    m.count += 1
                }
                m.users -= 1
            }
            """
        let model = try Fixture.compile(text)
        let flags = model.yields.filter { $0.action == .exit }.map { [$0.preemptible, $0.interruptible] }
        let expected: [[Bool]] = [
            [true, true],  // let m = t.mm: the action's first statement
            [true, true],  // m.count += 1: before preempt_off is entered
            [rt, true],  // t.mm = none: inside preempt_off, before irqs_off is entered
            [false, false],  // m.count -= 1: inside irqs_off
            [rt, true],  // m.count += 1: back in preempt_off only
            [true, true],  // m.users -= 1: outside
        ]
        #expect(flags == expected)
        #expect(model.preemptRT == rt)
    }

    /// A routine declared `preempt_off` is a region as a block is.
    @Test func routineDeclaredPreemptOff() throws {
        let text = Self.tiny(region: nil)
            .replacingOccurrences(
                of: "routine exit_mm(t: task) {",
                with:
                    "routine grab_and_clear(t: task, m: mm) preempt_off {\n    mmgrab(m)\n    t.mm = none\n}\nroutine exit_mm(t: task) {"
            )
            .replacingOccurrences(of: "mmgrab(m)\n    t.mm = none\n    mmput", with: "grab_and_clear(t, m)\n    mmput")
        #expect(text.contains("grab_and_clear(t, m)\n    mmput"))
        let r = Fixture.explore(try Fixture.compile(text), Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect((r.states, r.transitions) == (18, 20))
    }

    /// The new setting, region and switch_mm form in ModelErrorTests' template: each edit
    /// (line number: replacement) and the exact errors it gives ([]: it compiles).
    @Test(
        arguments: [
            (
                [6: "actions schedule\npreempt_rt maybe"],
                ["bad.mmc:7:12: error: preempt_rt takes 'yes' or 'no', got 'maybe'"]
            ),
            (
                [6: "actions schedule\npreempt_rt"],
                ["bad.mmc:7:11: error: expected 'yes' or 'no' after 'preempt_rt', found end of line"]
            ),
            (
                [6: "actions schedule\npreempt_rt yes"],
                [
                    "bad.mmc:7:12: error: preempt_rt yes needs 'preemptible yes': a PREEMPT_RT kernel is fully preemptible"
                ]
            ),
            ([6: "actions schedule\npreemptible yes\npreempt_rt yes"], []),
            (
                [6: "actions schedule\npreemptible yes\npreempt_rt yes\npreempt_rt no"],
                ["bad.mmc:9:1: error: 'preempt_rt' is already set at line 8"]
            ),
            ([11: "    preempt_off { mmgrab(prev.active_mm) }"], []),
            ([11: "    preempt_off"], ["bad.mmc:11:5: error: expected a statement, found 'preempt_off'"]),
            ([11: "    let preempt_off = prev.active_mm"], ["bad.mmc:11:9: error: 'preempt_off' is a reserved word"]),
            ([11: "    switch_mm(prev.active_mm, next.mm)"], []),
            (
                [11: "    switch_mm(prev.active_mm, next)"],
                ["bad.mmc:11:31: error: switch_mm() takes an mm, got a task"]
            ),
            (
                [11: "    switch_mm()"],
                [
                    "bad.mmc:11:5: error: switch_mm() takes 1 argument (the mm to load) or 2 (the mm left, the mm loaded), got 0"
                ]
            ),
            (
                [11: "    switch_mm(prev.mm, next.mm, none)"],
                [
                    "bad.mmc:11:5: error: switch_mm() takes 1 argument (the mm to load) or 2 (the mm left, the mm loaded), got 3"
                ]
            ),
            ([11: "    free(prev.mm, next.mm)"], ["bad.mmc:11:5: error: free() takes 1 argument (an mm), got 2"]),
        ] as [([Int: String], [String])])
    func errorsWithLineAndColumn(_ c: ([Int: String], [String])) {
        #expect(ModelErrorTests.errors(ModelErrorTests.model(c.0)) == c.1)
    }

    /// switch_mm(prev, next) uses prev: switching away from none is a use of none (from a
    /// freed mm, a use after free: `theTwoFacesOfTheExecRace`). linux-6 with none as the
    /// switch's prev fails at the first switch to a user task, idle0 -> init.
    @Test func switchingAwayFromNone() throws {
        let original = try String(contentsOfFile: Repository.path("models/linux-6.mmc"), encoding: .utf8)
        let call = "switch_mm(prev.active_mm, next.mm)"
        #expect(original.contains(call))
        let model = try Fixture.compile(original.replacingOccurrences(of: call, with: "switch_mm(none, next.mm)"))
        let bounds = Bounds(cpus: 1, tasks: 1, mms: 1)
        let r = Fixture.explore(model, bounds)
        let counterexample = try #require(r.counterexamples.first)
        #expect(counterexample.path.count == 1)
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.finalBreach?.property == .noUseAfterFree)
        #expect(replay.finalBreach?.reason == .noneUsed(.switchAwayFrom))
    }

    /// The two faces of the d53c3dfb23c4 race: exec_mmap before the fix, under task_lock
    /// alone. Under PREEMPT_RT a preemption between the read of active_mm and the stores
    /// drops the borrow twice (26 steps, as the commit tells it); on a !RT kernel with the
    /// shootdown the IPI lands in between (a use after free of the borrowed mm at
    /// switch_mm(active, new), 28 steps; before it, at 26 steps, the IPI passes the CPU by
    /// because its task's active_mm already names the new mm, and the old one is freed
    /// while still loaded); without either the same code passes.
    @Test func theTwoFacesOfTheExecRace() throws {
        let rt = try Fixture.load("models/bugs/exec-mmap-rt-race.mmc")
        let r1 = Fixture.explore(rt, Fixture.bounds(of: rt))
        #expect(r1.counterexamples.first?.path.count == 26)
        #expect(r1.counterexamples.first?.property == Property.initMMImmortal.rawValue)

        let ipi = try Fixture.load("models/bugs/exec-mmap-ipi-race.mmc")
        var all = SearchOptions()
        all.findAll = true
        let r2 = Fixture.explore(ipi, Bounds(cpus: 2, tasks: 2, mms: 2), all)
        #expect(r2.ending == .exhausted)
        let firstTrace = Dictionary(
            r2.counterexamples.map { ($0.property, $0.path.count) }, uniquingKeysWith: { min($0, $1) })
        #expect(firstTrace[Property.noUseAfterFree.rawValue] == 28)
        #expect(firstTrace[Property.noFreeWhileBorrowed.rawValue] == 26)
        #expect(Set(firstTrace.keys) == [Property.noUseAfterFree.rawValue, Property.noFreeWhileBorrowed.rawValue])
        let uaf = try #require(r2.counterexamples.first { $0.property == Property.noUseAfterFree.rawValue })
        let replay = try Replay(
            system: KernelSystem(model: ipi, bounds: Bounds(cpus: 2, tasks: 2, mms: 2)), path: uaf.path)
        #expect(replay.finalBreach?.reason == .notLive(.switchAwayFrom))

        let nearMiss = try Fixture.load("models/near-misses/exec-mmap-task-lock-only.mmc")
        let r3 = Fixture.explore(nearMiss, Bounds(cpus: 2, tasks: 2, mms: 2))
        #expect(r3.ending == .exhausted)
        #expect(r3.counterexamples.isEmpty)
    }
}
