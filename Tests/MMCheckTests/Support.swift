import Foundation
import Testing

@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// Paths into the repository, found from this file's location.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

enum Fixture {
    static let properties = Property.allCases.map(\.name)

    /// Compiles model text that must be valid.
    static func compile(
        _ text: String, path: String = "test.mmc", mode: CompiledModel.Mode? = nil
    ) throws -> CompiledModel {
        switch ModelCompiler.compile(path: path, text: text, properties: properties, mode: mode) {
        case .success(let model): return model
        case .failure(let errors):
            Issue.record("model does not compile:\n\(errors.lines.joined(separator: "\n"))")
            throw errors
        }
    }

    /// Compiles a model file of the repository, keeping its relative path for messages.
    static func load(_ relative: String, mode: CompiledModel.Mode? = nil) throws -> CompiledModel {
        let text = try String(contentsOfFile: Repository.path(relative), encoding: .utf8)
        return try compile(text, path: relative, mode: mode)
    }

    /// The bounds a model file declares (defaults where it declares none).
    static func bounds(of model: CompiledModel) -> Bounds {
        Bounds(
            cpus: model.cpus?.value ?? Bounds.defaultCPUs, tasks: model.tasks?.value ?? Bounds.defaultTasks,
            mms: model.mms?.value ?? Bounds.defaultMMs, cap: model.cap?.value)
    }

    /// Explores `model` at `bounds` with the real explorer.
    static func explore(
        _ model: CompiledModel, _ bounds: Bounds, _ options: SearchOptions = SearchOptions()
    ) -> SearchResult {
        Search(system: KernelSystem(model: model, bounds: bounds), options: options).run()
    }

    /// Every reachable state, level by level (level i: the states first reached after i
    /// steps), by a plain breadth-first search over a `Set` of packed states: no use of the
    /// explorer's store, so it checks the explorer's counts as well as listing the states.
    /// Violating steps are not followed.
    static func levels(_ model: CompiledModel, _ bounds: Bounds) -> [[KernelState]] {
        let system = KernelSystem(model: model, bounds: bounds)
        return packedLevels(system).map {
            $0.map { s in s.withUnsafeBufferPointer { KernelState(layout: system.layout, packed: $0.baseAddress!) } }
        }
    }

    /// `levels`, as `system`'s packed states (every step expanded, none canonicalized).
    static func packedLevels(_ system: KernelSystem) -> [[[UInt64]]] {
        let words = system.stateWords
        let buffer = SuccessorBuffer(stateWords: words)
        var seen = Set<[UInt64]>()
        func fresh() -> [[UInt64]] {
            var out: [[UInt64]] = []
            for i in 0..<buffer.count where buffer.violation(i) == SuccessorBuffer.noViolation {
                let s = Array(UnsafeBufferPointer(start: buffer.state(i), count: words))
                if seen.insert(s).inserted { out.append(s) }
            }
            return out
        }
        system.initialStates(into: buffer)
        var level = fresh()
        var packed: [[[UInt64]]] = []
        while !level.isEmpty {
            packed.append(level)
            var next: [[UInt64]] = []
            for s in level {
                buffer.reset()
                s.withUnsafeBufferPointer { system.expand($0.baseAddress!, into: buffer) }
                next += fresh()
            }
            level = next
        }
        return packed
    }

    /// Every model file under models/, relative to the repository.
    static func modelFiles(under folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Repository.path(folder))) ?? []
        return names.filter { $0.hasSuffix(".mmc") }.sorted().map { "\(folder)/\($0)" }
    }
}

/// SplitMix64: a small, fast, seeded generator, so a fuzz test makes the same cases on
/// every run and a failure names a case that reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in 0..<n (0 when n < 1).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}
