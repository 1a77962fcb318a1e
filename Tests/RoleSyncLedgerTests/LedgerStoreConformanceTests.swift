import Foundation
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncPostgres
import RoleSyncSQLite
import RoleSyncTestSupport
import Synchronization
import Testing

/// A fresh store of one kind, seen only through the protocols: what every `LedgerStore` (and
/// `DirectoryStore`) must do, whatever engine is behind it.
struct StoreUnderTest: Sendable {
    let store: any LedgerStore & DirectoryStore & DirectorySyncStore & WebhookOutboxStore
    /// Keeps an on-disk store's folder until the test is done.
    let scratch: ScratchFolder?
    /// Keeps a PostgreSQL store's database and client until the test is done.
    let postgres: ScratchPostgresStore?

    init(_ kind: ConformanceKind) async throws {
        switch kind {
        case .memory:
            store = try SQLiteLedgerStore.inMemory()
            scratch = nil
            postgres = nil
        case .disk:
            let scratch = try ScratchFolder("conformance")
            store = try SQLiteLedgerStore(path: scratch.path("ledger.sqlite"))
            self.scratch = scratch
            postgres = nil
        case .postgres:
            let postgres = try await ScratchPostgresStore()
            store = postgres.store
            scratch = nil
            self.postgres = postgres
        }
    }

    static let issuer = "https://idp.example.com"
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func user(_ subject: String, role: Role = .user, email: String? = nil, name: String? = nil, status: UserStatus = .active) -> User {
        User(
            id: UserID(0),
            issuer: issuer,
            subject: subject,
            email: email ?? "\(subject)@example.com",
            name: name ?? "User \(subject)",
            organizationUnit: nil,
            role: role,
            roleSource: .idp,
            status: status,
            deactivationReason: status == .inactive ? .idp : nil,
            deactivationSource: status == .inactive ? .mapping : nil,
            registeredAt: epoch,
            lastSignInAt: epoch,
            signInCount: 1,
            lastClaims: Claims(["sub": .string(subject), "email": .string(email ?? "\(subject)@example.com")]),
            version: 1
        )
    }

    static func event(
        _ action: AuditAction,
        at offset: TimeInterval = 0,
        actor: Actor = .idp,
        _ details: [AuditKey: ClaimValue] = [:]
    )
        -> AuditEvent
    {
        AuditEvent(time: epoch.addingTimeInterval(offset), actor: actor, action: action, details: details)
    }

    /// Inserts users and returns them as stored.
    @discardableResult
    func insert(_ users: User...) async throws -> [User] {
        let ids = try await store.apply(LedgerChanges(users: users.map { .init(write: .insert($0)) }))
        var stored: [User] = []
        for id in ids { stored.append(try #require(try await store.user(id: id))) }
        return stored
    }

    func session(_ token: String, of user: UserID, lastSeen: TimeInterval = 0) -> Session {
        Session(
            tokenHash: token,
            userID: user,
            createdAt: Self.epoch,
            expiresAt: Self.epoch.addingTimeInterval(86_400),
            lastSeenAt: Self.epoch.addingTimeInterval(lastSeen)
        )
    }

    func key(_ hash: String, of user: UserID, name: String? = nil, at offset: TimeInterval = 0, expiresAfter: TimeInterval? = nil) -> APIKey {
        APIKey(
            id: 0,
            userID: user,
            name: name ?? "ci-\(hash)",
            purpose: .gateway,
            prefix: "rsk_\(hash)…",
            keyHash: hash,
            createdAt: Self.epoch.addingTimeInterval(offset),
            expiresAt: expiresAfter.map { Self.epoch.addingTimeInterval(offset + $0) }
        )
    }

    static let revocation = KeyRevocation(time: epoch.addingTimeInterval(60), actor: .cli, cause: .deactivation, reason: "test")
}

/// The stores the conformance suite runs against: SQLite in memory and on disk always, PostgreSQL
/// when `ROLESYNC_POSTGRES_URL` names a server (`.ci/run` starts one).
enum ConformanceKind: String, CustomTestStringConvertible, Sendable {
    case memory, disk, postgres
    var testDescription: String { rawValue }

    static var all: [ConformanceKind] { ScratchPostgres.isConfigured ? [.memory, .disk, .postgres] : [.memory, .disk] }
}

/// Every `LedgerStore` requirement, run against each store the project has. A new engine passes
/// this suite before it is used anywhere.
@Suite("LedgerStore conformance")
struct LedgerStoreConformanceTests {
    @Test("Inserted users are read back by id, by identity and by email (ignoring case)", arguments: ConformanceKind.all)
    func insertAndRead(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ids = try await s.store.apply(
            LedgerChanges(users: [
                .init(write: .insert(StoreUnderTest.user("ann", email: "Ann@Example.com")), audit: [StoreUnderTest.event(.userCreated)]),
                .init(write: .insert(StoreUnderTest.user("bob"))),
            ])
        )
        #expect(ids.count == 2 && ids[0] != ids[1])
        let ann = try #require(try await s.store.user(id: ids[0]))
        #expect(ann.subject == "ann" && ann.version == 1 && ann.email == "Ann@Example.com")
        #expect(ann.lastClaims == StoreUnderTest.user("ann", email: "Ann@Example.com").lastClaims)
        #expect(try await s.store.user(issuer: StoreUnderTest.issuer, subject: "bob")?.id == ids[1])
        #expect(try await s.store.user(issuer: "https://other.example.com", subject: "bob") == nil)
        #expect(try await s.store.users(email: "ann@example.COM").map(\.id) == [ids[0]])
        #expect(try await s.store.userCount() == 2)
        // An insert's events are about the new user.
        let created = try await s.store.auditEvents(matching: AuditQuery(action: .userCreated)).events
        #expect(created.map(\.userID) == [ids[0]])
    }

    @Test("(issuer, subject) is unique: a second insert conflicts and the whole change is undone", arguments: ConformanceKind.all)
    func identityUnique(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        try await s.insert(StoreUnderTest.user("ann"))
        await #expect(throws: LedgerStoreError.conflict(.identityExists(issuer: StoreUnderTest.issuer, subject: "ann"))) {
            try await s.store.apply(
                LedgerChanges(
                    users: [
                        .init(write: .insert(StoreUnderTest.user("carl")), audit: [StoreUnderTest.event(.userCreated)]),
                        .init(write: .insert(StoreUnderTest.user("ann"))),
                    ],
                    audit: [StoreUnderTest.event(.signInRefused)]
                )
            )
        }
        #expect(try await s.store.userCount() == 1)
        #expect(try await s.store.user(issuer: StoreUnderTest.issuer, subject: "carl") == nil)
        #expect(try await s.store.auditEvents(matching: AuditQuery()).events.isEmpty)
    }

    @Test("An update applies only at its expected version, and bumps it", arguments: ConformanceKind.all)
    func versionedUpdate(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        var ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        ann.role = .billingAdmin
        ann.name = nil
        ann.deactivationSource = .directory
        try await s.store.apply(LedgerChanges(users: [.init(write: .update(ann, expectedVersion: 1))]))
        let stored = try #require(try await s.store.user(id: ann.id))
        #expect(stored.version == 2 && stored.role == .billingAdmin && stored.name == nil && stored.deactivationSource == .directory)
        ann.role = .userAdmin
        await #expect(throws: LedgerStoreError.conflict(.staleUser(ann.id))) {
            try await s.store.apply(
                LedgerChanges(users: [.init(write: .update(ann, expectedVersion: 1), audit: [StoreUnderTest.event(.roleChanged)])])
            )
        }
        #expect(try await s.store.user(id: ann.id)?.role == .billingAdmin)
        #expect(try await s.store.auditEvents(matching: AuditQuery()).events.isEmpty)
    }

    @Test("A change without a row write records its events about the user", arguments: ConformanceKind.all)
    func eventsOnly(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.store.apply(LedgerChanges(users: [.init(write: .none(ann.id), audit: [StoreUnderTest.event(.editRefused, [.reason: "x"])])]))
        let events = try await s.store.auditEvents(matching: AuditQuery(userID: ann.id)).events
        #expect(events.map(\.action) == [.editRefused])
        #expect(events.first?.details == [.reason: "x"])
        #expect(try await s.store.user(id: ann.id)?.version == 1)
    }

    @Test("A change that would leave no active super_admin conflicts and writes nothing", arguments: ConformanceKind.all)
    func lastSuperAdmin(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("root", role: .superAdmin), StoreUnderTest.user("ann"))
        #expect(try await s.store.activeSuperAdminCount() == 1)
        var root = users[0]
        root.role = .user
        await #expect(throws: LedgerStoreError.conflict(.noActiveSuperAdmin)) {
            try await s.store.apply(LedgerChanges(users: [.init(write: .update(root, expectedVersion: 1))], requiresActiveSuperAdmin: true))
        }
        #expect(try await s.store.user(id: root.id)?.role == .superAdmin)
        var ann = users[1]
        ann.role = .superAdmin
        try await s.store.apply(
            LedgerChanges(
                users: [.init(write: .update(ann, expectedVersion: 1)), .init(write: .update(root, expectedVersion: 1))],
                requiresActiveSuperAdmin: true
            )
        )
        #expect(try await s.store.activeSuperAdminCount() == 1)
        #expect(try await s.store.user(id: ann.id)?.role == .superAdmin)
    }

    @Test("Revocations run in the ledger's order and the ledger's event records what they took away", arguments: ConformanceKind.all)
    func revocations(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("ann"), StoreUnderTest.user("bob"))
        for (token, user) in [("a1", users[0]), ("a2", users[0]), ("b1", users[1])] {
            try await s.store.insertSession(s.session(token, of: user.id))
            _ = try await s.store.insertKey(s.key("k-\(token)", of: user.id), audit: StoreUnderTest.event(.keyCreated))
        }
        // Sessions only: the keys stay, and the event says nothing of them.
        try await s.store.apply(
            LedgerChanges(users: [
                .init(write: .none(users[1].id), revoking: [.endSessions], audit: [StoreUnderTest.event(.sessionsEnded, [.reason: "test"])])
            ])
        )
        #expect(try await s.store.sessionCount(userID: users[1].id) == 0)
        #expect(try await s.store.keys(ownerID: users[1].id).filter { $0.revokedAt == nil }.count == 1)
        let partial = try #require(try await s.store.auditEvents(matching: AuditQuery(userID: users[1].id, action: .sessionsEnded)).events.first)
        #expect(partial.details == [.reason: "test", .sessions: 1])
        // Everything, with the row written after.
        var ann = users[0]
        ann.status = .inactive
        ann.deactivationReason = .manual
        try await s.store.apply(
            LedgerChanges(users: [
                .init(
                    write: .update(ann, expectedVersion: 1),
                    revoking: .everything(StoreUnderTest.revocation),
                    audit: [StoreUnderTest.event(.sessionsEnded, [.reason: "test"]), StoreUnderTest.event(.statusChanged)]
                )
            ])
        )
        #expect(try await s.store.sessionCount(userID: ann.id) == 0)
        let revoked = try await s.store.keys(ownerID: ann.id)
        #expect(revoked.count == 2 && revoked.allSatisfy { $0.revokedAt == StoreUnderTest.revocation.time && $0.revocationCause == .deactivation })
        #expect(try await s.store.keys(ownerID: users[1].id).allSatisfy { $0.revokedAt == nil })
        #expect(try await s.store.session(tokenHash: "b1") == nil)
        // Keys first (one event each, in key order), then what the ledger wrote.
        let events = try await s.store.auditEvents(matching: AuditQuery(userID: ann.id)).events.reversed().filter { $0.action != .keyCreated }
        #expect(events.map(\.action) == [.keyRevoked, .keyRevoked, .sessionsEnded, .statusChanged])
        #expect(events.first?.details[.prefix] == "rsk_k-a1…" && events.first?.details[.cause] == "deactivation")
        #expect(events[2].details == [.reason: "test", .sessions: 2, .apiKeysRevoked: 2])
    }

    @Test("decide reads and writes in one transaction: concurrent first sign-ins create one user", arguments: ConformanceKind.all)
    func decideIsAtomic(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let store = s.store
        let created = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let (isNew, _) = try await store.decide(issuer: StoreUnderTest.issuer, subject: "same") { user, _ in
                        guard user == nil else { return (LedgerChanges(), false) }
                        return (LedgerChanges(users: [.init(write: .insert(StoreUnderTest.user("same")))]), true)
                    }
                    return isNew
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(created == 1)
        #expect(try await s.store.userCount() == 1)
    }

    @Test("decide writes nothing when it throws, and reads the super_admin count on demand", arguments: ConformanceKind.all)
    func decideFailure(_ kind: ConformanceKind) async throws {
        struct Refused: Error {}
        let s = try await StoreUnderTest(kind)
        try await s.insert(StoreUnderTest.user("root", role: .superAdmin))
        await #expect(throws: Refused.self) {
            _ = try await s.store.decide(issuer: StoreUnderTest.issuer, subject: "ann") { _, _ -> (LedgerChanges, Int) in throw Refused() }
        }
        let (count, ids) = try await s.store.decide(issuer: StoreUnderTest.issuer, subject: "root") { user, superAdmins in
            (LedgerChanges(), user == nil ? -1 : try superAdmins())
        }
        #expect(count == 1 && ids.isEmpty)
        #expect(try await s.store.userCount() == 1)
    }

    @Test("Every user is visited once, in id order, a batch at a time", arguments: ConformanceKind.all)
    func batches(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(
            StoreUnderTest.user("a"),
            StoreUnderTest.user("b"),
            StoreUnderTest.user("c"),
            StoreUnderTest.user("d"),
            StoreUnderTest.user("e"),
            StoreUnderTest.user("f"),
            StoreUnderTest.user("g")
        )
        let seen = Collector<[UserID]>()
        try await s.store.forEachUserBatch(size: 3) { batch in seen.append(batch.map(\.id)) }
        #expect(seen.values.map(\.count) == [3, 3, 1])
        #expect(seen.values.flatMap { $0 } == users.map(\.id))
    }

    @Test("A claim of the last sign-in finds users, exactly or ignoring case", arguments: ConformanceKind.all)
    func usersByClaim(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("ann", email: "Ann@Example.com"), StoreUnderTest.user("bob"))
        #expect(try await s.store.users(issuer: StoreUnderTest.issuer, claim: "email", equals: "ann@example.com", ignoringCase: false).isEmpty)
        #expect(
            try await s.store.users(issuer: StoreUnderTest.issuer, claim: "email", equals: "ann@example.com", ignoringCase: true).map(\.id)
                == [users[0].id]
        )
        #expect(try await s.store.users(issuer: StoreUnderTest.issuer, claim: "sub", equals: "bob", ignoringCase: false).map(\.id) == [users[1].id])
        #expect(try await s.store.users(issuer: "https://other.example.com", claim: "sub", equals: "bob", ignoringCase: false).isEmpty)
        // A claim name is data, never SQL or a path expression of its own.
        #expect(try await s.store.users(issuer: StoreUnderTest.issuer, claim: "sub\" OR 1=1 --", equals: "bob", ignoringCase: false).isEmpty)
    }

    @Test("The audit log filters by user, action, actor and time, newest first, a page at a time", arguments: ConformanceKind.all)
    func auditQueries(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("ann"), StoreUnderTest.user("bob"))
        for (i, (user, action)) in [(0, AuditAction.roleChanged), (1, .statusChanged), (0, .statusChanged), (0, .sessionsEnded)].enumerated() {
            try await s.store.apply(
                LedgerChanges(users: [
                    .init(write: .none(users[user].id), audit: [StoreUnderTest.event(action, at: Double(i) * 60, actor: i == 2 ? .cli : .idp)])
                ])
            )
        }
        let all = try await s.store.auditEvents(matching: AuditQuery()).events
        #expect(all.map(\.action) == [.sessionsEnded, .statusChanged, .statusChanged, .roleChanged])
        #expect(try await s.store.auditEvents(matching: AuditQuery(userID: users[0].id)).events.count == 3)
        #expect(try await s.store.auditEvents(matching: AuditQuery(action: .statusChanged)).events.count == 2)
        #expect(try await s.store.auditEvents(matching: AuditQuery(actor: .cli)).events.map(\.userID) == [users[0].id])
        let window = AuditQuery(since: StoreUnderTest.epoch.addingTimeInterval(60), until: StoreUnderTest.epoch.addingTimeInterval(180))
        #expect(try await s.store.auditEvents(matching: window).events.count == 2)
        var paged: [AuditEvent] = []
        var cursor: String?
        repeat {
            let page = try await s.store.auditEvents(matching: AuditQuery(limit: 3, cursor: cursor))
            paged += page.events
            cursor = page.nextCursor
        } while cursor != nil
        #expect(paged == all)
        await #expect(throws: LedgerStoreError.invalidCursor) { try await s.store.auditEvents(matching: AuditQuery(cursor: "nope")) }
        #expect(try await s.store.auditCounts(userID: users[0].id) == [.roleChanged: 1, .statusChanged: 1, .sessionsEnded: 1])
        // The detail's read model: the same counts, the newest events, and the sessions open now.
        let activity = try await s.store.activity(of: users[0].id, recent: 2)
        #expect(activity.counts == [.roleChanged: 1, .statusChanged: 1, .sessionsEnded: 1])
        #expect(activity.recent.map(\.action) == [.sessionsEnded, .statusChanged])
        #expect(activity.lastRefusal == nil && activity.activeSessions == 0)
    }

    @Test(
        "The audit stream hands out every committed event once, oldest first, from the start, a position or the head",
        arguments: ConformanceKind.all
    )
    func auditStream(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        func record(_ actions: AuditAction...) async throws {
            for action in actions {
                try await s.store.apply(LedgerChanges(users: [.init(write: .none(ann.id), audit: [StoreUnderTest.event(action)])]))
            }
        }
        try await record(.roleChanged, .statusChanged, .sessionsEnded)
        let first = try await s.store.auditStream(after: .start, atLeast: 3)
        #expect(first.map(\.event.action) == [.roleChanged, .statusChanged, .sessionsEnded])
        #expect(first.map(\.position) == first.map(\.position).sorted() && Set(first.map(\.position)).count == 3)
        #expect(first.map(\.event.id) == first.map(\.position.eventID))

        // From the head: everything that commits later (and, on PostgreSQL, perhaps events of
        // transactions newer than the oldest one running when the head was read: at least once).
        let head = try await s.store.auditStreamHead()
        try await record(.keyRevoked, .keyCreated)
        let later = try await s.store.auditStream(after: head, atLeast: 2).map(\.event)
        #expect(later.suffix(2).map(\.action) == [.keyRevoked, .keyCreated])
        #expect(later.dropLast(2).allSatisfy { event in first.contains { $0.event == event } })

        // A batch at a time, resuming from the last position, reads the whole log once.
        var paged: [AuditEvent] = []
        var position = AuditStreamPosition.start
        let deadline = ContinuousClock.now + .seconds(10)
        while paged.count < 5, ContinuousClock.now < deadline {
            let batch = try await s.store.auditStream(after: position, limit: 2)
            guard let last = batch.last else {
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            paged += batch.map(\.event)
            position = last.position
        }
        #expect(paged.map(\.action) == [.roleChanged, .statusChanged, .sessionsEnded, .keyRevoked, .keyCreated])

        // An event's own position resumes right after it; an unknown id has none.
        let second = try #require(first[1].event.id)
        let resumed = try #require(try await s.store.auditStreamPosition(ofEvent: second))
        #expect(resumed == first[1].position)
        #expect(try await s.store.auditStream(after: resumed, atLeast: 3).map(\.event.action) == [.sessionsEnded, .keyRevoked, .keyCreated])
        #expect(try await s.store.auditStreamPosition(ofEvent: 999_999) == nil)

        // A stream's filter selects by user, action and actor.
        let revoked = try #require(later.last { $0.action == .keyRevoked })
        let keyCreated = try #require(later.last)
        #expect(AuditQuery(action: .keyRevoked).selects(revoked))
        #expect(!AuditQuery(action: .keyRevoked).selects(keyCreated))
        #expect(AuditQuery(userID: ann.id, actor: .idp).selects(revoked))
        #expect(!AuditQuery(userID: UserID(ann.id.rawValue + 1)).selects(revoked))
    }

    @Test("A user's activity: counts, newest events, the last refused sign-in and open sessions, read together", arguments: ConformanceKind.all)
    func activity(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        var events: [AuditEvent] = []
        for (offset, action) in [AuditAction.signInRefused, .roleChanged, .signInRefused, .roleChanged].enumerated() {
            var event = StoreUnderTest.event(action, at: TimeInterval(offset), [.reason: .string("number \(offset)")])
            event.userID = ann.id
            events.append(event)
        }
        try await s.store.apply(LedgerChanges(audit: events))
        for token in ["a", "b"] {
            try await s.store.insertSession(
                Session(
                    tokenHash: token,
                    userID: ann.id,
                    createdAt: StoreUnderTest.epoch,
                    expiresAt: StoreUnderTest.epoch + 3600,
                    lastSeenAt: StoreUnderTest.epoch
                )
            )
        }
        let activity = try await s.store.activity(of: ann.id, recent: 3)
        #expect(activity.counts == [.signInRefused: 2, .roleChanged: 2])
        #expect(activity.recent.map(\.action) == [.roleChanged, .signInRefused, .roleChanged])
        #expect(activity.lastRefusal?.details[.reason] == "number 2")
        #expect(activity.activeSessions == 2)
        let nobody = try await s.store.activity(of: UserID(ann.id.rawValue + 99), recent: 3)
        #expect(nobody == UserActivity(counts: [:], recent: [], lastRefusal: nil, activeSessions: 0))
    }

    @Test("Recorded sign-ins only move the last sign-in forward and add to the count, never the version", arguments: ConformanceKind.all)
    func recordedSignIns(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.store.recordSignIn(of: ann.id, at: StoreUnderTest.epoch.addingTimeInterval(100))
        try await s.store.recordSignIn(of: ann.id, at: StoreUnderTest.epoch.addingTimeInterval(50))
        try await s.store.flushSignIns()
        let stored = try #require(try await s.store.user(id: ann.id))
        #expect(stored.lastSignInAt == StoreUnderTest.epoch.addingTimeInterval(100))
        #expect(stored.signInCount == 3)
        #expect(stored.version == 1)
    }

    @Test("Sessions are stored by hash, touched, counted and deleted", arguments: ConformanceKind.all)
    func sessions(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.store.insertSession(s.session("h1", of: ann.id))
        try await s.store.insertSession(s.session("h2", of: ann.id))
        #expect(try await s.store.session(tokenHash: "h1") == s.session("h1", of: ann.id))
        try await s.store.touchSession(tokenHash: "h1", at: StoreUnderTest.epoch.addingTimeInterval(90))
        #expect(try await s.store.session(tokenHash: "h1")?.lastSeenAt == StoreUnderTest.epoch.addingTimeInterval(90))
        #expect(try await s.store.sessionCount(userID: ann.id) == 2)
        #expect(try await s.store.deleteSession(tokenHash: "h1"))
        #expect(try await !s.store.deleteSession(tokenHash: "h1"))
        #expect(try await s.store.session(tokenHash: "h1") == nil)
        #expect(try await s.store.sessionCount(userID: ann.id) == 1)
    }

    @Test("API keys are stored by hash with their event; a name is unique among the owner's active keys", arguments: ConformanceKind.all)
    func keys(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("ann"), StoreUnderTest.user("bob"))
        let first = try await s.store.insertKey(s.key("x1", of: users[0].id, name: "ci"), audit: StoreUnderTest.event(.keyCreated))
        let second = try await s.store.insertKey(s.key("x2", of: users[1].id, name: "ci", at: 1), audit: StoreUnderTest.event(.keyCreated))
        await #expect(throws: LedgerStoreError.conflict(.keyNameTaken("CI"))) {
            try await s.store.insertKey(s.key("x3", of: users[0].id, name: "CI", at: 2), audit: StoreUnderTest.event(.keyCreated))
        }
        // An expired key's name is free again.
        let short = try await s.store.insertKey(
            s.key("x4", of: users[0].id, name: "short", at: 3, expiresAfter: 10),
            audit: StoreUnderTest.event(.keyCreated)
        )
        let reused = try await s.store.insertKey(s.key("x5", of: users[0].id, name: "short", at: 20), audit: StoreUnderTest.event(.keyCreated))
        let found = try #require(try await s.store.credential(hash: "x1"))
        #expect(found.keyID == first && found.owner.id == users[0].id && found.owner.status == .active && found.purpose == .gateway)
        #expect(found.name == "ci")
        #expect(found.owner.email == users[0].email && found.createdAt == StoreUnderTest.epoch && found.expiresAt == nil && !found.isRevoked)
        #expect(try await s.store.credential(hash: "nope") == nil)
        #expect(try await s.store.key(id: second)?.key.keyHash == "x2")
        #expect(try await s.store.keys(ownerID: users[0].id).map(\.id) == [reused, short, first])
        let created = try await s.store.auditEvents(matching: AuditQuery(action: .keyCreated)).events
        #expect(created.count == 4 && created.last?.details[.keyID] == .number(Double(first)))

        // Revocation: once, by owner when asked, with its event in the same transaction.
        #expect(try await s.store.revokeKey(id: first, ownerID: users[1].id, StoreUnderTest.revocation) == nil)
        guard case .revoked(let revoked)? = try await s.store.revokeKey(id: first, ownerID: users[0].id, StoreUnderTest.revocation) else {
            Issue.record("not revoked")
            return
        }
        #expect(revoked.key.revokedBy == .cli && revoked.key.revocationReason == "test" && revoked.owner.id == users[0].id)
        #expect(try await s.store.credential(hash: "x1")?.isRevoked == true)
        guard case .alreadyRevoked(let again)? = try await s.store.revokeKey(id: first, ownerID: nil, StoreUnderTest.revocation) else {
            Issue.record("revoked twice")
            return
        }
        #expect(again.revokedAt == StoreUnderTest.revocation.time)
        #expect(try await s.store.revokeKey(id: 999, ownerID: nil, StoreUnderTest.revocation) == nil)
        #expect(try await s.store.auditEvents(matching: AuditQuery(action: .keyRevoked)).events.count == 1)
    }

    @Test("Several keys are revoked in one transaction, each with its event; a refusal writes nothing", arguments: ConformanceKind.all)
    func revokeKeys(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("ann"), StoreUnderTest.user("bob"))
        var made: [Int64] = []
        for (index, owner) in [users[0], users[1], users[0]].enumerated() {
            made.append(
                try await s.store.insertKey(
                    s.key("b\(index)", of: owner.id, name: "batch-\(index)", at: TimeInterval(index)),
                    audit: StoreUnderTest.event(.keyCreated)
                )
            )
        }
        let ids = made
        struct Refused: Error {}
        // A refusal of the last key, after the first two were revoked inside the transaction.
        await #expect(throws: Refused.self) {
            try await s.store.revokeKeys(ids: ids) { id, _ in
                if id == ids[2] { throw Refused() }
                return StoreUnderTest.revocation
            }
        }
        #expect(try await s.store.keys(ownerID: users[0].id).allSatisfy { $0.revokedAt == nil })
        #expect(try await s.store.auditEvents(matching: AuditQuery(action: .keyRevoked)).events.isEmpty)

        // A missing id is asked about with nil; a nil answer leaves a key as it is.
        let seen = Mutex<[Int64]>([])
        let revoked = try await s.store.revokeKeys(ids: [ids[2], 999, ids[1], ids[0]]) { id, owned in
            seen.withLock { $0.append(id) }
            return owned == nil || id == ids[1] ? nil : StoreUnderTest.revocation
        }
        #expect(seen.withLock { $0 } == [ids[2], 999, ids[1], ids[0]])
        #expect(revoked.map(\.key.id) == [ids[2], ids[0]] && revoked.allSatisfy { $0.owner.id == users[0].id })
        #expect(revoked.allSatisfy { $0.key.revokedAt == StoreUnderTest.revocation.time && $0.key.revocationReason == "test" })
        #expect(try await s.store.credential(hash: "b1")?.isRevoked == false)
        #expect(try await s.store.credential(hash: "b2")?.isRevoked == true)
        let events = try await s.store.auditEvents(matching: AuditQuery(action: .keyRevoked)).events
        #expect(Set(events.compactMap { $0.details[.keyID] }) == [.number(Double(ids[0])), .number(Double(ids[2]))])
        #expect(events.allSatisfy { $0.userID == users[0].id })
    }

    @Test(
        "An access review's reads: active keys per user, the last role change per user; a review stored with its event",
        arguments: ConformanceKind.all
    )
    func accessReviews(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(
            StoreUnderTest.user("ann", role: .superAdmin),
            StoreUnderTest.user("bob", role: .userAdmin),
            StoreUnderTest.user("cy")
        )
        let (ann, bob, cy) = (users[0].id, users[1].id, users[2].id)
        _ = try await s.store.insertKey(s.key("a1", of: ann, name: "one"), audit: StoreUnderTest.event(.keyCreated))
        let used = try await s.store.insertKey(s.key("a2", of: ann, name: "two", at: 1), audit: StoreUnderTest.event(.keyCreated))
        let gone = try await s.store.insertKey(s.key("a3", of: ann, name: "three", at: 2), audit: StoreUnderTest.event(.keyCreated))
        _ = try await s.store.insertKey(s.key("a4", of: ann, name: "short", at: 3, expiresAfter: 10), audit: StoreUnderTest.event(.keyCreated))
        _ = try await s.store.insertKey(s.key("b1", of: bob, name: "bob"), audit: StoreUnderTest.event(.keyCreated))
        _ = try await s.store.revokeKey(id: gone, ownerID: nil, StoreUnderTest.revocation)
        try await s.store.recordKeyUses([KeyUse(keyID: used, requestsByDay: [1: 1], lastUsedAt: StoreUnderTest.epoch.addingTimeInterval(30))])
        let unrevoked = try await s.store.unrevokedKeys(ownerIDs: [ann, bob, cy])
        #expect(unrevoked.map(\.name) == ["one", "two", "short", "bob"], "the revoked key left out; the expired one is the ledger's to judge")
        #expect(unrevoked.first { $0.name == "two" }?.lastUsedAt == StoreUnderTest.epoch.addingTimeInterval(30))
        #expect(unrevoked.allSatisfy { $0.userID == ann || $0.userID == bob })

        func change(_ user: UserID, at offset: TimeInterval, by actor: Actor) -> AuditEvent {
            var event = StoreUnderTest.event(.roleChanged, at: offset, actor: actor, [.from: "user", .to: "user_admin"])
            event.userID = user
            return event
        }
        try await s.store.apply(
            LedgerChanges(audit: [change(bob, at: 10, by: .cli), change(bob, at: 20, by: .user(ann)), change(ann, at: 5, by: .idp)])
        )
        var other = StoreUnderTest.event(.statusChanged, at: 30)
        other.userID = bob
        try await s.store.apply(LedgerChanges(audit: [other]))
        let changes = try await s.store.lastRoleChanges(of: [ann, bob, cy])
        #expect(changes[bob]?.actor == .user(ann) && changes[bob]?.time == StoreUnderTest.epoch.addingTimeInterval(20))
        #expect(changes[ann]?.actor == .idp && changes[cy] == nil)

        var row = AccessReviewRow(
            userID: bob,
            name: "Bob, \"B\"",
            email: "bob@example.com",
            role: .userAdmin,
            basis: .manual,
            lastSignInAt: nil,
            activeKeys: 1,
            keysLastUsedAt: nil
        )
        row.changedBy = "user:\(ann.rawValue)"
        row.changedAt = StoreUnderTest.epoch.addingTimeInterval(20)
        row.decision = .revoke
        let summary = AccessReviewSummary(
            id: 0,
            completedAt: StoreUnderTest.epoch.addingTimeInterval(40),
            reviewer: .user(ann),
            reviewerName: nil,
            holders: 1,
            kept: 0,
            revoked: 1,
            digest: try AccessReview.digest(of: [row])
        )
        let id = try await s.store.insertAccessReview(
            AccessReview(summary: summary, rows: [row]),
            audit: StoreUnderTest.event(.reviewCompleted, at: 40, actor: .user(ann), [.digest: .string(summary.digest)])
        )
        let stored = try #require(try await s.store.accessReview(id: id))
        #expect(stored.rows == [row] && stored.summary.digest == summary.digest && stored.summary.reviewer == .user(ann))
        #expect(try AccessReview.digest(of: stored.rows) == summary.digest, "the stored rows digest as recorded")
        #expect(try await s.store.accessReviews(limit: 10).map(\.id) == [id])
        #expect(try await s.store.accessReview(id: id + 1) == nil)
        let event = try #require(try await s.store.auditEvents(matching: AuditQuery(action: .reviewCompleted)).events.first)
        #expect(event.details[.reviewID] == .number(Double(id)))
    }

    @Test("Key uses add up per day, last used only moves forward, and a vanished key's uses are dropped", arguments: ConformanceKind.all)
    func keyUses(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        let id = try await s.store.insertKey(s.key("u1", of: ann.id), audit: StoreUnderTest.event(.keyCreated))
        let late = StoreUnderTest.epoch.addingTimeInterval(86_400 * 3)
        try await s.store.recordKeyUses([
            KeyUse(keyID: id, requestsByDay: [10: 2, 11: 3], lastUsedAt: late), KeyUse(keyID: 999, requestsByDay: [10: 1], lastUsedAt: late),
        ])
        try await s.store.recordKeyUses([KeyUse(keyID: id, requestsByDay: [11: 4], lastUsedAt: StoreUnderTest.epoch)])
        #expect(try await s.store.keyUsage(id: id, from: 0) == [KeyUsageDay(day: 10, requests: 2), KeyUsageDay(day: 11, requests: 7)])
        #expect(try await s.store.keyUsage(id: id, from: 11) == [KeyUsageDay(day: 11, requests: 7)])
        #expect(try await s.store.key(id: id)?.key.lastUsedAt == late)
    }

    @Test("Keys list by last used (never used first), filter by status and owner, and page with a cursor", arguments: ConformanceKind.all)
    func keyListing(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("ann"), StoreUnderTest.user("bob"))
        var ids: [Int64] = []
        for index in 0..<5 {
            let owner = users[index % 2].id
            ids.append(
                try await s.store.insertKey(
                    s.key("l\(index)", of: owner, name: "key-\(index)", at: TimeInterval(index), expiresAfter: index == 4 ? 5 : nil),
                    audit: StoreUnderTest.event(.keyCreated)
                )
            )
        }
        // Used: key 0 last, key 2 first; keys 1, 3, 4 never.
        try await s.store.recordKeyUses([
            KeyUse(keyID: ids[0], requestsByDay: [1: 1], lastUsedAt: StoreUnderTest.epoch.addingTimeInterval(500)),
            KeyUse(keyID: ids[2], requestsByDay: [1: 1], lastUsedAt: StoreUnderTest.epoch.addingTimeInterval(100)),
        ])
        _ = try await s.store.revokeKey(id: ids[3], ownerID: nil, StoreUnderTest.revocation)
        let now = StoreUnderTest.epoch.addingTimeInterval(1_000)
        let stale = try await s.store.keys(matching: KeysQuery(sort: .lastUsed, order: .ascending, limit: 10), at: now)
        #expect(stale.keys.map(\.key.id) == [ids[1], ids[3], ids[4], ids[2], ids[0]])
        let active = try await s.store.keys(matching: KeysQuery(status: .active, sort: .lastUsed, order: .ascending), at: now)
        #expect(active.keys.map(\.key.id) == [ids[1], ids[2], ids[0]])
        #expect(try await s.store.keys(matching: KeysQuery(status: .expired), at: now).keys.map(\.key.id) == [ids[4]])
        #expect(try await s.store.keys(matching: KeysQuery(status: .revoked), at: now).keys.map(\.key.id) == [ids[3]])
        let bobs = try await s.store.keys(matching: KeysQuery(ownerID: users[1].id, sort: .name, order: .ascending), at: now)
        #expect(bobs.keys.map(\.key.name) == ["key-1", "key-3"])
        #expect(try await s.store.keys(matching: KeysQuery(search: "KEY-2"), at: now).keys.map(\.key.id) == [ids[2]])
        #expect(try await s.store.keys(matching: KeysQuery(search: "rsk_l4"), at: now).keys.map(\.key.id) == [ids[4]])
        // Pages of two, by last used, reach every key once.
        var seen: [Int64] = []
        var cursor: String?
        repeat {
            let page = try await s.store.keys(matching: KeysQuery(sort: .lastUsed, order: .ascending, limit: 2, cursor: cursor), at: now)
            seen += page.keys.map(\.key.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == stale.keys.map(\.key.id))
        await #expect(throws: LedgerStoreError.invalidCursor) {
            try await s.store.keys(matching: KeysQuery(sort: .name, limit: 2, cursor: "bm90LWEtY3Vyc29y"), at: now)
        }
    }
}

/// The `DirectoryStore` requirements: versioned writes, unique user names, indexed look-ups,
/// memberships, and directory writes committed with their ledger changes or not at all.
extension LedgerStoreConformanceTests {
    static func resource(
        _ kind: DirectoryResource.Kind,
        _ id: String,
        name: String,
        externalId: String? = nil,
        members: [String] = []
    )
        -> DirectoryResource
    {
        var attributes: [String: ClaimValue] = [:]
        if !members.isEmpty { attributes["members"] = .array(members.map { .object(["value": .string($0)]) }) }
        return DirectoryResource(
            issuer: StoreUnderTest.issuer,
            kind: kind,
            id: id,
            externalId: externalId,
            name: name,
            attributes: attributes,
            version: 1,
            created: StoreUnderTest.epoch,
            modified: StoreUnderTest.epoch
        )
    }

    @Test("Directory resources are written at their version and found by their indexed look-ups", arguments: ConformanceKind.all)
    func directory(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = Self.resource(.user, "u1", name: "ann@example.com", externalId: "ann")
        let bob = Self.resource(.user, "u2", name: "bob@example.com")
        let group = Self.resource(.group, "g1", name: "Finance", members: ["u1", "u2"])
        try await s.store.apply([.insert(ann), .insert(bob), .insert(group)], LedgerChanges())
        #expect(try await s.store.directoryResource(issuer: StoreUnderTest.issuer, kind: .user, id: "u1") == ann)
        #expect(try await s.store.directoryResource(issuer: StoreUnderTest.issuer, kind: .group, id: "u1") == nil)
        func ids(_ kind: DirectoryResource.Kind, _ lookup: DirectoryLookup?, offset: Int = 0, limit: Int = 10) async throws -> (Int, [String]) {
            let (total, found) = try await s.store.directoryResources(
                issuer: StoreUnderTest.issuer,
                kind: kind,
                lookup: lookup,
                offset: offset,
                limit: limit
            )
            return (total, found.map(\.id))
        }
        #expect(try await ids(.user, nil) == (2, ["u1", "u2"]))
        #expect(try await ids(.user, nil, offset: 1, limit: 1) == (2, ["u2"]))
        #expect(try await ids(.user, .name("ANN@example.com")) == (1, ["u1"]))
        #expect(try await ids(.user, .externalId("ann")) == (1, ["u1"]))
        #expect(try await ids(.user, .externalId("ANN")) == (0, []))
        #expect(try await ids(.user, .id("u2")) == (1, ["u2"]))
        #expect(try await ids(.group, .name("finance")) == (1, ["g1"]))
        #expect(try await ids(.group, .member("u2")) == (1, ["g1"]))

        var renamed = group
        renamed.name = "Finance EU"
        renamed.attributes = ["members": .array([.object(["value": "u1"])])]
        renamed.version = 2
        try await s.store.apply([.update(renamed, expectedVersion: 1)], LedgerChanges())
        #expect(try await s.store.directoryResource(issuer: StoreUnderTest.issuer, kind: .group, id: "g1")?.version == 2)
        #expect(try await ids(.group, .member("u2")) == (0, []))
        await #expect(throws: DirectoryStoreError.staleResource(id: "g1")) {
            try await s.store.apply([.update(renamed, expectedVersion: 1)], LedgerChanges())
        }
        await #expect(throws: DirectoryStoreError.staleResource(id: "g1")) {
            try await s.store.apply([.delete(issuer: StoreUnderTest.issuer, kind: .group, id: "g1", expectedVersion: 1)], LedgerChanges())
        }
        try await s.store.apply([.delete(issuer: StoreUnderTest.issuer, kind: .group, id: "g1", expectedVersion: 2)], LedgerChanges())
        #expect(try await ids(.group, nil) == (0, []))
        #expect(try await ids(.group, .member("u1")) == (0, []))
    }

    @Test("A user name is unique per IdP, ignoring case", arguments: ConformanceKind.all)
    func directoryNames(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        try await s.store.apply([.insert(Self.resource(.user, "u1", name: "ann@example.com"))], LedgerChanges())
        await #expect(throws: DirectoryStoreError.nameTaken("ANN@example.com")) {
            try await s.store.apply([.insert(Self.resource(.user, "u2", name: "ANN@example.com"))], LedgerChanges())
        }
        var other = Self.resource(.user, "u3", name: "ann@example.com")
        other.issuer = "https://other.example.com"
        try await s.store.apply([.insert(other)], LedgerChanges())
        // Groups may share a name with a user.
        try await s.store.apply([.insert(Self.resource(.group, "g1", name: "ann@example.com"))], LedgerChanges())
    }

    @Test("Directory writes and the ledger changes they cause commit together or not at all", arguments: ConformanceKind.all)
    func directoryWithLedger(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let root = try await s.insert(StoreUnderTest.user("root", role: .superAdmin))[0]
        var demoted = root
        demoted.status = .inactive
        demoted.deactivationReason = .idp
        demoted.deactivationSource = .scim
        let entry = Self.resource(.user, "u1", name: "root@example.com")
        await #expect(throws: LedgerStoreError.conflict(.noActiveSuperAdmin)) {
            try await s.store.apply(
                [.insert(entry)],
                LedgerChanges(users: [.init(write: .update(demoted, expectedVersion: 1))], requiresActiveSuperAdmin: true)
            )
        }
        #expect(try await s.store.directoryResource(issuer: StoreUnderTest.issuer, kind: .user, id: "u1") == nil)
        try await s.store.apply(
            [.insert(entry)],
            LedgerChanges(users: [.init(write: .none(root.id), audit: [StoreUnderTest.event(.profileUpdated, actor: .scim)])])
        )
        #expect(try await s.store.directoryResource(issuer: StoreUnderTest.issuer, kind: .user, id: "u1") != nil)
        #expect(try await s.store.auditEvents(matching: AuditQuery(actor: .scim)).events.count == 1)
    }
}

/// The same requirements through the sync service, at volume.
extension LedgerStoreConformanceTests {
    @Test("100 concurrent first sign-ins of one identity create exactly one user", arguments: ConformanceKind.all)
    func concurrentFirstSignIns(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let results = try await withThrowingTaskGroup(of: SignInResult.self) { group in
            for _ in 0..<100 { group.addTask { try await h.signIn("same", groups: ["finance"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.isAllowed })
        #expect(results.filter(\.isCreated).count == 1)
        #expect(Set(results.compactMap { $0.user?.id }).count == 1)
        #expect(try await h.store.userCount() == 1)
        #expect(try await h.user("same").signInCount == 100)
        #expect(try await h.events("same", action: .userCreated).count == 1)
    }

    @Test(
        "100 concurrent first sign-ins of one identity over two replicas (two pools on one PostgreSQL database) create exactly one user",
        .enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL")
    )
    func concurrentFirstSignInsOverReplicas() async throws {
        let h = try await Harness(conformance: .postgres)
        let scratch = try #require(h.postgres).scratch
        let other = try await PostgresLedgerStore.open(scratch.settings, logger: Logger(label: "replica-2"))
        let parsed = try #require(MappingParser.parse(yaml: Harness.mappingYAML, file: "test.yaml").mapping)
        let replica = SyncService(store: other.store, mappings: MappingRegistry(MappingSet.build([parsed]).set), logger: Logger(label: "replica-2"))
        let results = try await withThrowingTaskGroup(of: SignInResult.self) { group in
            for index in 0..<100 {
                let service = index.isMultiple(of: 2) ? h.service : replica
                group.addTask { try await service.signIn(issuer: Harness.issuer, claims: Harness.claims("same", groups: ["finance"])) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await other.close()
        #expect(results.allSatisfy { $0.isAllowed })
        #expect(results.filter(\.isCreated).count == 1)
        #expect(try await h.store.userCount() == 1)
        #expect(try await h.user("same").signInCount == 100)
        #expect(try await h.events("same", action: .userCreated).count == 1)
    }

    @Test(
        "The last two super_admins demoted by the IdP in sign-ins at once: one demotion lands, the other is held",
        arguments: ConformanceKind.all
    )
    func concurrentLastSuperAdminDemotions(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        for sub in ["ada", "bob"] { _ = try await h.signIn(sub, groups: ["platform-admins"]) }
        #expect(try await h.store.activeSuperAdminCount() == 2)
        for _ in 0..<5 {
            // Both leave the admins group at once; rounds repeat the race with the roles restored.
            let results = try await withThrowingTaskGroup(of: SignInResult.self) { group in
                for sub in ["ada", "bob"] { group.addTask { try await h.signIn(sub, groups: ["finance"]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.isAllowed })
            #expect(try await h.store.activeSuperAdminCount() == 1, "never none, never both kept")
            for sub in ["ada", "bob"] { _ = try await h.signIn(sub, groups: ["platform-admins"]) }
            #expect(try await h.store.activeSuperAdminCount() == 2)
        }
        #expect(try await h.events("ada", action: .roleChangeHeld).count + (try await h.events("bob", action: .roleChangeHeld).count) == 5)
    }

    @Test("1,000 concurrent sign-ins of different users all land", arguments: ConformanceKind.all)
    func concurrentDistinctSignIns(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1_000 { group.addTask { try await h.signIn("u\(i)", groups: i % 2 == 0 ? ["finance"] : ["sales"]) } }
            try await group.waitForAll()
        }
        #expect(try await h.store.userCount() == 1_000)
        #expect(try await h.store.users(matching: UsersQuery(role: .billingAdmin, limit: 500)).users.count == 500)
    }

    @Test("Users search, filter, sort and paginate", arguments: ConformanceKind.all)
    func usersQuery(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let names = ["Zoë Adams", "adam Brown", "Carla Diaz", "Dan Evans", "Erin Adamson"]
        for (i, name) in names.enumerated() {
            h.clock.advance(10)
            _ = try await h.service.signIn(
                issuer: Harness.issuer,
                claims: Harness.claims("s\(i)", groups: i == 2 ? ["finance"] : [], email: "p\(i)@corp.example", extra: ["name": .string(name)])
            )
        }
        let adam = try await h.store.users(matching: UsersQuery(search: "ADAM"))
        #expect(adam.users.map(\.name) == ["adam Brown", "Erin Adamson", "Zoë Adams"])
        #expect(try await h.store.users(matching: UsersQuery(search: "p3@corp")).users.map(\.name) == ["Dan Evans"])
        #expect(try await h.store.users(matching: UsersQuery(search: "100%")).users.isEmpty)
        // Two characters go through LIKE, three or more through the trigram index: same answers.
        #expect(try await h.store.users(matching: UsersQuery(search: "aR")).users.compactMap(\.name) == ["Carla Diaz"])
        #expect(try await h.store.users(matching: UsersQuery(search: "arl")).users.compactMap(\.name) == ["Carla Diaz"])
        // A renamed user is found by the new name only.
        _ = try await h.service.signIn(
            issuer: Harness.issuer,
            claims: Harness.claims("s3", email: "p3@corp.example", extra: ["name": "Daniel Evans-Smythe"])
        )
        #expect(try await h.store.users(matching: UsersQuery(search: "smythe")).users.compactMap(\.name) == ["Daniel Evans-Smythe"])
        #expect(try await h.store.users(matching: UsersQuery(search: "Dan Evans")).users.isEmpty)
        #expect(try await h.store.users(matching: UsersQuery(role: .billingAdmin)).users.map(\.name) == ["Carla Diaz"])
        let newest = try await h.store.users(matching: UsersQuery(sort: .registered, order: .descending, limit: 2))
        #expect(newest.users.map(\.name) == ["Erin Adamson", "Daniel Evans-Smythe"])
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await h.store.users(matching: UsersQuery(sort: .name, limit: 2, cursor: cursor))
            seen += page.users.compactMap(\.name)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ["adam Brown", "Carla Diaz", "Daniel Evans-Smythe", "Erin Adamson", "Zoë Adams"])
        await #expect(throws: LedgerStoreError.invalidCursor) {
            try await h.store.users(matching: UsersQuery(sort: .email, cursor: "bm9wZQ"))
        }
        let byRole = try await h.store.users(matching: UsersQuery(sort: .role, limit: 1))
        #expect(byRole.users.first?.role == .billingAdmin)
        let second = try await h.store.users(matching: UsersQuery(sort: .role, limit: 1, cursor: byRole.nextCursor))
        #expect(second.users.first?.role == .user)
    }
}

/// Collects values from a `@Sendable` closure.
final class Collector<T: Sendable>: Sendable {
    private let storage = Mutex<[T]>([])
    var values: [T] { storage.withLock { $0 } }
    func append(_ value: T) { storage.withLock { $0.append(value) } }
}
