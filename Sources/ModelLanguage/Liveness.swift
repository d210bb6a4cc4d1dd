/// Backward liveness over one action's code: which registers are read later, before being
/// written, at each instruction. Fine mode saves exactly those at a pause, so two pauses
/// that differ only in dead registers are the same state.
enum Liveness {
    /// The live-in registers of each instruction of `code[range]` (indexed from
    /// `range.lowerBound`), sorted.
    static func liveIn(code: [Instruction], range: Range<Int>, registers: Int) -> [[Int32]] {
        let words = max(1, (registers + 63) / 64)
        let n = range.count
        var live = [UInt64](repeating: 0, count: n * words)
        var changed = true
        while changed {
            changed = false
            for i in stride(from: n - 1, through: 0, by: -1) {
                let instruction = code[range.lowerBound + i]
                var out = [UInt64](repeating: 0, count: words)
                for s in successors(instruction, at: range.lowerBound + i) where range.contains(s) {
                    let j = s - range.lowerBound
                    for w in 0..<words { out[w] |= live[j * words + w] }
                }
                let (uses, def) = usesAndDef(instruction)
                if let d = def { out[Int(d) / 64] &= ~(1 << UInt64(Int(d) % 64)) }
                for u in uses where u >= 0 { out[Int(u) / 64] |= 1 << UInt64(Int(u) % 64) }
                for w in 0..<words where live[i * words + w] != out[w] {
                    live[i * words + w] = out[w]
                    changed = true
                }
            }
        }
        return (0..<n).map { i in
            (0..<Int32(registers)).filter { r in live[i * words + Int(r) / 64] & (1 << UInt64(Int(r) % 64)) != 0 }
        }
    }

    private static func successors(_ i: Instruction, at pc: Int) -> [Int] {
        switch i.operation {
        case .end: return []
        case .jump: return [Int(i.c)]
        case .jumpIfEqual, .jumpIfNotEqual, .jumpIfLess, .jumpIfLessOrEqual: return [pc + 1, Int(i.c)]
        default: return [pc + 1]
        }
    }

    private static func usesAndDef(_ i: Instruction) -> (uses: [Int32], def: Int32?) {
        switch i.operation {
        case .constant, .loadPrevMM, .loadCurr, .newMM: return ([], i.a)
        case .move, .loadMM, .loadActiveMM, .loadUsers, .loadCount: return ([i.b], i.a)
        case .storeMM, .storeActiveMM: return ([i.a, i.b], nil)
        case .storePrevMM, .addUsers, .addCount, .free, .exitMmap, .switchMM: return ([i.a], nil)
        case .jumpIfEqual, .jumpIfNotEqual, .jumpIfLess, .jumpIfLessOrEqual: return ([i.a, i.b], nil)
        case .jump, .end, .yield: return ([], nil)
        }
    }
}
