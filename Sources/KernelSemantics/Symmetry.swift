import ModelLanguage

/// Symmetry reduction over CPUs, task slots, mm slots and holder slots.
///
/// Nothing in a model names a particular CPU, task slot or mm slot (`init_mm` is a constant
/// and is never renamed), so a state and its image under any renaming of CPUs, of task
/// slots and of mm slots behave alike: the same steps, up to the renaming, with the same
/// verdicts. `canonicalize` replaces a packed state by the least (word by word) of its
/// images, the representative of its orbit, so a search stores one state per orbit.
///
/// The representative is a function of the orbit, not a heuristic's guess. CPUs, tasks
/// and mms are sorted by keys that do not depend on names (what an item holds, with
/// references replaced by the keys of what they point to). Items whose keys tie are tried
/// in every order, CPUs first; once the CPUs are placed, a running task is told apart by
/// its CPU's place, and once the tasks are placed, an mm by the first task holding it.
/// Every state of an orbit gets the same set of orderings (renamed), hence the same least
/// image. Items that are identical and that nothing points to (free task slots, free mm
/// slots, idle CPUs, free holder slots) are interchangeable without effect and are not
/// permuted. Holder slots are placed last, after the mms they hold.
final class Symmetry {
    private let layout: StateLayout
    private let T: Int, C: Int, M: Int, H: Int
    private let ks: Int, kt: Int
    private let dangling: Int32
    /// For a frame's pc (0: not paused, 1 + y: paused at yield point y), the kind of each
    /// saved register (`slotKind[pc * slotStride + j]`): a `CompiledModel.RegisterKind` raw
    /// value (0 other, 1 task id, 2 mm reference); 0 past the registers the point saves, and
    /// in row 0.
    private let slotKind: UnsafeMutablePointer<UInt8>
    private let slotStride: Int
    /// The stored `TaskField`s: where each is unpacked, and whether it links to a task
    /// (renamed) or is a flag (kept). The others are 0 in every state.
    private let fieldOffset: UnsafeMutablePointer<Int>
    private let fieldIsLink: UnsafeMutablePointer<Bool>
    private let fieldCount: Int

    // Scratch, allocated once.
    private let src: UnsafeMutablePointer<Int32>
    private let dst: UnsafeMutablePointer<Int32>
    private let best: UnsafeMutablePointer<UInt64>
    private let candidate: UnsafeMutablePointer<UInt64>
    /// Items of the three sorts, one array each: keys, reference counts, orders, maps.
    private let keys: [UnsafeMutablePointer<UInt64>]
    private let refs: [UnsafeMutablePointer<Int32>]
    private let order: [UnsafeMutablePointer<Int>]
    private let map: [UnsafeMutablePointer<Int>]
    /// Secondary keys, from the places already given to the sort before (tasks: the CPU
    /// running them; mms: the tasks holding them).
    private let secondary: [UnsafeMutablePointer<Int>]
    /// Per sort, the groups of equal keys that must be permuted: `groupCount[sort]` pairs
    /// (start, end) in `order`, at `groups[sort][2 * g]` and `groups[sort][2 * g + 1]`.
    private let groups: [UnsafeMutablePointer<Int>]
    private let groupCount: UnsafeMutablePointer<Int>
    private static let cpuSort = 0, taskSort = 1, mmSort = 2, holderSort = 3

    init(layout: StateLayout, model: CompiledModel) {
        self.layout = layout
        T = layout.bounds.tasks
        C = layout.bounds.cpus
        M = layout.bounds.mms
        H = layout.holders
        ks = layout.frames?.scheduleSlots ?? 0
        kt = layout.frames?.taskSlots ?? 0
        dangling = Int32(M + 1)
        slotStride = max(ks, kt, 1)
        slotKind = .allocate(capacity: (model.yields.count + 1) * slotStride)
        slotKind.initialize(repeating: 0, count: (model.yields.count + 1) * slotStride)
        for (y, point) in model.yields.enumerated() {
            for (j, kind) in model.savedKinds(point).enumerated() where j < slotStride {
                slotKind[(y + 1) * slotStride + j] = kind.rawValue
            }
        }
        fieldCount = layout.storedTaskFields.count
        fieldOffset = .allocate(capacity: max(fieldCount, 1))
        fieldIsLink = .allocate(capacity: max(fieldCount, 1))
        for (i, f) in layout.storedTaskFields.enumerated() {
            fieldOffset[i] = layout.offset(f)
            fieldIsLink[i] = f.content == .taskLink
        }
        src = .allocate(capacity: layout.fieldCount)
        dst = .allocate(capacity: layout.fieldCount)
        layout.initializeConstants(src)
        layout.initializeConstants(dst)
        best = .allocate(capacity: layout.words)
        candidate = .allocate(capacity: layout.words)
        let sizes = [C, T, M, H]
        keys = sizes.map { .allocate(capacity: max($0, 1)) }
        refs = sizes.map { .allocate(capacity: max($0, 1)) }
        order = sizes.map { .allocate(capacity: max($0, 1)) }
        map = sizes.map { .allocate(capacity: max($0, 1)) }
        secondary = sizes.map { .allocate(capacity: max($0, 1)) }
        groups = sizes.map { .allocate(capacity: 2 * max($0, 1)) }
        groupCount = .allocate(capacity: 4)
        groupCount.initialize(repeating: 0, count: 4)
    }

    deinit {
        slotKind.deallocate()
        fieldOffset.deallocate()
        fieldIsLink.deallocate()
        src.deallocate()
        dst.deallocate()
        best.deallocate()
        candidate.deallocate()
        for p in keys { p.deallocate() }
        for p in refs { p.deallocate() }
        for p in order { p.deallocate() }
        for p in map { p.deallocate() }
        for p in secondary { p.deallocate() }
        for p in groups { p.deallocate() }
        groupCount.deallocate()
    }

    /// Replaces packed state `s` by its orbit's representative.
    func canonicalize(_ s: UnsafeMutablePointer<UInt64>) {
        layout.unpack(s, into: src)
        countReferences()
        computeKeys()
        var first = true
        secondary[Symmetry.cpuSort].update(repeating: 0, count: max(C, 1))
        sortAndGroup(Symmetry.cpuSort)
        repeat {
            fillMap(Symmetry.cpuSort)
            refineTasks()
            sortAndGroup(Symmetry.taskSort)
            repeat {
                fillMap(Symmetry.taskSort)
                refineMMs()
                sortAndGroup(Symmetry.mmSort)
                repeat {
                    fillMap(Symmetry.mmSort)
                    refineHolders()
                    sortAndGroup(Symmetry.holderSort)
                    repeat {
                        fillMap(Symmetry.holderSort)
                        apply()
                        if first && groupCount[Symmetry.cpuSort] == 0 && groupCount[Symmetry.taskSort] == 0
                            && groupCount[Symmetry.mmSort] == 0 && groupCount[Symmetry.holderSort] == 0
                        {
                            // The only ordering: its image is the representative.
                            layout.pack(dst, into: s)
                            return
                        }
                        layout.pack(dst, into: candidate)
                        if first || less(candidate, best) {
                            best.update(from: candidate, count: layout.words)
                            first = false
                        }
                    } while nextCandidate(Symmetry.holderSort)
                } while nextCandidate(Symmetry.mmSort)
            } while nextCandidate(Symmetry.taskSort)
        } while nextCandidate(Symmetry.cpuSort)
        s.update(from: best, count: layout.words)
    }

    @inline(__always)
    private func fillMap(_ sort: Int) {
        let o = order[sort], m = map[sort]
        for p in 0..<size(sort) { m[o[p]] = p }
    }

    /// Once the CPUs are ordered, a task running on a CPU is told apart by that CPU's place.
    private func refineTasks() {
        let sec = secondary[Symmetry.taskSort], cpuMap = map[Symmetry.cpuSort]
        sec.update(repeating: 0, count: max(T, 1))
        for c in 0..<C {
            let t = Int(layout.currentTask(src, cpu: c))
            if t < T { sec[t] = 1 + cpuMap[c] }
        }
    }

    /// Once the tasks are ordered, an mm is told apart by the first task (in the new
    /// order) that has it as mm, else as active_mm.
    private func refineMMs() {
        let sec = secondary[Symmetry.mmSort], taskMap = map[Symmetry.taskSort], cpuMap = map[Symmetry.cpuSort]
        sec.update(repeating: Int.max, count: max(M, 1))
        let ids = T + C, dangling = self.dangling
        for id in 0..<ids {
            let new = id < T ? taskMap[id] : T + cpuMap[id - T]
            let m = src[layout.mm + id], a = src[layout.activeMM + id]
            if m >= 2 && m <= dangling { sec[Int(m) - 2] = min(sec[Int(m) - 2], new) }
            if a >= 2 && a <= dangling { sec[Int(a) - 2] = min(sec[Int(a) - 2], ids + new) }
        }
    }

    /// Once the mms are ordered, a holder slot is told apart by the place of the mm it holds.
    private func refineHolders() {
        let sec = secondary[Symmetry.holderSort], mmMap = map[Symmetry.mmSort]
        let oHolderMM = layout.holderMM
        for h in 0..<H {
            let m = Int(src[oHolderMM + h])
            sec[h] = m >= 2 && m <= Int(dangling) ? 1 + mmMap[m - 2] : 0
        }
    }

    /// Writes the image of unpacked state `state` under the renaming `cpus`, `tasks`, `mms`,
    /// `holders` (old index to new; holders: the identity when empty) into `out` (for tests).
    func image(
        of state: UnsafePointer<Int32>, cpus: [Int], tasks: [Int], mms: [Int], holders: [Int] = [],
        into out: UnsafeMutablePointer<Int32>
    ) {
        src.update(from: state, count: layout.fieldCount)
        for (i, v) in cpus.enumerated() { map[Symmetry.cpuSort][i] = v }
        for (i, v) in tasks.enumerated() { map[Symmetry.taskSort][i] = v }
        for (i, v) in mms.enumerated() { map[Symmetry.mmSort][i] = v }
        for h in 0..<H { map[Symmetry.holderSort][h] = holders.isEmpty ? h : holders[h] }
        apply()
        out.update(from: dst, count: layout.fieldCount)
    }

    @inline(__always)
    private func size(_ sort: Int) -> Int {
        switch sort {
        case Symmetry.cpuSort: return C
        case Symmetry.taskSort: return T
        case Symmetry.mmSort: return M
        default: return H
        }
    }

    @inline(__always)
    private func kind(pc: Int32, slot j: Int) -> UInt8 {
        slotKind[Int(pc) * slotStride + j]
    }

    // MARK: References and keys

    /// How many fields point to each CPU (through its idle task's id), task and mm slot.
    private func countReferences() {
        let cpuRefs = refs[Symmetry.cpuSort], taskRefs = refs[Symmetry.taskSort], mmRefs = refs[Symmetry.mmSort]
        let holderRefs = refs[Symmetry.holderSort]
        let T = self.T, C = self.C, M = self.M, H = self.H, ks = self.ks, kt = self.kt, dangling = self.dangling
        let src = self.src, slotKind = self.slotKind, slotStride = self.slotStride
        let fieldOffset = self.fieldOffset, fieldIsLink = self.fieldIsLink, fieldCount = self.fieldCount
        let oMM = layout.mm, oActiveMM = layout.activeMM, oCurr = layout.curr, oPrevMM = layout.prevMM
        cpuRefs.update(repeating: 0, count: max(C, 1))
        taskRefs.update(repeating: 0, count: max(T, 1))
        mmRefs.update(repeating: 0, count: max(M, 1))
        holderRefs.update(repeating: 0, count: max(H, 1))
        @inline(__always) func mmRef(_ r: Int32) {
            if r < 2 { return }
            let i = Int(r > dangling ? r - dangling : r) - 2
            mmRefs[i] += 1
        }
        @inline(__always) func taskRef(_ v: Int32) {
            if Int(v) < T { taskRefs[Int(v)] += 1 } else { cpuRefs[Int(v) - T] += 1 }
        }
        for id in 0..<(T + C) {
            mmRef(src[oMM + id])
            mmRef(src[oActiveMM + id])
        }
        for c in 0..<C {
            let t = Int(StateLayout.currentTask(curr: src[oCurr + c], cpu: c, tasks: Int32(T)))
            if t < T { taskRefs[t] += 1 }
            mmRef(src[oPrevMM + c])
        }
        for f in 0..<fieldCount where fieldIsLink[f] {
            let o = fieldOffset[f]
            for t in 0..<T where src[o + t] != 0 { taskRefs[Int(src[o + t]) - 1] += 1 }
        }
        for h in 0..<H { mmRef(src[layout.holderMM + h]) }
        guard layout.frames != nil else { return }
        /// The saved registers of one paused frame, by kind (none when not paused: pc 0).
        @inline(__always) func frame(pc: Int32, at offset: Int, slots: Int) {
            if pc == 0 { return }
            let kinds = slotKind + Int(pc) * slotStride, registers = src + offset
            for j in 0..<slots {
                switch kinds[j] {
                case 1: taskRef(registers[j])
                case 2: mmRef(registers[j])
                case 3: holderRefs[Int(registers[j])] += 1
                default: break
                }
            }
        }
        let oLoaded = layout.loaded, oCPUPC = layout.cpuPC, oCPUFrame = layout.cpuFrame
        let oTaskPC = layout.taskPC, oTaskFrame = layout.taskFrame
        for c in 0..<C {
            mmRef(src[oLoaded + c])
            frame(pc: src[oCPUPC + c], at: oCPUFrame + c * ks, slots: ks)
        }
        for t in 0..<T {
            frame(pc: src[oTaskPC + t], at: oTaskFrame + t * kt, slots: kt)
        }
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        let x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
        return x ^ (x >> 29)
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ v: Int32) -> UInt64 { mix(h, UInt64(UInt32(bitPattern: v))) }

    /// A name-free description of an mm reference: none, init_mm, or the key of the slot.
    @inline(__always)
    private static func refKey(_ r: Int32, dangling: Int32, mmKeys: UnsafeMutablePointer<UInt64>) -> UInt64 {
        if r < 2 { return UInt64(r) }
        let live = r <= dangling
        let i = Int(live ? r : r - dangling) - 2
        return mix(live ? 2 : 3, mmKeys[i])
    }

    private func computeKeys() {
        let mmKeys = keys[Symmetry.mmSort], taskKeys = keys[Symmetry.taskSort], cpuKeys = keys[Symmetry.cpuSort]
        let holderKeys = keys[Symmetry.holderSort], holderRefs = refs[Symmetry.holderSort]
        let T = self.T, C = self.C, M = self.M, H = self.H, ks = self.ks, kt = self.kt, dangling = self.dangling
        let src = self.src, slotKind = self.slotKind, slotStride = self.slotStride
        let fieldOffset = self.fieldOffset, fieldIsLink = self.fieldIsLink, fieldCount = self.fieldCount
        let oMM = layout.mm, oActiveMM = layout.activeMM, oCurr = layout.curr, oPrevMM = layout.prevMM
        let oLive = layout.mmLive, oUsers = layout.users, oCount = layout.count, oStatus = layout.status
        let oLoaded = layout.loaded, oCPUPC = layout.cpuPC, oCPUFrame = layout.cpuFrame
        let oTaskPC = layout.taskPC, oTaskFrame = layout.taskFrame, fine = layout.frames != nil
        let mmRefs = refs[Symmetry.mmSort], taskRefs = refs[Symmetry.taskSort], cpuRefs = refs[Symmetry.cpuSort]
        @inline(__always) func refKey(_ r: Int32) -> UInt64 { Symmetry.refKey(r, dangling: dangling, mmKeys: mmKeys) }
        /// A name-free description of a saved register's value.
        @inline(__always) func slotKey(_ v: Int32, _ kind: UInt8, taskKeysReady: Bool) -> UInt64 {
            switch kind {
            case 1:
                if Int(v) >= T { return 1 }
                return taskKeysReady ? Symmetry.mix(2, taskKeys[Int(v)]) : 2
            case 2: return refKey(v)
            case 3: return Symmetry.mix(5, holderKeys[Int(v)])
            default: return UInt64(UInt32(bitPattern: v))
            }
        }
        for i in 0..<M {
            var h: UInt64 = 17
            h = Symmetry.mix(h, src[oLive + 1 + i])
            h = Symmetry.mix(h, src[oUsers + 1 + i])
            h = Symmetry.mix(h, src[oCount + 1 + i])
            h = Symmetry.mix(h, mmRefs[i])
            mmKeys[i] = h
        }
        for i in 0..<H {
            var h: UInt64 = 61
            h = Symmetry.mix(h, src[layout.holderKind + i])
            if fine { h = Symmetry.mix(h, src[layout.holderBusy + i]) }
            h = Symmetry.mix(h, refKey(src[layout.holderMM + i]))
            h = Symmetry.mix(h, holderRefs[i])
            holderKeys[i] = h
        }
        for t in 0..<T {
            var h: UInt64 = 29
            h = Symmetry.mix(h, src[oStatus + t])
            for f in 0..<fieldCount {
                // A flag as it is; a link only as set or not (its target is told apart by its references).
                let v = src[fieldOffset[f] + t]
                h = Symmetry.mix(h, fieldIsLink[f] ? (v == 0 ? 0 : 1) : UInt64(UInt32(bitPattern: v)))
            }
            h = Symmetry.mix(h, refKey(src[oMM + t]))
            h = Symmetry.mix(h, refKey(src[oActiveMM + t]))
            h = Symmetry.mix(h, taskRefs[t])
            if fine {
                let pc = src[oTaskPC + t]
                h = Symmetry.mix(h, pc)
                let kinds = slotKind + Int(pc) * slotStride, registers = src + oTaskFrame + t * kt
                for j in 0..<kt {
                    h = Symmetry.mix(h, slotKey(registers[j], kinds[j], taskKeysReady: false))
                }
            }
            taskKeys[t] = h
        }
        for c in 0..<C {
            var h: UInt64 = 43
            let t = Int(StateLayout.currentTask(curr: src[oCurr + c], cpu: c, tasks: Int32(T)))
            h = Symmetry.mix(h, t >= T ? 0 : Symmetry.mix(1, taskKeys[t]))
            h = Symmetry.mix(h, refKey(src[oPrevMM + c]))
            h = Symmetry.mix(h, refKey(src[oActiveMM + T + c]))
            h = Symmetry.mix(h, cpuRefs[c])
            if fine {
                let pc = src[oCPUPC + c]
                h = Symmetry.mix(h, pc)
                h = Symmetry.mix(h, refKey(src[oLoaded + c]))
                let kinds = slotKind + Int(pc) * slotStride, registers = src + oCPUFrame + c * ks
                for j in 0..<ks {
                    h = Symmetry.mix(h, slotKey(registers[j], kinds[j], taskKeysReady: true))
                }
            }
            cpuKeys[c] = h
        }
    }

    // MARK: Orders and candidates

    /// Sorts one sort's items by key, then secondary key (ties by index), and records each
    /// group of equal keys that has to be permuted.
    private func sortAndGroup(_ sort: Int) {
        let n = size(sort)
        let o = order[sort], k = keys[sort], sec = secondary[sort]
        @inline(__always) func before(_ a: Int, _ b: Int) -> Bool {
            k[a] != k[b] ? k[a] < k[b] : sec[a] != sec[b] ? sec[a] < sec[b] : a < b
        }
        for i in 0..<n { o[i] = i }
        // Insertion sort: n is at most 16.
        if n > 1 {
            for i in 1..<n {
                let x = o[i]
                var j = i - 1
                while j >= 0 && before(x, o[j]) {
                    o[j + 1] = o[j]
                    j -= 1
                }
                o[j + 1] = x
            }
        }
        let g = groups[sort]
        var count = 0
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && k[o[end]] == k[o[start]] && sec[o[end]] == sec[o[start]] { end += 1 }
            if end - start > 1 && !interchangeable(sort, start, end) {
                g[2 * count] = start
                g[2 * count + 1] = end
                count += 1
            }
            start = end
        }
        groupCount[sort] = count
    }

    /// Whether the items at `order[sort][start..<end]` are identical and unreferenced, so
    /// that every ordering of them gives the same image.
    private func interchangeable(_ sort: Int, _ start: Int, _ end: Int) -> Bool {
        let o = order[sort]
        for p in start..<end where refs[sort][o[p]] != 0 { return false }
        let a = o[start]
        for p in (start + 1)..<end where !identical(sort, a, o[p]) { return false }
        return true
    }

    private func identical(_ sort: Int, _ a: Int, _ b: Int) -> Bool {
        func same(_ offset: Int, _ stride: Int, _ count: Int) -> Bool {
            for j in 0..<count where src[offset + a * stride + j] != src[offset + b * stride + j] { return false }
            return true
        }
        switch sort {
        case Symmetry.cpuSort:
            guard same(layout.curr, 1, 1), same(layout.prevMM, 1, 1), same(layout.activeMM + T, 1, 1),
                same(layout.mm + T, 1, 1)
            else { return false }
            if layout.frames == nil { return true }
            return same(layout.cpuPC, 1, 1) && same(layout.loaded, 1, 1) && same(layout.cpuFrame, ks, ks)
        case Symmetry.taskSort:
            guard same(layout.status, 1, 1), same(layout.mm, 1, 1), same(layout.activeMM, 1, 1) else { return false }
            for f in 0..<fieldCount where !same(fieldOffset[f], 1, 1) { return false }
            if layout.frames == nil { return true }
            return same(layout.taskPC, 1, 1) && same(layout.taskFrame, kt, kt)
        case Symmetry.mmSort:
            return same(layout.mmLive + 1, 1, 1) && same(layout.users + 1, 1, 1) && same(layout.count + 1, 1, 1)
        default:
            guard same(layout.holderMM, 1, 1), same(layout.holderKind, 1, 1) else { return false }
            return layout.frames == nil || same(layout.holderBusy, 1, 1)
        }
    }

    /// Steps to the next ordering of one sort: the next permutation of its first group
    /// that has one, the groups before it starting over. Returns false after the last.
    @inline(__always)
    private func nextCandidate(_ sort: Int) -> Bool {
        let g = groups[sort], o = order[sort]
        for i in 0..<groupCount[sort] where nextPermutation(o, g[2 * i], g[2 * i + 1]) { return true }
        return false
    }

    /// The lexicographically next permutation of `a[start..<end]`; at the last, sorts the
    /// range back to the first and returns false.
    private func nextPermutation(_ a: UnsafeMutablePointer<Int>, _ start: Int, _ end: Int) -> Bool {
        var i = end - 2
        while i >= start && a[i] >= a[i + 1] { i -= 1 }
        if i < start {
            reverse(a, start, end)
            return false
        }
        var j = end - 1
        while a[j] <= a[i] { j -= 1 }
        swap(a, i, j)
        reverse(a, i + 1, end)
        return true
    }

    @inline(__always)
    private func swap(_ a: UnsafeMutablePointer<Int>, _ i: Int, _ j: Int) {
        let x = a[i]
        a[i] = a[j]
        a[j] = x
    }

    private func reverse(_ a: UnsafeMutablePointer<Int>, _ start: Int, _ end: Int) {
        var i = start, j = end - 1
        while i < j {
            swap(a, i, j)
            i += 1
            j -= 1
        }
    }

    @inline(__always)
    private func less(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>) -> Bool {
        for w in 0..<layout.words where a[w] != b[w] { return a[w] < b[w] }
        return false
    }

    // MARK: Renaming

    /// Writes into `dst` the image of `src` under `map` (old index to new, per sort).
    private func apply() {
        let cpuMap = map[Symmetry.cpuSort], taskMap = map[Symmetry.taskSort], mmMap = map[Symmetry.mmSort]
        let holderMap = map[Symmetry.holderSort]
        let dangling = self.dangling, T = self.T, C = self.C, M = self.M, H = self.H, ks = self.ks, kt = self.kt
        let src = self.src, dst = self.dst, slotKind = self.slotKind, slotStride = self.slotStride
        let fieldOffset = self.fieldOffset, fieldIsLink = self.fieldIsLink, fieldCount = self.fieldCount
        let oMM = layout.mm, oActiveMM = layout.activeMM, oStatus = layout.status, oCurr = layout.curr
        let oPrevMM = layout.prevMM, oCount = layout.count, oLive = layout.mmLive, oUsers = layout.users
        let oTaskPC = layout.taskPC, oTaskFrame = layout.taskFrame, oCPUPC = layout.cpuPC
        let oCPUFrame = layout.cpuFrame, oLoaded = layout.loaded, fine = layout.frames != nil
        @inline(__always) func ref(_ r: Int32) -> Int32 {
            if r < 2 { return r }
            if r > dangling { return Int32(2 + mmMap[Int(r - dangling) - 2]) + dangling }
            return Int32(2 + mmMap[Int(r) - 2])
        }
        @inline(__always) func task(_ v: Int32) -> Int32 {
            Int(v) < T ? Int32(taskMap[Int(v)]) : Int32(T + cpuMap[Int(v) - T])
        }
        /// Renames the `count` saved registers at `from` of a frame paused at `pc` into `to`.
        @inline(__always) func frame(
            pc: Int32, from: UnsafeMutablePointer<Int32>, to: UnsafeMutablePointer<Int32>, count: Int
        ) {
            let kinds = slotKind + Int(pc) * slotStride
            for j in 0..<count {
                let v = from[j], k = kinds[j]
                to[j] = k == 1 ? task(v) : k == 2 ? ref(v) : k == 3 ? Int32(holderMap[Int(v)]) : v
            }
        }
        for t in 0..<T {
            let n = taskMap[t]
            dst[oMM + n] = ref(src[oMM + t])
            dst[oActiveMM + n] = ref(src[oActiveMM + t])
            dst[oStatus + n] = src[oStatus + t]
            for f in 0..<fieldCount {
                let o = fieldOffset[f], v = src[o + t]
                dst[o + n] = fieldIsLink[f] && v != 0 ? 1 + Int32(taskMap[Int(v) - 1]) : v
            }
            if fine {
                let pc = src[oTaskPC + t]
                dst[oTaskPC + n] = pc
                frame(pc: pc, from: src + oTaskFrame + t * kt, to: dst + oTaskFrame + n * kt, count: kt)
            }
        }
        for c in 0..<C {
            let n = cpuMap[c]
            dst[oMM + T + n] = ref(src[oMM + T + c])
            dst[oActiveMM + T + n] = ref(src[oActiveMM + T + c])
            // The CPU's idle task is renamed with the CPU (to T + n); a slot task by taskMap.
            let t = Int(StateLayout.currentTask(curr: src[oCurr + c], cpu: c, tasks: Int32(T)))
            dst[oCurr + n] = StateLayout.currField(task: t < T ? Int32(taskMap[t]) : Int32(T + n), tasks: Int32(T))
            dst[oPrevMM + n] = ref(src[oPrevMM + c])
            if fine {
                let pc = src[oCPUPC + c]
                dst[oCPUPC + n] = pc
                dst[oLoaded + n] = ref(src[oLoaded + c])
                frame(pc: pc, from: src + oCPUFrame + c * ks, to: dst + oCPUFrame + n * ks, count: ks)
            }
        }
        dst[oCount] = src[oCount]
        for i in 0..<M {
            let n = 1 + mmMap[i]
            dst[oLive + n] = src[oLive + 1 + i]
            dst[oUsers + n] = src[oUsers + 1 + i]
            dst[oCount + n] = src[oCount + 1 + i]
        }
        let oHolderMM = layout.holderMM, oHolderKind = layout.holderKind, oHolderBusy = layout.holderBusy
        for h in 0..<H {
            let n = holderMap[h]
            dst[oHolderMM + n] = ref(src[oHolderMM + h])
            dst[oHolderKind + n] = src[oHolderKind + h]
            if fine { dst[oHolderBusy + n] = src[oHolderBusy + h] }
        }
    }
}
