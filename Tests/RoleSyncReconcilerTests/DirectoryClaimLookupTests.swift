import Foundation
import InMemoryLogging
import Logging
import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncSQLite
import RoleSyncTestSupport
import Testing

/// A directory that cannot be reached.
struct UnreachableDirectory: HTTPTransport {
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        throw URLError(.cannotConnectToHost)
    }
}

/// A directory that never answers: the request ends only when cancelled.
struct SilentDirectory: HTTPTransport {
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        try await Task.sleep(for: .seconds(3_600))
        throw URLError(.timedOut)
    }
}

/// Which directory a test reads.
enum DirectoryKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case push
    case pull
    var testDescription: String { rawValue }
}

@Suite("Sign-in: distributed claims from the IdP's directory")
struct DirectoryClaimLookupTests {
    static let issuer = ReconcilerTests.issuer
    static let pushToken = String(repeating: "p", count: 40)

    let store: SQLiteLedgerStore
    let registry: MappingRegistry
    let clock = ManualClock()
    let directory = MemoryDirectory()
    let logs: InMemoryLogHandler

    init() throws {
        store = try SQLiteLedgerStore.inMemory()
        let mapping = try #require(MappingParser.parse(yaml: ReconcilerTests.mapping, file: "idp.yaml").mapping)
        registry = MappingRegistry(MappingSet.build([mapping]).set)
        var handler = InMemoryLogHandler()
        handler.logLevel = .info
        logs = handler
    }

    var now: Date { clock.now }

    func idp(_ lines: String = "") throws -> IdentityProviderSettings { try ReconcilerTests.idp(lines) }

    func idp(_ kind: DirectoryKind) throws -> IdentityProviderSettings {
        switch kind {
        case .push: try idp("scim_token: \(Self.pushToken)")
        case .pull: try idp(#"directory: { scim_url: "https://idp.example.com/scim/v2", token_env: DIRECTORY_TOKEN }"#)
        }
    }

    func lookup(
        _ idps: [IdentityProviderSettings],
        transport: any HTTPTransport,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) -> DirectoryClaimLookup {
        let clock = self.clock
        let logs = self.logs
        return DirectoryClaimLookup(
            idps: idps,
            store: store,
            transport: { _ in transport },
            timeout: .seconds(30),
            logger: Logger(label: "test", factory: { _ in logs }),
            now: { clock.now },
            sleep: sleep
        )
    }

    func sync(_ resolver: DirectoryClaimLookup?) -> SyncService {
        let clock = self.clock
        return SyncService(
            store: store,
            mappings: registry,
            logger: Logger(label: "test"),
            now: { clock.now },
            claimResolver: resolver.flatMap { $0.isEmpty ? nil : $0 }
        )
    }

    func sync(_ kind: DirectoryKind) throws -> SyncService {
        sync(lookup([try idp(kind)], transport: directory))
    }

    /// Entra ID's overage: `groups` named in `_claim_names`, not sent.
    static func overage(_ sub: String, email: String? = nil) -> Claims {
        Claims([
            "iss": .string(issuer), "sub": .string(sub), "email": .string(email ?? "\(sub)@example.com"), "name": .string("User \(sub)"),
            "_claim_names": .object(["groups": "src1"]),
            "_claim_sources": .object(["src1": .object(["endpoint": .string("https://graph.microsoft.com/v1.0/users/\(sub)/getMemberObjects")])]),
        ])
    }

    /// Puts `sub` in the directory (pushed entries or the SCIM server) with these groups; pushed
    /// entries are written `userAge` and `groupAge` seconds ago.
    func enroll(
        _ kind: DirectoryKind,
        _ sub: String,
        groups: [String],
        active: Bool = true,
        userAge: Double = 600,
        groupAge: Double = 240
    ) async throws {
        switch kind {
        case .pull:
            let (others, activeOthers) = directory.state.withLock { state in
                (
                    state.users.compactMap { $0["externalId"]?.stringValue },
                    state.users.filter { $0["active"] != .bool(false) }.compactMap { $0["externalId"]?.stringValue }
                )
            }
            directory.setUsers(others + [sub], active: Set(activeOthers + (active ? [sub] : [])))
            for group in groups {
                let members = directory.state.withLock { state in
                    state.groups.first { $0["displayName"] == .string(group) }.map(Self.memberSubjects) ?? []
                }
                directory.setGroup(group, members: members + [sub])
            }
        case .push:
            let user = DirectoryResource(
                issuer: Self.issuer,
                kind: .user,
                id: "u-\(sub)",
                externalId: sub,
                name: "\(sub)@example.com",
                attributes: ["externalId": .string(sub), "userName": .string("\(sub)@example.com"), "active": .bool(active)],
                version: 1,
                created: now.addingTimeInterval(-userAge),
                modified: now.addingTimeInterval(-userAge)
            )
            var writes: [DirectoryWrite] = [.insert(user)]
            for group in groups {
                let existing = try await store.directoryResource(issuer: Self.issuer, kind: .group, id: "g-\(group)")
                var resource =
                    existing
                    ?? DirectoryResource(
                        issuer: Self.issuer,
                        kind: .group,
                        id: "g-\(group)",
                        externalId: "ext-\(group)",
                        name: group,
                        attributes: ["displayName": .string(group)],
                        version: 1,
                        created: now.addingTimeInterval(-groupAge),
                        modified: now.addingTimeInterval(-groupAge)
                    )
                var members: [ClaimValue] = []
                if case .array(let listed)? = resource.attributes["members"] { members = listed }
                resource.attributes["members"] = .array(members + [.object(["value": .string("u-\(sub)")])])
                writes.append(existing.map { .update(resource, expectedVersion: $0.version) } ?? .insert(resource))
            }
            try await store.apply(writes, LedgerChanges())
        }
    }

    static func memberSubjects(_ group: [String: ClaimValue]) -> [String] {
        guard case .array(let members)? = group["members"] else { return [] }
        return members.compactMap { if case .object(let m) = $0 { m["value"]?.stringValue.map { String($0.dropFirst(2)) } } else { nil } }
    }

    func user(_ sub: String) async throws -> User {
        try #require(try await store.user(issuer: Self.issuer, subject: sub))
    }

    func events(_ sub: String, _ action: AuditAction) async throws -> [AuditEvent] {
        try await store.auditEvents(matching: AuditQuery(userID: try await user(sub).id, action: action, limit: 100)).events
    }

    /// Every condition of a decision's trace, nested ones included.
    static func sources(_ decision: Decision?) -> [String] {
        func all(_ c: ConditionTrace) -> [ConditionTrace] { [c] + c.children.flatMap(all) }
        return (decision?.trace ?? []).compactMap(\.condition).flatMap(all).compactMap(\.source)
    }

    var logText: String { logs.entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n") }

    // MARK: Resolved

    @Test("Pushed entries decide an overage user's role; the trace and the audit say SCIM push and the age")
    func push() async throws {
        try await enroll(.push, "alice", groups: ["finance"], userAge: 600, groupAge: 240)
        try await enroll(.push, "bob", groups: ["platform-admins"])
        let result = try await sync(.push).signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        #expect(result.isAllowed && result.user?.role == .billingAdmin && result.user?.roleSource == .idp)
        #expect(Self.sources(result.decision).contains("claim 'groups' from the directory (SCIM push), 4 min old"))
        let created = try #require(try await events("alice", .userCreated).first)
        #expect(
            created.details[.claimSources]
                == .object([
                    "groups": .object([
                        "source": "directory", "via": "scim", "as_of": .string(now.addingTimeInterval(-240).formatted(.iso8601)),
                        "age_seconds": 240,
                    ])
                ])
        )
        #expect(try await user("alice").lastClaims.values["groups"] == .array(["finance"]))
        #expect(!logText.contains("alice"), "no claim value in the logs:\n\(logText)")
    }

    @Test("A live SCIM read decides an overage user's role change, read now, with one filtered request per resource")
    func pull() async throws {
        _ = try await sync(nil).signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        #expect(try await user("alice").role == .user)
        try await enroll(.pull, "alice", groups: ["finance"])
        try await enroll(.pull, "bob", groups: ["platform-admins"])
        let result = try await sync(.pull).signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        #expect(result.user?.role == .billingAdmin)
        #expect(directory.state.withLock { $0.filters } == [#"externalId eq "alice""#, #"members.value eq "u-alice""#])
        #expect(Self.sources(result.decision).contains("claim 'groups' from the directory (SCIM pull), read now"))
        let changed = try #require(try await events("alice", .roleChanged).first)
        #expect(
            changed.details[.claimSources]
                == .object([
                    "groups": .object(["source": "directory", "via": "directory", "as_of": .string(now.formatted(.iso8601)), "age_seconds": 0])
                ])
        )
    }

    @Test("A directory that ignores filters gives the user only the groups that list them", arguments: [false, true])
    func answersAreChecked(ignoresFilters: Bool) async throws {
        try await enroll(.pull, "bob", groups: ["platform-admins"])
        try await enroll(.pull, "alice", groups: ["finance"])
        directory.state.withLock { $0.ignoresFilters = ignoresFilters }
        let result = try await sync(.pull).signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        #expect(result.user?.role == .billingAdmin)
        #expect(try await user("alice").lastClaims.values["groups"] == .array(["finance"]))
    }

    @Test("userName matches ignoring case, with the configured match claim, both ways", arguments: DirectoryKind.allCases)
    func matchByUserName(kind: DirectoryKind) async throws {
        try await enroll(kind, "alice", groups: ["finance"])
        let settings =
            kind == .push
            ? "scim_token: \(Self.pushToken)\ndirectory: { match_by: userName, match_claim: email }"
            : #"directory: { scim_url: "https://idp.example.com/scim/v2", token_env: DIRECTORY_TOKEN, match_by: userName, match_claim: email }"#
        let sync = sync(lookup([try idp(settings)], transport: directory))
        let result = try await sync.signIn(issuer: Self.issuer, claims: Self.overage("oid-1", email: "Alice@Example.com"))
        #expect(result.user?.role == .billingAdmin)
    }

    @Test("An IdP that pushes and has a directory URL is read from its pushed entries first, then live")
    func pushThenPull() async throws {
        try await enroll(.push, "alice", groups: ["finance"])
        try await enroll(.pull, "alice", groups: ["platform-admins"])
        try await enroll(.pull, "carol", groups: ["platform-admins"])
        let both = try idp("scim_token: \(Self.pushToken)\ndirectory: { scim_url: \"https://idp.example.com/scim/v2\", token_env: DIRECTORY_TOKEN }")
        let sync = sync(lookup([both], transport: directory))
        #expect(try await sync.signIn(issuer: Self.issuer, claims: Self.overage("alice")).user?.role == .billingAdmin)
        #expect(directory.state.withLock { $0.requests } == 0)
        let carol = try await sync.signIn(issuer: Self.issuer, claims: Self.overage("carol"))
        #expect(carol.user?.role == .superAdmin && carol.decision?.claimSources["groups"]?.via == .scimPull)
    }

    // MARK: Left unknown

    @Test("Without a directory the claim stays unknown: the role is kept and the undetermined decision audited")
    func noDirectory() async throws {
        let lookup = lookup([try idp()], transport: directory)
        #expect(lookup.isEmpty)
        let sync = sync(lookup)
        let first = try await sync.signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        #expect(first.isAllowed && first.user?.role == .user && first.user?.roleSource == .default)
        let undetermined = try #require(try await events("alice", .decisionUndetermined).first)
        #expect(undetermined.details[.unknownClaims] == .array(["groups"]) && undetermined.details[.claimSources] == nil)
        #expect(try await user("alice").lastClaims.unknownNames == ["groups"])
    }

    @Test("A user the directory does not know (or lists inactive) keeps the unknown rule", arguments: DirectoryKind.allCases)
    func unknownUser(kind: DirectoryKind) async throws {
        try await enroll(kind, "bob", groups: ["finance"])
        try await enroll(kind, "dave", groups: ["finance"], active: false)
        let sync = try sync(kind)
        for sub in ["alice", "dave"] {
            let result = try await sync.signIn(issuer: Self.issuer, claims: Self.overage(sub))
            #expect(result.isAllowed && result.user?.role == .user)
            #expect(result.decision?.unknownClaims == ["groups"] && result.decision?.claimSources.isEmpty == true)
            #expect(try await events(sub, .decisionUndetermined).count == 1)
        }
        let outcomes = logs.entries.compactMap { $0.metadata["outcome"].map { "\($0)" } }
        #expect(outcomes == ["unknown_user", "inactive"])
    }

    @Test("A directory that cannot be reached leaves the claim unknown and is logged; the sign-in goes on")
    func unreachable() async throws {
        try await enroll(.pull, "alice", groups: ["finance"])
        _ = try await sync(nil).signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        let result = try await sync(lookup([try idp(.pull)], transport: UnreachableDirectory())).signIn(
            issuer: Self.issuer,
            claims: Self.overage("alice")
        )
        #expect(result.isAllowed && result.user?.role == .user)
        #expect(result.events.map(\.action) == [.decisionUndetermined])
        let warning = try #require(logs.entries.first { $0.level == .warning })
        #expect("\(warning.message)" == "directory unreadable; distributed claims left unknown")
        #expect(warning.metadata["idp"] == "idp.example.com" && warning.metadata["reason"] == "scim_unreachable")
    }

    @Test("A directory that does not answer in time is given up; the sign-in goes on without it")
    func timeout() async throws {
        let result = try await sync(lookup([try idp(.pull)], transport: SilentDirectory(), sleep: { _ in }))
            .signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        #expect(result.isAllowed && result.decision?.unknownClaims == ["groups"])
        #expect(logs.entries.contains { "\($0.message)" == "directory did not answer in time; distributed claims left unknown" })
    }

    // MARK: Reconciliation

    @Test("Reconciliation lays the directory's groups over an overage user's stored claims")
    func reconciliation() async throws {
        _ = try await sync(nil).signIn(issuer: Self.issuer, claims: Self.overage("alice"))
        #expect(try await user("alice").lastClaims.unknownNames == ["groups"])
        try await enroll(.pull, "alice", groups: ["finance"])
        let reconciler = try Reconciler(idp: try idp(.pull), sync: sync(nil), transport: directory, logger: Logger(label: "test"), sleep: { _ in })
        let outcome = try await reconciler.run(dryRun: false)
        #expect(outcome.applied)
        let alice = try await user("alice")
        #expect(alice.role == .billingAdmin && alice.roleSource == .idp)
        #expect(alice.lastClaims.unknownNames.isEmpty && alice.lastClaims.values["groups"] == .array(["finance"]))
    }
}
