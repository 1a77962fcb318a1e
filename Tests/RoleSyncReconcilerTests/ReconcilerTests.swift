import Foundation
import Logging
import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncSQLite
import Synchronization
import Testing

/// A SCIM directory in memory: pages `/Users` and `/Groups` by `startIndex`/`count`, answers
/// `attr eq "value"` filters (unless told to ignore them, as some directories do); can fail a page.
final class MemoryDirectory: HTTPTransport, Sendable {
    struct State {
        var users: [[String: ClaimValue]] = []
        var groups: [[String: ClaimValue]] = []
        /// Answer this status for the page of `/Users` starting here.
        var failUsersAt: (startIndex: Int, status: Int)?
        var requests = 0
        /// The `filter` of each request that had one, as the server decoded it.
        var filters: [String] = []
        /// List everything whatever the filter says.
        var ignoresFilters = false
    }

    let state = Mutex(State())

    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        let items = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let start = items.first { $0.name == "startIndex" }?.value.flatMap(Int.init) ?? 1
        let count = items.first { $0.name == "count" }?.value.flatMap(Int.init) ?? 100
        let filter = items.first { $0.name == "filter" }?.value
        return try state.withLock { state in
            state.requests += 1
            guard request.header("Authorization") == "Bearer directory-token" else { return HTTPTransportResponse(status: 401, body: Data()) }
            if let filter { state.filters.append(filter) }
            var all: [[String: ClaimValue]]
            switch request.url.lastPathComponent {
            case "Users":
                if let fail = state.failUsersAt, fail.startIndex == start { return HTTPTransportResponse(status: fail.status, body: Data()) }
                all = state.users
            case "Groups": all = state.groups
            default: return HTTPTransportResponse(status: 404, body: Data())
            }
            if let filter, !state.ignoresFilters { all = try all.filter(Self.selector(filter)) }
            let page = Array(all.dropFirst(start - 1).prefix(count)).map(ClaimValue.object)
            let body: ClaimValue = .object([
                "schemas": .array(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]), "totalResults": .number(Double(all.count)),
                "startIndex": .number(Double(start)), "itemsPerPage": .number(Double(page.count)), "Resources": .array(page),
            ])
            return HTTPTransportResponse(status: 200, body: Data(body.jsonText.utf8))
        }
    }

    /// What `attr eq "value"` selects: `externalId` exactly, `userName` ignoring case, a group by a
    /// member's `value`.
    static func selector(_ filter: String) throws -> ([String: ClaimValue]) -> Bool {
        let parts = filter.split(separator: " ", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[1] == "eq", case .string(let value) = try ClaimValue(json: Data(parts[2].utf8)) else {
            throw DirectoryFault.unsupportedFilter(filter)
        }
        switch parts[0] {
        case "externalId": return { $0["externalId"] == .string(value) }
        case "userName": return { $0["userName"]?.stringValue?.lowercased() == value.lowercased() }
        case "members.value":
            return { group in
                guard case .array(let members)? = group["members"] else { return false }
                return members.contains { if case .object(let m) = $0 { m["value"] == .string(value) } else { false } }
            }
        default: throw DirectoryFault.unsupportedFilter(filter)
        }
    }

    func setUsers(_ ids: [String], active: Set<String>? = nil) {
        state.withLock { state in
            state.users = ids.map { id in
                [
                    "id": .string("u-\(id)"), "externalId": .string(id), "userName": .string("\(id)@example.com"),
                    "active": .bool(active?.contains(id) ?? true),
                ]
            }
        }
    }

    func setGroup(_ name: String, members: [String]) {
        state.withLock { state in
            state.groups.removeAll { $0["displayName"] == .string(name) }
            state.groups.append([
                "id": .string("g-\(name)"), "displayName": .string(name),
                "members": .array(members.map { .object(["value": .string("u-\($0)")]) }),
            ])
        }
    }
}

/// Why a fake directory could not answer.
enum DirectoryFault: Error {
    case unsupportedFilter(String)
}

@Suite("Reconciler: directory to ledger")
struct ReconcilerTests {
    static let issuer = "https://idp.example.com"
    static let mapping = """
        version: 1
        issuer: "\(issuer)"
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: platform-admins } }
          - { id: finance, role: billing_admin, when: { claim: groups, contains: finance } }
        unmatched: manual
        """

    let store: SQLiteLedgerStore
    let sync: SyncService
    let directory = MemoryDirectory()

    init() async throws {
        store = try SQLiteLedgerStore.inMemory()
        let mapping = try #require(MappingParser.parse(yaml: Self.mapping, file: "idp.yaml").mapping)
        sync = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: Logger(label: "test"))
        let people = ["root": ["platform-admins"], "alice": ["finance"], "bob": [], "carol": [], "dave": [], "erin": []]
        for (sub, groups) in people.sorted(by: { $0.key < $1.key }) {
            let claims = Claims(["sub": .string(sub), "email": .string("\(sub)@example.com"), "groups": .array(groups.map(ClaimValue.string))])
            _ = try await sync.signIn(issuer: Self.issuer, claims: claims)
        }
        directory.setUsers(people.keys.sorted())
        directory.setGroup("platform-admins", members: ["root"])
        directory.setGroup("finance", members: ["alice"])
    }

    func reconciler(pageSize: Int = 2, interval: TimeInterval? = nil, directory: MemoryDirectory? = nil) throws -> Reconciler {
        var idp = try Self.idp(#"directory: { scim_url: "https://idp.example.com/scim/v2", token_env: DIRECTORY_TOKEN, page_size: \#(pageSize) }"#)
        if let interval { idp.directory?.interval = interval }
        return try Reconciler(idp: idp, sync: sync, transport: directory ?? self.directory, logger: Logger(label: "test"), sleep: { _ in })
    }

    /// The configuration's one IdP (``issuer``), with `lines` added to its entry; the directory's
    /// token variable is set.
    static func idp(_ lines: String = "") throws -> IdentityProviderSettings {
        let yaml = """
            listen: 127.0.0.1:8080
            public_url: https://rolesync.example.com
            idps:
              - issuer: \(issuer)
                client_id: rolesync
                client_secret: s
            \(lines.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        return try ServeConfiguration.parse(yaml: yaml, file: "/tmp/r.yaml", environment: ["DIRECTORY_TOKEN": "directory-token"]).idps[0]
    }

    func role(_ sub: String) async throws -> Role { try #require(try await store.user(issuer: Self.issuer, subject: sub)).role }
    func status(_ sub: String) async throws -> UserStatus { try #require(try await store.user(issuer: Self.issuer, subject: sub)).status }

    @Test("A run reads every page, demotes by the directory's groups and deactivates the one who left")
    func run() async throws {
        directory.setGroup("finance", members: [])
        directory.setUsers(["root", "alice", "bob", "carol", "dave"])
        let outcome = try await reconciler().run(dryRun: false)
        #expect(outcome.applied && outcome.plan.directoryUsers == 5 && outcome.plan.missing == 1)
        #expect(try await role("alice") == .billingAdmin)  // uncovered now: keeps the role
        #expect(try await status("erin") == .inactive)
        let dry = try await reconciler().run(dryRun: true)
        #expect(dry.plan.plan.changes.isEmpty && !dry.applied)
    }

    @Test("A dry run writes nothing")
    func dryRun() async throws {
        directory.setUsers(["root", "alice", "bob", "carol", "dave"])
        let outcome = try await reconciler().run(dryRun: true)
        #expect(!outcome.applied && outcome.plan.deactivations == 1)
        #expect(try await status("erin") == .active)
    }

    @Test("A server error in the middle of the listing changes nothing")
    func failedPage() async throws {
        directory.setUsers(["root", "alice", "bob", "carol", "dave", "erin"])
        directory.state.withLock { $0.failUsersAt = (startIndex: 3, status: 500) }
        await #expect(throws: ReconcileError.self) { try await reconciler().run(dryRun: false) }
        #expect(try await store.auditEvents(matching: AuditQuery(actor: .reconciler)).events.isEmpty)
    }

    @Test("The safety valve stops a mass deactivation; --force applies it")
    func safetyValve() async throws {
        directory.setUsers(["root", "alice"])
        let tripped = try await reconciler().run(dryRun: false)
        #expect(!tripped.applied && tripped.plan.safetyValve?.code == "max_share" && tripped.plan.deactivations == 4)
        #expect(try await status("bob") == .active)
        #expect(try await store.auditEvents(matching: AuditQuery(actor: .reconciler)).events.isEmpty)
        _ = try await reconciler().run(dryRun: false, force: true)
        #expect(try await status("bob") == .inactive)
    }

    @Test("A directory that lists nobody deactivates nobody")
    func emptyDirectory() async throws {
        directory.setUsers([])
        let outcome = try await reconciler().run(dryRun: false, force: true)
        #expect(!outcome.applied && outcome.plan.safetyValve?.code == "empty_directory")
        #expect(try await status("bob") == .active)
        #expect(try await store.auditEvents(matching: AuditQuery(actor: .reconciler)).events.isEmpty)
    }

    @Test("serve's scheduler runs again each interval, and a failed run does not stop it")
    func scheduled() async throws {
        directory.state.withLock { $0.failUsersAt = (startIndex: 1, status: 503) }
        let service = ReconciliationService(
            reconcilers: [try reconciler(interval: 0.05)],
            election: SingleNodeElection(),
            logger: Logger(label: "test")
        )
        let task = Task { try await service.run() }
        try await Task.sleep(for: .milliseconds(300))
        // The directory recovers and loses erin: a later run deactivates her.
        directory.setUsers(["root", "alice", "bob", "carol", "dave"])
        directory.state.withLock { $0.failUsersAt = nil }
        var deactivated = false
        for _ in 0..<100 where !deactivated {
            try await Task.sleep(for: .milliseconds(50))
            deactivated = try await status("erin") == .inactive
        }
        task.cancel()
        _ = await task.result
        #expect(deactivated)
        // At least one run failed first: its five tries of the first page all got 503.
        #expect(directory.state.withLock { $0.requests } >= 5)
    }

    @Test("Of two replicas only the elected one reconciles; when it dies the other takes over at its next poll")
    func electedReplica() async throws {
        let coordinator = Coordinator()
        let directories = [MemoryDirectory(), MemoryDirectory()]
        for replica in directories { replica.setUsers(["root", "alice", "bob", "carol", "dave", "erin"]) }
        func replica(_ index: Int) throws -> (ReplicaElection, Task<Void, any Error>) {
            let election = ReplicaElection(name: "replica-\(index)", coordinator: coordinator)
            let service = ReconciliationService(
                reconcilers: [try reconciler(interval: 0.05, directory: directories[index])],
                election: election,
                logger: Logger(label: "test")
            )
            return (election, Task { try await service.run() })
        }
        let (first, firstTask) = try replica(0)
        for _ in 0..<100 where directories[0].state.withLock({ $0.requests }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        let (_, secondTask) = try replica(1)
        try await Task.sleep(for: .milliseconds(400))
        #expect(directories[0].state.withLock { $0.requests } > 4, "the leader runs each interval")
        #expect(directories[1].state.withLock { $0.requests } == 0, "the follower never reads the directory")

        // The leader dies without resigning (SIGKILL): the coordinator frees its job.
        first.die()
        firstTask.cancel()
        _ = await firstTask.result
        var tookOver = false
        for _ in 0..<150 where !tookOver {
            try await Task.sleep(for: .milliseconds(20))
            tookOver = directories[1].state.withLock { $0.requests } > 0
        }
        #expect(tookOver, "the follower takes over within its poll (1 s here)")
        #expect(coordinator.holder.withLock { $0 } == "replica-1")
        secondTask.cancel()
        _ = await secondTask.result
        #expect(coordinator.holder.withLock { $0 } == nil, "a replica that stops resigns")
    }
}

/// What the database is to replicas' elections: who holds the one job.
final class Coordinator: Sendable {
    let holder = Mutex<String?>(nil)
}

/// One replica's view of the ``Coordinator``.
final class ReplicaElection: LeaderElection {
    let name: String
    let coordinator: Coordinator
    let dead = Mutex(false)

    init(name: String, coordinator: Coordinator) {
        self.name = name
        self.coordinator = coordinator
    }

    func lead(_ job: String) async -> Bool {
        guard !dead.withLock({ $0 }) else { return false }
        return coordinator.holder.withLock { holder in
            if holder == nil { holder = name }
            return holder == name
        }
    }

    func resign() async {
        coordinator.holder.withLock { if $0 == name { $0 = nil } }
    }

    /// The process is gone: its session, and so its lock, with it.
    func die() {
        dead.withLock { $0 = true }
        coordinator.holder.withLock { if $0 == name { $0 = nil } }
    }
}
