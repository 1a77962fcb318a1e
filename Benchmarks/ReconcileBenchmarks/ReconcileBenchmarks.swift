import Benchmark
import Foundation
import Logging
import RoleSyncConfig
import RoleSyncGraph
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncSCIM
import RoleSyncSQLite
import RoleSyncTestSupport
import Synchronization

/// Issue #6's targets, and issue #24's Microsoft Graph listing. Run:
/// `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target ReconcileBenchmarks`.
///
/// - Planning over a 100,000-user directory with 1% of the users changed, excluding the network:
///   the directory's resources are built in memory; the measurement joins users with groups,
///   builds the listing and plans against a 100,000-user SQLite ledger.
/// - A full run against a local 20,000-user scim2-server over HTTP (reading every page, planning,
///   applying): only when ROLESYNC_BENCH_SCIM_URL names a directory seeded with
///   `Benchmarks/seed-directory.py URL bench-token 20000` (see docs/performance.md).
/// - A full reconciliation through Microsoft Graph (issue #24): 100,000 users and 2,000 groups, 999
///   a page, in process: every page of `/v1.0/users`, `/v1.0/groups` and each group's
///   `transitiveMembers` is parsed and the plan made against a 100,000-user ledger (a dry run, so
///   every sample does the same work). The pages come from ``GraphPages``, which writes each item
///   when a page asks for it; its own cost is measured alone beside it.
/// - An incremental reconciliation through Graph's delta queries carrying 100 changes (issue #24):
///   after a full run has stored the delta links, each sample reads the delta (100 users named),
///   reads each of them whole (`/v1.0/users/{id}` and its `transitiveMemberOf`: 200 requests), plans
///   against the 100,000-user ledger and applies: the 100 are deactivated, the next sample
///   reactivates them, and so on.
/// - A full reconciliation of an LDAP directory (issue #24): 10,000 users and 260 groups nested in
///   three levels, from a real slapd, paged 1,000 at a time, planned (a dry run) against a
///   10,000-user ledger: only when ROLESYNC_BENCH_LDAP_PORT names a slapd started with
///   `scripts/peers/slapd start PORT --users 10000 --groups 260` (see docs/performance.md).

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

/// User `i`'s groups as the directory shows them: one user in 100 changed; of those, one in ten is
/// gone (`nil`), the others moved into finance (a role change) or out of their eng- group.
private func directoryGroups(of i: Int) -> [String]? {
    var groups = groups(of: i)
    if i % 100 == 42 {
        if i % 1_000 == 42 { return nil }
        if i % 200 == 42 {
            groups.append("finance")
        } else {
            groups.removeAll { $0.hasPrefix("eng-") }
            groups.append("sales")
        }
    }
    return groups
}

/// The directory's raw SCIM resources for users `0..<count` (``directoryGroups(of:)``).
private func directory(users count: Int) -> (users: [[String: ClaimValue]], groups: [[String: ClaimValue]]) {
    var users: [[String: ClaimValue]] = []
    users.reserveCapacity(count)
    var members: [String: [ClaimValue]] = [:]
    for i in 0..<count {
        guard let groups = directoryGroups(of: i) else { continue }
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

private func ledger(users: Int, claimsOf: (Int) -> Claims = ledgerClaims) async throws -> SyncService {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-bench-\(UUID().uuidString).sqlite").path
    let store = try SQLiteLedgerStore(path: path)
    guard let mapping = MappingParser.parse(yaml: LedgerFixtures.mappingYAML, file: "bench.yaml").mapping else {
        fatalError("bench mapping invalid")
    }
    let service = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: quietLogger)
    try await LedgerFixtures.populate(store, users: users, under: service.mappings.current, claimsOf: claimsOf)
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

    Benchmark("Graph: full reconciliation, 100,000 users, 2,000 groups, 999 a page", configuration: .init(maxIterations: .count(3))) {
        benchmark in
        let sync = try await ledger(users: 100_000)
        let pages = GraphPages(users: 100_000)
        let reconciler = try Reconciler(idp: try graphIdP(), sync: sync, transport: pages, logger: quietLogger, sleep: { _ in })
        _ = malloc_trim(0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let outcome = try await reconciler.run(dryRun: true)
            precondition(outcome.plan.directoryUsers == 99_900 && outcome.plan.missing == 100, "unexpected plan: \(outcome.plan.missing)")
            blackHole(outcome)
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Graph: incremental reconciliation, 100 changes, 100,000-user ledger", configuration: .init(maxIterations: .count(10))) {
        benchmark in
        let sync = try await ledger(users: 100_000)
        let pages = GraphPages(users: 100_000)
        let reconciler = try Reconciler(
            idp: try graphIdP(),
            sync: sync,
            transport: pages,
            states: try require(sync.store as? any DirectorySyncStore),
            logger: quietLogger,
            sleep: { _ in }
        )
        let first = try await reconciler.run(dryRun: false, force: true)
        precondition(first.mode == "full" && first.applied, "the full run that stores the cursor: \(first.mode)")
        _ = malloc_trim(0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let outcome = try await reconciler.run(dryRun: false)
            precondition(
                outcome.mode == "incremental" && outcome.plan.directoryUsers == 100 && outcome.plan.plan.changes.count == 100 && outcome.applied,
                "unexpected incremental run: \(outcome.mode), \(outcome.plan.directoryUsers) listed, \(outcome.plan.plan.changes.count) changes"
            )
            blackHole(outcome)
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Graph fake alone: the same pages rendered, none parsed", configuration: .init(maxIterations: .count(3))) { benchmark in
        let pages = GraphPages(users: 100_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await pages.renderAll())
        }
        benchmark.stopMeasurement()
    }

    if let port = ProcessInfo.processInfo.environment["ROLESYNC_BENCH_LDAP_PORT"] {
        Benchmark("LDAP: full reconciliation, 10,000 users, 260 nested groups from slapd", configuration: .init(maxIterations: .count(5))) {
            benchmark in
            // The ledger's users signed in with the uid the directory lists them under.
            let sync = try await ledger(users: 10_000) { index in
                var values = ledgerClaims(index).values
                values["ldap_uid"] = .string(String(format: "user%06d", index))
                return Claims(values)
            }
            let client = try AsyncHTTPClientTransport.makeClient()
            let transport = AsyncHTTPClientTransport(client: client, timeout: .seconds(60), maximumResponseSize: 64 << 20)
            let reconciler = try Reconciler(idp: try ldapIdP(port: port), sync: sync, transport: transport, logger: quietLogger)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let outcome = try await reconciler.run(dryRun: true)
                guard outcome.plan.matched == 10_000 else { fatalError("the LDAP listing matched \(outcome.plan.matched) users, not 10,000") }
                blackHole(outcome)
            }
            benchmark.stopMeasurement()
            try await client.shutdown()
        }
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

private func ldapIdP(port: String) throws -> IdentityProviderSettings {
    let yaml = """
        listen: 127.0.0.1:8080
        public_url: https://rolesync.example.com
        idps:
          - issuer: \(LedgerFixtures.issuer)
            client_id: bench
            client_secret: bench
            directory:
              kind: ldap
              url: ldap://127.0.0.1:\(port)
              bind_dn: cn=rolesync,ou=services,dc=example,dc=com
              bind_password_env: BENCH_LDAP_PW
              users: { base: "ou=people,dc=example,dc=com" }
              groups: { base: "ou=groups,dc=example,dc=com" }
              match_by: uid
              match_claim: ldap_uid
              page_size: 1000
        """
    return try ServeConfiguration.parse(yaml: yaml, file: "/tmp/bench.yaml", environment: ["BENCH_LDAP_PW": "rolesync-ldap-pw"]).idps[0]
}

private func graphIdP() throws -> IdentityProviderSettings {
    let yaml = """
        listen: 127.0.0.1:8080
        public_url: https://rolesync.example.com
        idps:
          - issuer: \(LedgerFixtures.issuer)
            client_id: bench
            client_secret: bench
            directory:
              kind: microsoft_graph
              url: https://graph.bench.invalid
              token_url: https://login.bench.invalid/bench/oauth2/v2.0/token
              tenant_id: bench
              client_id: bench-app
              client_secret_env: BENCH_SECRET
              match_claim: sub
              safety_valve: { max_share: 5% }
        """
    return try ServeConfiguration.parse(yaml: yaml, file: "/tmp/bench.yaml", environment: ["BENCH_SECRET": "bench-secret"]).idps[0]
}

/// Microsoft Graph's pages for the benchmark's tenant, each item written when a page asks for it
/// (the fake keeps user numbers, not JSON, so its own memory stays out of the run's peak): users
/// `sub-0…` (one in 1,000 gone, as `directory(users:)` has them; the others as the ledger knows
/// them, one in 100 with a changed group), the fixture's groups (`Everyone`, `team-*`, `eng-*`,
/// `finance`, `helpdesk`, `platform-admins`) and `org-*` groups to make 2,000, with `eng-all`
/// holding every `eng-*` member (Graph flattens nesting in `transitiveMembers`). Answers the token
/// endpoint, `$top` and `$skiptoken` as Graph does.
private final class GraphPages: HTTPTransport, Sendable {
    /// The numbers of the users the tenant lists.
    let users: [Int32]
    let groups: [String]
    /// Each group's members, by user number.
    let members: [String: [Int32]]
    /// The users each delta names (one in 1,000), with their groups as `transitiveMemberOf` items.
    let changed: [String: String]
    /// Delta rounds served: the changed users are disabled in odd rounds, enabled in even ones.
    let round = Mutex(0)

    init(users count: Int) {
        var users: [Int32] = []
        var members: [String: [Int32]] = [:]
        for i in 0..<count {
            guard let names = directoryGroups(of: i) else { continue }
            users.append(Int32(i))
            for name in names { members[name, default: []].append(Int32(i)) }
            if names.contains(where: { $0.hasPrefix("eng-") }) { members["eng-all", default: []].append(Int32(i)) }
        }
        for k in 0..<max(0, 2_000 - members.count) {
            members["org-\(k)"] = stride(from: k, to: count, by: 1_700).map { Int32($0) }
        }
        self.users = users
        self.members = members
        self.groups = members.keys.sorted().map { #"{"id":"\#($0)","displayName":"\#($0)"}"# }
        var changed: [String: String] = [:]
        for i in stride(from: 7, to: count, by: 1_000) {
            let names = members.filter { $0.value.contains(Int32(i)) }.keys.sorted()
            changed["sub-\(i)"] = names.map { ##"{"@odata.type":"#microsoft.graph.group","id":"\##($0)","displayName":"\##($0)"}"## }
                .joined(separator: ",")
        }
        self.changed = changed
    }

    /// User `i` as `/v1.0/users` lists them.
    static func user(_ i: Int32) -> String {
        let claims = LedgerFixtures.claims(Int(i)).values
        let email = claims["email"]?.stringValue ?? ""
        return
            #"{"id":"sub-\#(i)","displayName":"\#(claims["name"]?.stringValue ?? "")","mail":"\#(email)","userPrincipalName":"\#(email)","accountEnabled":true}"#
    }

    /// User `i` as a group's `transitiveMembers` lists them.
    static func member(_ i: Int32) -> String {
        ##"{"@odata.type":"#microsoft.graph.user","id":"sub-\##(i)"}"##
    }

    /// The delta queries and the reads of one changed user.
    func delta(_ path: String, _ items: [URLQueryItem]) -> HTTPTransportResponse? {
        func answer(_ body: String) -> HTTPTransportResponse { HTTPTransportResponse(status: 200, body: Data(body.utf8)) }
        if path == "/v1.0/users/delta" || path == "/v1.0/groups/delta" {
            let latest = items.first { $0.name == "$deltatoken" }?.value == "latest"
            let value: String
            let next: Int
            if path == "/v1.0/users/delta", !latest {
                next = round.withLock {
                    $0 += 1
                    return $0
                }
                value = changed.keys.sorted().map { #"{"id":"\#($0)"}"# }.joined(separator: ",")
            } else {
                next = round.withLock { $0 }
                value = ""
            }
            return answer(#"{"value":[\#(value)],"@odata.deltaLink":"https://graph.bench.invalid\#(path)?$deltatoken=\#(next)"}"#)
        }
        guard path.hasPrefix("/v1.0/users/sub-") else { return nil }
        let rest = path.dropFirst("/v1.0/users/".count)
        if rest.hasSuffix("/transitiveMemberOf") {
            guard let groups = changed[String(rest.dropLast("/transitiveMemberOf".count))] else { return nil }
            return answer(#"{"value":[\#(groups)]}"#)
        }
        let id = String(rest)
        guard changed[id] != nil, let index = Int(id.dropFirst("sub-".count)) else { return nil }
        let claims = LedgerFixtures.claims(index).values
        let email = claims["email"]?.stringValue ?? ""
        let enabled = round.withLock { $0 } % 2 == 0
        return answer(
            #"{"id":"\#(id)","displayName":"\#(claims["name"]?.stringValue ?? "")","mail":"\#(email)","userPrincipalName":"\#(email)","accountEnabled":\#(enabled)}"#
        )
    }

    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        if request.method == .post {
            return HTTPTransportResponse(status: 200, body: Data(#"{"token_type":"Bearer","expires_in":3599,"access_token":"bench"}"#.utf8))
        }
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let path = components?.path ?? ""
        let query = components?.queryItems ?? []
        let top = query.first { $0.name == "$top" }?.value.flatMap(Int.init) ?? 100
        let skip = query.first { $0.name == "$skiptoken" }?.value.flatMap(Int.init) ?? 0
        if let answer = delta(path, query) { return answer }
        let count: Int
        let items: (Range<Int>) -> [String]
        if path == "/v1.0/users" {
            (count, items) = (users.count, { self.users[$0].map(Self.user) })
        } else if path == "/v1.0/groups" {
            (count, items) = (groups.count, { Array(self.groups[$0]) })
        } else if path.hasPrefix("/v1.0/groups/"), path.hasSuffix("/transitiveMembers") {
            let list = members[String(path.dropFirst("/v1.0/groups/".count).dropLast("/transitiveMembers".count))] ?? []
            (count, items) = (list.count, { list[$0].map(Self.member) })
        } else {
            return HTTPTransportResponse(status: 404, body: Data())
        }
        var body = #"{"value":["# + items(min(skip, count)..<min(skip + top, count)).joined(separator: ",") + "]"
        if skip + top < count {
            var next = components!
            next.queryItems = query.filter { $0.name != "$skiptoken" } + [URLQueryItem(name: "$skiptoken", value: String(skip + top))]
            body += #","@odata.nextLink":"\#(next.url!.absoluteString)""#
        }
        return HTTPTransportResponse(status: 200, body: Data((body + "}").utf8))
    }

    /// Every page a listing asks for, rendered and dropped: the fake's own share of a run.
    func renderAll() async throws -> Int {
        var bytes = 0
        func pages(_ path: String) async throws {
            var skip = 0
            while true {
                let url = URL(string: "https://graph.bench.invalid\(path)?$top=999&$skiptoken=\(skip)")!
                bytes += try await send(HTTPTransportRequest(method: .get, url: url)).body.count
                skip += 999
                let total = path == "/v1.0/users" ? users.count : path == "/v1.0/groups" ? groups.count : 0
                if skip >= total { break }
            }
        }
        try await pages("/v1.0/users")
        try await pages("/v1.0/groups")
        for (name, list) in members {
            var skip = 0
            repeat {
                let url = URL(string: "https://graph.bench.invalid/v1.0/groups/\(name)/transitiveMembers?$top=999&$skiptoken=\(skip)")!
                bytes += try await send(HTTPTransportRequest(method: .get, url: url)).body.count
                skip += 999
            } while skip < list.count
        }
        return bytes
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
