import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// Fine mode: each statement a step, other CPUs and preemption in between.
@Suite struct FineModeTests {
    /// A small fine model whose steps are easy to list: context_switch and
    /// finish_task_switch are each one atomic step, exit_mm is four.
    static func tiny(preemptible: Bool) -> String {
        """
        model "tiny-fine"
        expect pass
        mode fine
        preemptible \(preemptible ? "yes" : "no")
        actions schedule, exit
        routine mmgrab(m: mm) { m.count += 1 }
        routine mmdrop(m: mm) { atomic { m.count -= 1; if m.count == 0 { free(m) } } }
        routine mmput(m: mm) { atomic { m.users -= 1; if m.users == 0 { exit_mmap(m); mmdrop(m) } } }
        routine context_switch(prev: task, next: task) {
            atomic {
                if next.mm is none {
                    next.active_mm = prev.active_mm
                    if prev.mm is not none { mmgrab(prev.active_mm) } else { prev.active_mm = none }
                } else {
                    switch_mm(next.mm)
                    if prev.mm is none { cpu.prev_mm = prev.active_mm; prev.active_mm = none }
                }
            }
        }
        routine finish_task_switch(prev: task) {
            atomic { let m = cpu.prev_mm; cpu.prev_mm = none; if m is not none { mmdrop(m) } }
        }
        routine exit_mm(t: task) {
            let m = t.mm                # E1
            if m is none { return }     # (tests a local: part of the next step)
            mmgrab(m)                   # E2
            t.mm = none                 # E3
            mmput(m)                    # E4
        }
        """
    }

    /// The tiny model at (1 CPU, 1 task slot, 1 mm slot), not preemptible, by hand. A
    /// schedule is two steps, CS (context_switch) then FTS (finish_task_switch); exit is E1..E4.
    ///   S0  idle0 current, init runnable (as in coarse mode)
    ///   A1  S0 + CS of idle0 -> init: idle0's init_mm borrow parked in prev_mm; init taken
    ///   S1  A1 + FTS: init_mm dropped, init running (coarse S1)
    ///   B1  S1 + CS of init -> idle0: idle0 borrows mm0 and grabs it
    ///   S2  B1 + FTS (coarse S2)
    ///   C1  S2 + CS of idle0 -> init: mm0 parked; C1 + FTS drops it: back to S1
    ///   X1  S1 + E1 (init paused in exit_mm, local m = mm0); X2 + E2 (mm0.count 2);
    ///   X3  + E3 (init.mm none); X4 + E4 (users 0, exit_mmap, drop: count 1, init exiting)
    ///   D1  X4 + CS of init -> idle0 (hand-over); S5  D1 + FTS: init dead, idle0 keeps mm0
    /// Not preemptible, a CPU whose task is inside exit_mm can only go on with it. States
    /// S0 A1 S1 B1 S2 C1 X1 X2 X3 X4 D1 S5 = 12; every state has one step except S1 (two:
    /// schedule, exit) and S5 (none): 12 transitions; depth 8 (S5).
    @Test func smallestBoundCountedByHand() throws {
        let model = try Fixture.compile(Self.tiny(preemptible: false))
        let r = Fixture.explore(model, Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect(r.ending == .exhausted)
        #expect((r.states, r.transitions, r.depth) == (12, 12, 8))
        // The same routines run as whole actions: linux-6's five coarse states.
        let coarse = Fixture.explore(
            try Fixture.compile(Self.tiny(preemptible: false), mode: .coarse),
            Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect((coarse.states, coarse.transitions, coarse.depth) == (5, 5, 3))
    }

    /// Preemptible, init can also be switched out after E1, E2 or E3 and come back: from
    /// each X_i, CS of init -> idle0 (P_i1), FTS (P_i2: idle0 runs, init paused and
    /// runnable), CS of idle0 -> init (P_i3), FTS back to X_i. After E1 and E2 init still
    /// has mm0, so idle0 grabs it and the switch back parks and drops it; after E3 init is
    /// lazy and the borrow is handed over and back. 12 + 3 * 3 = 21 states; 12 + 3 * 4 =
    /// 24 transitions (the preemption and the three steps back); depth still 8.
    @Test func preemptionAddsStatesAndKeepsThemSafe() throws {
        let model = try Fixture.compile(Self.tiny(preemptible: true))
        let r = Fixture.explore(model, Bounds(cpus: 1, tasks: 1, mms: 1))
        #expect(r.ending == .exhausted)
        #expect(r.counterexamples.isEmpty)
        #expect(r.states > 12)
        #expect((r.states, r.transitions, r.depth) == (21, 24, 8))
    }

    /// A fine model with every action run whole is its coarse model: the same routines
    /// (linux-6-exec-fine is linux-6-exec, linux-6-fine is linux-6-all).
    @Test(arguments: [
        ("models/linux-6-exec-fine.mmc", "models/linux-6-exec.mmc", 11_185),
        ("models/linux-6-fine.mmc", "models/linux-6-all.mmc", 42_472),
    ])
    func fineModelInCoarseModeIsTheCoarseModel(_ c: (String, String, Int)) throws {
        let bounds = Bounds(cpus: 2, tasks: 3, mms: 3)
        let fine = Fixture.explore(try Fixture.load(c.0, mode: .coarse), bounds)
        let coarse = Fixture.explore(try Fixture.load(c.1), bounds)
        #expect((fine.states, fine.transitions, fine.depth) == (coarse.states, coarse.transitions, coarse.depth))
        #expect(fine.states == c.2)
    }

    /// Exact fine counts at small bounds (regression; `mmcheck suite` has more).
    @Test(arguments: [
        ("models/linux-6-exec-fine.mmc", (1, 2, 2), 9_593, 10_758, 66),
        ("models/linux-6-exec-fine.mmc", (2, 2, 2), 322_033, 656_550, 94),
        ("models/linux-6-fine.mmc", (1, 2, 2), 36_495, 41_032, 97),
    ])
    func fineCounts(_ c: (String, (Int, Int, Int), Int, Int, Int)) throws {
        let r = Fixture.explore(try Fixture.load(c.0), Bounds(cpus: c.1.0, tasks: c.1.1, mms: c.1.2))
        #expect(r.ending == .exhausted)
        #expect((r.states, r.transitions, r.depth) == (c.2, c.3, c.4))
    }

    /// The d53c3dfb23c4 race reads as the commit message tells it: read, preempted, the
    /// borrow dropped by the switch, resumed, dropped again.
    @Test func execRaceTraceTellsTheStory() throws {
        let model = try Fixture.load("models/bugs/exec-mmap-rt-race.mmc")
        let bounds = Fixture.bounds(of: model)
        let r = Fixture.explore(model, bounds)
        let counterexample = try #require(r.counterexamples.first)
        #expect(counterexample.path.count == 26)
        let replay = try Replay(system: KernelSystem(model: model, bounds: bounds), path: counterexample.path)
        #expect(replay.finalBreach?.property == .initMMImmortal)
        let text = TraceRenderer(model: model, bounds: bounds).render(replay).joined(separator: "\n")
        let story = [
            "let active = t.active_mm", "cpu0: preempt kthreadd inside exec_mmap at line 141",
            "cpu0.prev_mm           none -> init_mm", "init_mm.count          2 -> 1",
            "cpu0: kthreadd resumes its exec in exec_mmap at line 141", "exec_mmap > mmdrop:48",
            "VIOLATION  init-mm-immortal: init_mm is freed",
        ]
        var rest = Substring(text)
        for part in story {
            guard let found = rest.range(of: part) else {
                Issue.record("the trace does not say '\(part)' where the story needs it:\n\(text)")
                return
            }
            rest = rest[found.upperBound...]
        }
    }

    /// A local still pointing to a freed mm is a use after free when used, even after its
    /// slot was reused by a new mm (coarse mode too).
    @Test func danglingLocalIsUseAfterFreeAfterSlotReuse() throws {
        var text = try String(contentsOfFile: Repository.path("models/linux-6-exec.mmc"), encoding: .utf8)
        text = text.replacingOccurrences(
            of: """
                    mmput(old)              # a user task: put the old address space
                """,
            with: """
                    mmput(old)              # a user task: put the old address space
                        let spare = new_mm()    # takes the slot old had
                        mmgrab(old)             # old is freed: a use after free, not a grab of spare
                """)
        #expect(text.contains("let spare"))
        let model = try Fixture.compile(text)
        let r = Fixture.explore(model, Bounds(cpus: 1, tasks: 1, mms: 2))
        let counterexample = try #require(r.counterexamples.first)
        #expect(Property.outcomeNames[counterexample.property] == "no-use-after-free")
        let replay = try Replay(
            system: KernelSystem(model: model, bounds: Bounds(cpus: 1, tasks: 1, mms: 2)), path: counterexample.path)
        #expect(replay.finalBreach?.mm == Ref.slot(0))
    }

    /// new_mm() waits (SEMANTICS.md §5.9). In this model (no lazy TLB: a kernel thread and an
    /// exiting task run on init_mm, so an mm is freed as soon as its last user exits) every
    /// clone's copy_mm calls `new_mm()`, so kthreadd's clone needs the only mm slot, which init's mm holds until
    /// init exits (on the other CPU) and its mm is freed. While the slot is taken, a kthreadd paused before
    /// `new_mm()` has no step of its own (it is not offered, and nothing of it happens); once
    /// the slot is free the same pause offers its step, which takes the slot. Both kinds of
    /// state are reached, so neither half is vacuous.
    @Test func newMMWaitsForAFreeSlot() throws {
        let model = try Fixture.compile(
            """
            model "new-mm-waits"
            expect pass
            mode fine
            preemptible no
            actions schedule, exit, clone_kthread
            routine mmdrop(m: mm) { atomic { m.count -= 1; if m.count == 0 { free(m) } } }
            routine mmput(m: mm) { atomic { m.users -= 1; if m.users == 0 { exit_mmap(m); mmdrop(m) } } }
            routine context_switch(prev: task, next: task) {
                atomic {
                    if next.mm is none { next.active_mm = init_mm; switch_mm(init_mm) } else { switch_mm(next.mm) }
                    if prev.mm is none { prev.active_mm = none }
                }
            }
            routine exit_mm(t: task) {
                atomic {
                    let m = t.mm
                    if m is none { return }
                    t.mm = none
                    t.active_mm = init_mm
                    switch_mm(init_mm)
                    mmput(m)
                }
            }
            routine copy_mm(parent: task, child: task, how: how) {
                child.mm = none
                let m = new_mm()
                atomic { child.mm = m; child.active_mm = m }
            }
            """, path: "new-mm-waits.mmc")
        // Two CPUs: init exits on one while kthreadd waits on the other.
        let bounds = Bounds(cpus: 2, tasks: 3, mms: 1)
        let system = KernelSystem(model: model, bounds: bounds)
        // The yield point before `let m = new_mm()`.
        let newMMLine = try #require(model.sourceLines.firstIndex { $0.contains("new_mm()") }) + 1
        let waitPoint = try #require(
            model.yields.firstIndex {
                model.sites[Int(model.code[$0.pc].site)].location.line == newMMLine
            })
        let kthreadd = 1
        var waited = 0, allocated = 0
        for packed in SymmetryTests.reachable(system) {
            let s = packed.withUnsafeBufferPointer { KernelState(layout: system.layout, packed: $0.baseAddress!) }
            guard let cpu = s.cpus.firstIndex(where: { $0.curr == Int32(kthreadd) }),
                s.tasks[kthreadd].pc == Int32(waitPoint) + 1
            else { continue }
            let buffer = SuccessorBuffer(stateWords: system.stateWords)
            packed.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
            let steps = (0..<buffer.count).map { buffer.label($0) }
            let proceed = steps.firstIndex(of: Step.proceed(cpu: cpu))
            if s.mms[1].live {
                waited += 1
                #expect(proceed == nil, "a new_mm() with no free slot is offered")
            } else {
                allocated += 1
                let i = try #require(proceed, "a new_mm() with a free slot is not offered")
                let after = KernelState(layout: system.layout, packed: buffer.state(i))
                #expect(after.mms[1].live && after.mms[1].users == 1 && after.mms[1].count == 1)
            }
        }
        #expect(waited > 0 && allocated > 0)
    }

    @Test func modeAndRegionErrors() {
        #expect(
            ModelErrorTests.errors(ModelErrorTests.model([3: "mode medium"])) == [
                "bad.mmc:3:6: error: unknown mode 'medium' (modes: coarse, fine)"
            ])
        #expect(
            ModelErrorTests.errors(ModelErrorTests.model([3: "preemptible maybe"])) == [
                "bad.mmc:3:13: error: preemptible takes 'yes' or 'no', got 'maybe'"
            ])
        #expect(
            ModelErrorTests.errors(ModelErrorTests.model([3: "mode"])) == [
                "bad.mmc:3:5: error: expected 'coarse' or 'fine' after 'mode', found end of line"
            ])
        #expect(ModelErrorTests.errors(ModelErrorTests.model([11: "    irqs_off { mmgrab(prev.active_mm) }"])) == [])
        #expect(
            ModelErrorTests.errors(ModelErrorTests.model([11: "    atomic { let x = prev.active_mm }; mmgrab(x)"]))
                == [])
    }

    /// Shootdown in fine mode: a free of an mm another CPU runs on lazily waits for that
    /// CPU's IPI step; the steps exist, every one switches a lazy borrower to init_mm, and
    /// the model stays safe. (A plain breadth-first search over the system, counting labels.)
    @Test func shootdownIPIsAreStepsOfTheirOwn() throws {
        let model = try Fixture.load("models/linux-6-shootdown-fine.mmc")
        let system = KernelSystem(model: model, bounds: Bounds(cpus: 2, tasks: 2, mms: 1))
        let buffer = SuccessorBuffer(stateWords: system.stateWords)
        system.initialStates(into: buffer)
        var seen: Set<[UInt64]> = []
        var queue: [[UInt64]] = []
        func words(_ i: Int) -> [UInt64] {
            Array(UnsafeBufferPointer(start: buffer.state(i), count: system.stateWords))
        }
        for i in 0..<buffer.count where seen.insert(words(i)).inserted { queue.append(words(i)) }
        var ipis = 0, violations = 0, head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            buffer.reset()
            state.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
            for i in 0..<buffer.count {
                if buffer.violation(i) != SuccessorBuffer.noViolation {
                    violations += 1
                    continue
                }
                if let step = Step(label: buffer.label(i)), step.kind == .shootdown {
                    ipis += 1
                    let before = state.withUnsafeBufferPointer {
                        KernelState(layout: system.layout, packed: $0.baseAddress!)
                    }
                    let after = KernelState(layout: system.layout, packed: buffer.state(i))
                    let t = Int(before.cpus[step.cpu].curr)
                    #expect(before.tasks[t].activeMM == Ref.slot(Int(step.mm)) && before.tasks[t].mm == Ref.none)
                    #expect(after.tasks[t].activeMM == Ref.initMM && after.cpus[step.cpu].loaded == Ref.initMM)
                }
                if seen.insert(words(i)).inserted { queue.append(words(i)) }
            }
        }
        #expect(violations == 0)
        #expect(ipis > 0)
        #expect(seen.count == 74_285)  // as `mmcheck check` counts it (results/baseline.txt)
    }

    @Test func fineTraceFileRoundTrips() throws {
        let bounds = Bounds(cpus: 1, tasks: 2, mms: 2)
        let steps = [
            Step(kind: .schedule, cpu: 0, task: 1), Step(kind: .proceed, cpu: 0, task: 0),
            Step(kind: .exec, cpu: 0, task: 1),
            Step(kind: .shootdown, cpu: 0, task: 0, mm: 1),
        ]
        let trace = TraceFile(modelPath: "m.mmc", bounds: bounds, mode: .fine, claim: "violation no-leak", steps: steps)
        let text = trace.text()
        #expect(text.contains("mode fine\n"))
        #expect(text.contains("step proceed cpu=0\n"))
        #expect(text.contains("step shootdown cpu=0 mm=1\n"))
        let back = try TraceFile.parse(text, path: "t.trace").get()
        #expect(back.mode == .fine)
        #expect(back.steps == steps)
    }
}
