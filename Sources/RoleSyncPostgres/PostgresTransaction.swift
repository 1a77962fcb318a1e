package import Foundation
import Logging
import PostgresNIO
package import RoleSyncLedger

/// One write transaction's primitives on PostgreSQL: each a statement on the transaction's
/// connection. Rows a decision reads are locked (`FOR UPDATE`) until the transaction ends.
package struct PostgresTransaction: LedgerTransaction {
    let connection: PostgresConnection
    let logger: Logger
    /// Whether the transaction runs `SERIALIZABLE` (else `READ COMMITTED`, a sign-in's start).
    let serializable: Bool

    package func user(issuer: String, subject: String) async throws -> User? {
        try await PostgresEngine.all(
            try await connection.checkedQuery(
                "SELECT \(unescaped: PostgresRows.user) FROM users WHERE issuer = \(issuer) AND subject = \(subject) FOR UPDATE",
                logger: logger
            ),
            PostgresRows.user
        ).first
    }

    package func activeSuperAdminCount() async throws -> Int {
        try await PostgresEngine.activeSuperAdmins(connection, logger)
    }

    package func insertUser(_ user: User) async throws -> UserID? {
        try await PostgresEngine.insert(user, connection, logger)
    }

    package func updateUser(_ user: User, expectedVersion: Int) async throws -> Bool {
        try await PostgresEngine.update(user, expectedVersion: expectedVersion, connection, logger)
    }

    package func deleteSessions(of user: UserID) async throws -> Int {
        try await PostgresEngine.count(
            try await connection.checkedQuery(
                "WITH ended AS (DELETE FROM sessions WHERE user_id = \(user.rawValue) RETURNING 1) SELECT count(*) FROM ended",
                logger: logger
            )
        )
    }

    package func insertEvent(_ event: AuditEvent) async throws {
        try await PostgresEngine.insert(event, connection, logger)
    }

    package func insertAccessReview(_ review: AccessReview) async throws -> Int64 {
        try await PostgresEngine.insert(review, connection, logger)
    }

    package func key(id: Int64) async throws -> OwnedKey? {
        try await PostgresEngine.lockedKey(id: id, connection, logger)
    }

    package func unrevokedKeys(of user: UserID) async throws -> [APIKey] {
        try await PostgresEngine.unrevokedKeys(of: user, connection, logger)
    }

    package func hasActiveKey(of user: UserID, named name: String, at time: Date) async throws -> Bool {
        try await PostgresEngine.hasActiveKey(of: user, named: name, at: time, connection, logger)
    }

    package func insertKey(_ key: APIKey) async throws -> Int64 {
        try await PostgresEngine.insert(key, connection, logger)
    }

    package func markRolled(_ key: APIKey, to replacement: Int64, at time: Date, expiresAt: Date) async throws {
        try await PostgresEngine.markRolled(key, to: replacement, at: time, expiresAt: expiresAt, connection, logger)
    }

    package func markRevoked(_ key: APIKey, _ revocation: KeyRevocation) async throws {
        try await PostgresEngine.markRevoked(key, revocation, connection, logger)
    }

    package func directoryNameTaken(_ resource: DirectoryResource) async throws -> Bool {
        try await PostgresEngine.nameTaken(resource, connection, logger)
    }

    package func insertDirectoryResource(_ resource: DirectoryResource) async throws {
        try await PostgresEngine.insert(resource, connection, logger)
    }

    package func updateDirectoryResource(_ resource: DirectoryResource, expectedVersion: Int) async throws -> Bool {
        try await PostgresEngine.update(resource, expectedVersion: expectedVersion, connection, logger)
    }

    package func deleteDirectoryResource(issuer: String, kind: DirectoryResource.Kind, id: String, expectedVersion: Int) async throws -> Bool {
        try await PostgresEngine.deleteResource(issuer: issuer, kind: kind, id: id, expectedVersion: expectedVersion, connection, logger)
    }

    package func setDirectoryMembers(issuer: String, group: String, members: [String]) async throws {
        try await PostgresEngine.setMembers(issuer: issuer, group: group, members: members, connection, logger)
    }

    /// A sign-in started `READ COMMITTED`: the engine makes it again, `SERIALIZABLE`.
    package func requireSerializable() throws {
        guard serializable else { throw NeedsSerializable() }
    }

    package func reached(_ point: WorkPoint) {}
}
