// swift-tools-version:6.0
import PackageDescription

// Three layers, one module each, plus a thin command line on top:
//   ModelLanguage   — lexing, parsing and checking `.mmc` model files into compact code
//   KernelSemantics — the mm/active_mm state, actions and properties (runs that code)
//   Explorer        — generic explicit-state search over fixed-width packed states
//   MMCheckCLI      — the `mmcheck` commands and their output; `mmcheck` is its entry point
let package = Package(
    name: "mmcheck",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mmcheck", targets: ["mmcheck"]),
        .library(name: "MMCheckCLI", targets: ["MMCheckCLI"]),
    ],
    targets: [
        .target(name: "Explorer"),
        .target(name: "ModelLanguage"),
        .target(name: "KernelSemantics", dependencies: ["ModelLanguage", "Explorer"]),
        .target(name: "MMCheckCLI", dependencies: ["ModelLanguage", "KernelSemantics", "Explorer"]),
        .executableTarget(name: "mmcheck", dependencies: ["MMCheckCLI"]),
        .testTarget(
            name: "MMCheckTests",
            dependencies: ["ModelLanguage", "KernelSemantics", "Explorer", "MMCheckCLI", "mmcheck"]
        ),
    ]
)
