package import Foundation
package import RoleSyncMapping

/// What a storage engine answers with SQL alone: reads, and the writes no rule decides (sessions,
/// key uses, the readiness probe). ``LedgerStore`` adds what the ledger decides.
///
/// Database work must not hold a thread of Swift's cooperative pool while it waits for a lock or
/// the disk: a store suspends the calling task instead.
package protocol LedgerReads: Sendable {
    /// Answers when the database does: one read, nothing written (`GET /healthz`).
    func ping() async throws
    /// Writes the store's one probe row in a transaction of its own (`GET /readyz`): throws
    /// ``LedgerStoreError/notWritable(_:)`` while the database cannot write.
    func probeWrite(at time: Date) async throws

    func user(id: UserID) async throws -> User?
    func user(issuer: String, subject: String) async throws -> User?
    /// Users whose email equals `email`, ignoring case (emails are not unique).
    func users(email: String) async throws -> [User]
    /// The users with these ids that exist, in id order.
    func users(ids: [UserID]) async throws -> [User]

    /// The unrevoked keys of these users, in one read (an access review's page of holders).
    func unrevokedKeys(ownerIDs: [UserID]) async throws -> [APIKey]
    /// The newest `user.role_changed` event of each of these users who has one.
    func lastRoleChanges(of ids: [UserID]) async throws -> [UserID: AuditEvent]
    /// Completed access reviews, newest first, without their rows.
    func accessReviews(limit: Int) async throws -> [AccessReviewSummary]
    /// A completed access review with its rows; `nil` when there is none of this id.
    func accessReview(id: Int64) async throws -> AccessReview?
    func activeSuperAdminCount() async throws -> Int
    func userCount() async throws -> Int
    /// The IdP's users, and how many of them are active.
    func userCounts(issuer: String) async throws -> (users: Int, active: Int)
    /// Users with a break-glass override (expired or not), the soonest to end first: what the
    /// clock ends, and when it must look next.
    func overriddenUsers(limit: Int) async throws -> [User]
    /// Users of `issuer` whose last sign-in claim `claim` equals `value` (ignoring case when asked):
    /// how a push finds the user a directory entry matches when the match claim is not `sub`.
    func users(issuer: String, claim: String, equals value: String, ignoringCase: Bool) async throws -> [User]
    /// Counts of a user's audit events by action.
    func auditCounts(userID: UserID) async throws -> [AuditAction: Int]
    /// What a user's detail shows beside the row, read together: one read-model query.
    func activity(of userID: UserID, recent: Int) async throws -> UserActivity
    /// At most `limit` committed audit events after `position`, in stream order, each with its
    /// position (``AuditStreamPosition``): an event that is not returned now because its
    /// transaction is still running comes in a later call, never skipped.
    func auditStream(after position: AuditStreamPosition, limit: Int) async throws -> [(event: AuditEvent, position: AuditStreamPosition)]
    /// The stream position of the event with this id; `nil` when there is none.
    func auditStreamPosition(ofEvent id: Int64) async throws -> AuditStreamPosition?
    /// The position after every event committed now: a stream from here reads only what commits
    /// later (and what transactions running now commit).
    func auditStreamHead() async throws -> AuditStreamPosition

    func insertSession(_ session: Session) async throws
    /// The session with this token hash, if it exists (expired or not).
    func session(tokenHash: String) async throws -> Session?
    func touchSession(tokenHash: String, at time: Date) async throws
    /// Deletes one session; returns whether it existed.
    @discardableResult
    func deleteSession(tokenHash: String) async throws -> Bool
    func sessionCount(userID: UserID) async throws -> Int

    /// The key with this hash and its owner as they are now, if it exists (in any status): one
    /// read, on every introspection, so a store makes it as cheap as it can and never caches it.
    func credential(hash: String) async throws -> KeyCredential?
    func key(id: Int64) async throws -> OwnedKey?
    /// One owner's keys, newest first, in every status.
    func keys(ownerID: UserID) async throws -> [APIKey]
    /// How many keys a listing's filters select (its sort, order and page aside); statuses as of `time`.
    func keyCount(matching query: KeysQuery, at time: Date) async throws -> Int
    /// The users who own at least one key (in any status), by email, at most `limit` of them: the
    /// dashboard's Owner filter.
    func keyOwners(limit: Int) async throws -> [KeyOwner]
    /// Requests per day of one key from `firstDay` (days since 1970-01-01, UTC) on; days without
    /// requests are left out.
    func keyUsage(id: Int64, from firstDay: Int) async throws -> [KeyUsageDay]
    /// Adds uses (counts per day, the latest use) in one transaction. Uses of a key that no longer
    /// exists are dropped.
    func recordKeyUses(_ uses: [KeyUse]) async throws
}

/// Persistence for users, sessions and the audit log. The sync rules live in ``SyncService``; a
/// store only reads, and applies a ``LedgerChanges`` atomically: all of it or none of it.
///
/// ``EngineStore`` is the one implementation, over a storage engine (SQLite, PostgreSQL) that is
/// SQL only. It enforces: `(issuer, subject)` unique; an update applies only at its expected
/// version; the audit log is append-only. A store holds no business rule: what a deactivation takes
/// away, and what its audit events say, come from the ledger in ``LedgerChanges``. Every
/// requirement is checked by the conformance suite (`LedgerStoreConformanceTests`) on every engine.
package protocol LedgerStore: LedgerReads {
    /// Applies every write in one transaction.
    /// - Returns: the id of each user change, in order (new ids for inserts).
    /// - Throws: ``LedgerStoreError/conflict(_:)`` when a precondition fails (nothing is written),
    ///   or the underlying error.
    @discardableResult
    func apply(_ changes: LedgerChanges) async throws -> [UserID]

    /// Reads the user with this identity and the number of active `super_admin`s inside one write
    /// transaction, asks `decide` what to write, and applies that in the same transaction: nothing
    /// can come between the read and the write. `decide` must be pure (it may run again).
    /// - Returns: what `decide` returned, and the ids of its user changes (new ids for inserts).
    /// - Throws: what `decide` throws, a ``LedgerStoreError/conflict(_:)`` from applying, or the
    ///   underlying error; nothing is written then.
    func decide<T: Sendable>(
        issuer: String,
        subject: String,
        _ decide: @escaping @Sendable (_ user: User?, _ activeSuperAdmins: () throws -> Int) throws -> (LedgerChanges, T)
    ) async throws -> (T, [UserID])

    /// A page of users for listings.
    func users(matching query: UsersQuery) async throws -> UsersPage
    /// Calls `body` with every user, in id order, a batch at a time (for re-evaluation).
    func forEachUserBatch(size: Int, _ body: @Sendable ([User]) throws -> Void) async throws

    /// Audit events, newest first.
    func auditEvents(matching query: AuditQuery) async throws -> AuditPage

    /// Records a sign-in that changed nothing but the last sign-in time and the sign-in count. A
    /// store may defer and batch these writes (see ``flushSignIns()``); they never conflict with a
    /// user's version.
    func recordSignIn(of userID: UserID, at time: Date) async throws
    /// Writes the sign-ins ``recordSignIn(of:at:)`` deferred.
    func flushSignIns() async throws

    /// Stores a new API key and its `key.created` event in one transaction.
    /// - Returns: the key's id.
    /// - Throws: ``LedgerStoreError/conflict(_:)`` (``LedgerStoreError/Conflict/keyNameTaken(_:)``)
    ///   when the owner has an active key (unrevoked, unexpired at its `createdAt`) of that name.
    func insertKey(_ key: APIKey, audit: AuditEvent) async throws -> Int64
    /// A page of every key on the platform.
    func keys(matching query: KeysQuery, at time: Date) async throws -> KeysPage
    /// Revokes one key unless it is already revoked, writing ``KeyRevocation/event(for:)`` in the
    /// same transaction.
    /// - Parameter ownerID: when set, only a key of this owner is revoked (the Console's own keys).
    /// - Returns: the key as revoked with its owner, or the key as it was when already revoked;
    ///   `nil` when there is no such key (of that owner).
    func revokeKey(id: Int64, ownerID: UserID?, _ revocation: KeyRevocation) async throws -> KeyRevocationOutcome?
    /// Revokes one key if `plan`, given the key read with its row locked, answers a revocation (the
    /// stale-key policy checks the key again where nothing can use it meanwhile), writing
    /// ``KeyRevocation/event(for:)`` in the same transaction.
    /// - Returns: the key as revoked, or `nil` when there is no such key or `plan` answered `nil`.
    func revokeKey(id: Int64, if plan: @escaping @Sendable (OwnedKey) -> KeyRevocation?) async throws -> OwnedKey?
    /// Revokes several keys in one transaction, in the order given: reads each with its row locked
    /// (`nil` when there is no such key) and asks `plan` for its revocation, writing
    /// ``KeyRevocation/event(for:)`` for each. `plan` answers `nil` to leave a key as it is, or
    /// throws to refuse the whole batch, and then nothing is written.
    /// - Returns: the keys as revoked, with their owners, in the order given.
    func revokeKeys(
        ids: [Int64],
        _ plan: @escaping @Sendable (Int64, OwnedKey?) throws -> KeyRevocation?
    ) async throws -> [OwnedKey]
    /// Stores a completed access review and its `review.completed` event in one transaction; the
    /// event's details get the review's id (`review_id`).
    /// - Returns: the review's id.
    func insertAccessReview(_ review: AccessReview, audit: AuditEvent) async throws -> Int64
    /// Rolls a key in one transaction: reads it with its row locked, asks `plan` what the roll is
    /// (`plan` throws to refuse, and then nothing is written), inserts the replacement, marks the
    /// key rolled with its new expiry, and writes the `key.rolled` event.
    /// - Returns: both keys as written; `nil` when there is no such key.
    func rollKey(id: Int64, _ plan: @escaping @Sendable (OwnedKey) throws -> KeyRoll) async throws -> RolledKey?
}

/// What ``LedgerStore/revokeKey(id:ownerID:_:)`` found.
package enum KeyRevocationOutcome: Sendable, Hashable {
    /// Revoked now; the key as revoked, with its owner (read in the same transaction).
    case revoked(OwnedKey)
    /// Revoked before (there is no un-revoke); the key as it is.
    case alreadyRevoked(APIKey)
}

/// A credential a deactivation takes away: each is its own store operation, run in the order the
/// ledger lists them.
package enum CredentialRevocation: Sendable, Hashable {
    /// Revoke every unrevoked API key of the user, one `key.revoked` event each.
    case revokeAPIKeys(KeyRevocation)
    /// Delete the user's browser sessions.
    case endSessions

    var isKeyRevocation: Bool {
        if case .revokeAPIKeys = self { return true }
        return false
    }
}

extension [CredentialRevocation] {
    /// Everything a leaver holds, keys first (SPEC §7), then sessions: what every deactivation takes.
    package static func everything(_ keys: KeyRevocation) -> [CredentialRevocation] {
        [.revokeAPIKeys(keys), .endSessions]
    }
}

/// How many credentials the revocations of one change took away.
package struct RevocationCounts: Sendable, Hashable {
    package var sessions: Int
    package var apiKeys: Int

    package init(sessions: Int = 0, apiKeys: Int = 0) {
        self.sessions = sessions
        self.apiKeys = apiKeys
    }
}

/// Why a store refused to apply changes.
package enum LedgerStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Conflict: Sendable, Hashable {
        /// An insert met an existing `(issuer, subject)`.
        case identityExists(issuer: String, subject: String)
        /// An update's expected version is not the stored one.
        case staleUser(UserID)
        /// The changes would leave no active `super_admin`.
        case noActiveSuperAdmin
        /// The owner already has an active key of this name.
        case keyNameTaken(String)
    }

    case conflict(Conflict)
    /// A pagination cursor that this store did not issue (or for another sort).
    case invalidCursor
    /// The database cannot be reached (down, unreachable, refusing connections); nothing was
    /// written. Carries the server's or the network's reason, never a secret.
    case unavailable(String)
    /// The database answers but cannot write: its disk is full (`SQLITE_FULL`, SQLSTATE 53100) or
    /// it is read-only (`SQLITE_READONLY`, SQLSTATE 25006: a standby, a read-only file system);
    /// nothing was written. Carries the database's reason and code, never a secret.
    case notWritable(String)

    package var description: String {
        switch self {
        case .conflict(.identityExists(let issuer, let subject)):
            "a user with issuer \(issuer) and subject \(subject) already exists"
        case .conflict(.staleUser(let id)): "user \(id) changed concurrently"
        case .conflict(.noActiveSuperAdmin): "the change would leave no active super_admin"
        case .conflict(.keyNameTaken(let name)): "an active key of this owner is already named '\(name)'"
        case .invalidCursor: "the cursor is not valid for this listing; start again without it"
        case .unavailable(let reason): "the ledger's database cannot be reached: \(reason)"
        case .notWritable(let reason): "the ledger's database cannot write: \(reason)"
        }
    }
}

/// Writes to apply together.
package struct LedgerChanges: Sendable {
    package struct UserChange: Sendable {
        package enum Write: Sendable {
            /// A new user; its `id` and `version` are ignored (the store assigns them).
            case insert(User)
            /// A changed user, written only if the stored version is `expectedVersion`; the stored
            /// version becomes `expectedVersion + 1`.
            case update(User, expectedVersion: Int)
            /// No change to the row (events or session ends only).
            case none(UserID)
        }

        package var write: Write
        /// The user's credentials to take away, in this order, before the row is written.
        package var revoking: [CredentialRevocation]
        /// Events about this user, written in order; an insert's events get the new id. Write them
        /// with ``auditEvents(after:)``, which records what the revocations took away.
        package var audit: [AuditEvent]

        package init(write: Write, revoking: [CredentialRevocation] = [], audit: [AuditEvent] = []) {
            self.write = write
            self.revoking = revoking
            self.audit = audit
        }

        /// The events to write once the revocations are done: a `user.sessions_ended` event says
        /// how many sessions ended and how many API keys were revoked.
        package func auditEvents(after revoked: RevocationCounts) -> [AuditEvent] {
            audit.map { event in
                guard event.action == .sessionsEnded else { return event }
                var event = event
                if revoking.contains(.endSessions) { event.details[.sessions] = .number(Double(revoked.sessions)) }
                if revoking.contains(where: \.isKeyRevocation) { event.details[.apiKeysRevoked] = .number(Double(revoked.apiKeys)) }
                return event
            }
        }
    }

    package var users: [UserChange]
    /// Events about no written user (a refused sign-in of someone unknown), written last.
    package var audit: [AuditEvent]
    /// Check, after the writes, that an active `super_admin` remains: set when the changes demote
    /// or deactivate one.
    package var requiresActiveSuperAdmin: Bool

    package init(users: [UserChange] = [], audit: [AuditEvent] = [], requiresActiveSuperAdmin: Bool = false) {
        self.users = users
        self.audit = audit
        self.requiresActiveSuperAdmin = requiresActiveSuperAdmin
    }

    package var isEmpty: Bool { users.isEmpty && audit.isEmpty }
}

/// How to list users.
package struct UsersQuery: Sendable, Hashable {
    package enum Sort: String, Sendable, Hashable, CaseIterable, Codable {
        case name
        case email
        case role
        case lastSignIn = "last_sign_in"
        case registered
    }

    package enum Order: String, Sendable, Hashable, CaseIterable, Codable {
        case ascending = "asc"
        case descending = "desc"
    }

    /// Case-insensitive substring of the name or the email.
    package var search: String?
    package var role: Role?
    package var status: UserStatus?
    package var sort: Sort
    package var order: Order
    package var limit: Int
    /// From ``UsersPage/nextCursor``.
    package var cursor: String?

    package init(
        search: String? = nil,
        role: Role? = nil,
        status: UserStatus? = nil,
        sort: Sort = .name,
        order: Order = .ascending,
        limit: Int = 50,
        cursor: String? = nil
    ) {
        self.search = search
        self.role = role
        self.status = status
        self.sort = sort
        self.order = order
        self.limit = limit
        self.cursor = cursor
    }
}

package struct UsersPage: Sendable, Hashable {
    package var users: [User]
    /// Pass back as ``UsersQuery/cursor`` for the next page; `nil` on the last page.
    package var nextCursor: String?

    package init(users: [User], nextCursor: String?) {
        self.users = users
        self.nextCursor = nextCursor
    }
}

package struct AuditQuery: Sendable, Hashable {
    package var userID: UserID?
    package var action: AuditAction?
    package var actor: Actor?
    package var since: Date?
    package var until: Date?
    /// Only events about or by these people, or about these keys (a free-text search resolved by
    /// ``SyncService/auditSubjects(matching:)``); none match an empty set.
    package var about: AuditSubjects?
    package var limit: Int
    /// From ``AuditPage/nextCursor``.
    package var cursor: String?

    package init(
        userID: UserID? = nil,
        action: AuditAction? = nil,
        actor: Actor? = nil,
        since: Date? = nil,
        until: Date? = nil,
        about: AuditSubjects? = nil,
        limit: Int = 100,
        cursor: String? = nil
    ) {
        self.userID = userID
        self.action = action
        self.actor = actor
        self.since = since
        self.until = until
        self.about = about
        self.limit = limit
        self.cursor = cursor
    }
}

/// Whom a search of the audit log is about: events whose user or actor is one of `users`, and
/// events about one of `keys` (its owner's, naming the key's prefix as `prefix` or `new_prefix`).
package struct AuditSubjects: Sendable, Hashable {
    package struct Key: Sendable, Hashable {
        package var owner: UserID
        package var prefix: String

        package init(owner: UserID, prefix: String) {
            self.owner = owner
            self.prefix = prefix
        }
    }

    package var users: [UserID]
    package var keys: [Key]

    package init(users: [UserID] = [], keys: [Key] = []) {
        self.users = users
        self.keys = keys
    }

    package var isEmpty: Bool { users.isEmpty && keys.isEmpty }
    /// The actors `users` act as.
    package var actors: [String] { users.map { Actor.user($0).description } }
    package var keyOwners: [Int64] { Array(Set(keys.map(\.owner.rawValue))).sorted() }
    package var keyPrefixes: [String] { keys.map(\.prefix) }
}

package struct AuditPage: Sendable, Hashable {
    package var events: [AuditEvent]
    package var nextCursor: String?

    package init(events: [AuditEvent], nextCursor: String?) {
        self.events = events
        self.nextCursor = nextCursor
    }
}

/// A user's activity as their detail shows it (the admin API, `users show`, the dashboard), read in
/// one go: counts of their audit events by action, the newest events, the last refused sign-in and
/// the sessions open now.
package struct UserActivity: Sendable, Hashable {
    package var counts: [AuditAction: Int]
    /// Newest first.
    package var recent: [AuditEvent]
    package var lastRefusal: AuditEvent?
    package var activeSessions: Int

    package init(counts: [AuditAction: Int], recent: [AuditEvent], lastRefusal: AuditEvent?, activeSessions: Int) {
        self.counts = counts
        self.recent = recent
        self.lastRefusal = lastRefusal
        self.activeSessions = activeSessions
    }
}
