import Benchmark
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports
import RoleSyncSQLite
import RoleSyncServer
import RoleSyncTestSupport

/// Issue #27's figures: the Audit page over 1,000,000 events (the first page and filtered pages)
/// under 50 ms; a CSV export of 100,000 users under 5 s in flat memory; the access review page
/// with 1,000 admin role holders under 1 s.
/// Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target OperatorBenchmarks`.
/// Pages and the HTTP export go through the whole router in process (session, permission, the
/// store, the template or the CSV); the export's memory is measured on its writer alone, bytes
/// counted and dropped, for 1,000 and for 100,000 rows.

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

/// Person `i`: the fixture's people, with an admin role for one in a hundred (1,000 holders in
/// 100,000: finance or helpdesk, person 0 a super_admin).
private func claims(_ i: Int) -> Claims {
    var values = LedgerFixtures.claims(i).values
    var groups: [ClaimValue] = ["Everyone", .string("eng-\(i % 7)")]
    if i % 100 == 0 { groups.append(i % 200 == 0 ? "finance" : "helpdesk") }
    if i == 0 { groups.append("platform-admins") }
    values["groups"] = .array(groups)
    return Claims(values)
}

/// 100,000 users, 1,000,000 audit events about them (one in a hundred a key revocation, one in
/// ten by an admin), a key for one admin holder in four, a server, and a super_admin's session.
private let server = Task { () throws -> (ServerContext, String) in
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-operator-bench-\(UUID().uuidString).sqlite").path
    let store = try SQLiteLedgerStore(path: path)
    guard let mapping = MappingParser.parse(yaml: LedgerFixtures.mappingYAML, file: "bench.yaml").mapping else {
        fatalError("bench mapping invalid")
    }
    let mappings = MappingSet.build([mapping]).set
    let sync = SyncService(store: store, mappings: MappingRegistry(mappings), logger: quietLogger)
    try await LedgerFixtures.populate(store, users: 100_000, under: mappings, claimsOf: claims)
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    let actions: [AuditAction] = [.roleChanged, .profileUpdated, .roleChanged, .statusChanged, .signInRefused]
    for batch in 0..<100 {
        var changes = LedgerChanges()
        for n in (batch * 10_000)..<((batch + 1) * 10_000) {
            let user = UserID(Int64(1 + (n * 7_919) % 100_000))
            let revoked = n % 100 == 7
            changes.audit.append(
                AuditEvent(
                    time: start.addingTimeInterval(Double(n) * 30),
                    actor: n % 10 == 3 ? .user(UserID(1)) : .idp,
                    action: revoked ? .keyRevoked : actions[n % actions.count],
                    userID: user,
                    details: revoked
                        ? [.keyID: .number(Double(n)), .name: .string("svc-\(n)"), .prefix: .string("rsk_b\(n % 100)…abcd"), .reason: "bench"]
                        : [.from: "user", .to: "billing_admin", .rule: "finance", .mapping: "bench.yaml"]
                )
            )
        }
        try await store.apply(changes)
    }
    let keys = KeyService(store: store)
    for i in stride(from: 0, to: 100_000, by: 400) {
        _ = try await keys.create(for: UserID(Int64(i + 1)), name: "svc-\(i)", lifetime: nil, purpose: .gateway, by: .cli)
    }
    let context = ServerContext(
        sync: sync,
        sessions: SessionService(store: store),
        providers: ProviderDirectory([]),
        publicURL: URL(string: "https://rolesync.example.com")!
    )
    let session = try await context.sessions.create(for: UserID(1))
    return (context, "\(context.cookies.session)=\(session)")
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .milliseconds,
        maxDuration: .seconds(10),
        maxIterations: .count(100)
    )

    // (name, URI)
    let pages: [(String, String)] = [
        ("audit page over 1,000,000 events: first page", "/admin/audit"),
        ("audit page: action key.revoked (10,000 of 1,000,000)", "/admin/audit?action=key.revoked"),
        ("audit page: one user's events, by email", "/admin/audit?user=person4242%40example.com"),
        ("audit page: search 'person4242' (11 people)", "/admin/audit?q=person4242"),
        ("audit page: actor user:1 since 2026-10-01", "/admin/audit?actor=user%3A1&since=2026-10-01"),
        ("access review page: 1,000 admin role holders", "/admin/reviews"),
    ]
    for (name, uri) in pages {
        Benchmark(name) { benchmark in
            let (context, cookie) = try await server.value
            let app = Application(router: context.makeRouter(), logger: quietLogger)
            nonisolated(unsafe) let measured = benchmark
            try await app.test(.router) { client in
                measured.startMeasurement()
                for _ in measured.scaledIterations {
                    let response = try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie])
                    guard response.status == .ok else { fatalError("\(uri): \(response.status)") }
                    blackHole(response)
                }
                measured.stopMeasurement()
            }
        }
    }

    Benchmark("CSV export over HTTP: 100,000 users", configuration: .init(maxDuration: .seconds(60), maxIterations: .count(5))) { benchmark in
        let (context, cookie) = try await server.value
        let app = Application(router: context.makeRouter(), logger: quietLogger)
        nonisolated(unsafe) let measured = benchmark
        try await app.test(.router) { client in
            measured.startMeasurement()
            for _ in measured.scaledIterations {
                let response = try await client.execute(uri: "/admin/users?format=csv", method: .get, headers: [.cookie: cookie])
                guard response.status == .ok, response.body.readableBytes > 5_000_000 else { fatalError("export: \(response.status)") }
                blackHole(response)
            }
            measured.stopMeasurement()
        }
    }

    // The export's writer, its bytes counted and dropped: memory stays a page whatever the rows.
    for (name, role, rows) in [
        ("CSV export writer: 500 rows (memory)", Role.billingAdmin as Role?, 500), ("CSV export writer: 100,000 rows (memory)", nil, 100_000),
    ] {
        Benchmark(
            name,
            configuration: .init(
                metrics: [.wallClock, .peakMemoryResident, .peakMemoryResidentDelta],
                maxDuration: .seconds(60),
                maxIterations: .count(5)
            )
        ) { benchmark in
            let (context, _) = try await server.value
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var bytes = 0
                try await Export.users(UsersQuery(role: role), format: .csv, sync: context.sync, at: Date()).write { bytes += $0.utf8.count }
                guard bytes > rows * 50 else { fatalError("export wrote \(bytes) bytes") }
                blackHole(bytes)
            }
            benchmark.stopMeasurement()
        }
    }
}
