/// Backward liveness over one action's code: which registers are read later, before being
/// written, at each instruction. Fine mode saves exactly those at a pause, so two pauses
/// that differ only in dead registers are the same state.
enum Liveness {
    /// A point where more registers are live than the caller's limit.
    struct Excess: Error {
        var pc: Int
    }

    /// The live-in registers (sorted) at each pc of `points`, all in `code[range]`; or the
    /// first point (in code order) with more than `limit` live registers.
    ///
    /// One backward pass over the code carries the live set; only the live-in sets of jump
    /// targets are stored, so memory is the targets times the register words, not the
    /// instructions times them. The emitter's jumps all go forward, so one pass settles
    /// every set (a second pass confirms it); a backward jump would take more passes, each
    /// starting from the targets' sets of the pass before. Live sets only grow from pass to
    /// pass, so a point over `limit` stays over it and the search stops after that pass.
    static func liveIn(
        code: [Instruction], range: Range<Int>, registers: Int, at points: [Int],
        limit: Int
    ) -> Result<[[Int32]], Excess> {
        let words = max(1, (registers + 63) / 64)
        var targetSlot: [Int: Int] = [:]  // pc -> its stored set's index
        var hasBackwardJump = false
        for pc in range where code[pc].operation.isJump {
            let target = Int(code[pc].c)
            guard range.contains(target) else { continue }
            if target <= pc { hasBackwardJump = true }
            if targetSlot[target] == nil { targetSlot[target] = targetSlot.count }
        }
        var stored = [UInt64](repeating: 0, count: targetSlot.count * words)
        var pointIndex: [Int: [Int]] = [:]  // pc -> indexes into points
        for (k, pc) in points.enumerated() { pointIndex[pc, default: []].append(k) }
        var result = [[Int32]](repeating: [], count: points.count)
        var live = [UInt64](repeating: 0, count: words)
        var excess: Int?
        var changed = true
        while changed {
            changed = false
            for w in 0..<words { live[w] = 0 }
            for pc in range.reversed() {
                let instruction = code[pc]
                let op = instruction.operation
                // Live-out: the next instruction's live-in (unless control never falls
                // through), joined with the jump target's.
                if op == .end || op == .jump {
                    for w in 0..<words { live[w] = 0 }
                }
                if op.isJump, let slot = targetSlot[Int(instruction.c)] {
                    for w in 0..<words { live[w] |= stored[slot * words + w] }
                }
                let (uses, def) = usesAndDef(instruction)
                if let d = def, d >= 0 { live[Int(d) / 64] &= ~(1 << UInt64(Int(d) % 64)) }
                for u in uses where u >= 0 { live[Int(u) / 64] |= 1 << UInt64(Int(u) % 64) }
                if let slot = targetSlot[pc] {
                    for w in 0..<words where stored[slot * words + w] != live[w] {
                        stored[slot * words + w] = live[w]
                        changed = true
                    }
                }
                if let indexes = pointIndex[pc] {
                    var count = 0
                    for w in 0..<words { count += live[w].nonzeroBitCount }
                    if count > limit { excess = pc }
                    if excess != nil { continue }
                    var set: [Int32] = []
                    set.reserveCapacity(count)
                    for w in 0..<words {
                        var bits = live[w]
                        while bits != 0 {
                            set.append(Int32(w * 64 + bits.trailingZeroBitCount))
                            bits &= bits - 1
                        }
                    }
                    for k in indexes { result[k] = set }
                }
            }
            if let excess { return .failure(Excess(pc: excess)) }
            if !hasBackwardJump { break }
        }
        return .success(result)
    }

    static func usesAndDef(_ i: Instruction) -> (uses: [Int32], def: Int32?) {
        var uses: [Int32] = []
        if i.readsA { uses.append(i.a) }
        if i.readsB { uses.append(i.b) }
        return (uses, i.writesA ? i.a : nil)
    }
}
