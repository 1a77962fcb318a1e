// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "rolesync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rolesync", targets: ["RoleSyncCLI"]),
        .library(name: "RoleSyncMapping", targets: ["RoleSyncMapping"]),
        .library(name: "RoleSyncLedger", targets: ["RoleSyncLedger"]),
        .library(name: "RoleSyncSQLite", targets: ["RoleSyncSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // The mapping language: parse, validate, evaluate. Pure: Foundation and Yams only, no I/O.
        .target(
            name: "RoleSyncMapping",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Users, sessions, audit and the sync rules over a `LedgerStore`. No SQL, no HTTP.
        .target(
            name: "RoleSyncLedger",
            dependencies: [
                "RoleSyncMapping",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SQLite `LedgerStore` (GRDB, system libsqlite3).
        .target(
            name: "RoleSyncSQLite",
            dependencies: ["RoleSyncLedger", "RoleSyncMapping", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // The `rolesync` command: reads files and stdin, prints, sets exit codes.
        .executableTarget(
            name: "RoleSyncCLI",
            dependencies: [
                "RoleSyncMapping",
                "RoleSyncLedger",
                "RoleSyncSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Generated fixtures shared by tests and benchmarks.
        .target(
            name: "RoleSyncTestSupport",
            dependencies: ["RoleSyncMapping"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncMappingTests",
            dependencies: ["RoleSyncMapping", "RoleSyncTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncLedgerTests",
            dependencies: [
                "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncMapping", "RoleSyncTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncCLITests",
            dependencies: ["RoleSyncCLI", "RoleSyncMapping"],
            exclude: ["Golden", "Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)

// Benchmarks pull in ordo-one/benchmark and its plugin; only when asked for, so the
// everyday build and CI stay small. Run: `ROLESYNC_BENCHMARKS=1 swift package benchmark`.
if ProcessInfo.processInfo.environment["ROLESYNC_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "MappingBenchmarks",
            dependencies: [
                "RoleSyncMapping",
                "RoleSyncTestSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/MappingBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(
        .executableTarget(
            name: "LedgerBenchmarks",
            dependencies: [
                "RoleSyncLedger",
                "RoleSyncSQLite",
                "RoleSyncMapping",
                "RoleSyncTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/LedgerBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
