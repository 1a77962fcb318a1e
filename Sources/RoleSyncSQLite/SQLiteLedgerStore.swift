package import Foundation
package import GRDB
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping
import RoleSyncStoreSupport
import Synchronization

/// The ledger in SQLite (GRDB 7, the system's libsqlite3): the default engine under ``EngineStore``.
/// WAL, foreign keys on, one writer and parallel readers on disk; a serial queue in memory for
/// tests. SQL and connection handling only: what is written in which order is the ledger's.
package typealias SQLiteLedgerStore = EngineStore<SQLiteEngine>

/// The SQLite engine: reads on GRDB's readers, each write transaction on ``SQLiteWriter``.
package final class SQLiteEngine: LedgerEngine {
    package let writer: any DatabaseWriter
    /// Read-only connections of their own for ``pointRead(_:)`` (on disk; none in memory).
    private let pointReaders: PointReaders?
    /// Runs every write transaction, one at a time, off Swift's pool.
    let transactions: SQLiteWriter
    /// Whether the owner defers sign-ins (`serve`): then each flush also indexes new users.
    let indexesOnFlush: Bool

    /// Opens (creating if needed) a database file and migrates it.
    /// - Throws: ``SQLiteStoreError`` when the file cannot be opened or migrated.
    package convenience init(path: String, indexesOnFlush: Bool, fault: (@Sendable (WorkPoint) throws -> Void)?) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // A write transaction spans several accesses of the writer (``SQLiteWriter``).
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // WAL (DatabasePool's default) with NORMAL sync: durable across crashes of the process;
            // the last transactions may be lost on power loss, never corrupted.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Checkpoint the WAL every ~40 MB instead of every 4 MB: each checkpoint copies pages back
            // and syncs; with sign-ins writing a few pages each, the default ran one every ~300.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw SQLiteStoreError.cannotOpen(path: path, reason: "\(error)")
        }
        // Introspection's point reads get read-only connections of their own (see pointRead).
        let pointReaders: PointReaders
        do {
            pointReaders = try PointReaders(path: path, count: max(2, ProcessInfo.processInfo.activeProcessorCount))
        } catch {
            throw SQLiteStoreError.cannotOpen(path: path, reason: "\(error)")
        }
        try self.init(writer: pool, indexesOnFlush: indexesOnFlush, fault: fault, pointReaders: pointReaders)
    }

    /// Uses an open database and migrates it.
    package init(
        writer: any DatabaseWriter,
        indexesOnFlush: Bool = false,
        fault: (@Sendable (WorkPoint) throws -> Void)? = nil,
        pointReaders: PointReaders? = nil
    ) throws {
        self.writer = writer
        self.pointReaders = pointReaders
        self.indexesOnFlush = indexesOnFlush
        transactions = SQLiteWriter(writer, fault: fault)
        do {
            try LedgerSchema.migrator.migrate(writer)
        } catch {
            throw SQLiteStoreError.cannotMigrate(reason: "\(error)")
        }
    }

    // MARK: Access

    /// A read, off Swift's cooperative pool: GRDB runs it on a reader connection's queue (the
    /// writer's, in memory) and the calling task suspends until it is done. A read that waits for
    /// the disk or a lock never holds one of the pool's threads, on which every request runs.
    func reading<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.read(body)
    }

    /// One statement reading a few rows by unique index (introspection's look-up), on the calling
    /// thread when a point reader is free, else as an ordinary ``reading(_:)``. In WAL mode a reader
    /// never waits for the writer, so a free point reader holds the thread only for the read itself
    /// (a few microseconds, from SQLite's page cache); ``reading(_:)``'s two thread hops cost about
    /// 80 µs on the 2-core VM (docs/performance.md), which capped introspection at ~8,000/s. No
    /// transaction is opened: one statement is atomic by itself. Only for a single look-up by a
    /// unique key, never a scan.
    ///
    /// A thread of Swift's cooperative pool never waits here: a point reader is taken only when
    /// free (another thread never holds it meanwhile), and a read that would wait for a lock (SQLite
    /// busy) suspends instead, through ``reading(_:)``. Never the pool's readers: an async read
    /// keeps its pool reader until its task resumes on Swift's pool, so threads of that pool waiting
    /// for a pool reader could wait for themselves (under 8 concurrent requests they did).
    func pointRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let pointReaders, let result = try pointReaders.tryRead(body) { return result }
        return try await reading(body)
    }

    /// One write transaction of SQL alone (no rule of the ledger in it), on ``SQLiteWriter``.
    func writing<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await transactions.transaction { transaction in try transaction.access(body) }
    }

    package func write<T: Sendable>(
        _ isolation: WriteIsolation,
        _ body: nonisolated(nonsending) @escaping @Sendable (SQLiteTransaction) async throws -> T
    ) async throws -> T {
        // One writer at a time makes every transaction serializable: a sign-in needs nothing more.
        try await transactions.transaction(body)
    }

    /// ``LedgerStoreError/notWritable(_:)`` for the errors that say SQLite cannot write at all:
    /// the disk or the file's size limit is full, the file or its folder is read-only, or a write
    /// to the disk failed. The reason names SQLite's code, for the log.
    static func notWritable(_ error: DatabaseError) -> LedgerStoreError? {
        let name: String
        switch error.resultCode {
        case .SQLITE_FULL: name = "SQLITE_FULL"
        case .SQLITE_READONLY: name = "SQLITE_READONLY"
        case .SQLITE_IOERR: name = "SQLITE_IOERR"
        case .SQLITE_CANTOPEN: name = "SQLITE_CANTOPEN"
        default: return nil
        }
        return .notWritable("\(error.message ?? "SQLite error") (\(name), extended code \(error.extendedResultCode.rawValue))")
    }

    /// `SELECT 1` on a point reader (``pointRead(_:)``): `GET /healthz` is asked as often as a
    /// gateway's checks, and two thread hops per answer halved its throughput under writes.
    package func ping() async throws {
        _ = try await pointRead { db in try Int.fetchOne(try db.cachedStatement(sql: "SELECT 1")) }
    }

    package func probeWrite(at time: Date) async throws {
        try await writing { db in
            try db.cachedStatement(sql: "UPDATE write_probe SET written_at = ? WHERE id = 1").execute(arguments: [time.timeIntervalSince1970])
        }
    }

    // MARK: Users

    static func user(in db: Database, sql: String, arguments: StatementArguments) throws -> User? {
        try UserRecord.fetchOne(try db.cachedStatement(sql: sql), arguments: arguments)?.user
    }

    static func users(in db: Database, sql: String, arguments: StatementArguments = []) throws -> [User] {
        try UserRecord.fetchAll(try db.cachedStatement(sql: sql), arguments: arguments).map(\.user)
    }

    package func user(id: UserID) async throws -> User? {
        try await reading { db in
            try Self.user(in: db, sql: "SELECT \(UserRecord.selection) FROM users WHERE id = ?", arguments: [id.rawValue])
        }
    }

    package func user(issuer: String, subject: String) async throws -> User? {
        try await reading { db in try Self.user(issuer: issuer, subject: subject, db) }
    }

    static func user(issuer: String, subject: String, _ db: Database) throws -> User? {
        try user(in: db, sql: "SELECT \(UserRecord.selection) FROM users WHERE issuer = ? AND subject = ?", arguments: [issuer, subject])
    }

    package func users(ids: [UserID]) async throws -> [User] {
        let list = ClaimValue.array(ids.map { .number(Double($0.rawValue)) }).jsonText
        return try await reading { db in
            try Self.users(
                in: db,
                sql: "SELECT \(UserRecord.selection) FROM users WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                arguments: [list]
            )
        }
    }

    package func users(email: String) async throws -> [User] {
        try await reading { db in
            try Self.users(
                in: db,
                sql: """
                    SELECT \(UserRecord.selection) FROM users
                    WHERE coalesce(email, '') = ? COLLATE NOCASE AND email IS NOT NULL ORDER BY id
                    """,
                arguments: [email]
            )
        }
    }

    package func activeSuperAdminCount() async throws -> Int {
        try await reading { db in try Self.activeSuperAdmins(db) }
    }

    static func activeSuperAdmins(_ db: Database) throws -> Int {
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM users WHERE role = 'super_admin' AND status = 'active'")) ?? 0
    }

    package func userCount() async throws -> Int {
        try await reading { db in try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM users")) ?? 0 }
    }

    package func users(after id: UserID, limit: Int) async throws -> [User] {
        try await reading { db in
            try Self.users(
                in: db,
                sql: "SELECT \(UserRecord.selection) FROM users WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [id.rawValue, limit]
            )
        }
    }

    // MARK: Writes

    /// Deletes the user's sessions. - Returns: how many there were.
    static func endSessions(of id: UserID, _ db: Database) throws -> Int {
        try db.cachedStatement(sql: "DELETE FROM sessions WHERE user_id = ?").execute(arguments: [id.rawValue])
        return db.changesCount
    }

    /// - Returns: the new id; `nil` when a user has its identity.
    static func insert(_ user: User, _ db: Database) throws -> UserID? {
        do {
            try db.cachedStatement(
                sql: """
                    INSERT INTO users (issuer, subject, email, name, organization_unit, role, role_source, status,
                        deactivation_reason, deactivation_source, registered_at, last_sign_in_at, sign_in_count, last_claims, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """
            ).execute(arguments: [
                user.issuer, user.subject, user.email, user.name, user.organizationUnit, user.role.rawValue,
                user.roleSource.rawValue, user.status.rawValue, user.deactivationReason?.rawValue, user.deactivationSource?.rawValue,
                user.registeredAt.timeIntervalSince1970, user.lastSignInAt?.timeIntervalSince1970, user.signInCount,
                user.lastClaims.jsonText,
            ]
            )
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            return nil
        }
        return UserID(db.lastInsertedRowID)
    }

    /// Writes only the columns that changed. Setting a column to its own value still makes SQLite
    /// rewrite every index over it (the name, email and expression indexes): on a sign-in that only
    /// moves `last_sign_in_at`, that was most of the write.
    /// - Returns: whether it was written (the stored version was `expectedVersion`).
    static func update(_ user: User, expectedVersion: Int, _ db: Database) throws -> Bool {
        let values = UserRecord.changeableValues(of: user)
        guard
            let stored = try Row.fetchOne(
                try db.cachedStatement(
                    sql: "SELECT " + values.map(\.0.name).joined(separator: ", ") + " FROM users WHERE id = ? AND version = ?"
                ),
                arguments: [user.id.rawValue, expectedVersion]
            )
        else { return false }
        var names: [String] = []
        var arguments: [DatabaseValue] = []
        for (column, value) in values where stored[column] as DatabaseValue != value {
            names.append(column.name)
            arguments.append(value)
        }
        names.append(UserRecord.Columns.version.name)
        arguments += [(expectedVersion + 1).databaseValue, user.id.rawValue.databaseValue, expectedVersion.databaseValue]
        // The column names come from the record's fixed list; only values are bound.
        let sql = "UPDATE users SET " + names.map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ? AND version = ?"
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments))
        return db.changesCount > 0
    }

    static func insert(_ event: AuditEvent, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO audit_events (time, actor, action, user_id, issuer, subject, details) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [
                event.time.timeIntervalSince1970, event.actor.description, event.action.rawValue, event.userID?.rawValue,
                event.issuer, event.subject, event.storedDetails,
            ]
            )
    }

    // MARK: Sessions

    package func insertSession(_ session: Session) async throws {
        try await writing { db in
            try db.cachedStatement(sql: "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [
                    session.tokenHash, session.userID.rawValue, session.createdAt.timeIntervalSince1970,
                    session.expiresAt.timeIntervalSince1970, session.lastSeenAt.timeIntervalSince1970,
                ])
        }
    }

    package func session(tokenHash: String) async throws -> Session? {
        try await reading { db in
            try SessionRecord.fetchOne(
                try db.cachedStatement(sql: "SELECT \(SessionRecord.selection) FROM sessions WHERE token_hash = ?"),
                arguments: [tokenHash]
            )?.session
        }
    }

    package func touchSession(tokenHash: String, at time: Date) async throws {
        try await writing { db in
            try db.cachedStatement(sql: "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?").execute(arguments: [
                time.timeIntervalSince1970, tokenHash,
            ])
        }
    }

    package func deleteSession(tokenHash: String) async throws -> Bool {
        try await writing { db in
            try db.cachedStatement(sql: "DELETE FROM sessions WHERE token_hash = ?").execute(arguments: [tokenHash])
            return db.changesCount > 0
        }
    }

    package func sessionCount(userID: UserID) async throws -> Int {
        try await reading { db in
            try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM sessions WHERE user_id = ?"), arguments: [userID.rawValue]) ?? 0
        }
    }
}

/// Read-only connections for ``SQLiteLedgerStore/pointRead(_:)``, each used by one thread at a
/// time: one is taken only when free, so no thread ever waits for another's.
package final class PointReaders: Sendable {
    private let free: Mutex<[DatabaseQueue]>

    init(path: String, count: Int) throws {
        var readOnly = Configuration()
        readOnly.readonly = true
        // A read that would wait for a lock fails at once and is made again off the pool's threads.
        readOnly.busyMode = .immediateError
        free = Mutex(try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: readOnly) })
    }

    /// `body`'s result on a free connection, on this thread; `nil` when none is free or SQLite is
    /// busy (the caller reads another way).
    func tryRead<T>(_ body: (Database) throws -> T) throws -> T? {
        guard let reader = free.withLock({ $0.popLast() }) else { return nil }
        defer { free.withLock { $0.append(reader) } }
        do {
            return try reader.unsafeRead(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            return nil
        }
    }
}

/// Why the SQLite store could not do its job.
package enum SQLiteStoreError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case cannotMigrate(reason: String)
    case corrupt(String)

    package var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open the database \(path): \(reason)"
        case .cannotMigrate(let reason): "cannot migrate the database: \(reason)"
        case .corrupt(let what): "the database holds an invalid value: \(what)"
        }
    }
}
