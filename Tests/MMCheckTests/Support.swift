import Foundation
import Testing
@testable import Explorer
@testable import KernelSemantics
@testable import ModelLanguage

/// Paths into the repository, found from this file's location.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

enum Fixture {
    static let properties = Property.allCases.map(\.name)

    /// Compiles model text that must be valid.
    static func compile(_ text: String, path: String = "test.mmc", mode: CompiledModel.Mode? = nil) throws -> CompiledModel {
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
        Bounds(cpus: model.cpus?.value ?? Bounds.defaultCPUs, tasks: model.tasks?.value ?? Bounds.defaultTasks,
               mms: model.mms?.value ?? Bounds.defaultMMs, cap: model.cap?.value)
    }

    /// Explores `model` at `bounds` with the real explorer.
    static func explore(_ model: CompiledModel, _ bounds: Bounds, _ options: SearchOptions = SearchOptions()) -> SearchResult {
        Search(system: KernelSystem(model: model, bounds: bounds), options: options).run()
    }

    /// Every model file under models/, relative to the repository.
    static func modelFiles(under folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Repository.path(folder))) ?? []
        return names.filter { $0.hasSuffix(".mmc") }.sorted().map { "\(folder)/\($0)" }
    }
}
