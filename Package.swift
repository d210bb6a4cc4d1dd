// swift-tools-version:6.0
import PackageDescription

// Three layers, one module each, plus a thin command line on top:
//   ModelLanguage   — lexing, parsing and checking `.mmc` model files into compact code
//   KernelSemantics — the mm/active_mm state, actions and properties (runs that code)
//   Explorer        — generic explicit-state search over fixed-width packed states
//   MMCheckCLI      — the `mmcheck` commands and their output; `mmcheck` is its entry point
// The search and the machine it runs are optimized in debug builds too, with every
// `assert` kept (`-assert-config Debug`): `swift test` runs state spaces of millions of
// states, several times faster so, and still checks each unsafe access. (Overflow and
// exclusivity checks stay on under -O.) Debugging these two modules in lldb is then that
// of optimized code; drop the flags locally for that.
let searchSettings: [SwiftSetting] = [.unsafeFlags(["-O", "-assert-config", "Debug"], .when(configuration: .debug))]

let package = Package(
    name: "mmcheck",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mmcheck", targets: ["mmcheck"]),
        .library(name: "MMCheckCLI", targets: ["MMCheckCLI"]),
    ],
    targets: [
        .target(name: "Explorer", swiftSettings: searchSettings),
        .target(name: "ModelLanguage"),
        .target(name: "KernelSemantics", dependencies: ["ModelLanguage", "Explorer"], swiftSettings: searchSettings),
        .target(name: "MMCheckCLI", dependencies: ["ModelLanguage", "KernelSemantics", "Explorer"]),
        .executableTarget(name: "mmcheck", dependencies: ["MMCheckCLI"]),
        .testTarget(
            name: "MMCheckTests",
            dependencies: ["ModelLanguage", "KernelSemantics", "Explorer", "MMCheckCLI", "mmcheck"]
        ),
    ]
)
