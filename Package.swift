// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

// `scripts/fuzz` sets ROLESYNC_FUZZ: this package's modules then carry libFuzzer's coverage
// instrumentation (and no `main`), while the dependencies stay as the release build made them, so
// fuzzing after `swift build -c release` recompiles only these modules (docs/fuzzing.md).
let fuzzing = ProcessInfo.processInfo.environment["ROLESYNC_FUZZ"] != nil

let swiftSettings: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ] + (fuzzing ? [.unsafeFlags(["-sanitize=fuzzer", "-parse-as-library"])] : [])

let package = Package(
    name: "rolesync",
    platforms: [.macOS(.v15)],
    // One product: the `rolesync` command. The modules are internal to this package (`package`
    // access across them); none is a library for other packages (README, "Code layout").
    products: [
        .executable(name: "rolesync", targets: ["RoleSyncCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Writes the version (from `VERSION`) and the Git commit into RoleSyncBuildInfo before each build.
        .plugin(
            name: "BuildInfoPlugin",
            capability: .buildTool()
        ),
        // What this binary is: its version and commit (`rolesync --version`, `/healthz`, the
        // dashboard, `rolesync_build_info`). No dependencies.
        .target(
            name: "RoleSyncBuildInfo",
            swiftSettings: swiftSettings,
            plugins: ["BuildInfoPlugin"]
        ),
        // JSON values as every module passes them (claims, provider documents, SCIM resources, audit
        // details), their strict reader, and base64url. Foundation only.
        .target(
            name: "RoleSyncJSON",
            swiftSettings: swiftSettings
        ),
        // YAML read with positions: diagnostics with file:line:col, and a Decoder that reports every error at once.
        .target(
            name: "RoleSyncYAML",
            dependencies: ["RoleSyncJSON", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // The mapping language: parse, validate, evaluate. Pure: Foundation and Yams only, no I/O.
        .target(
            name: "RoleSyncMapping",
            dependencies: ["RoleSyncJSON", "RoleSyncYAML", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Users, sessions, audit, the sync rules, and the store's algorithm over a storage engine
        // (`EngineStore` over `LedgerEngine`). No SQL, no HTTP.
        .target(
            name: "RoleSyncLedger",
            dependencies: [
                "RoleSyncMapping", "RoleSyncJSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The formats both engines store and the ledger need not know: shadow rows, audit details
        // as JSON text. Foundation and the ledger's types only.
        .target(
            name: "RoleSyncStoreSupport",
            dependencies: ["RoleSyncLedger", "RoleSyncMapping", "RoleSyncJSON"],
            swiftSettings: swiftSettings
        ),
        // The SQLite engine under `EngineStore` (GRDB, system libsqlite3): SQL and connections only.
        .target(
            name: "RoleSyncSQLite",
            dependencies: [
                "RoleSyncLedger", "RoleSyncStoreSupport", "RoleSyncMapping", "RoleSyncJSON", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL ledger for several replicas (postgres-nio): the engine under `EngineStore`, versioned
        // migrations run once under an advisory lock, connecting from the configuration's settings,
        // the pending sign-ins replicas share, and the leader election. No HTTP.
        .target(
            name: "RoleSyncPostgres",
            dependencies: [
                "RoleSyncLedger",
                "RoleSyncStoreSupport",
                "RoleSyncConfig",
                "RoleSyncOIDC",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `rolesync migrate-data`: a single node's SQLite ledger copied into an empty PostgreSQL
        // database in one transaction, counts checked. Reads SQLite (GRDB), writes PostgreSQL.
        .target(
            name: "RoleSyncLedgerCopy",
            dependencies: [
                "RoleSyncPostgres",
                "RoleSyncConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `serve` configuration file: parse and validate, errors naming the key. No I/O beyond
        // reading the file and the environment.
        .target(
            name: "RoleSyncConfig",
            dependencies: [
                "RoleSyncMapping", "RoleSyncYAML", "RoleSyncLedger", "RoleSyncEvents", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // How RoleSync calls other services (IdPs, SCIM directories): a small transport protocol and
        // its AsyncHTTPClient implementation (no redirects, size and time limits, private CAs).
        .target(
            name: "RoleSyncHTTPClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The OpenID Connect relying party: discovery, JWKS, authorization requests with PKCE,
        // code exchange and every ID-token check. An HTTP client, but no HTTP server types.
        .target(
            name: "RoleSyncOIDC",
            dependencies: [
                "RoleSyncMapping", "RoleSyncJSON",
                "RoleSyncHTTPClient",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // SCIM 2.0 (RFC 7643/7644): reading an IdP's directory for reconciliation.
        .target(
            name: "RoleSyncSCIM",
            dependencies: [
                "RoleSyncMapping", "RoleSyncJSON",
                "RoleSyncHTTPClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Okta's management API (`/api/v1/users`, `/api/v1/groups`): reading an Okta org's
        // directory for reconciliation, paged by `Link` headers within the org, under its rate limits.
        .target(
            name: "RoleSyncOkta",
            dependencies: [
                "RoleSyncSCIM", "RoleSyncJSON",
                "RoleSyncHTTPClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Google Workspace's Admin SDK Directory API (`users.list`, `groups.list`, `members.list`):
        // reading a Workspace account's directory with a service account's signed assertion.
        .target(
            name: "RoleSyncGoogle",
            dependencies: [
                "RoleSyncSCIM", "RoleSyncJSON",
                "RoleSyncHTTPClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // OpenLDAP's client library (Debian: libldap-dev), for RoleSyncLDAP.
        .systemLibrary(
            name: "CLDAP",
            pkgConfig: "ldap",
            providers: [.apt(["libldap-dev"])]
        ),
        // LDAP directories (OpenLDAP, Active Directory): paged searches of users and groups,
        // nested groups resolved, through OpenLDAP's client library.
        .target(
            name: "RoleSyncLDAP",
            dependencies: [
                "CLDAP", "RoleSyncConfig", "RoleSyncSCIM", "RoleSyncJSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Microsoft Graph (`/v1.0/users`, `/v1.0/groups`, transitive members): reading an Entra ID
        // tenant's directory with an app's client credentials, paged by `@odata.nextLink`.
        .target(
            name: "RoleSyncGraph",
            dependencies: [
                "RoleSyncSCIM", "RoleSyncJSON",
                "RoleSyncHTTPClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Reconciliation against IdP directories: read a directory (SCIM, Okta, Microsoft Graph,
        // Google Workspace, LDAP), plan, apply; and the scheduler `serve` runs it with.
        .target(
            name: "RoleSyncReconciler",
            dependencies: [
                "RoleSyncConfig",
                "RoleSyncLedger",
                "RoleSyncSCIM",
                "RoleSyncOkta",
                "RoleSyncGraph",
                "RoleSyncGoogle",
                "RoleSyncLDAP",
                "RoleSyncHTTPClient",
                "RoleSyncMapping", "RoleSyncJSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The JSON shapes every surface shares: users, audit events, pages, plans, reconciliation
        // reports, and one time grammar. The admin API and the command line print the same keys.
        .target(
            name: "RoleSyncReports",
            dependencies: ["RoleSyncLedger", "RoleSyncMapping", "RoleSyncJSON"],
            swiftSettings: swiftSettings
        ),
        // Events for other systems (issue 26): Standard Webhooks secrets, signatures and the body
        // posted for an audit event. No I/O.
        .target(
            name: "RoleSyncEvents",
            dependencies: [
                "RoleSyncLedger", "RoleSyncReports", "RoleSyncJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Delivering audit events to webhook endpoints (issue 26): the sender (Standard Webhooks
        // signatures over an HTTP transport) and the deliverer `serve` runs, one loop per endpoint
        // over the ledger's outbox.
        .target(
            name: "RoleSyncWebhooks",
            dependencies: [
                "RoleSyncEvents", "RoleSyncLedger", "RoleSyncConfig", "RoleSyncHTTPClient", "RoleSyncReports",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP adapter (Hummingbird 2): one route group per surface (the dashboard and sign-in
        // pages, the JSON API, SCIM, operations), authentication and permissions as middleware, errors rendered per
        // surface. It is given its services; it opens no database and reads no configuration.
        .target(
            name: "RoleSyncServer",
            dependencies: [
                "RoleSyncConfig",
                "RoleSyncWebhooks",
                "RoleSyncReconciler",
                "RoleSyncReports",
                "RoleSyncSCIM",
                "RoleSyncOIDC",
                "RoleSyncLedger",
                "RoleSyncMapping", "RoleSyncJSON", "RoleSyncYAML", "RoleSyncBuildInfo",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The dashboard's templates, style sheet and script, compiled into the binary: one file to
            // deploy, nothing read from disk at run time.
            resources: [.embedInCode("Assets")],
            swiftSettings: swiftSettings
        ),
        // `rolesync serve` assembled (the composition root): the ledger (SQLite or PostgreSQL), the mappings and
        // their reloader, relying parties, reconcilers, HTTP clients, and the service group.
        .target(
            name: "RoleSyncApp",
            dependencies: [
                "RoleSyncServer",
                "RoleSyncWebhooks",
                "RoleSyncConfig",
                "RoleSyncReconciler",
                "RoleSyncOIDC",
                "RoleSyncHTTPClient",
                "RoleSyncLedger",
                "RoleSyncSQLite",
                "RoleSyncPostgres",
                "RoleSyncMapping", "RoleSyncJSON", "RoleSyncYAML",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `rolesync` command: reads files and stdin, prints, sets exit codes.
        .executableTarget(
            name: "RoleSyncCLI",
            dependencies: [
                "RoleSyncMapping", "RoleSyncJSON",
                "RoleSyncLedger",
                "RoleSyncSQLite",
                "RoleSyncPostgres",
                "RoleSyncLedgerCopy",
                "RoleSyncConfig",
                "RoleSyncApp",
                "RoleSyncReports",
                "RoleSyncReconciler",
                "RoleSyncHTTPClient",
                "RoleSyncEvents",
                "RoleSyncWebhooks",
                "RoleSyncBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: [
                // Full RELRO: the relocations are resolved at start and made read-only (lintian's
                // hardening-no-bindnow).
                .unsafeFlags(["-Xlinker", "-z", "-Xlinker", "relro", "-Xlinker", "-z", "-Xlinker", "now"])
            ]
        ),
        // Generated fixtures shared by tests and benchmarks.
        .target(
            name: "RoleSyncTestSupport",
            dependencies: [
                "RoleSyncMapping", "RoleSyncJSON", "RoleSyncConfig", "RoleSyncPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                "RoleSyncOIDC",
                "RoleSyncHTTPClient",
                "RoleSyncLedger",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncJSONTests",
            dependencies: ["RoleSyncJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncYAMLTests",
            dependencies: ["RoleSyncYAML", "RoleSyncJSON", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncMappingTests",
            dependencies: ["RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncLedgerTests",
            dependencies: [
                "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncPostgres", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncPostgresTests",
            dependencies: [
                "RoleSyncPostgres", "RoleSyncConfig", "RoleSyncTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncConfigTests",
            dependencies: ["RoleSyncConfig", "RoleSyncTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncOIDCTests",
            dependencies: [
                "RoleSyncOIDC", "RoleSyncHTTPClient", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport", "RoleSyncPostgres",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncSCIMTests",
            dependencies: ["RoleSyncSCIM", "RoleSyncHTTPClient", "RoleSyncMapping", "RoleSyncJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncOktaTests",
            dependencies: ["RoleSyncOkta", "RoleSyncSCIM", "RoleSyncHTTPClient", "RoleSyncJSON", "RoleSyncTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncGraphTests",
            dependencies: [
                "RoleSyncGraph", "RoleSyncSCIM", "RoleSyncHTTPClient", "RoleSyncJSON", "RoleSyncTestSupport",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncLDAPTests",
            dependencies: [
                "RoleSyncLDAP", "RoleSyncConfig", "RoleSyncSCIM", "RoleSyncJSON",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncGoogleTests",
            dependencies: [
                "RoleSyncGoogle", "RoleSyncSCIM", "RoleSyncHTTPClient", "RoleSyncJSON", "RoleSyncTestSupport",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncReconcilerTests",
            dependencies: [
                "RoleSyncReconciler", "RoleSyncConfig", "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncSCIM", "RoleSyncHTTPClient",
                "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncServerTests",
            dependencies: [
                "RoleSyncServer", "RoleSyncReconciler", "RoleSyncReports", "RoleSyncOIDC", "RoleSyncHTTPClient", "RoleSyncConfig",
                "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncPostgres", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport",
                "RoleSyncWebhooks", "RoleSyncEvents", "RoleSyncYAML", "RoleSyncBuildInfo",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncEventsTests",
            dependencies: ["RoleSyncEvents", "RoleSyncLedger", "RoleSyncJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncWebhooksTests",
            dependencies: [
                "RoleSyncWebhooks", "RoleSyncEvents", "RoleSyncConfig", "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncHTTPClient",
                "RoleSyncTestSupport", "RoleSyncYAML", "RoleSyncJSON", "RoleSyncMapping",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncReportsTests",
            dependencies: ["RoleSyncReports", "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncAppTests",
            dependencies: [
                "RoleSyncApp", "RoleSyncConfig", "RoleSyncLedger", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport",
                "RoleSyncSQLite",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoleSyncCLITests",
            dependencies: [
                "RoleSyncCLI", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncHTTPClient", "RoleSyncTestSupport", "RoleSyncConfig",
                "RoleSyncPostgres", "RoleSyncSQLite", "RoleSyncLedger", "RoleSyncBuildInfo",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
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
    /// One package-benchmark suite: `Benchmarks/NAME/`, with the Benchmark product added.
    func benchmark(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(
            name: name,
            dependencies: dependencies + [.product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/\(name)",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    }
    let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
    package.targets += [
        benchmark("MappingBenchmarks", ["RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport"]),
        benchmark("LedgerBenchmarks", ["RoleSyncLedger", "RoleSyncSQLite", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport", logging]),
        benchmark(
            "KeyBenchmarks",
            [
                "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncMapping", "RoleSyncServer", "RoleSyncTestSupport", logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        benchmark(
            "OIDCBenchmarks",
            ["RoleSyncOIDC", "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport", logging]
        ),
        benchmark(
            "AdminAPIBenchmarks",
            [
                "RoleSyncServer", "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport", logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        benchmark(
            "OperatorBenchmarks",
            [
                "RoleSyncServer", "RoleSyncLedger", "RoleSyncSQLite", "RoleSyncMapping", "RoleSyncJSON", "RoleSyncReports",
                "RoleSyncTestSupport", logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        benchmark(
            "PostgresBenchmarks",
            [
                "RoleSyncServer", "RoleSyncLedger", "RoleSyncPostgres", "RoleSyncMapping", "RoleSyncTestSupport", logging,
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        benchmark(
            "WebhookBenchmarks",
            [
                "RoleSyncWebhooks", "RoleSyncEvents", "RoleSyncConfig", "RoleSyncHTTPClient", "RoleSyncLedger", "RoleSyncSQLite",
                "RoleSyncPostgres", "RoleSyncMapping", "RoleSyncYAML", "RoleSyncTestSupport", logging,
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        benchmark(
            "ReconcileBenchmarks",
            [
                "RoleSyncReconciler", "RoleSyncConfig", "RoleSyncSCIM", "RoleSyncGraph", "RoleSyncHTTPClient", "RoleSyncLedger", "RoleSyncSQLite",
                "RoleSyncMapping", "RoleSyncJSON", "RoleSyncTestSupport", logging,
            ]
        ),
    ]
}
