import KernelSemantics
import ModelLanguage

// Placeholder until the page lands.
struct HTMLPage {
    let model: CompiledModel
    let bounds: Bounds
    func render(property: String, replay: Replay, note: String) -> String { "" }
}
