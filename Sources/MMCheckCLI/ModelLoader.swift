import KernelSemantics
import ModelLanguage

/// Reads and compiles a model file and settles the bounds it is checked at
/// (command line first, then the file, then the defaults).
enum ModelLoader {
    struct Loaded {
        var model: CompiledModel
        var bounds: Bounds
    }

    /// The most diagnostics printed for one file; the rest are counted on one line.
    static let maximumErrorLines = 20

    /// Error lines, each ready to print.
    struct Failure: Error {
        var lines: [String]
        /// The file does not exist.
        var missing = false
    }

    /// Reads a UTF-8 text file, or fails with one line saying why.
    static func readText(_ path: String, what: String) throws(Failure) -> String {
        do {
            return try InputFile.readText(path, what: what)
        } catch {
            throw Failure(lines: [error.message], missing: error.missing)
        }
    }

    /// Loads `path`; model warnings go to `console`'s standard error (errors with `strict`).
    static func load(
        path: String, cpus: Int?, tasks: Int?, mms: Int?, cap: Int? = nil,
        mode: CompiledModel.Mode? = nil, strict: Bool = false, console: Console? = nil
    ) throws(Failure) -> Loaded {
        let text = try readText(path, what: "model file")
        if text.allSatisfy(\.isWhitespace) {
            throw Failure(lines: [
                "\(path):1:1: error: empty model file: a model needs at least 'expect' and 'actions' (see README.md)"
            ])
        }
        let model: CompiledModel
        switch ModelCompiler.compile(path: path, text: text, properties: Property.allCases.map(\.name), mode: mode) {
        case .success(let m): model = m
        case .failure(let errors): throw Failure(lines: errors.lines(limit: maximumErrorLines))
        }
        if strict, !model.warnings.isEmpty {
            let errors = model.warnings.map { Diagnostic($0.location, $0.message + " (an error with --strict)") }
            throw Failure(lines: ModelErrors(path: path, diagnostics: errors).lines(limit: maximumErrorLines))
        }
        if let console {
            ModelErrors(path: path, diagnostics: model.warnings).lines(limit: maximumErrorLines).forEach(console.err)
        }
        let bounds = Bounds(
            cpus: cpus ?? model.cpus?.value ?? Bounds.defaultCPUs,
            tasks: tasks ?? model.tasks?.value ?? Bounds.defaultTasks,
            mms: mms ?? model.mms?.value ?? Bounds.defaultMMs,
            cap: cap ?? model.cap?.value)
        if let (setting, message) = bounds.problem() {
            let fromCommandLine: Bool
            let fileSetting: CompiledModel.Setting?
            switch setting {
            case "cpus":
                fromCommandLine = cpus != nil
                fileSetting = model.cpus
            case "tasks":
                fromCommandLine = tasks != nil
                fileSetting = model.tasks
            case "mms":
                fromCommandLine = mms != nil
                fileSetting = model.mms
            default:
                fromCommandLine = false
                fileSetting = model.cap
            }
            if !fromCommandLine, let fileSetting {
                // Quote the number as the file writes it.
                var quoted = message
                if case .failure(let e) = Bounds.parse(setting, fileSetting.text) { quoted = e.message }
                throw Failure(lines: ["\(path):\(fileSetting.location): error: \(quoted)"])
            }
            throw Failure(lines: ["mmcheck: error: option '--\(setting)': \(message)"])
        }
        let layout = Machine.layout(model: model, bounds: bounds)
        if layout.words > StateLayout.maxWords {
            throw Failure(lines: [
                "mmcheck: error: bounds \(bounds) need \(layout.words) words per state; at most \(StateLayout.maxWords) are supported"
            ])
        }
        return Loaded(model: model, bounds: bounds)
    }
}
