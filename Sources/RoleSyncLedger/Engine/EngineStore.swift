package import Foundation
import RoleSyncMapping

/// The ledger's store over a storage engine: the order of work and every rule that is not SQL,
/// written once and run unchanged on SQLite and PostgreSQL. The engine answers reads and runs
/// primitives (``LedgerEngine``, ``LedgerTransaction``); this decides in which order they run and
/// what their results mean:
///
/// - a change revokes what the ledger lists (keys first, each with its `key.revoked` event, then
///   sessions), writes the row at its expected version, then its events, which say what was
///   revoked; events about nobody come last; the last-`super_admin` guard is checked after all;
/// - a sign-in decides on its user's locked row, asks for the number of active `super_admin`s only
///   when the rules do, and decides again when another replica created the user meanwhile;
/// - sign-ins that change nothing but the last sign-in are deferred and written in batches;
/// - a key name is taken by an active key of the same owner (ignoring case); a revocation of a
///   revoked key changes nothing; the Console revokes only its owner's keys;
/// - a page holds 1 to 500 rows (the audit log 1,000), and one cursor format serves every listing;
/// - a pushed directory user's name is unique per IdP; entry writes come before the ledger changes
///   they cause.
package final class EngineStore<Engine: LedgerEngine>: LedgerStore {
    package let engine: Engine
    /// Whether sign-ins that change nothing but the last sign-in are batched (`rolesync serve`) or
    /// written at once (the command line, tests).
    package let defersSignIns: Bool
    private let pendingSignIns = PendingSignIns()
    /// A batch is written once this many users wait, or when ``flushSignIns()`` is called.
    package static var signInBatchSize: Int { 512 }
    /// How many times a sign-in decides again after another replica created its user meanwhile.
    static var identityRetries: Int { 20 }

    package init(engine: Engine, defersSignIns: Bool = false) {
        self.engine = engine
        self.defersSignIns = defersSignIns
    }

    // MARK: Writes the ledger decides

    @discardableResult
    package func apply(_ changes: LedgerChanges) async throws -> [UserID] {
        guard !changes.isEmpty else { return [] }
        return try await engine.write(.serializable) { transaction in try await Self.apply(changes, transaction) }
    }

    /// Applies changes inside an open transaction: for each user, the revocations in the ledger's
    /// order, the row, then the events the ledger composed with what was revoked.
    nonisolated(nonsending) static func apply(_ changes: LedgerChanges, _ transaction: Engine.Transaction) async throws -> [UserID] {
        var ids: [UserID] = []
        for change in changes.users {
            var revoked = RevocationCounts()
            let id: UserID
            switch change.write {
            case .insert(let user):
                guard let inserted = try await transaction.insertUser(user) else {
                    throw LedgerStoreError.conflict(.identityExists(issuer: user.issuer, subject: user.subject))
                }
                id = inserted
            case .update(let user, let expected):
                revoked = try await revoke(change.revoking, of: user.id, transaction)
                guard try await transaction.updateUser(user, expectedVersion: expected) else {
                    throw LedgerStoreError.conflict(.staleUser(user.id))
                }
                id = user.id
            case .none(let existing):
                revoked = try await revoke(change.revoking, of: existing, transaction)
                id = existing
            }
            try await transaction.reached(.afterUserWrite)
            for var event in change.auditEvents(after: revoked) {
                event.userID = id
                try await transaction.insertEvent(event)
            }
            ids.append(id)
        }
        for event in changes.audit { try await transaction.insertEvent(event) }
        try await transaction.reached(.afterAuditEvents)
        if changes.requiresActiveSuperAdmin, try await transaction.activeSuperAdminCount() == 0 {
            throw LedgerStoreError.conflict(.noActiveSuperAdmin)
        }
        return ids
    }

    /// Runs each revocation, in order. - Returns: what they took away.
    nonisolated(nonsending) static func revoke(
        _ revocations: [CredentialRevocation],
        of id: UserID,
        _ transaction: Engine.Transaction
    ) async throws -> RevocationCounts {
        var counts = RevocationCounts()
        for revocation in revocations {
            switch revocation {
            case .endSessions:
                counts.sessions += try await transaction.deleteSessions(of: id)
            case .revokeAPIKeys(let revocation):
                let keys = try await transaction.unrevokedKeys(of: id)
                for key in keys { try await revoke(key, revocation, transaction) }
                counts.apiKeys += keys.count
            }
        }
        return counts
    }

    /// Marks one key revoked and writes its `key.revoked` event.
    nonisolated(nonsending) static func revoke(_ key: APIKey, _ revocation: KeyRevocation, _ transaction: Engine.Transaction) async throws {
        try await transaction.markRevoked(key, revocation)
        try await transaction.insertEvent(revocation.event(for: key))
    }

    /// Thrown inside ``decide(issuer:subject:_:)`` when the rules ask for the number of active
    /// `super_admin`s, which is then read and the rules run again.
    private struct NeedsSuperAdminCount: Error {}

    package func decide<T: Sendable>(
        issuer: String,
        subject: String,
        _ decide: @escaping @Sendable (User?, () throws -> Int) throws -> (LedgerChanges, T)
    ) async throws -> (T, [UserID]) {
        var attempt = 0
        while true {
            do {
                return try await engine.write(.signIn) { transaction in
                    let user = try await transaction.user(issuer: issuer, subject: subject)
                    // The rules ask for the count only for an active super_admin, and run
                    // synchronously: a first pass without it says whether it is needed.
                    var superAdmins: Int?
                    while true {
                        do {
                            let (changes, result) = try decide(user) {
                                guard let superAdmins else { throw NeedsSuperAdminCount() }
                                return superAdmins
                            }
                            if changes.requiresActiveSuperAdmin { try await transaction.requireSerializable() }
                            return (result, changes.isEmpty ? [] : try await Self.apply(changes, transaction))
                        } catch is NeedsSuperAdminCount {
                            try await transaction.requireSerializable()
                            superAdmins = try await transaction.activeSuperAdminCount()
                        }
                    }
                }
            } catch LedgerStoreError.conflict(.identityExists) where attempt < Self.identityRetries {
                // Another replica created the user since the read: decide again on its row.
                attempt += 1
            }
        }
    }

    // MARK: Sign-ins

    package func recordSignIn(of userID: UserID, at time: Date) async throws {
        guard defersSignIns else {
            try await engine.writeSignIns([userID: SignInTally(time: time, count: 1)])
            return
        }
        let waiting = pendingSignIns.record(userID, at: time)
        if waiting >= Self.signInBatchSize { try await flushSignIns() }
    }

    package func flushSignIns() async throws {
        if defersSignIns { try await engine.flushUpkeep() }
        let batch = pendingSignIns.take()
        guard !batch.isEmpty else { return }
        do {
            try await engine.writeSignIns(batch)
        } catch {
            // Put them back so the next flush tries again; newer sign-ins merge with them.
            pendingSignIns.restore(batch)
            throw error
        }
    }

    // MARK: Keys

    package func insertKey(_ key: APIKey, audit: AuditEvent) async throws -> Int64 {
        try await engine.write(.serializable) { transaction in
            if try await transaction.hasActiveKey(of: key.userID, named: key.name, at: key.createdAt) {
                throw LedgerStoreError.conflict(.keyNameTaken(key.name))
            }
            let id = try await transaction.insertKey(key)
            var event = audit
            event.details[.keyID] = .number(Double(id))
            try await transaction.insertEvent(event)
            return id
        }
    }

    package func revokeKey(id: Int64, ownerID: UserID?, _ revocation: KeyRevocation) async throws -> KeyRevocationOutcome? {
        try await engine.write(.serializable) { transaction in
            guard let owned = try await transaction.key(id: id), ownerID.map({ $0 == owned.key.userID }) ?? true else { return nil }
            guard owned.key.revokedAt == nil else { return .alreadyRevoked(owned.key) }
            try await Self.revoke(owned.key, revocation, transaction)
            return .revoked(OwnedKey(key: revocation.applied(to: owned.key), owner: owned.owner))
        }
    }

    package func revokeKey(id: Int64, if plan: @escaping @Sendable (OwnedKey) -> KeyRevocation?) async throws -> OwnedKey? {
        try await engine.write(.serializable) { transaction in
            guard let owned = try await transaction.key(id: id), owned.key.revokedAt == nil, let revocation = plan(owned) else { return nil }
            try await Self.revoke(owned.key, revocation, transaction)
            return OwnedKey(key: revocation.applied(to: owned.key), owner: owned.owner)
        }
    }

    package func revokeKeys(
        ids: [Int64],
        _ plan: @escaping @Sendable (Int64, OwnedKey?) throws -> KeyRevocation?
    ) async throws -> [OwnedKey] {
        try await engine.write(.serializable) { transaction in
            var revoked: [OwnedKey] = []
            for id in ids {
                let owned = try await transaction.key(id: id)
                guard let revocation = try plan(id, owned), let owned else { continue }
                try await Self.revoke(owned.key, revocation, transaction)
                revoked.append(OwnedKey(key: revocation.applied(to: owned.key), owner: owned.owner))
            }
            return revoked
        }
    }

    package func insertAccessReview(_ review: AccessReview, audit: AuditEvent) async throws -> Int64 {
        try await engine.write(.serializable) { transaction in
            let id = try await transaction.insertAccessReview(review)
            var event = audit
            event.details[.reviewID] = .number(Double(id))
            try await transaction.insertEvent(event)
            return id
        }
    }

    package func rollKey(id: Int64, _ plan: @escaping @Sendable (OwnedKey) throws -> KeyRoll) async throws -> RolledKey? {
        try await engine.write(.serializable) { transaction in
            guard let owned = try await transaction.key(id: id) else { return nil }
            let roll = try plan(owned)
            var replacement = roll.replacement
            replacement.rolledFrom = owned.key.id
            replacement.id = try await transaction.insertKey(replacement)
            try await transaction.markRolled(owned.key, to: replacement.id, at: replacement.createdAt, expiresAt: roll.replacedExpiresAt)
            var event = roll.event
            event.details[.newKeyID] = .number(Double(replacement.id))
            try await transaction.insertEvent(event)
            var replaced = owned.key
            replaced.rolledTo = replacement.id
            replaced.rolledAt = replacement.createdAt
            replaced.expiresAt = roll.replacedExpiresAt
            return RolledKey(
                replaced: OwnedKey(key: replaced, owner: owned.owner),
                replacement: OwnedKey(key: replacement, owner: owned.owner)
            )
        }
    }

    // MARK: Listings

    package func users(matching query: UsersQuery) async throws -> UsersPage {
        let limit = PageCursor.pageSize(query.limit)
        let cursor = try query.cursor.map { try PageCursor.decode($0, for: query.listing) }
        let rows = try await engine.users(matching: query, limit: limit + 1, after: cursor)
        let (users, next) = PageCursor.page(rows, limit: limit, listing: query.listing, id: \.id.rawValue)
        return UsersPage(users: users, nextCursor: next)
    }

    package func keys(matching query: KeysQuery, at time: Date) async throws -> KeysPage {
        let limit = PageCursor.pageSize(query.limit)
        let cursor = try query.cursor.map { try PageCursor.decode($0, for: query.listing) }
        let rows = try await engine.keys(matching: query, limit: limit + 1, after: cursor, at: time)
        let (keys, next) = PageCursor.page(rows, limit: limit, listing: query.listing, id: \.key.id)
        return KeysPage(keys: keys, nextCursor: next)
    }

    /// The audit log's cursor: the last event's id (its only order).
    static var auditListing: String { "audit" }

    package func auditEvents(matching query: AuditQuery) async throws -> AuditPage {
        let limit = PageCursor.pageSize(query.limit, maximum: PageCursor.maximumAuditPage)
        let before = try query.cursor.map { try PageCursor.decode($0, for: Self.auditListing).id }
        if let about = query.about, about.isEmpty { return AuditPage(events: [], nextCursor: nil) }
        let rows = try await engine.auditEvents(matching: query, limit: limit + 1, before: before)
        let events = Array(rows.prefix(limit))
        var next: String?
        if rows.count > limit, let last = events.last?.id {
            next = PageCursor(listing: Self.auditListing, value: .number(Double(last)), id: last).encoded
        }
        return AuditPage(events: events, nextCursor: next)
    }

    package func forEachUserBatch(size: Int, _ body: @Sendable ([User]) throws -> Void) async throws {
        var after = UserID(0)
        while true {
            let batch = try await engine.users(after: after, limit: size)
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id
        }
    }

    // MARK: What the engine answers alone

    package func ping() async throws { try await engine.ping() }
    package func auditStream(after position: AuditStreamPosition, limit: Int) async throws -> [(event: AuditEvent, position: AuditStreamPosition)] {
        try await engine.auditStream(after: position, limit: PageCursor.pageSize(limit, maximum: PageCursor.maximumAuditPage))
    }
    package func auditStreamPosition(ofEvent id: Int64) async throws -> AuditStreamPosition? {
        try await engine.auditStreamPosition(ofEvent: id)
    }
    package func auditStreamHead() async throws -> AuditStreamPosition { try await engine.auditStreamHead() }
    package func probeWrite(at time: Date) async throws { try await engine.probeWrite(at: time) }
    package func user(id: UserID) async throws -> User? { try await engine.user(id: id) }
    package func user(issuer: String, subject: String) async throws -> User? { try await engine.user(issuer: issuer, subject: subject) }
    package func users(email: String) async throws -> [User] { try await engine.users(email: email) }
    package func users(ids: [UserID]) async throws -> [User] { ids.isEmpty ? [] : try await engine.users(ids: ids) }
    package func unrevokedKeys(ownerIDs: [UserID]) async throws -> [APIKey] {
        ownerIDs.isEmpty ? [] : try await engine.unrevokedKeys(ownerIDs: ownerIDs)
    }
    package func lastRoleChanges(of ids: [UserID]) async throws -> [UserID: AuditEvent] {
        ids.isEmpty ? [:] : try await engine.lastRoleChanges(of: ids)
    }
    package func accessReviews(limit: Int) async throws -> [AccessReviewSummary] { try await engine.accessReviews(limit: limit) }
    package func accessReview(id: Int64) async throws -> AccessReview? { try await engine.accessReview(id: id) }
    package func activeSuperAdminCount() async throws -> Int { try await engine.activeSuperAdminCount() }
    package func userCount() async throws -> Int { try await engine.userCount() }
    package func userCounts(issuer: String) async throws -> (users: Int, active: Int) { try await engine.userCounts(issuer: issuer) }
    package func overriddenUsers(limit: Int) async throws -> [User] { try await engine.overriddenUsers(limit: limit) }
    package func users(issuer: String, claim: String, equals value: String, ignoringCase: Bool) async throws -> [User] {
        try await engine.users(issuer: issuer, claim: claim, equals: value, ignoringCase: ignoringCase)
    }
    package func auditCounts(userID: UserID) async throws -> [AuditAction: Int] { try await engine.auditCounts(userID: userID) }
    package func activity(of userID: UserID, recent: Int) async throws -> UserActivity {
        try await engine.activity(of: userID, recent: PageCursor.pageSize(recent, maximum: PageCursor.maximumAuditPage))
    }
    package func insertSession(_ session: Session) async throws { try await engine.insertSession(session) }
    package func session(tokenHash: String) async throws -> Session? { try await engine.session(tokenHash: tokenHash) }
    package func touchSession(tokenHash: String, at time: Date) async throws { try await engine.touchSession(tokenHash: tokenHash, at: time) }
    package func deleteSession(tokenHash: String) async throws -> Bool { try await engine.deleteSession(tokenHash: tokenHash) }
    package func sessionCount(userID: UserID) async throws -> Int { try await engine.sessionCount(userID: userID) }
    package func credential(hash: String) async throws -> KeyCredential? { try await engine.credential(hash: hash) }
    package func key(id: Int64) async throws -> OwnedKey? { try await engine.key(id: id) }
    package func keys(ownerID: UserID) async throws -> [APIKey] { try await engine.keys(ownerID: ownerID) }
    package func keyCount(matching query: KeysQuery, at time: Date) async throws -> Int { try await engine.keyCount(matching: query, at: time) }
    package func keyOwners(limit: Int) async throws -> [KeyOwner] { try await engine.keyOwners(limit: limit) }
    package func keyUsage(id: Int64, from firstDay: Int) async throws -> [KeyUsageDay] { try await engine.keyUsage(id: id, from: firstDay) }
    package func recordKeyUses(_ uses: [KeyUse]) async throws {
        guard !uses.isEmpty else { return }
        try await engine.recordKeyUses(uses)
    }
}

// MARK: Directory entries

extension EngineStore: DirectoryReads, DirectoryStore where Engine: DirectoryReads {
    package func directoryResource(issuer: String, kind: DirectoryResource.Kind, id: String) async throws -> DirectoryResource? {
        try await engine.directoryResource(issuer: issuer, kind: kind, id: id)
    }

    package func directoryResources(
        issuer: String,
        kind: DirectoryResource.Kind,
        lookup: DirectoryLookup?,
        offset: Int,
        limit: Int
    ) async throws -> (total: Int, resources: [DirectoryResource]) {
        try await engine.directoryResources(issuer: issuer, kind: kind, lookup: lookup, offset: offset, limit: limit)
    }

    /// The entry writes in order, then the ledger changes they cause, in one transaction.
    package func apply(_ writes: [DirectoryWrite], _ changes: LedgerChanges) async throws {
        try await engine.write(.serializable) { transaction in
            for write in writes {
                switch write {
                case .insert(let resource):
                    if resource.kind == .user, try await transaction.directoryNameTaken(resource) {
                        throw DirectoryStoreError.nameTaken(resource.name)
                    }
                    try await transaction.insertDirectoryResource(resource)
                    if resource.kind == .group {
                        try await transaction.setDirectoryMembers(issuer: resource.issuer, group: resource.id, members: resource.memberIDs)
                    }
                case .update(let resource, let expected):
                    if resource.kind == .user, try await transaction.directoryNameTaken(resource) {
                        throw DirectoryStoreError.nameTaken(resource.name)
                    }
                    guard try await transaction.updateDirectoryResource(resource, expectedVersion: expected) else {
                        throw DirectoryStoreError.staleResource(id: resource.id)
                    }
                    if resource.kind == .group {
                        try await transaction.setDirectoryMembers(issuer: resource.issuer, group: resource.id, members: resource.memberIDs)
                    }
                case .delete(let issuer, let kind, let id, let expected):
                    guard try await transaction.deleteDirectoryResource(issuer: issuer, kind: kind, id: id, expectedVersion: expected) else {
                        throw DirectoryStoreError.staleResource(id: id)
                    }
                    if kind == .group { try await transaction.setDirectoryMembers(issuer: issuer, group: id, members: []) }
                }
            }
            if !changes.isEmpty { _ = try await Self.apply(changes, transaction) }
        }
    }
}

// MARK: Shadow differences

extension EngineStore: ShadowStore where Engine: ShadowStore {
    package func recordShadowDifferences(_ differences: [ShadowDifference]) async throws {
        try await engine.recordShadowDifferences(differences)
    }
    package func shadowDifferences(matching query: ShadowQuery) async throws -> ShadowPage {
        try await engine.shadowDifferences(matching: query)
    }
    package func pruneShadowDifferences(before time: Date) async throws -> Int {
        try await engine.pruneShadowDifferences(before: time)
    }
    package func clearShadowDifferences(issuers: [String]) async throws -> Int {
        try await engine.clearShadowDifferences(issuers: issuers)
    }
}

// MARK: Directory reading

extension EngineStore: DirectorySyncStore where Engine: DirectorySyncStore {
    package func directorySyncStates() async throws -> [DirectorySyncState] { try await engine.directorySyncStates() }
    package func directorySyncState(issuer: String) async throws -> DirectorySyncState? {
        try await engine.directorySyncState(issuer: issuer)
    }
    package func saveDirectorySyncState(_ state: DirectorySyncState) async throws { try await engine.saveDirectorySyncState(state) }
}
