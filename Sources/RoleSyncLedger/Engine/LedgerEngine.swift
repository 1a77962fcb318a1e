package import Foundation
import RoleSyncMapping

/// A storage engine under the ledger: SQL and connection handling, nothing that decides. The order
/// of work and every rule that is not SQL (what a change writes first, when a key name is taken,
/// when a revocation is a no-op, whose key a caller may revoke, how large a page is, what a cursor
/// says) live once, in ``EngineStore``, and run unchanged on every engine (decision 118).
///
/// An engine answers the reads and the writes no rule decides (``LedgerReads``) with SQL, gives
/// ``EngineStore`` pages of rows, and runs a write transaction over its primitives
/// (``LedgerTransaction``).
package protocol LedgerEngine: LedgerReads {
    associatedtype Transaction: LedgerTransaction

    /// Runs `body` in one write transaction, committed when it returns and rolled back when it
    /// throws; nothing is written then. An engine may run `body` again (a serialization failure,
    /// a stronger isolation asked for by ``LedgerTransaction/requireSerializable()``), so `body`
    /// does nothing but its transaction's work.
    ///
    /// `body` runs on the engine's own executor when it has one (SQLite's writer): it is
    /// `nonisolated(nonsending)`, and so is every primitive, so a transaction never hops threads
    /// between them.
    func write<T: Sendable>(
        _ isolation: WriteIsolation,
        _ body: nonisolated(nonsending) @escaping @Sendable (Transaction) async throws -> T
    ) async throws -> T

    /// At most `limit` users of a listing, after `cursor`, in its order, each with its sort value
    /// (for the next cursor). `query.limit` and `query.cursor` are ``EngineStore``'s to read.
    func users(matching query: UsersQuery, limit: Int, after cursor: PageCursor?) async throws -> [(User, PageCursor.Value)]
    /// At most `limit` users with an id above `id`, in id order.
    func users(after id: UserID, limit: Int) async throws -> [User]
    /// At most `limit` audit events of a listing with an id below `id` (all when `nil`), newest first.
    func auditEvents(matching query: AuditQuery, limit: Int, before id: Int64?) async throws -> [AuditEvent]
    /// At most `limit` keys of a listing, after `cursor`, in its order, each with its sort value;
    /// statuses as of `time`.
    func keys(matching query: KeysQuery, limit: Int, after cursor: PageCursor?, at time: Date) async throws -> [(OwnedKey, PageCursor.Value)]

    /// Adds deferred sign-ins: the last sign-in only moves forward and the count only grows, and the
    /// user's version is left alone (a sign-in's touch is not an edit).
    func writeSignIns(_ batch: [UserID: SignInTally]) async throws
    /// Upkeep an engine does with each flush of deferred writes (SQLite: the search index).
    func flushUpkeep() async throws
}

extension LedgerEngine {
    package func flushUpkeep() async throws {}
}

/// How strong a write transaction starts.
package enum WriteIsolation: Sendable, Hashable {
    /// As if alone: every change but a sign-in.
    case serializable
    /// A sign-in's decision, on its user's locked row: an engine may start weaker, and makes it
    /// again serializable when the decision asks (``LedgerTransaction/requireSerializable()``).
    case signIn
}

/// What the shared algorithm reached inside a transaction, for an engine's fault injection (tests
/// prove nothing is half-written) and for tests that record the order of work.
package enum WorkPoint: Sendable, Hashable {
    case afterUserWrite
    case afterAuditEvents
}

/// One write transaction's primitives: each is SQL, decides nothing, and runs on the transaction's
/// connection. Every one is `nonisolated(nonsending)`: it runs where the transaction runs.
package protocol LedgerTransaction {
    /// The user with this identity, its row locked until the transaction ends.
    nonisolated(nonsending) func user(issuer: String, subject: String) async throws -> User?
    nonisolated(nonsending) func activeSuperAdminCount() async throws -> Int
    /// Inserts a user (version 1); `nil` when a user with its identity exists.
    nonisolated(nonsending) func insertUser(_ user: User) async throws -> UserID?
    /// Writes the row if its stored version is `expectedVersion` (then `expectedVersion + 1`).
    /// - Returns: whether it was written.
    nonisolated(nonsending) func updateUser(_ user: User, expectedVersion: Int) async throws -> Bool
    /// Deletes the user's sessions. - Returns: how many there were.
    nonisolated(nonsending) func deleteSessions(of user: UserID) async throws -> Int
    nonisolated(nonsending) func insertEvent(_ event: AuditEvent) async throws

    /// The key with its owner, the key's row locked until the transaction ends.
    nonisolated(nonsending) func key(id: Int64) async throws -> OwnedKey?
    /// The user's unrevoked keys in id order, their rows locked.
    nonisolated(nonsending) func unrevokedKeys(of user: UserID) async throws -> [APIKey]
    /// Whether the user has an unrevoked key of this name (ignoring case) unexpired at `time` and not
    /// rolled (a rolled key hands its name to its replacement).
    nonisolated(nonsending) func hasActiveKey(of user: UserID, named name: String, at time: Date) async throws -> Bool
    /// Inserts a key. - Returns: its id.
    nonisolated(nonsending) func insertKey(_ key: APIKey) async throws -> Int64
    /// Marks the key rolled to `replacement` at `time`, now expiring at `expiresAt` (whether it may be
    /// rolled was decided on its locked row; a trigger keeps a rolled key rolled).
    nonisolated(nonsending) func markRolled(_ key: APIKey, to replacement: Int64, at time: Date, expiresAt: Date) async throws
    /// Marks the key revoked as `revocation` says, if it is not revoked yet.
    nonisolated(nonsending) func markRevoked(_ key: APIKey, _ revocation: KeyRevocation) async throws

    /// Whether another user of the resource's IdP has its name (ignoring case).
    nonisolated(nonsending) func directoryNameTaken(_ resource: DirectoryResource) async throws -> Bool
    nonisolated(nonsending) func insertDirectoryResource(_ resource: DirectoryResource) async throws
    /// Writes the resource if its stored version is `expectedVersion`. - Returns: whether it was.
    nonisolated(nonsending) func updateDirectoryResource(_ resource: DirectoryResource, expectedVersion: Int) async throws -> Bool
    /// Deletes the resource if its stored version is `expectedVersion`. - Returns: whether it did.
    nonisolated(nonsending) func deleteDirectoryResource(
        issuer: String,
        kind: DirectoryResource.Kind,
        id: String,
        expectedVersion: Int
    ) async throws -> Bool
    /// Replaces a group's member list with `members`.
    nonisolated(nonsending) func setDirectoryMembers(issuer: String, group: String, members: [String]) async throws

    /// Stores a completed access review. - Returns: its id.
    nonisolated(nonsending) func insertAccessReview(_ review: AccessReview) async throws -> Int64

    /// Every webhook endpoint, their rows locked.
    nonisolated(nonsending) func webhookEndpoints() async throws -> [WebhookEndpoint]
    /// The webhook endpoint of this name, its row locked.
    nonisolated(nonsending) func webhookEndpoint(named name: String) async throws -> WebhookEndpoint?
    /// Inserts or replaces the endpoint's row.
    nonisolated(nonsending) func saveWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws
    nonisolated(nonsending) func insertWebhookAttempts(_ attempts: [WebhookAttempt]) async throws
    /// The endpoint's failed message for this event, its row locked.
    nonisolated(nonsending) func webhookFailure(endpoint: String, eventID: Int64) async throws -> WebhookFailure?
    /// Inserts or replaces a failed message.
    nonisolated(nonsending) func saveWebhookFailure(_ failure: WebhookFailure) async throws
    nonisolated(nonsending) func deleteWebhookFailures(endpoint: String, eventIDs: [Int64]) async throws
    /// Where a stream starting now begins (``LedgerReads/auditStreamHead()``), in the transaction.
    nonisolated(nonsending) func auditStreamHead() async throws -> AuditStreamPosition
    /// The stream position of the first event (in stream order) at or after `time`; `nil` when none.
    nonisolated(nonsending) func auditStreamPosition(atOrAfter time: Date) async throws -> AuditStreamPosition?

    /// The decision needs the last-`super_admin` guard: an engine whose transaction started weaker
    /// than serializable (``WriteIsolation/signIn``) throws here to make it again, serializable.
    nonisolated(nonsending) func requireSerializable() async throws
    /// The algorithm reached `point` (fault injection in tests; nothing otherwise).
    nonisolated(nonsending) func reached(_ point: WorkPoint) async throws
}

/// Deferred sign-ins of one user: the latest time and how many.
package struct SignInTally: Sendable, Hashable {
    package var time: Date
    package var count: Int

    package init(time: Date, count: Int) {
        self.time = time
        self.count = count
    }
}
