// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

let package = Package(
  name: "loyalty",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "loyalty", targets: ["loyalty"]),
    .library(name: "LoyaltyCore", targets: ["LoyaltyCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    // libcsv from Debian's libcsv-dev, which ships no pkg-config file.
    .systemLibrary(
      name: "CLibCSV",
      providers: [.apt(["libcsv-dev"])]
    ),
    .target(name: "CSVStream", dependencies: ["CLibCSV"]),
    // Cache prefetch hints for the hash-table loops (static inline C), the direct
    // write flag of the member-sized files, glibc's malloc policy, the idle scheduling
    // class and the swap of two folders (what Swift's Glibc module leaves out).
    .target(name: "CHints"),
    .target(
      name: "LoyaltyCore",
      dependencies: [
        "CSVStream",
        "CHints",
        .product(name: "TOMLKit", package: "TOMLKit"),
      ]
    ),
    .target(
      name: "LoyaltyReport",
      dependencies: [
        "LoyaltyCore",
        "CHints",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "LoyaltyHistory",
      dependencies: [
        "LoyaltyCore",
        "LoyaltyReport",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
      ]
    ),
    .executableTarget(
      name: "loyalty",
      dependencies: [
        "CHints",
        "LoyaltyCore",
        "LoyaltyReport",
        "LoyaltyHistory",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The tests' folders for files, removed when the test process exits.
    .target(name: "TestScratch", path: "Tests/TestScratch"),
    .testTarget(name: "CSVStreamTests", dependencies: ["CSVStream"]),
    .testTarget(
      name: "LoyaltyCoreTests",
      dependencies: [
        "LoyaltyCore", "CSVStream", "TestScratch", .product(name: "PropertyBased", package: "swift-property-based"),
      ]
    ),
    .testTarget(
      name: "LoyaltyReportTests",
      dependencies: [
        "LoyaltyReport", "LoyaltyCore", "LoyaltyHistory", "CHints", "TestScratch",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]
    ),
  ]
)

// Micro-benchmarks (ordo-one/benchmark) build only when asked for, so that the
// everyday build and the tests do not compile the benchmark tooling:
//   scripts/bench/micro        (sets LOYALTY_BENCHMARKS=1, own build folder)
if ProcessInfo.processInfo.environment["LOYALTY_BENCHMARKS"] != nil {
  package.dependencies.append(
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
  package.targets.append(
    .executableTarget(
      name: "LoyaltyMicro",
      dependencies: ["CSVStream", "LoyaltyCore", .product(name: "Benchmark", package: "benchmark")],
      path: "Benchmarks/LoyaltyMicro",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ))
}

// The libFuzzer target (Fuzz/LoyaltyFuzz) builds only when asked for, with libFuzzer's
// driver started from the target's own entry point (the package manager names an
// executable's entry point itself, so libFuzzer's `main` cannot be it); scripts/fuzz
// instruments every module (coverage and AddressSanitizer) from the command line:
//   scripts/fuzz               (sets LOYALTY_FUZZ to the toolchain's libclang_rt folder)
if let runtime = ProcessInfo.processInfo.environment["LOYALTY_FUZZ"] {
  package.targets.append(
    .executableTarget(
      name: "LoyaltyFuzz",
      dependencies: ["LoyaltyCore", "LoyaltyReport"],
      path: "Fuzz/LoyaltyFuzz",
      swiftSettings: [.unsafeFlags(["-parse-as-library"])],
      linkerSettings: [.unsafeFlags(["-Xlinker", runtime + "/libclang_rt.fuzzer_no_main-x86_64.a", "-lstdc++"])]
    ))
}
