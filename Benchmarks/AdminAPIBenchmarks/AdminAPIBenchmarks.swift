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

/// Issue #5's figures: the users list and the user detail at 100,000 users, median under 20 ms; and
/// issue #13's: the dashboard's Users page under 30 ms, a search-as-you-type results fragment under
/// 20 ms.
/// Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target AdminAPIBenchmarks`.
/// Each request goes through the whole router (token check, permission, query parsing, the store,
/// JSON encoding) in process, without a socket.

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

/// The 100,000-user ledger, a server over it, a super_admin admin key and a browser session,
/// built once.
private let server = Task { () throws -> (ServerContext, String, String) in
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
    let token = try await context.keys.create(for: UserID(1), name: "bench", lifetime: nil, purpose: .admin, by: .cli).value
    let session = try await context.sessions.create(for: UserID(1))
    return (context, token, "\(context.cookies.session)=\(session)")
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .milliseconds,
        maxDuration: .seconds(10),
        maxIterations: .count(200)
    )

    // (name, URI, whether it is a dashboard page, whether only the results fragment is asked for)
    let requests: [(String, String, Bool, Bool)] = [
        ("users list, first page of 50 by name", "/api/admin/users?limit=50", false, false),
        ("users list, search 'Okafor' (20,000 match), page of 50", "/api/admin/users?q=Okafor&limit=50", false, false),
        ("users list, search 'person4242' (11 match)", "/api/admin/users?q=person4242&limit=50", false, false),
        ("users list, billing_admin by last sign-in desc", "/api/admin/users?role=billing_admin&sort=last_sign_in&order=desc&limit=50", false, false),
        ("user detail", "/api/admin/users/54321", false, false),
        ("dashboard: Users page, first 50 by name", "/admin/users", true, false),
        ("dashboard: Users page, search 'Okafor' (20,000 match)", "/admin/users?q=Okafor&role=&status=", true, false),
        ("dashboard: search as you type, results for 'Okaf'", "/admin/users?q=Okaf&role=&status=&sort=name&order=asc", true, true),
        ("dashboard: search as you type, results for 'person4242' (11 match)", "/admin/users?q=person4242&role=&status=", true, true),
        ("dashboard: user detail page", "/admin/users/54321", true, false),
    ]
    for (name, uri, isPage, isFragment) in requests {
        Benchmark(name) { benchmark in
            let (context, token, cookie) = try await server.value
            let app = Application(router: context.makeRouter(), logger: quietLogger)
            var fields: HTTPFields = isPage ? [.cookie: cookie] : [.authorization: "Bearer \(token)"]
            if isFragment { fields[.init("X-RoleSync-Fragment")!] = "results" }
            let headers = fields
            // The test client runs the closure on this task; the benchmark object never crosses threads.
            nonisolated(unsafe) let measured = benchmark
            try await app.test(.router) { client in
                measured.startMeasurement()
                for _ in measured.scaledIterations {
                    let response = try await client.execute(uri: uri, method: .get, headers: headers)
                    guard response.status == .ok else { fatalError("\(uri): \(response.status)") }
                    blackHole(response)
                }
                measured.stopMeasurement()
            }
        }
    }
}
