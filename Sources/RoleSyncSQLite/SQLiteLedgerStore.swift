public import Foundation
public import GRDB
public import RoleSyncLedger
import RoleSyncMapping
import Synchronization

/// The ledger in SQLite (GRDB 7, the system's libsqlite3): WAL, foreign keys on, one writer and
/// parallel readers on disk; a serial queue in memory for tests.
public final class SQLiteLedgerStore: LedgerStore {
    /// Points inside ``apply(_:)`` where tests inject a failure, to prove nothing is half-written.
    public enum FaultPoint: Sendable, Hashable {
        case afterUserWrite
        case afterAuditEvents
    }

    let writer: any DatabaseWriter
    private let fault: (@Sendable (FaultPoint) throws -> Void)?
    /// Whether sign-ins that change nothing but the last sign-in are batched (`rolesync serve`) or
    /// written at once (the command line, tests).
    public let defersSignIns: Bool
    /// Deferred sign-ins: per user, the latest time and how many.
    let pendingSignIns = Mutex<[UserID: (time: Date, count: Int)]>([:])
    /// A batch is written once this many users wait, or when ``flushSignIns()`` is called.
    static let signInBatchSize = 512

    /// Opens (creating if needed) a database file and migrates it.
    /// - Parameters:
    ///   - path: the SQLite file.
    ///   - fault: tests only: called at each ``FaultPoint`` inside the write transaction.
    /// - Throws: ``SQLiteStoreError`` when the file cannot be opened or migrated.
    ///   - defersSignIns: batch the writes of sign-ins that change nothing but the last sign-in; the
    ///     owner then calls ``flushSignIns()`` at least every second and before it exits.
    public convenience init(
        path: String,
        defersSignIns: Bool = false,
        fault: (@Sendable (FaultPoint) throws -> Void)? = nil
    ) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
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
        try self.init(writer: pool, defersSignIns: defersSignIns, fault: fault)
    }

    /// A private in-memory database (tests, demos).
    public static func inMemory(fault: (@Sendable (FaultPoint) throws -> Void)? = nil) throws -> SQLiteLedgerStore {
        try SQLiteLedgerStore(writer: try DatabaseQueue(), fault: fault)
    }

    /// Uses an open database and migrates it.
    public init(
        writer: any DatabaseWriter,
        defersSignIns: Bool = false,
        fault: (@Sendable (FaultPoint) throws -> Void)? = nil
    ) throws {
        self.writer = writer
        self.defersSignIns = defersSignIns
        self.fault = fault
        do {
            try LedgerSchema.migrator.migrate(writer)
        } catch {
            throw SQLiteStoreError.cannotMigrate(reason: "\(error)")
        }
    }

    // MARK: Access

    /// A read on the calling thread. GRDB's async variants hop to a dispatch queue and back, which
    /// costs a thread wake-up each way (~0.4 ms measured on the 2-vCPU VM); the ledger's statements
    /// take microseconds, so they run where they are called.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    /// A write transaction on the calling thread (see ``reading(_:)``); writers are serialised.
    func writing<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.write(body)
    }

    // MARK: Users

    static let userColumns = """
        id, issuer, subject, email, name, organization_unit, role, role_source, status, deactivation_reason,
        deactivation_source, registered_at, last_sign_in_at, sign_in_count, last_claims, version
        """

    static func user(_ row: Row) throws -> User {
        let claimsText: String = row[14]
        let claims: Claims
        do {
            claims = try Claims(json: Data(claimsText.utf8))
        } catch {
            throw SQLiteStoreError.corrupt("user \(row[0] as Int64): last_claims: \(error)")
        }
        guard let role = Role(rawValue: row[6]), let source = RoleSource(rawValue: row[7]),
            let status = UserStatus(rawValue: row[8])
        else {
            throw SQLiteStoreError.corrupt("user \(row[0] as Int64): unknown role, role source or status")
        }
        let reason: String? = row[9]
        let lastSignIn: Double? = row[12]
        return User(
            id: UserID(row[0]),
            issuer: row[1],
            subject: row[2],
            email: row[3],
            name: row[4],
            organizationUnit: row[5],
            role: role,
            roleSource: source,
            status: status,
            deactivationReason: reason.flatMap(DeactivationReason.init(rawValue:)),
            deactivationSource: row[10],
            registeredAt: Date(timeIntervalSince1970: row[11]),
            lastSignInAt: lastSignIn.map(Date.init(timeIntervalSince1970:)),
            signInCount: row[13],
            lastClaims: claims,
            version: row[15]
        )
    }

    public func user(id: UserID) async throws -> User? {
        try reading { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Self.userColumns) FROM users WHERE id = ?"), arguments: [id.rawValue]).map(
                Self.user
            )
        }
    }

    public func user(issuer: String, subject: String) async throws -> User? {
        try reading { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT \(Self.userColumns) FROM users WHERE issuer = ? AND subject = ?"),
                arguments: [issuer, subject]
            ).map(Self.user)
        }
    }

    public func users(email: String) async throws -> [User] {
        try reading { db in
            try Row.fetchAll(
                try db.cachedStatement(
                    sql: "SELECT \(Self.userColumns) FROM users WHERE coalesce(email, '') = ? COLLATE NOCASE AND email IS NOT NULL ORDER BY id"
                ),
                arguments: [email]
            ).map(Self.user)
        }
    }

    public func activeSuperAdminCount() async throws -> Int {
        try reading { db in try Self.activeSuperAdmins(db) }
    }

    static func activeSuperAdmins(_ db: Database) throws -> Int {
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM users WHERE role = 'super_admin' AND status = 'active'")) ?? 0
    }

    public func userCount() async throws -> Int {
        try reading { db in try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM users")) ?? 0 }
    }

    public func forEachUserBatch(size: Int, _ body: @Sendable ([User]) throws -> Void) async throws {
        var after: Int64 = 0
        while true {
            let start = after
            let batch = try reading { db in
                try Row.fetchAll(
                    try db.cachedStatement(sql: "SELECT \(Self.userColumns) FROM users WHERE id > ? ORDER BY id LIMIT ?"),
                    arguments: [start, size]
                ).map(Self.user)
            }
            guard let last = batch.last else { return }
            try body(batch)
            after = last.id.rawValue
        }
    }

    // MARK: Writes

    public func apply(_ changes: LedgerChanges) async throws -> [UserID] {
        guard !changes.isEmpty else { return [] }
        return try writing { db in try self.apply(changes, db) }
    }

    public func decide<T: Sendable>(
        issuer: String,
        subject: String,
        _ decide: @Sendable (User?, () throws -> Int) throws -> (LedgerChanges, T)
    ) async throws -> (T, [UserID]) {
        try writing { db in
            let user = try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT \(Self.userColumns) FROM users WHERE issuer = ? AND subject = ?"),
                arguments: [issuer, subject]
            ).map(Self.user)
            // The count is read only when the rules ask for it (an active super_admin signing in).
            let (changes, result) = try decide(user, { try Self.activeSuperAdmins(db) })
            return (result, changes.isEmpty ? [] : try self.apply(changes, db))
        }
    }

    /// Applies changes inside an open write transaction.
    func apply(_ changes: LedgerChanges, _ db: Database) throws -> [UserID] {
        let fault = self.fault
        var ids: [UserID] = []
        for change in changes.users {
            let id: UserID
            // Credentials go before the row changes; the counts join the sessions-ended event.
            var ended: (sessions: Int, tokens: Int)?
            switch change.write {
            case .insert(let user):
                id = try Self.insert(user, db)
            case .update(let user, let expected):
                if change.endSessions { ended = try Self.deleteSessions(of: user.id, db) }
                try Self.update(user, expectedVersion: expected, db)
                id = user.id
            case .none(let existing):
                if change.endSessions { ended = try Self.deleteSessions(of: existing, db) }
                id = existing
            }
            try fault?(.afterUserWrite)
            for var event in change.audit {
                if let ended, event.action == .sessionsEnded {
                    event.details["sessions"] = .number(Double(ended.sessions))
                    event.details["api_tokens_revoked"] = .number(Double(ended.tokens))
                }
                event.userID = id
                try Self.insert(event, db)
            }
            ids.append(id)
        }
        for event in changes.audit { try Self.insert(event, db) }
        try fault?(.afterAuditEvents)
        if changes.requiresActiveSuperAdmin, try Self.activeSuperAdmins(db) == 0 {
            throw LedgerStoreError.conflict(.noActiveSuperAdmin)
        }
        return ids
    }

    static func insert(_ user: User, _ db: Database) throws -> UserID {
        do {
            try db.cachedStatement(
                sql: """
                    INSERT INTO users (issuer, subject, email, name, organization_unit, role, role_source, status,
                        deactivation_reason, deactivation_source, registered_at, last_sign_in_at, sign_in_count, last_claims, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """
            ).execute(arguments: [
                user.issuer, user.subject, user.email, user.name, user.organizationUnit, user.role.rawValue,
                user.roleSource.rawValue, user.status.rawValue, user.deactivationReason?.rawValue, user.deactivationSource,
                user.registeredAt.timeIntervalSince1970, user.lastSignInAt?.timeIntervalSince1970, user.signInCount,
                user.lastClaims.jsonText,
            ]
            )
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw LedgerStoreError.conflict(.identityExists(issuer: user.issuer, subject: user.subject))
        }
        return UserID(db.lastInsertedRowID)
    }

    /// Writes only the columns that changed. Setting a column to its own value still makes SQLite
    /// rewrite every index over it (the name, email and expression indexes): on a sign-in that only
    /// moves `last_sign_in_at`, that was most of the write.
    static func update(_ user: User, expectedVersion: Int, _ db: Database) throws {
        guard
            let stored = try Row.fetchOne(
                try db.cachedStatement(
                    sql: """
                        SELECT email, name, organization_unit, role, role_source, status, deactivation_reason,
                            deactivation_source, last_sign_in_at, sign_in_count, last_claims
                        FROM users WHERE id = ? AND version = ?
                        """
                ),
                arguments: [user.id.rawValue, expectedVersion]
            )
        else { throw LedgerStoreError.conflict(.staleUser(user.id)) }
        let claimsText = user.lastClaims.jsonText
        let columns: [(String, DatabaseValue)] = [
            ("email", user.email.databaseValue), ("name", user.name.databaseValue),
            ("organization_unit", user.organizationUnit.databaseValue), ("role", user.role.rawValue.databaseValue),
            ("role_source", user.roleSource.rawValue.databaseValue), ("status", user.status.rawValue.databaseValue),
            ("deactivation_reason", user.deactivationReason?.rawValue.databaseValue ?? .null),
            ("deactivation_source", user.deactivationSource.databaseValue),
            ("last_sign_in_at", user.lastSignInAt?.timeIntervalSince1970.databaseValue ?? .null),
            ("sign_in_count", user.signInCount.databaseValue), ("last_claims", claimsText.databaseValue),
        ]
        var names: [String] = []
        var values: [DatabaseValue] = []
        for (index, (name, value)) in columns.enumerated() where stored[index] as DatabaseValue != value {
            names.append(name)
            values.append(value)
        }
        names.append("version")
        values += [(expectedVersion + 1).databaseValue, user.id.rawValue.databaseValue, expectedVersion.databaseValue]
        // The column names come from the fixed list above; only values are bound.
        let sql = "UPDATE users SET " + names.map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ? AND version = ?"
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values))
        if db.changesCount == 0 { throw LedgerStoreError.conflict(.staleUser(user.id)) }
    }

    /// Ends a user's sessions and revokes their API tokens: every credential they hold.
    /// Ends a user's sessions and deletes their API tokens.
    /// - Returns: how many of each there were.
    @discardableResult
    static func deleteSessions(of id: UserID, _ db: Database) throws -> (sessions: Int, tokens: Int) {
        try db.cachedStatement(sql: "DELETE FROM sessions WHERE user_id = ?").execute(arguments: [id.rawValue])
        let sessions = db.changesCount
        try db.cachedStatement(sql: "DELETE FROM api_tokens WHERE user_id = ?").execute(arguments: [id.rawValue])
        return (sessions, db.changesCount)
    }

    static func insert(_ event: AuditEvent, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO audit_events (time, actor, action, user_id, issuer, subject, details) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [
                event.time.timeIntervalSince1970, event.actor.description, event.action.rawValue, event.userID?.rawValue,
                event.issuer, event.subject, event.detailsJSON,
            ]
            )
    }

    // MARK: Sessions

    public func insertSession(_ session: Session) async throws {
        try writing { db in
            try db.cachedStatement(sql: "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [
                    session.tokenHash, session.userID.rawValue, session.createdAt.timeIntervalSince1970,
                    session.expiresAt.timeIntervalSince1970, session.lastSeenAt.timeIntervalSince1970,
                ]
                )
        }
    }

    public func session(tokenHash: String) async throws -> Session? {
        try reading { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT token_hash, user_id, created_at, expires_at, last_seen_at FROM sessions WHERE token_hash = ?"),
                arguments: [tokenHash]
            ).map { row in
                Session(
                    tokenHash: row[0],
                    userID: UserID(row[1]),
                    createdAt: Date(timeIntervalSince1970: row[2]),
                    expiresAt: Date(timeIntervalSince1970: row[3]),
                    lastSeenAt: Date(timeIntervalSince1970: row[4])
                )
            }
        }
    }

    public func touchSession(tokenHash: String, at time: Date) async throws {
        try writing { db in
            try db.cachedStatement(sql: "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?").execute(arguments: [
                time.timeIntervalSince1970, tokenHash,
            ]
            )
        }
    }

    public func deleteSession(tokenHash: String) async throws -> Bool {
        try writing { db in
            try db.cachedStatement(sql: "DELETE FROM sessions WHERE token_hash = ?").execute(arguments: [tokenHash])
            return db.changesCount > 0
        }
    }

    public func sessionCount(userID: UserID) async throws -> Int {
        try reading { db in
            try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM sessions WHERE user_id = ?"), arguments: [userID.rawValue]) ?? 0
        }
    }
}

/// Why the SQLite store could not do its job.
public enum SQLiteStoreError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case cannotMigrate(reason: String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open the database \(path): \(reason)"
        case .cannotMigrate(let reason): "cannot migrate the database: \(reason)"
        case .corrupt(let what): "the database holds an invalid value: \(what)"
        }
    }
}
