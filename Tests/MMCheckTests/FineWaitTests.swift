import Foundation
import Testing
@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// Fine mode: a step that makes a new mm while no mm slot is free waits (it is not
/// enabled until one is), rather than being a model error (SEMANTICS.md §5.9).
@Suite struct FineWaitTests {
    /// linux-6-exec-fine with a fork that breaks its new mm's count at once (`m.count -= 5`
    /// after `new_mm()`): the violation needs the fork's `new_mm()` to succeed.
    static func model(_ mode: CompiledModel.Mode) throws -> CompiledModel {
        let text = try String(contentsOfFile: Repository.path("models/linux-6-exec-fine.mmc"), encoding: .utf8)
        let edited = text.replacingOccurrences(of: "        let m = new_mm()\n", with: "        let m = new_mm()\n        m.count -= 5\n")
        #expect(edited != text)
        return try Fixture.compile(edited, path: "wait.mmc", mode: mode)
    }

    @Test func aForkWithNoFreeMMSlotWaitsInsteadOfFailing() throws {
        let fine = try Self.model(.fine)
        // One mm slot, held by init: the fork's new_mm() can never go on. No model error
        // (which a new_mm() with no free slot would be if it did not wait), no violation:
        // the fork waits (for ever, at these bounds).
        let full = Fixture.explore(fine, Bounds(cpus: 1, tasks: 3, mms: 1))
        #expect(full.ending == .exhausted)
        #expect(full.counterexamples.isEmpty)
        // A second slot: new_mm() goes on, and the edit's underflow follows.
        let room = Fixture.explore(fine, Bounds(cpus: 1, tasks: 3, mms: 2))
        #expect(room.counterexamples.map(\.property) == [Property.noUnderflow.rawValue])
    }
}
