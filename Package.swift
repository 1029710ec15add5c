// swift-tools-version:6.0
// The sedd package: a Swift SEDD engine and the `sedd` daemon that serves it to editors.
// Rooms and their one-way doors are described in docs/architecture.md.
import PackageDescription

let package = Package(
    name: "sedd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sedd", targets: ["sedd"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries (Debian packages named as providers).
        .systemLibrary(name: "CLibUV", path: "Sources/CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // The engine.
        .target(name: "SEDDKernels", dependencies: ["COpenBLAS", "CDNNL"]),
        .target(name: "TensorFiles"),
        .target(name: "Tokenizers"),
        .target(name: "SEDDModel", dependencies: ["SEDDKernels", "TensorFiles"]),
        .target(name: "SEDDTraining", dependencies: ["SEDDModel", "Tokenizers", "TensorFiles"]),
        .target(name: "InfillEngine", dependencies: ["SEDDModel", "Tokenizers"]),

        // The daemon.
        .target(name: "InfillProtocol"),
        .target(name: "InfillScheduler"),
        .target(name: "InfillServer", dependencies: ["InfillProtocol", "InfillScheduler"]),
        .target(name: "InfillLoop", dependencies: ["CLibUV"]),

        // Training data: the code corpus builder.
        .target(name: "CodeCorpus", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),

        // The composition root.
        .executableTarget(
            name: "sedd",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "SEDDKernels", "TensorFiles", "Tokenizers", "SEDDModel", "SEDDTraining", "InfillEngine",
                "InfillProtocol", "InfillScheduler", "InfillServer", "InfillLoop", "CodeCorpus",
            ]),

        // libFuzzer target over the framer and message decoding (docs/daemon.md); a replay tool in a plain build.
        // It finds libFuzzer's driver with dlsym, hence the one exported symbol (absent, and harmless, without it).
        .executableTarget(
            name: "FuzzProtocol", dependencies: ["InfillProtocol"], exclude: ["Seeds"],
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "--export-dynamic-symbol=LLVMFuzzerRunDriver"], .when(platforms: [.linux]))
            ]),

        // Helpers the test targets share (not part of the product).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SEDDKernelsTests", dependencies: ["SEDDKernels"]),
        .testTarget(name: "TensorFilesTests", dependencies: ["TensorFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SEDDModelTests", dependencies: ["SEDDModel", "TensorFiles", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SEDDTrainingTests", dependencies: ["SEDDTraining", "SEDDModel", "SEDDKernels", "TensorFiles", "Tokenizers", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "InfillEngineTests", dependencies: ["InfillEngine", "SEDDModel", "SEDDKernels", "Tokenizers", "TestSupport"]),
        .testTarget(name: "InfillProtocolTests", dependencies: ["InfillProtocol"]),
        .testTarget(name: "InfillSchedulerTests", dependencies: ["InfillScheduler", "TestSupport"]),
        .testTarget(name: "InfillServerTests", dependencies: ["InfillServer", "InfillProtocol", "InfillScheduler", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: []),
        .testTarget(name: "InfillLoopTests", dependencies: ["InfillLoop"]),
        .testTarget(name: "CodeCorpusTests", dependencies: ["CodeCorpus"]),
    ],
    swiftLanguageModes: [.v5]
)
