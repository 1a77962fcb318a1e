import Benchmark
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import RoleSyncServer
import RoleSyncTestSupport

/// Issue #5's figures: the users list and the user detail at 100,000 users, median under 20 ms.
/// Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target AdminAPIBenchmarks`.
/// Each request goes through the whole router (token check, permission, query parsing, the store,
/// JSON encoding) in process, without a socket.

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

/// The 100,000-user ledger, a server over it and a super_admin token, built once.
private let server = Task { () throws -> (ServerContext, String) in
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-admin-bench-\(UUID().uuidString).sqlite").path
    let store = try SQLiteLedgerStore(path: path)
    guard let mapping = MappingParser.parse(yaml: LedgerFixtures.mappingYAML, file: "bench.yaml").mapping else {
        fatalError("bench mapping invalid")
    }
    let mappings = MappingSet.build([mapping]).set
    let sync = SyncService(store: store, mappings: MappingRegistry(mappings), logger: quietLogger)
    try await LedgerFixtures.populate(store, users: 100_000, under: mappings)
    let context = ServerContext(
        sync: sync,
        sessions: SessionService(store: store),
        providers: ProviderDirectory([]),
        publicURL: URL(string: "https://rolesync.example.com")!
    )
    // User 1 is person 0, in platform-admins: super_admin.
    let token = try await context.tokens.create(for: UserID(1), name: "bench", lifetime: nil, by: .cli).token
    return (context, token)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .milliseconds,
        maxDuration: .seconds(10),
        maxIterations: .count(200)
    )

    let requests: [(String, String)] = [
        ("users list, first page of 50 by name", "/api/admin/users?limit=50"),
        ("users list, search 'Okafor' (20,000 match), page of 50", "/api/admin/users?q=Okafor&limit=50"),
        ("users list, search 'person4242' (11 match)", "/api/admin/users?q=person4242&limit=50"),
        ("users list, billing_admin by last sign-in desc", "/api/admin/users?role=billing_admin&sort=last_sign_in&order=desc&limit=50"),
        ("user detail", "/api/admin/users/54321"),
    ]
    for (name, uri) in requests {
        Benchmark(name) { benchmark in
            let (context, token) = try await server.value
            let app = Application(router: context.makeRouter(), logger: quietLogger)
            // The test client runs the closure on this task; the benchmark object never crosses threads.
            nonisolated(unsafe) let measured = benchmark
            try await app.test(.router) { client in
                measured.startMeasurement()
                for _ in measured.scaledIterations {
                    let response = try await client.execute(
                        uri: uri,
                        method: .get,
                        headers: [.authorization: "Bearer \(token)"]
                    )
                    guard response.status == .ok else { fatalError("\(uri): \(response.status)") }
                    blackHole(response)
                }
                measured.stopMeasurement()
            }
        }
    }
}
