/// Coarse-mode code made shorter for the interpreter, with the same effect step for step:
/// the emitter loads every literal into a register of its own just before the comparison
/// that reads it, and passes routine arguments in registers that are sometimes never read.
///
/// - A `constant r, v` whose register its action writes nowhere else, and whose every
///   reader it dominates, is dropped: its readers read a register that holds `v` from the
///   start (`constants`, set once by the machine and written by no instruction). Not an
///   mm register holding a slot, which a free could mark dangling.
/// - A `move` from a register its action never writes (an input) is dropped: its readers
///   read the input (not for mm registers, which a free marks dangling one by one; a free
///   marks only those of the action it runs in, so a register is an mm register or not
///   action by action).
/// - A `constant` or `move` (or a load that cannot fail) into a register no instruction
///   of its action reads is dropped. Input registers are never touched: the actions read
///   them too. Each of these holds only for a register never read before its action has
///   written it (what another step left in it is never looked at).
/// - A load of an mm, users or count whose register only the equality test right after it
///   reads, where nothing else jumps to that test, becomes one with the test
///   (`jumpIfMMEqual` and the others): it loads, fails where the load would, with the
///   load's site, and jumps on the value.
///
/// Jumps and action entries are moved to the instruction that followed the dropped ones,
/// and a jump to an unconditional jump goes straight to that one's target.
/// Only coarse code: in fine mode registers are saved in paused frames, so which register
/// holds what is part of the state. Not with `--coverage`, which counts the statements
/// every instruction belongs to. The code must jump only forward (`jumpsOnlyForward`),
/// so that "every path to a reader passes the constant" is a question of which jumps
/// cross it.
public struct CompactCoarseCode: Sendable {
    public var code: [Instruction]
    public var entries: [Int?]
    /// Registers the machine needs: the model's, then one per constant.
    public var registerCount: Int
    /// The constant registers and their values.
    public var constants: [(register: Int32, value: Int32)]

    public init(_ model: CompiledModel) {
        let code = model.code
        let n = code.count
        let inputs = Int32(CompiledModel.inputRegisters)
        // Each action's code runs from its entry to the next action's (routines are
        // inlined): a register is looked at action by action, as one action may use the
        // register another uses for something else.
        let starts = Array(Set(model.entries.compactMap { $0 })).sorted()
        var part = [Int](repeating: -1, count: n)
        for (k, start) in starts.enumerated() {
            for pc in start..<(k + 1 < starts.count ? starts[k + 1] : n) { part[pc] = k }
        }
        var defs = [[Int]](repeating: [], count: model.registerCount)
        var readers = [[Int]](repeating: [], count: model.registerCount)
        for (pc, i) in code.enumerated() {
            let (uses, def) = Liveness.usesAndDef(i)
            if let d = def, d >= 0 { defs[Int(d)].append(pc) }
            for u in uses where u >= 0 { readers[Int(u)].append(pc) }
        }
        let jumps = code.indices.filter { code[$0].operation.isJump }.map { (from: $0, to: Int(code[$0].c)) }
        /// Whether every path of its action to `reader` passes through `pc`: jumps go
        /// forward, so a path avoiding it jumps across it from before it.
        func dominates(_ pc: Int, _ reader: Int) -> Bool {
            part[pc] >= 0 && part[pc] == part[reader] && reader > pc
                && !jumps.contains { $0.from < pc && $0.to > pc && $0.to <= reader }
        }
        // Registers that no instruction reads before its action has written them: what is
        // left in them by another step is never looked at.
        let forward = model.jumpsOnlyForward
        let neverStale = (0..<model.registerCount).map { r in
            forward && r >= Int(inputs) && readers[r].allSatisfy { q in defs[r].contains { dominates($0, q) } }
        }

        var dropped = [Bool](repeating: false, count: n)
        var rewritten = code
        /// Makes the readers of `r` in the action of `pc` read `x` instead (a reader names
        /// it as `a`, `b` or both).
        func redirect(_ r: Int32, at pc: Int, to x: Int32) {
            for q in readers[Int(r)] where part[q] == part[pc] {
                if code[q].a == r && code[q].readsA { rewritten[q].a = x }
                if code[q].b == r && code[q].readsB { rewritten[q].b = x }
            }
        }
        var constantRegister: [Int32: Int32] = [:]
        var constants: [(register: Int32, value: Int32)] = []
        // The mm registers of each part: those of the actions that start there (a free
        // marks dangling only the registers of the action it runs in).
        var partMM = [Set<Int32>](repeating: [], count: starts.count)
        for (a, entry) in model.entries.enumerated() {
            if let entry, let k = starts.firstIndex(of: entry) { partMM[k].formUnion(model.mmRegisters[a]) }
        }
        let anyMM = Set(model.mmRegisters.joined())
        /// Whether `r` holds mm references in the action of `pc`.
        func isMM(_ r: Int32, at pc: Int) -> Bool { part[pc] < 0 ? anyMM.contains(r) : partMM[part[pc]].contains(r) }
        for (pc, i) in code.enumerated() where i.operation == .constant && neverStale[Int(i.a)] {
            let r = i.a
            // The only write of r in its action, so (never stale) it gives every reader
            // there its value; and no free rewrites it (`Machine.markDangling` rewrites an
            // mm register only when it holds the freed slot, never none or init_mm).
            guard defs[Int(r)].allSatisfy({ $0 == pc || part[$0] != part[pc] }),
                !isMM(r, at: pc) || i.b < Ref.slot(0)
            else { continue }
            let k: Int32
            if let known = constantRegister[i.b] {
                k = known
            } else {
                k = Int32(model.registerCount + constants.count)
                constantRegister[i.b] = k
                constants.append((k, i.b))
            }
            redirect(r, at: pc, to: k)
            dropped[pc] = true
        }
        // A copy of a register no instruction of its action writes (an input), into one
        // written only there: its readers read the original. Not for mm registers, whose
        // values a free rewrites register by register (`Machine.markDangling`).
        for (pc, i) in code.enumerated() where i.operation == .move && neverStale[Int(i.a)] {
            let r = i.a, source = i.b
            guard !isMM(r, at: pc), !isMM(source, at: pc), source >= 0,
                !defs[Int(source)].contains(where: { part[$0] == part[pc] }),
                defs[Int(r)].allSatisfy({ $0 == pc || part[$0] != part[pc] })
            else { continue }
            redirect(r, at: pc, to: source)
            dropped[pc] = true
        }
        for (pc, i) in code.enumerated() where !dropped[pc] {
            switch i.operation {
            case .constant, .move, .loadMM, .loadActiveMM, .loadPrevMM, .loadCurr:
                let r = Int(i.a)
                if neverStale[r] && !readers[r].contains(where: { part[$0] == part[pc] }) { dropped[pc] = true }
            default: break
            }
        }
        /// The first instruction kept at or after `pc`.
        func firstKept(at pc: Int) -> Int? { (pc..<n).first { !dropped[$0] } }
        // A load whose register only the (equality) jump right after it reads, and that
        // nothing jumps to: one instruction that loads, fails as the load would, and
        // jumps on the value (`Instruction.Operation.jumpIfMMEqual` and the others).
        var reachedOtherwise = [Bool](repeating: false, count: n + 1)
        for entry in model.entries.compactMap({ $0 }) { reachedOtherwise[entry] = true }
        for pc in 0..<n where !dropped[pc] && rewritten[pc].operation.isJump {
            reachedOtherwise[Int(rewritten[pc].c)] = true
        }
        // The kept readers and writers of each register, part by part.
        var partReaders = [[Int32: [Int]]](repeating: [:], count: starts.count)
        var partWriters = [[Int32: [Int]]](repeating: [:], count: starts.count)
        for pc in 0..<n where !dropped[pc] && part[pc] >= 0 {
            let i = rewritten[pc]
            if i.readsA { partReaders[part[pc]][i.a, default: []].append(pc) }
            if i.readsB && !(i.readsA && i.b == i.a) { partReaders[part[pc]][i.b, default: []].append(pc) }
            if i.writesA { partWriters[part[pc]][i.a, default: []].append(pc) }
        }
        for pc in 0..<n where !dropped[pc] && part[pc] >= 0 {
            let load = rewritten[pc]
            let fused: (equal: Instruction.Operation, notEqual: Instruction.Operation)
            switch load.operation {
            case .loadMM: fused = (.jumpIfMMEqual, .jumpIfMMNotEqual)
            case .loadUsers: fused = (.jumpIfUsersEqual, .jumpIfUsersNotEqual)
            case .loadCount: fused = (.jumpIfCountEqual, .jumpIfCountNotEqual)
            default: continue
            }
            let x = load.a, k = part[pc]
            guard let q = firstKept(at: pc + 1), part[q] == k, neverStale[Int(x)],
                !(pc + 1...q).contains(where: { reachedOtherwise[$0] }),
                partReaders[k][x] == [q], partWriters[k][x] == [pc]
            else { continue }
            let test = rewritten[q]
            guard test.operation == .jumpIfEqual || test.operation == .jumpIfNotEqual, test.a != test.b else {
                continue
            }
            let other = test.a == x ? test.b : test.a
            rewritten[q] = Instruction(
                test.operation == .jumpIfEqual ? fused.equal : fused.notEqual, other, load.b, test.c, site: load.site)
            dropped[pc] = true
            partReaders[k][x] = nil
            partWriters[k][x] = nil
            partReaders[k][load.b, default: []].append(q)
        }
        // New place of each old pc: that of the first instruction kept at or after it.
        var place = [Int](repeating: 0, count: n + 1)
        var kept = 0
        for pc in 0..<n {
            place[pc] = kept
            if !dropped[pc] { kept += 1 }
        }
        place[n] = kept
        var out: [Instruction] = []
        out.reserveCapacity(kept)
        for pc in 0..<n where !dropped[pc] {
            var i = rewritten[pc]
            if i.operation.isJump {
                // A jump to a jump goes straight to where that one goes (forward, so this ends).
                var target = place[Int(i.c)]
                while let next = firstKept(at: Int(i.c)), rewritten[next].operation == .jump, forward,
                    Int(rewritten[next].c) > next
                {
                    i.c = rewritten[next].c
                    target = place[Int(i.c)]
                }
                i.c = Int32(target)
            }
            out.append(i)
        }
        self.code = out
        entries = model.entries.map { $0.map { place[$0] } }
        registerCount = model.registerCount + constants.count
        self.constants = constants
    }
}
