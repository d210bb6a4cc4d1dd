import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import MMCheckCLI
@testable import ModelLanguage

/// The action catalogue (`Action.spec`) is consistent with itself and with what derives
/// from it: names, switches, entry-routine signatures, input registers, trace lines.
@Suite struct ActionCatalogueTests {
    @Test func namesAndSwitchesAreUnique() {
        let names = Action.allCases.map(\.spec.name)
        #expect(Set(names).count == names.count)
        let switches = ActionSet.switches
        #expect(Set(switches.map(\.name)).count == switches.count)
        // One bit per switch, none shared.
        #expect(switches.allSatisfy { $0.flag.rawValue.nonzeroBitCount == 1 })
        #expect(Set(switches.map(\.flag.rawValue)).count == switches.count)
        #expect(Action.allCases.allSatisfy { $0.rawValue < 32 })  // the label's 5-bit kind field
        #expect(CloneKind.allCases.allSatisfy { $0.rawValue < 4 })  // its 2-bit how field
    }

    /// Every call passes inputs of the types the entry routine's signature declares, and
    /// every input an action reads is one of its registers.
    @Test func callsMatchTheirRoutinesSignatures() {
        func type(_ i: Action.Input) -> ValueType {
            switch i {
            case .prev, .next, .task, .parent, .child, .target: return .task
            case .how: return .how
            case .mm: return .mm
            case .holder: return .holder
            }
        }
        for action in Action.allCases {
            let spec = action.spec
            #expect(spec.inputs.count <= CompiledModel.inputRegisters)
            for call in spec.calls {
                #expect(
                    call.arguments.map(type) == call.routine.parameterTypes,
                    "\(spec.name) calls \(call.routine.signature) with \(call.arguments)")
                #expect(call.arguments.allSatisfy { action.register(of: $0) != nil })
            }
        }
    }

    /// A step of every action, with every parameter set, is written and read back as the
    /// same step; the help's sample line of each action parses as that action.
    @Test func everyActionsTraceLineRoundTrips() throws {
        let bounds = Bounds(cpus: 3, tasks: 4, mms: 3)
        for action in Action.allCases {
            var step = Step(kind: action, cpu: 2, task: 0, how: action.impliedHow ?? .thread)
            for p in action.spec.parameters {
                switch p {
                case .next, .task, .parent: step[p] = 1
                case .child, .target: step[p] = 3
                case .how: step[p] = CloneKind.fork.rawValue
                case .mm: step[p] = 2
                case .holder: step[p] = 3
                }
            }
            let line = TraceFile.describe(step, bounds: bounds)
            let text = "\(TraceFile.header)\nbounds cpus=3 tasks=4 mms=3\nclaim pass\nstep \(line)\n"
            let parsed = try TraceFile.parse(text, path: "t.trace").get()
            #expect(parsed.steps == [step], "\(line)")
            #expect(Step(label: step.label) == step)
            let example =
                "\(TraceFile.header)\nbounds cpus=3 tasks=4 mms=3\nclaim pass\nstep \(action.spec.example.step)\n"
            #expect((try? TraceFile.parse(example, path: "t.trace").get())?.steps.first?.kind == action)
        }
    }

    /// The help lists every switch and one sample trace line per action: it derives from
    /// the catalogue, so it cannot miss one.
    @Test func theHelpListsEveryActionAndSwitch() {
        let help = Command.check.help + Command.replay.help
        for s in ActionSet.switches { #expect(help.contains(s.name)) }
        for a in Action.allCases { #expect(help.contains("step \(a.spec.example.step)")) }
    }

    /// The routines a switch needs: its actions' non-optional calls and declared needs.
    @Test func requiredRoutinesDeriveFromTheCalls() {
        #expect(EntryRoutine.copyMM.isRequired(by: .vfork))
        #expect(EntryRoutine.copyMM.isRequired(by: .cloneKthread))
        #expect(!EntryRoutine.copyMM.isRequired(by: [.schedule, .exit]))
        #expect(!EntryRoutine.finishTaskSwitch.isRequired(by: .schedule))  // optional
        #expect(EntryRoutine.mmdropLazyTLB.isRequired(by: .shootdown))
        #expect(EntryRoutine.badForkCleanupMM.isRequired(by: .cloneFail))
        #expect(EntryRoutine.mmget.isRequired(by: .useMM) && EntryRoutine.mmput.isRequired(by: .unuseMM))
    }

    /// clone_fail gives one variant per clone switch that is on, with that clone's kind
    /// and requirements; vfork always makes a `vfork` child.
    @Test func taskActionVariants() {
        let v = TaskActionVariant.enabled(by: [.cloneFork, .cloneKthread, .cloneFail, .vfork])
        #expect(v.map(\.action) == [.clone, .clone, .cloneFail, .cloneFail, .vfork])
        #expect(v.map(\.how) == [.fork, .kthread, .fork, .kthread, .vfork])
        #expect(v[2].requires == v[0].requires && v[3].requires == v[1].requires)
        #expect(v.allSatisfy { $0.takesChild })
        #expect(Action.clone.hows == [.thread, .fork, .kthread] && Action.cloneFail.hows == Action.clone.hows)
        #expect(Action.vfork.hows == [.vfork] && Action.exit.hows.isEmpty)
    }
}

/// The optional task fields: stored only when a switch needs them, so a model without it
/// keeps its width (and its counts, which the suite checks).
@Suite struct TaskFieldTests {
    @Test func fieldsAreStoredOnlyWhenSwitchedOn() {
        let b = Bounds(cpus: 2, tasks: 3, mms: 3)
        let plain = StateLayout(bounds: b, actions: [.schedule, .exit, .cloneThread])
        let useMM = StateLayout(bounds: b, actions: [.schedule, .useMM, .unuseMM])
        let vfork = StateLayout(bounds: b, actions: [.schedule, .exit, .vfork])
        #expect(plain.storedTaskFields.isEmpty)
        #expect(useMM.storedTaskFields == [.kthread])
        #expect(vfork.storedTaskFields == [.vforkParent])
        // A flag is one bit a slot; a link holds 0...T (2 bits at T = 3), and vfork's
        // waiting status takes the status from 2 bits to 3.
        #expect(useMM.bits == plain.bits + 3)
        #expect(vfork.bits == plain.bits + 3 * 2 + 3)
        // Every field's arrays exist (unstored ones stay 0), one after the other.
        #expect(plain.offset(.vforkParent) == plain.offset(.kthread) + b.tasks)
    }
}

/// vfork: the parent waits until its child execs or exits (SEMANTICS.md §3.11).
@Suite struct VforkTests {
    static let model = try! Fixture.load("models/linux-6-vfork.mmc")
    static let bounds = Bounds(cpus: 2, tasks: 3, mms: 3)
    static let initTask: Int32 = 0, child: Int32 = 2

    static func replay(_ path: [UInt32]) throws -> Replay {
        try Replay(system: KernelSystem(model: model, bounds: bounds), path: path)
    }

    static func enabled(after path: [UInt32]) throws -> [Step] {
        let system = KernelSystem(model: model, bounds: bounds)
        let r = try replay(path)
        let state = r.entries.last?.after ?? r.initial
        let buffer = SuccessorBuffer(stateWords: system.stateWords)
        state.packed(layout: system.layout).withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
        return (0..<buffer.count).compactMap { Step(label: buffer.label($0)) }
    }

    static let vforked = [
        Step.schedule(cpu: 0, next: initTask),
        Step(kind: .vfork, cpu: 0, task: initTask, child: child, how: .vfork).label,
    ]

    /// After vfork the parent waits on its CPU: it takes no action of its own, no CPU can
    /// switch to it, and its CPU can switch away; the child shares its mm, users 2.
    @Test func theParentWaitsForItsChild() throws {
        let r = try Self.replay(Self.vforked)
        let s = try #require(r.entries.last?.after)
        #expect(s.tasks[0].status == .vforkWaiting)
        #expect(s.tasks[2].status == .runnable && s.tasks[2][.vforkParent] == 1 + Self.initTask)
        #expect(s.tasks[2].mm == s.tasks[0].mm && s.mms[1].users == 2)
        let steps = try Self.enabled(after: Self.vforked)
        #expect(!steps.contains { $0.kind != .schedule && $0.cpu == 0 })
        #expect(!steps.contains { $0.kind == .schedule && $0.task == Self.initTask })
        #expect(steps.contains(Step(kind: .schedule, cpu: 0, task: Self.child)))
        #expect(steps.contains(Step(kind: .schedule, cpu: 1, task: Self.child)))
    }

    /// The child's exec wakes the parent (exec_mm_release) before it puts the shared mm:
    /// the parent, switched out, becomes runnable; the child has its own mm.
    @Test func execWakesTheParent() throws {
        let path = Self.vforked + [Step.schedule(cpu: 0, next: Self.child), Step.exec(cpu: 0, task: Self.child)]
        let s = try #require(try Self.replay(path).entries.last?.after)
        #expect(s.tasks[0].status == .runnable)
        #expect(s.tasks[2][.vforkParent] == 0 && s.tasks[2].mm != s.tasks[0].mm)
        #expect(s.mms[1].users == 1)
        #expect(try Self.enabled(after: path).contains(Step(kind: .schedule, cpu: 0, task: Self.initTask)))
    }

    /// A child that exits on the other CPU while the parent is still current wakes it to
    /// running, and the parent goes on with its own actions.
    @Test func exitWakesAParentStillOnItsCPU() throws {
        let path = Self.vforked + [Step.schedule(cpu: 1, next: Self.child), Step.exit(cpu: 1, task: Self.child)]
        let s = try #require(try Self.replay(path).entries.last?.after)
        #expect(s.tasks[0].status == .running)
        #expect(s.tasks[2].status == .exiting && s.tasks[2][.vforkParent] == 0)
        #expect(try Self.enabled(after: path).contains(Step(kind: .exit, cpu: 0, task: Self.initTask)))
    }

    /// A waiting parent switched out stays waiting (it is not made runnable by the switch).
    @Test func switchingAwayKeepsTheParentWaiting() throws {
        let path = Self.vforked + [Step.schedule(cpu: 0, next: Self.child)]
        let s = try #require(try Self.replay(path).entries.last?.after)
        #expect(s.tasks[0].status == .vforkWaiting)
        #expect(s.cpus[0].curr == Self.child)
    }

    /// In fine mode, on the fine exec model with vfork switched on and copy_mm taking the
    /// thread branch for it, every property holds, and the parent's wait is honoured
    /// between the statements too: on one CPU with preemption (30,928 states), and on two
    /// CPUs without it (138,609 states), where the child can wake a parent still current.
    @Test func fineModeVforkPasses() throws {
        let original = try String(contentsOfFile: Repository.path("models/linux-6-exec-fine.mmc"), encoding: .utf8)
        let actions = "actions schedule, exit, clone_thread, clone_fork, clone_kthread, exec"
        #expect(original.contains(actions + "\n") && original.contains("if how == thread {"))
        #expect(original.contains("\npreemptible yes"))
        let text = original.replacingOccurrences(of: actions + "\n", with: actions + ", vfork\n")
            .replacingOccurrences(of: "if how == thread {", with: "if how == thread or how == vfork {")
        let cases = [
            (text, Bounds(cpus: 1, tasks: 3, mms: 1), 30_928),
            (
                text.replacingOccurrences(of: "\npreemptible yes", with: "\npreemptible no"),
                Bounds(cpus: 2, tasks: 3, mms: 1), 138_609
            ),
        ]
        for (source, b, states) in cases {
            let result = Fixture.explore(try Fixture.compile(source, path: "vfork-fine.mmc"), b)
            #expect(result.ending == .exhausted, "\(b)")
            #expect(result.counterexamples.isEmpty, "\(b)")
            #expect(result.states == states, "\(b)")
        }
    }
}
