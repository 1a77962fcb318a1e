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

/// Issue #12's targets: introspection of an active key in process (50,000/s or more on one core),
/// and the platform-wide key listing over 100,000 keys sorted by last used (under 20 ms median);
/// issue #25's: the forward-authentication check in process as fast as introspection.
/// Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target KeyBenchmarks`.
/// Each works on a SQLite file in WAL mode in the temporary folder, sequentially: one core's worth.

/// A ledger of 10,000 users holding 100,000 keys (ten each), made through ``KeyService`` as the
/// Console makes them; two thirds used at spread-out times, a tenth revoked. About a minute, once.
private struct KeyLedger {
    let store: SQLiteLedgerStore
    let keys: KeyService
    /// Values of some active gateway keys, to introspect.
    let values: [String]
}

private let hundredThousandKeys = Task { () throws -> KeyLedger in
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-keys-\(UUID().uuidString).sqlite").path
    let store = try SQLiteLedgerStore(path: path)
    guard let parsed = MappingParser.parse(yaml: LedgerFixtures.mappingYAML, file: "bench.yaml").mapping else {
        fatalError("bench mapping invalid")
    }
    try await LedgerFixtures.populate(store, users: 10_000, under: MappingSet.build([parsed]).set)
    let keys = KeyService(store: store)
    var values: [String] = []
    var uses: [KeyUse] = []
    let start = Date()
    for index in 0..<100_000 {
        let owner = UserID(Int64(index % 10_000 + 1))
        let created = try await keys.create(for: owner, name: "service-\(index)", lifetime: nil, purpose: .gateway, by: .cli)
        if index % 10 == 9 {
            _ = try await keys.revoke(id: created.key.id, cause: .admin, reason: "bench", by: .cli)
        } else if values.count < 1_000 {
            values.append(created.value)
        }
        if index % 3 != 0 {
            let used = start.addingTimeInterval(-Double((index * 7_919) % 7_776_000))
            uses.append(KeyUse(keyID: created.key.id, requestsByDay: [KeyUsageDay.day(of: used): 1 + index % 50], lastUsedAt: used))
        }
        if uses.count == 1_000 {
            try await store.recordKeyUses(uses)
            uses.removeAll()
        }
    }
    try await store.recordKeyUses(uses)
    return KeyLedger(store: store, keys: keys, values: values)
}

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .microseconds,
        maxDuration: .seconds(5)
    )

    // What the gateway's every request costs: the format and checksum, one indexed read of the key
    // and its owner, and the use counted in memory (written by the flusher, outside this loop).
    Benchmark(
        "introspection: active key, 100,000 keys",
        configuration: .init(scalingFactor: .kilo, maxIterations: .count(20), thresholds: [.throughput: .init(absolute: [.p50: 50])])
    ) { benchmark in
        let ledger = try await hundredThousandKeys.value
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            guard let owned = try await ledger.keys.introspect(ledger.values[i % ledger.values.count]) else { fatalError("inactive") }
            blackHole(owned)
        }
        benchmark.stopMeasurement()
    }

    // What nginx, Caddy, Traefik or Envoy costs RoleSync per request: `GET /gateway/check` through
    // the whole router in process (request id, log and metrics middleware, the gateway's secret,
    // the key's look-up, the verdict's headers); `GET /healthz` through the same router and test
    // client is the part that is not the check's own.
    for (label, uri) in [("gateway check: active key, 100,000 keys", "/gateway/check"), ("GET /healthz", "/healthz")] {
        Benchmark(
            "\(label), whole router in process",
            configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))
        ) { benchmark in
            let ledger = try await hundredThousandKeys.value
            let secret = "a-forward-auth-secret-of-at-least-32-bytes"
            var context = ServerContext(
                sync: SyncService(store: ledger.store, mappings: MappingRegistry(MappingSet.build([]).set), logger: quietLogger),
                sessions: SessionService(store: ledger.store),
                providers: ProviderDirectory([]),
                publicURL: URL(string: "https://rolesync.example.com")!,
                keyUsage: ledger.keys.usage
            )
            context.forwardAuthGateways = [ForwardAuthGateway(name: "bench", secret: secret, roles: nil)]
            let app = Application(router: context.makeRouter(), logger: quietLogger)
            let headers = ledger.values.map { value -> HTTPFields in
                [.authorization: "Bearer \(value)", .init("X-RoleSync-Gateway-Token")!: secret]
            }
            // The test client runs the closure on this task; the benchmark object never crosses threads.
            nonisolated(unsafe) let measured = benchmark
            try await app.test(.router) { client in
                measured.startMeasurement()
                for i in measured.scaledIterations {
                    let response = try await client.execute(uri: uri, method: .get, headers: headers[i % headers.count])
                    guard response.status == .ok else { fatalError("\(uri): \(response.status)") }
                    blackHole(response)
                }
                measured.stopMeasurement()
            }
        }
    }

    // The store's part of it: the covering-index look-up joined with the owner, on the calling thread.
    Benchmark("introspection's read: store.credential(hash:)", configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))) {
        benchmark in
        let ledger = try await hundredThousandKeys.value
        let hashes = ledger.values.map(SessionService.hash)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations { blackHole(try await ledger.store.credential(hash: hashes[i % hashes.count])) }
        benchmark.stopMeasurement()
    }

    // A stranger's guess: refused on its shape, before any read.
    Benchmark("introspection: malformed key", configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))) { benchmark in
        let ledger = try await hundredThousandKeys.value
        let forged = "rsk_" + String(repeating: "A", count: 42)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await ledger.keys.introspect(forged)) }
        benchmark.stopMeasurement()
    }

    // Stale keys first (the seed's hygiene sweep), the newest used, and the active ones only.
    for (label, query) in [
        ("last used, ascending", KeysQuery(sort: .lastUsed, order: .ascending, limit: 50)),
        ("last used, descending", KeysQuery(sort: .lastUsed, order: .descending, limit: 50)),
        ("active, last used ascending", KeysQuery(status: .active, sort: .lastUsed, order: .ascending, limit: 50)),
        ("created, descending", KeysQuery(limit: 50)),
    ] {
        Benchmark(
            "100,000 keys: a page of 50 sorted by \(label)",
            configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: .count(200))
        ) { benchmark in
            let ledger = try await hundredThousandKeys.value
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let page = try await ledger.keys.keys(matching: query)
                precondition(page.keys.count == 50)
                blackHole(page)
            }
            benchmark.stopMeasurement()
        }
    }

    // The next page, from the cursor (keyset pagination: as fast as the first).
    Benchmark(
        "100,000 keys: the 20th page of 50 by last used",
        configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: .count(100))
    ) { benchmark in
        let ledger = try await hundredThousandKeys.value
        var query = KeysQuery(sort: .lastUsed, order: .ascending, limit: 50)
        for _ in 0..<19 { query.cursor = try await ledger.keys.keys(matching: query).nextCursor }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await ledger.keys.keys(matching: query)) }
        benchmark.stopMeasurement()
    }
}
