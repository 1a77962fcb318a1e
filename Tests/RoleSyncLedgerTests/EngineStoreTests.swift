import Foundation
import GRDB
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import Synchronization
import Testing

/// The ledger's algorithm (``EngineStore``) decides the order of work; an engine only runs the
/// primitives it is given. A recording engine (SQLite underneath) lists every primitive as the
/// algorithm calls it: the order is the algorithm's, whatever engine runs it.
@Suite("The shared ledger algorithm")
struct EngineStoreTests {
    /// Every primitive a transaction ran, in order.
    final class Record: Sendable {
        let calls = Mutex<[String]>([])
        func add(_ call: String) { calls.withLock { $0.append(call) } }
        var list: [String] { calls.withLock { $0 } }
        func reset() { calls.withLock { $0.removeAll() } }
    }

    struct RecordingTransaction: LedgerTransaction {
        let inner: SQLiteTransaction
        let record: Record

        func user(issuer: String, subject: String) throws -> User? {
            record.add("user")
            return try inner.user(issuer: issuer, subject: subject)
        }
        func activeSuperAdminCount() throws -> Int {
            record.add("activeSuperAdminCount")
            return try inner.activeSuperAdminCount()
        }
        func insertUser(_ user: User) throws -> UserID? {
            record.add("insertUser")
            return try inner.insertUser(user)
        }
        func updateUser(_ user: User, expectedVersion: Int) throws -> Bool {
            record.add("updateUser")
            return try inner.updateUser(user, expectedVersion: expectedVersion)
        }
        func deleteSessions(of user: UserID) throws -> Int {
            record.add("deleteSessions")
            return try inner.deleteSessions(of: user)
        }
        func insertEvent(_ event: AuditEvent) throws {
            record.add("insertEvent \(event.action.rawValue)")
            try inner.insertEvent(event)
        }

        func insertAccessReview(_ review: AccessReview) throws -> Int64 {
            record.add("insertAccessReview")
            return try inner.insertAccessReview(review)
        }
        func key(id: Int64) throws -> OwnedKey? {
            record.add("key")
            return try inner.key(id: id)
        }
        func unrevokedKeys(of user: UserID) throws -> [APIKey] {
            record.add("unrevokedKeys")
            return try inner.unrevokedKeys(of: user)
        }
        func hasActiveKey(of user: UserID, named name: String, at time: Date) throws -> Bool {
            record.add("hasActiveKey")
            return try inner.hasActiveKey(of: user, named: name, at: time)
        }
        func insertKey(_ key: APIKey) throws -> Int64 {
            record.add("insertKey")
            return try inner.insertKey(key)
        }
        func markRolled(_ key: APIKey, to replacement: Int64, at time: Date, expiresAt: Date) throws {
            record.add("markRolled \(key.id)")
            try inner.markRolled(key, to: replacement, at: time, expiresAt: expiresAt)
        }
        func markRevoked(_ key: APIKey, _ revocation: KeyRevocation) throws {
            record.add("markRevoked \(key.name)")
            try inner.markRevoked(key, revocation)
        }
        func directoryNameTaken(_ resource: DirectoryResource) throws -> Bool {
            record.add("directoryNameTaken")
            return try inner.directoryNameTaken(resource)
        }
        func insertDirectoryResource(_ resource: DirectoryResource) throws {
            record.add("insertDirectoryResource")
            try inner.insertDirectoryResource(resource)
        }
        func updateDirectoryResource(_ resource: DirectoryResource, expectedVersion: Int) throws -> Bool {
            record.add("updateDirectoryResource")
            return try inner.updateDirectoryResource(resource, expectedVersion: expectedVersion)
        }
        func deleteDirectoryResource(issuer: String, kind: DirectoryResource.Kind, id: String, expectedVersion: Int) throws -> Bool {
            record.add("deleteDirectoryResource")
            return try inner.deleteDirectoryResource(issuer: issuer, kind: kind, id: id, expectedVersion: expectedVersion)
        }
        func setDirectoryMembers(issuer: String, group: String, members: [String]) throws {
            record.add("setDirectoryMembers")
            try inner.setDirectoryMembers(issuer: issuer, group: group, members: members)
        }
        func webhookEndpoints() throws -> [WebhookEndpoint] {
            record.add("webhookEndpoints")
            return try inner.webhookEndpoints()
        }
        func webhookEndpoint(named name: String) throws -> WebhookEndpoint? {
            record.add("webhookEndpoint \(name)")
            return try inner.webhookEndpoint(named: name)
        }
        func saveWebhookEndpoint(_ endpoint: WebhookEndpoint) throws {
            record.add("saveWebhookEndpoint \(endpoint.name)")
            try inner.saveWebhookEndpoint(endpoint)
        }
        func insertWebhookAttempts(_ attempts: [WebhookAttempt]) throws {
            record.add("insertWebhookAttempts \(attempts.count)")
            try inner.insertWebhookAttempts(attempts)
        }
        func webhookFailure(endpoint: String, eventID: Int64) throws -> WebhookFailure? {
            record.add("webhookFailure")
            return try inner.webhookFailure(endpoint: endpoint, eventID: eventID)
        }
        func saveWebhookFailure(_ failure: WebhookFailure) throws {
            record.add("saveWebhookFailure")
            try inner.saveWebhookFailure(failure)
        }
        func deleteWebhookFailures(endpoint: String, eventIDs: [Int64]) throws {
            record.add("deleteWebhookFailures \(eventIDs.count)")
            try inner.deleteWebhookFailures(endpoint: endpoint, eventIDs: eventIDs)
        }
        func auditStreamHead() throws -> AuditStreamPosition {
            record.add("auditStreamHead")
            return try inner.auditStreamHead()
        }
        func auditStreamPosition(atOrAfter time: Date) throws -> AuditStreamPosition? {
            record.add("auditStreamPosition")
            return try inner.auditStreamPosition(atOrAfter: time)
        }
        func requireSerializable() throws {
            record.add("requireSerializable")
        }
        func reached(_ point: WorkPoint) throws {}
    }

    /// SQLite underneath; every transaction recorded.
    final class RecordingEngine: LedgerEngine {
        let inner: SQLiteEngine
        let record = Record()

        init() throws {
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            inner = try SQLiteEngine(writer: try DatabaseQueue(configuration: configuration))
        }

        func write<T: Sendable>(
            _ isolation: WriteIsolation,
            _ body: nonisolated(nonsending) @escaping @Sendable (RecordingTransaction) async throws -> T
        ) async throws -> T {
            let record = self.record
            return try await inner.write(isolation) { transaction in try await body(RecordingTransaction(inner: transaction, record: record)) }
        }

        func users(matching query: UsersQuery, limit: Int, after cursor: PageCursor?) async throws -> [(User, PageCursor.Value)] {
            try await inner.users(matching: query, limit: limit, after: cursor)
        }
        func users(after id: UserID, limit: Int) async throws -> [User] { try await inner.users(after: id, limit: limit) }
        func auditEvents(matching query: AuditQuery, limit: Int, before id: Int64?) async throws -> [AuditEvent] {
            try await inner.auditEvents(matching: query, limit: limit, before: id)
        }
        func keys(matching query: KeysQuery, limit: Int, after cursor: PageCursor?, at time: Date) async throws -> [(OwnedKey, PageCursor.Value)] {
            try await inner.keys(matching: query, limit: limit, after: cursor, at: time)
        }
        func writeSignIns(_ batch: [UserID: SignInTally]) async throws { try await inner.writeSignIns(batch) }
        func ping() async throws { try await inner.ping() }
        func probeWrite(at time: Date) async throws { try await inner.probeWrite(at: time) }
        func user(id: UserID) async throws -> User? { try await inner.user(id: id) }
        func user(issuer: String, subject: String) async throws -> User? { try await inner.user(issuer: issuer, subject: subject) }
        func users(email: String) async throws -> [User] { try await inner.users(email: email) }
        func users(ids: [UserID]) async throws -> [User] { try await inner.users(ids: ids) }
        func unrevokedKeys(ownerIDs: [UserID]) async throws -> [APIKey] { try await inner.unrevokedKeys(ownerIDs: ownerIDs) }
        func lastRoleChanges(of ids: [UserID]) async throws -> [UserID: AuditEvent] { try await inner.lastRoleChanges(of: ids) }
        func accessReviews(limit: Int) async throws -> [AccessReviewSummary] { try await inner.accessReviews(limit: limit) }
        func accessReview(id: Int64) async throws -> AccessReview? { try await inner.accessReview(id: id) }
        func activeSuperAdminCount() async throws -> Int { try await inner.activeSuperAdminCount() }
        func userCount() async throws -> Int { try await inner.userCount() }
        func userCounts(issuer: String) async throws -> (users: Int, active: Int) { try await inner.userCounts(issuer: issuer) }
        func overriddenUsers(limit: Int) async throws -> [User] { try await inner.overriddenUsers(limit: limit) }
        func users(issuer: String, claim: String, equals value: String, ignoringCase: Bool) async throws -> [User] {
            try await inner.users(issuer: issuer, claim: claim, equals: value, ignoringCase: ignoringCase)
        }
        func auditCounts(userID: UserID) async throws -> [AuditAction: Int] { try await inner.auditCounts(userID: userID) }
        func activity(of userID: UserID, recent: Int) async throws -> UserActivity { try await inner.activity(of: userID, recent: recent) }
        func auditStream(after position: AuditStreamPosition, limit: Int) async throws -> [(event: AuditEvent, position: AuditStreamPosition)] {
            try await inner.auditStream(after: position, limit: limit)
        }
        func auditStreamPosition(ofEvent id: Int64) async throws -> AuditStreamPosition? { try await inner.auditStreamPosition(ofEvent: id) }
        func auditStreamHead() async throws -> AuditStreamPosition { try await inner.auditStreamHead() }
        func insertSession(_ session: Session) async throws { try await inner.insertSession(session) }
        func session(tokenHash: String) async throws -> Session? { try await inner.session(tokenHash: tokenHash) }
        func touchSession(tokenHash: String, at time: Date) async throws { try await inner.touchSession(tokenHash: tokenHash, at: time) }
        func deleteSession(tokenHash: String) async throws -> Bool { try await inner.deleteSession(tokenHash: tokenHash) }
        func sessionCount(userID: UserID) async throws -> Int { try await inner.sessionCount(userID: userID) }
        func credential(hash: String) async throws -> KeyCredential? { try await inner.credential(hash: hash) }
        func key(id: Int64) async throws -> OwnedKey? { try await inner.key(id: id) }
        func keys(ownerID: UserID) async throws -> [APIKey] { try await inner.keys(ownerID: ownerID) }
        func keyCount(matching query: KeysQuery, at time: Date) async throws -> Int { try await inner.keyCount(matching: query, at: time) }
        func keyOwners(limit: Int) async throws -> [KeyOwner] { try await inner.keyOwners(limit: limit) }
        func keyUsage(id: Int64, from firstDay: Int) async throws -> [KeyUsageDay] { try await inner.keyUsage(id: id, from: firstDay) }
        func recordKeyUses(_ uses: [KeyUse]) async throws { try await inner.recordKeyUses(uses) }
    }

    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func user(_ subject: String, role: Role = .user) -> User {
        User(
            id: UserID(0),
            issuer: "https://idp.example.com",
            subject: subject,
            email: "\(subject)@example.com",
            name: subject,
            organizationUnit: nil,
            role: role,
            roleSource: .idp,
            status: .active,
            deactivationReason: nil,
            deactivationSource: nil,
            registeredAt: epoch,
            lastSignInAt: epoch,
            signInCount: 1,
            lastClaims: Claims(["sub": .string(subject)]),
            version: 1
        )
    }

    static func key(_ name: String, of owner: UserID) -> APIKey {
        APIKey(
            id: 0,
            userID: owner,
            name: name,
            purpose: .gateway,
            prefix: "rsk_\(name)",
            keyHash: "hash-\(name)",
            createdAt: epoch,
            expiresAt: nil,
            lastUsedAt: nil,
            revokedAt: nil,
            revokedBy: nil,
            revocationCause: nil,
            revocationReason: nil
        )
    }

    @Test("A deactivation revokes keys (each with its event), ends sessions, writes the row, then its events, then checks the guard")
    func deactivationOrder() async throws {
        let engine = try RecordingEngine()
        let store = EngineStore(engine: engine)
        let ids = try await store.apply(
            LedgerChanges(users: [.init(write: .insert(Self.user("ann"))), .init(write: .insert(Self.user("root", role: .superAdmin)))])
        )
        let ann = try #require(try await store.user(id: ids[0]))
        for name in ["first", "second"] {
            let created = AuditEvent(time: Self.epoch, actor: .cli, action: .keyCreated, userID: ann.id)
            _ = try await store.insertKey(Self.key(name, of: ann.id), audit: created)
        }
        try await store.insertSession(
            Session(tokenHash: "t", userID: ann.id, createdAt: Self.epoch, expiresAt: Self.epoch + 3600, lastSeenAt: Self.epoch)
        )
        engine.record.reset()

        var gone = ann
        gone.status = .inactive
        gone.deactivationReason = .manual
        let revocation = KeyRevocation(time: Self.epoch, actor: .cli, cause: .deactivation, reason: nil)
        try await store.apply(
            LedgerChanges(
                users: [
                    .init(
                        write: .update(gone, expectedVersion: ann.version),
                        revoking: .everything(revocation),
                        audit: [
                            AuditEvent(time: Self.epoch, actor: .cli, action: .statusChanged, userID: ann.id),
                            AuditEvent(time: Self.epoch, actor: .cli, action: .sessionsEnded, userID: ann.id),
                        ]
                    )
                ],
                requiresActiveSuperAdmin: true
            )
        )
        #expect(
            engine.record.list == [
                "unrevokedKeys", "markRevoked first", "insertEvent key.revoked", "markRevoked second", "insertEvent key.revoked",
                "deleteSessions", "updateUser", "insertEvent user.status_changed", "insertEvent user.sessions_ended",
                "activeSuperAdminCount",
            ]
        )
        let ended = try await store.auditEvents(matching: AuditQuery(userID: ann.id, action: .sessionsEnded)).events
        #expect(ended.first?.details[.sessions] == .number(1))
        #expect(ended.first?.details[.apiKeysRevoked] == .number(2))
    }

    @Test("A sign-in reads the row first; the count of super_admins only when the rules ask, under the guard's isolation")
    func signInOrder() async throws {
        let engine = try RecordingEngine()
        let store = EngineStore(engine: engine)
        let fresh = Self.user("bea")
        _ = try await store.decide(issuer: fresh.issuer, subject: fresh.subject) { user, _ in
            (LedgerChanges(users: [.init(write: .insert(fresh), audit: [AuditEvent(time: Self.epoch, actor: .idp, action: .userCreated)])]), ())
        }
        #expect(engine.record.list == ["user", "insertUser", "insertEvent user.created"])

        engine.record.reset()
        let counted = try await store.decide(issuer: fresh.issuer, subject: fresh.subject) { _, superAdmins in
            (LedgerChanges(), try superAdmins())
        }
        #expect(counted.0 == 0)
        #expect(engine.record.list == ["user", "requireSerializable", "activeSuperAdminCount"])
    }

    @Test("A key name is taken by an active key of the owner, checked before the insert; a revoked key is revoked once")
    func keyRules() async throws {
        let engine = try RecordingEngine()
        let store = EngineStore(engine: engine)
        let ids = try await store.apply(LedgerChanges(users: [.init(write: .insert(Self.user("cy")))]))
        let created = AuditEvent(time: Self.epoch, actor: .cli, action: .keyCreated, userID: ids[0])
        engine.record.reset()
        let id = try await store.insertKey(Self.key("build", of: ids[0]), audit: created)
        #expect(engine.record.list == ["hasActiveKey", "insertKey", "insertEvent key.created"])
        await #expect(throws: LedgerStoreError.conflict(.keyNameTaken("BUILD"))) {
            try await store.insertKey(Self.key("BUILD", of: ids[0]), audit: created)
        }
        let revocation = KeyRevocation(time: Self.epoch, actor: .cli, cause: .admin, reason: "rotated")
        #expect(try await store.revokeKey(id: id, ownerID: UserID(ids[0].rawValue + 1), revocation) == nil, "another owner's key")
        engine.record.reset()
        guard case .revoked? = try await store.revokeKey(id: id, ownerID: ids[0], revocation) else {
            Issue.record("not revoked")
            return
        }
        #expect(engine.record.list == ["key", "markRevoked build", "insertEvent key.revoked"])
        engine.record.reset()
        guard case .alreadyRevoked? = try await store.revokeKey(id: id, ownerID: nil, revocation) else {
            Issue.record("revoked twice")
            return
        }
        #expect(engine.record.list == ["key"], "nothing written the second time")
    }

    @Test(
        "A roll reads the key locked, asks the plan, inserts the replacement, marks the key rolled, then writes the event; a refusal writes nothing"
    )
    func rollOrder() async throws {
        let engine = try RecordingEngine()
        let store = EngineStore(engine: engine)
        let ids = try await store.apply(LedgerChanges(users: [.init(write: .insert(Self.user("di")))]))
        let created = AuditEvent(time: Self.epoch, actor: .cli, action: .keyCreated, userID: ids[0])
        let id = try await store.insertKey(Self.key("deploy", of: ids[0]), audit: created)
        engine.record.reset()
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await store.rollKey(id: id) { _ in throw Refused() } }
        #expect(engine.record.list == ["key"], "a refused roll writes nothing")
        #expect(try await store.key(id: id)?.key.rolledTo == nil)
        engine.record.reset()
        let later = Self.epoch + 60
        let rolled = try #require(
            try await store.rollKey(id: id) { owned in
                var replacement = Self.key("deploy", of: owned.key.userID)
                replacement.keyHash = "hash-deploy-2"
                replacement.createdAt = later
                return KeyRoll(
                    replacement: replacement,
                    replacedExpiresAt: later + 3600,
                    event: AuditEvent(
                        time: later,
                        actor: .cli,
                        action: .keyRolled,
                        userID: owned.key.userID,
                        details: [.keyID: .number(Double(owned.key.id))]
                    )
                )
            }
        )
        #expect(engine.record.list == ["key", "insertKey", "markRolled \(id)", "insertEvent key.rolled"])
        let replaced = try #require(try await store.key(id: id)).key
        let replacement = try #require(try await store.key(id: rolled.replacement.key.id)).key
        #expect(replaced.rolledTo == replacement.id && replaced.rolledAt == later && replaced.expiresAt == later + 3600)
        #expect(replacement.rolledFrom == id && replacement.rolledTo == nil)
        #expect(rolled.replaced.key == replaced && rolled.replacement.key == replacement, "the answer is what was written")
        let event = try #require(try await store.auditEvents(matching: AuditQuery(action: .keyRolled)).events.first)
        #expect(event.details[.newKeyID] == .number(Double(replacement.id)))
        #expect(
            try await store.rollKey(id: 9_999) { _ in
                Issue.record("no key to plan for")
                throw Refused()
            } == nil
        )

        // The name moved to the replacement: taken while it is active, free once it is revoked,
        // although the rolled key still works until its expiry.
        await #expect(throws: LedgerStoreError.conflict(.keyNameTaken("Deploy"))) {
            try await store.insertKey(Self.key("Deploy", of: ids[0]), audit: created)
        }
        _ = try await store.revokeKey(id: replacement.id, ownerID: nil, KeyRevocation(time: later, actor: .cli, cause: .admin, reason: "test"))
        var again = Self.key("deploy", of: ids[0])
        again.keyHash = "hash-deploy-3"
        again.createdAt = later
        _ = try await store.insertKey(again, audit: created)
    }

    @Test("One cursor format: a page's cursor is refused by another listing, sort or order, and a forged one is refused")
    func cursors() async throws {
        let store = EngineStore(engine: try RecordingEngine())
        for subject in ["a", "b", "c"] { try await store.apply(LedgerChanges(users: [.init(write: .insert(Self.user(subject)))])) }
        let first = try await store.users(matching: UsersQuery(sort: .email, limit: 2))
        let cursor = try #require(first.nextCursor)
        #expect(try await store.users(matching: UsersQuery(sort: .email, limit: 2, cursor: cursor)).users.map(\.subject) == ["c"])
        for other in [UsersQuery(sort: .name, cursor: cursor), UsersQuery(sort: .email, order: .descending, cursor: cursor)] {
            await #expect(throws: LedgerStoreError.invalidCursor) { try await store.users(matching: other) }
        }
        await #expect(throws: LedgerStoreError.invalidCursor) { try await store.keys(matching: KeysQuery(cursor: cursor), at: Self.epoch) }
        await #expect(throws: LedgerStoreError.invalidCursor) { try await store.auditEvents(matching: AuditQuery(cursor: "12")) }
        #expect(try await store.users(matching: UsersQuery(limit: 10_000)).users.count == 3)
        #expect(PageCursor.pageSize(10_000) == 500 && PageCursor.pageSize(0) == 1)
    }
}
