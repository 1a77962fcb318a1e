import Dispatch
package import Foundation
import GRDB
package import RoleSyncLedger

/// The SQLite ledger's one writer: an actor on a serial queue of its own, on which every write
/// transaction runs from `BEGIN IMMEDIATE` to `COMMIT`, one at a time. The ledger's shared
/// algorithm (``EngineStore``) and every primitive of ``SQLiteTransaction`` are
/// `nonisolated(nonsending)`, so a transaction runs on this queue without a hop between its
/// statements, and a wait for SQLite's lock (another process: a CLI command, a backup) or for the
/// disk holds this queue's thread, never one of Swift's cooperative pool (decision 118).
actor SQLiteWriter {
    private let queue: QueueExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { queue.asUnownedSerialExecutor() }

    private let database: any DatabaseWriter
    private let fault: (@Sendable (WorkPoint) throws -> Void)?
    /// Whether a transaction is open, and who waits for it: a transaction that suspended (it never
    /// should) still keeps the next one out.
    private var open = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ database: any DatabaseWriter, fault: (@Sendable (WorkPoint) throws -> Void)?) {
        self.database = database
        self.fault = fault
        queue = QueueExecutor(label: "rolesync.sqlite.writer")
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws. A
    /// database that cannot write (full, read-only) is ``LedgerStoreError/notWritable(_:)``.
    func transaction<T: Sendable>(_ body: nonisolated(nonsending) (SQLiteTransaction) async throws -> T) async throws -> T {
        while open { await withCheckedContinuation { waiting.append($0) } }
        open = true
        defer {
            open = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        let transaction = SQLiteTransaction(database: database, fault: fault)
        do {
            try transaction.access { db in try db.beginTransaction(.immediate) }
            let result = try await body(transaction)
            try transaction.access { db in try db.commit() }
            return result
        } catch {
            try? transaction.access { db in if db.isInsideTransaction { try db.rollback() } }
            if let error = error as? DatabaseError, let notWritable = SQLiteEngine.notWritable(error) { throw notWritable }
            throw error
        }
    }
}

/// A serial executor on a dispatch queue of its own.
final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// One write transaction's primitives on SQLite: each a statement or two on the writer's
/// connection, inside the transaction ``SQLiteWriter`` opened.
package struct SQLiteTransaction: LedgerTransaction {
    let database: any DatabaseWriter
    let fault: (@Sendable (WorkPoint) throws -> Void)?

    /// Runs `body` on the writer's connection, in the open transaction.
    func access<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction(body)
    }

    package func user(issuer: String, subject: String) throws -> User? {
        try access { db in try SQLiteEngine.user(issuer: issuer, subject: subject, db) }
    }

    package func activeSuperAdminCount() throws -> Int {
        try access { db in try SQLiteEngine.activeSuperAdmins(db) }
    }

    package func insertUser(_ user: User) throws -> UserID? {
        try access { db in try SQLiteEngine.insert(user, db) }
    }

    package func updateUser(_ user: User, expectedVersion: Int) throws -> Bool {
        try access { db in try SQLiteEngine.update(user, expectedVersion: expectedVersion, db) }
    }

    package func deleteSessions(of user: UserID) throws -> Int {
        try access { db in try SQLiteEngine.endSessions(of: user, db) }
    }

    package func insertEvent(_ event: AuditEvent) throws {
        try access { db in try SQLiteEngine.insert(event, db) }
    }

    package func insertAccessReview(_ review: AccessReview) throws -> Int64 {
        try access { db in try SQLiteEngine.insert(review, db) }
    }

    package func key(id: Int64) throws -> OwnedKey? {
        try access { db in try SQLiteEngine.key(id: id, db) }
    }

    package func unrevokedKeys(of user: UserID) throws -> [APIKey] {
        try access { db in try SQLiteEngine.unrevokedKeys(of: user, db) }
    }

    package func hasActiveKey(of user: UserID, named name: String, at time: Date) throws -> Bool {
        try access { db in try SQLiteEngine.hasActiveKey(of: user, named: name, at: time, db) }
    }

    package func insertKey(_ key: APIKey) throws -> Int64 {
        try access { db in try SQLiteEngine.insert(key, db) }
    }

    package func markRolled(_ key: APIKey, to replacement: Int64, at time: Date, expiresAt: Date) throws {
        try access { db in try SQLiteEngine.markRolled(key, to: replacement, at: time, expiresAt: expiresAt, db) }
    }

    package func markRevoked(_ key: APIKey, _ revocation: KeyRevocation) throws {
        try access { db in try SQLiteEngine.markRevoked(key, revocation, db) }
    }

    package func directoryNameTaken(_ resource: DirectoryResource) throws -> Bool {
        try access { db in try SQLiteEngine.nameTaken(resource, db) }
    }

    package func insertDirectoryResource(_ resource: DirectoryResource) throws {
        try access { db in try SQLiteEngine.insert(resource, db) }
    }

    package func updateDirectoryResource(_ resource: DirectoryResource, expectedVersion: Int) throws -> Bool {
        try access { db in try SQLiteEngine.update(resource, expectedVersion: expectedVersion, db) }
    }

    package func deleteDirectoryResource(issuer: String, kind: DirectoryResource.Kind, id: String, expectedVersion: Int) throws -> Bool {
        try access { db in try SQLiteEngine.deleteResource(issuer: issuer, kind: kind, id: id, expectedVersion: expectedVersion, db) }
    }

    package func setDirectoryMembers(issuer: String, group: String, members: [String]) throws {
        try access { db in try SQLiteEngine.setMembers(issuer: issuer, group: group, members: members, db) }
    }

    /// One writer at a time: every transaction is serializable already.
    package func requireSerializable() {}

    package func reached(_ point: WorkPoint) throws {
        try fault?(point)
    }
}
