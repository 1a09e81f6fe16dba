// swift-tools-version: 6.0
// pokestat: counts, predicts and explains the cost of live kernel text patching.
// Targets follow the data flow of docs/architecture.md: a stage imports only stages before it.
import PackageDescription

let package = Package(
  name: "pokestat",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "pokestat", targets: ["pokestat"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.0"),
  ],
  targets: [
    // MARK: - C libraries (module maps and shim.h only)
    .systemLibrary(
      name: "CTraceEvent", pkgConfig: "libtraceevent", providers: [.apt(["libtraceevent-dev"])]),
    .systemLibrary(name: "CTraceFS", pkgConfig: "libtracefs", providers: [.apt(["libtracefs-dev"])]),
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // MARK: - Model
    .target(name: "TraceModel"),

    // MARK: - Readers
    .target(name: "TraceReaders", dependencies: ["TraceModel"]),
    .target(
      name: "TraceNative",
      dependencies: [
        "TraceModel", "CTraceEvent", "CTraceFS", "CZstd", "CZlib",
        .product(name: "SystemPackage", package: "swift-system"),
      ]),

    // MARK: - Analysis and the reference model
    .target(name: "TraceAnalysis", dependencies: ["TraceModel"]),
    .target(name: "PatchEngine", dependencies: ["TraceModel"]),
    // Reference kretprobe instance pools (freelist, array queue, objpool) for `pokestat bench pool`.
    .target(name: "InstancePools", dependencies: [.product(name: "Atomics", package: "swift-atomics")]),
    .target(name: "TraceComparison", dependencies: ["TraceModel", "TraceAnalysis", "PatchEngine"]),
    .target(name: "TraceReports", dependencies: ["TraceModel", "TraceAnalysis", "PatchEngine", "TraceComparison", "InstancePools"]),

    // MARK: - The pipeline (open, analyze, check, compare, count, export), for the CLI and the tests
    .target(
      name: "TracePipeline",
      dependencies: ["TraceModel", "TraceReaders", "TraceNative", "TraceAnalysis", "TraceComparison", "TraceReports"]),

    // MARK: - Command line
    .executableTarget(
      name: "pokestat",
      dependencies: [
        "TraceModel", "TraceReaders", "TraceNative", "TraceAnalysis", "PatchEngine",
        "TraceComparison", "TraceReports", "TracePipeline", "InstancePools",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "TraceTestSupport", dependencies: ["TraceModel"], path: "Sources/TraceTestSupport"),
    .testTarget(name: "TraceModelTests", dependencies: ["TraceModel", "TraceTestSupport"]),
    .testTarget(name: "TraceReadersTests", dependencies: ["TraceReaders", "TraceTestSupport"]),
    .testTarget(
      name: "TraceNativeTests",
      dependencies: [
        "TraceNative", "TraceReaders", "TraceAnalysis", "TraceTestSupport",
        "CTraceEvent",  // kbuffer, the oracle of RingBufferWalkTests
        .product(name: "SystemPackage", package: "swift-system"),
      ]),
    .testTarget(name: "TraceAnalysisTests", dependencies: ["TraceAnalysis", "TraceNative", "TraceReaders", "TraceTestSupport"]),
    .testTarget(name: "PatchEngineTests", dependencies: ["PatchEngine", "TraceTestSupport"]),
    .testTarget(
      name: "TraceComparisonTests", dependencies: ["TraceComparison", "TraceNative", "TraceReaders", "TracePipeline", "TraceTestSupport"]),
    .testTarget(name: "TraceReportsTests", dependencies: ["TraceReports", "TracePipeline", "TraceTestSupport"]),
    .testTarget(name: "TracePipelineTests", dependencies: ["TracePipeline", "TraceAnalysis", "TraceNative", "TraceModel", "TraceTestSupport"]),
    .testTarget(name: "InstancePoolsTests", dependencies: ["InstancePools"]),
    // The CLI tests run the real binary: depending on the executable builds it with the tests.
    .testTarget(name: "pokestatTests", dependencies: ["TraceTestSupport", "pokestat"]),
    // The mutation fuzzer (docs/fuzzing.md): in-process through the libraries, or the real binary.
    .testTarget(
      name: "FuzzTests",
      dependencies: [
        "TraceModel", "TraceReaders", "TraceNative", "TraceAnalysis", "TraceComparison", "TraceReports", "TracePipeline", "TraceTestSupport",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
