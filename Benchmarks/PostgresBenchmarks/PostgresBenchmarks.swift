import Benchmark
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncPostgres
import RoleSyncServer
import RoleSyncTestSupport
import Synchronization

/// Issue #14's figures on PostgreSQL, against `pgbench -N` (simple update) with as many clients,
/// run in the same session by `scripts/bench-postgres`, which also starts the server:
/// - a known user's sign-in, `rolesync serve`'s way (the last sign-in batched, flushed inside the
///   measurement), at least 25% of pgbench's TPS;
/// - a first sign-in (the user and its `user.created` event), at least 15%;
/// - the admin users list at 100,000 users under 20 ms median.
/// Sign-ins run from ROLESYNC_BENCH_CLIENTS tasks at once (default 8), each on a pooled connection,
/// as replicas' requests would. Each benchmark gets a fresh scratch database.
/// Run: `scripts/bench-postgres`, or with a server of your own
/// `ROLESYNC_BENCHMARKS=1 ROLESYNC_POSTGRES_URL=postgres://… swift package --disable-sandbox benchmark --target PostgresBenchmarks`.

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

private let clients = Int(ProcessInfo.processInfo.environment["ROLESYNC_BENCH_CLIENTS"] ?? "") ?? 8

private let mappings: MappingSet = {
    guard let mapping = MappingParser.parse(yaml: LedgerFixtures.mappingYAML, file: "bench.yaml").mapping else {
        fatalError("bench mapping invalid")
    }
    return MappingSet.build([mapping]).set
}()

/// A fresh, migrated scratch database with a pool of `clients` connections, and the ledger over it.
private func freshLedger(users: Int, defersSignIns: Bool) async throws -> (PostgresLedgerStore.Connected, SyncService) {
    let scratch = try ScratchPostgres()
    try await scratch.create()
    var settings = scratch.settings
    settings.poolSize = clients
    let connected = try await PostgresLedgerStore.open(settings, logger: quietLogger, defersSignIns: defersSignIns)
    let service = SyncService(store: connected.store, mappings: MappingRegistry(mappings), logger: quietLogger)
    try await LedgerFixtures.populate(connected.store, users: users, under: mappings)
    // Statistics as autovacuum would have them on a ledger that grew over time, not just now.
    try await withPostgresClient(settings, logger: quietLogger) { client in
        _ = try await client.query("ANALYZE", logger: quietLogger)
    }
    return (connected, service)
}

/// Runs `count` sign-ins from `clients` tasks at once, each taking the next index.
private func signIns(_ count: Int, _ service: SyncService, claims: @escaping @Sendable (Int) -> Claims) async throws {
    let next = NextIndex()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<clients {
            group.addTask {
                while true {
                    let index = next.take()
                    guard index < count else { return }
                    blackHole(try await service.signIn(issuer: LedgerFixtures.issuer, claims: claims(index)))
                }
            }
        }
        try await group.waitForAll()
    }
}

/// The next index a client takes.
private final class NextIndex: Sendable {
    private let value = Atomic(0)
    func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// First sign-ins need subjects never seen: each sample takes the next range.
private let firstSubjects = Atomic(1_000_000)

/// The 100,000-user ledger and a server over it, with a super_admin's admin key, built once.
private let server = Task { () throws -> (ServerContext, String, PostgresLedgerStore.Connected) in
    let (connected, sync) = try await freshLedger(users: 100_000, defersSignIns: true)
    let context = ServerContext(
        sync: sync,
        sessions: SessionService(store: connected.store),
        providers: ProviderDirectory([]),
        publicURL: URL(string: "https://rolesync.example.com")!
    )
    // User 1 is person 0, in platform-admins: super_admin.
    let token = try await context.keys.create(for: UserID(1), name: "bench", lifetime: nil, purpose: .admin, by: .cli).value
    // The client runs as long as its `Connected` lives: kept with the server.
    return (context, token, connected)
}

let benchmarks: @Sendable () -> Void = {
    guard ScratchPostgres.isConfigured else {
        fatalError("set ROLESYNC_POSTGRES_URL (scripts/bench-postgres does)")
    }
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput],
        timeUnits: .microseconds,
        maxDuration: .seconds(10)
    )

    Benchmark(
        "sign-in: existing user, no change, \(clients) clients",
        configuration: .init(scalingFactor: .kilo, maxIterations: .count(15))
    ) { benchmark in
        let (connected, service) = try await freshLedger(users: 1_000, defersSignIns: true)
        let claims = (0..<1_000).map(LedgerFixtures.claims)
        let count = benchmark.scaledIterations.count
        benchmark.startMeasurement()
        try await signIns(count, service) { claims[$0 % 1_000] }
        try await connected.store.flushSignIns()
        benchmark.stopMeasurement()
        await connected.close()
    }

    Benchmark(
        "sign-in: first sign-in, \(clients) clients",
        configuration: .init(scalingFactor: .kilo, maxIterations: .count(15))
    ) { benchmark in
        let (connected, service) = try await freshLedger(users: 0, defersSignIns: true)
        let count = benchmark.scaledIterations.count
        let first = firstSubjects.add(count, ordering: .relaxed).oldValue
        let claims = (0..<count).map { LedgerFixtures.claims(first + $0) }
        benchmark.startMeasurement()
        try await signIns(count, service) { claims[$0] }
        benchmark.stopMeasurement()
        await connected.close()
    }

    let requests: [(String, String)] = [
        ("admin users list, first page of 50 by name, 100,000 users", "/api/admin/users?limit=50"),
        ("admin users list, search 'Okafor' (20,000 match), 100,000 users", "/api/admin/users?q=Okafor&limit=50"),
        ("admin users list, search 'person4242' (11 match), 100,000 users", "/api/admin/users?q=person4242&limit=50"),
        (
            "admin users list, billing_admin by last sign-in desc, 100,000 users",
            "/api/admin/users?role=billing_admin&sort=last_sign_in&order=desc&limit=50"
        ),
    ]
    for (name, uri) in requests {
        Benchmark(
            name,
            configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: .count(200))
        ) { benchmark in
            let (context, token, _) = try await server.value
            let app = Application(router: context.makeRouter(), logger: quietLogger)
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
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
