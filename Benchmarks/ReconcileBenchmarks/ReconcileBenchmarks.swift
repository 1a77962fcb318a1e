import Benchmark
import Foundation
import Logging
import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncSCIM
import RoleSyncSQLite
import RoleSyncTestSupport

/// Issue #6's targets. Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target ReconcileBenchmarks`.
///
/// - Planning over a 100,000-user directory with 1% of the users changed, excluding the network:
///   the directory's resources are built in memory; the measurement joins users with groups,
///   builds the listing and plans against a 100,000-user SQLite ledger.
/// - A full run against a local 20,000-user scim2-server over HTTP (reading every page, planning,
///   applying): only when ROLESYNC_BENCH_SCIM_URL names a directory seeded with
///   `Benchmarks/seed-directory.py URL bench-token 20000` (see docs/performance.md).

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    return logger
}()

/// A user's last sign-in claims as the directory will show them (`active` included), so that
/// only the users the directory changed have anything to change.
private func ledgerClaims(_ i: Int) -> Claims {
    var values = LedgerFixtures.claims(i).values
    values["active"] = true
    return Claims(values)
}

private func groups(of i: Int) -> [String] {
    LedgerFixtures.claims(i).values["groups"]?.arrayOfStrings ?? []
}

extension ClaimValue {
    fileprivate var arrayOfStrings: [String]? {
        guard case .array(let items) = self else { return nil }
        return items.compactMap(\.stringValue)
    }
}

/// The directory's raw SCIM resources for users `0..<count`; one user in 100 changed: of those, one
/// in ten is gone, the others moved into finance (a role change) or out of their eng- group.
private func directory(users count: Int) -> (users: [[String: ClaimValue]], groups: [[String: ClaimValue]]) {
    var users: [[String: ClaimValue]] = []
    users.reserveCapacity(count)
    var members: [String: [ClaimValue]] = [:]
    for i in 0..<count {
        var groups = groups(of: i)
        if i % 100 == 42 {
            if i % 1_000 == 42 { continue }  // gone
            if i % 200 == 42 {
                groups.append("finance")
            } else {
                groups.removeAll { $0.hasPrefix("eng-") }
                groups.append("sales")
            }
        }
        let claims = LedgerFixtures.claims(i).values
        users.append([
            "id": .string("u\(i)"), "externalId": .string("sub-\(i)"), "userName": claims["email"] ?? .null,
            "displayName": claims["name"] ?? .null, "active": true,
            "emails": .array([.object(["value": claims["email"] ?? .null, "primary": true])]),
        ])
        for group in groups { members[group, default: []].append(.object(["value": .string("u\(i)")])) }
    }
    let groups = members.map { name, people -> [String: ClaimValue] in
        ["id": .string("g-\(name)"), "displayName": .string(name), "members": .array(people)]
    }
    return (users, groups)
}

private func ledger(users: Int) async throws -> SyncService {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-bench-\(UUID().uuidString).sqlite").path
    let store = try SQLiteLedgerStore(path: path)
    guard let mapping = MappingParser.parse(yaml: LedgerFixtures.mappingYAML, file: "bench.yaml").mapping else {
        fatalError("bench mapping invalid")
    }
    let service = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: quietLogger)
    try await LedgerFixtures.populate(store, users: users, under: service.mappings.current, claimsOf: ledgerClaims)
    return service
}

private func idp(scimURL: String, pageSize: Int) throws -> IdentityProviderSettings {
    let yaml = """
        listen: 127.0.0.1:8080
        public_url: https://rolesync.example.com
        idps:
          - issuer: \(LedgerFixtures.issuer)
            client_id: bench
            client_secret: bench
            directory: { scim_url: "\(scimURL)", token_env: BENCH_TOKEN, page_size: \(pageSize) }
        """
    return try ServeConfiguration.parse(yaml: yaml, file: "/tmp/bench.yaml", environment: ["BENCH_TOKEN": "bench-token"]).idps[0]
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident],
        timeUnits: .milliseconds,
        maxDuration: .seconds(60)
    )

    Benchmark("plan: 100,000-user directory, 1% changed", configuration: .init(maxIterations: .count(5))) { benchmark in
        let sync = try await ledger(users: 100_000)
        let (users, groups) = directory(users: 100_000)
        let settings = try require(try idp(scimURL: "https://directory.invalid/scim/v2", pageSize: 100).directory)
        // Give back what the previous sample freed, so each sample's peak is its own.
        _ = malloc_trim(0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let snapshot = try DirectorySnapshot.build(users: users, groups: groups)
            let plan = try await sync.planReconciliation(
                issuer: LedgerFixtures.issuer,
                listing: settings.listing(from: snapshot),
                policy: ReconciliationPolicy()
            )
            precondition(plan.missing == 100 && plan.plan.changes.count > 500, "unexpected plan: \(plan.plan.changes.count)")
            blackHole(plan)
        }
        benchmark.stopMeasurement()
    }

    if let url = ProcessInfo.processInfo.environment["ROLESYNC_BENCH_SCIM_URL"] {
        Benchmark("full run: 20,000-user scim2-server over HTTP", configuration: .init(maxIterations: .count(3))) { benchmark in
            let sync = try await ledger(users: 20_000)
            let client = try AsyncHTTPClientTransport.makeClient()
            let transport = AsyncHTTPClientTransport(client: client, timeout: .seconds(60), maximumResponseSize: 64 << 20)
            let reconciler = try Reconciler(idp: try idp(scimURL: url, pageSize: 1_000), sync: sync, transport: transport, logger: quietLogger)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await reconciler.run(dryRun: false))
            }
            benchmark.stopMeasurement()
            try await client.shutdown()
        }
    }
}

/// glibc's `malloc_trim` (not in the Glibc module): returns freed heap to the system.
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32

/// `#require` for benchmark set-up.
private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw CocoaError(.featureUnsupported) }
    return value
}
