package import Foundation
package import Logging
package import PostgresNIO
package import RoleSyncLedger
import RoleSyncMapping
import RoleSyncStoreSupport
import Synchronization
import _ConnectionPoolModule

/// Thrown inside a sign-in's `READ COMMITTED` transaction when its decision touches the
/// last-`super_admin` guard: it is made again under `SERIALIZABLE`.
struct NeedsSerializable: Error {}

/// The ledger in PostgreSQL, for several replicas on one database: ``EngineStore`` over
/// ``PostgresEngine``.
package typealias PostgresLedgerStore = EngineStore<PostgresEngine>

/// The PostgreSQL engine (postgres-nio's pool): SQL and connection handling only.
///
/// Every write transaction but a sign-in's runs `SERIALIZABLE` and is retried on a serialization
/// failure or a deadlock, so two replicas' concurrent changes behave as one after the other: the
/// last active `super_admin` cannot be demoted twice over. A sign-in locks its user's row
/// (`READ COMMITTED`, made again `SERIALIZABLE` when the last-`super_admin` guard is involved), and
/// two first sign-ins of one subject make one user (the second meets the first's insert, and the
/// ledger decides again). Reads are single statements, each atomic on its own. Isolation per
/// operation is in `docs/decisions.md`.
package final class PostgresEngine: LedgerEngine {
    let client: PostgresClient
    let logger: Logger
    /// When an operation last finished on a pooled connection.
    let served = LastServed()
    /// How many times a transaction that lost a serialization race is run again.
    static let retries = 20

    /// How long an operation waits for a pooled connection before the ledger answers
    /// ``LedgerStoreError/unavailable(_:)``: PostgresNIO's pool would keep it waiting a minute while
    /// it retries an unreachable server.
    package let connectionWait: Duration

    /// An engine over a running client (its `run()` is the caller's); the schema must be migrated
    /// (``PostgresMigrator``).
    package init(client: PostgresClient, logger: Logger, connectionWait: Duration = .seconds(3)) {
        self.client = client
        self.logger = logger
        self.connectionWait = connectionWait
    }

    // MARK: Access

    /// Runs one statement on a pooled connection; its rows, read whole.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.all(try await connection.checkedQuery(query, logger: logger)) { $0 }
        }
    }

    /// All rows of a read, decoded.
    func rows<T: Sendable>(_ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRow) throws -> T) async throws -> [T] {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.all(try await connection.checkedQuery(query, logger: logger), decode)
        }
    }

    /// The longest a busy pool keeps an operation waiting for a connection (the server answers, all
    /// connections are in use); then it too is answered unavailable.
    static let busyWait: Duration = .seconds(30)

    /// Runs `body` on a pooled connection; a lost, refused or shut-down connection comes back as
    /// ``LedgerStoreError/unavailable(_:)`` (which the server answers 503). The wait for a connection
    /// is at most ``connectionWait`` while no operation has finished meanwhile (the server is down
    /// or unreachable: PostgresNIO's pool would retry for a minute), and at most ``busyWait`` while
    /// others do (the pool is busy). Once `body` has its connection it is never cut short.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = self.client
        let wait = connectionWait
        let leased = LeaseFlag()
        let served = self.served
        let clock = ContinuousClock()
        let start = clock.now
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    let value = try await client.withConnection { connection in
                        leased.set()
                        return try await body(connection)
                    }
                    served.record()
                    return value
                }
                group.addTask {
                    try? await Task.sleep(for: wait)
                    return nil
                }
                while let result = try await group.next() {
                    if let value = result {
                        group.cancelAll()
                        return value
                    }
                    guard !leased.isSet else { continue }
                    // The wait ended early because the request was cancelled, not the database.
                    try Task.checkCancellation()
                    // Busy, not down: others were served during this wait.
                    if served.since(clock.now - wait), clock.now - start < Self.busyWait {
                        group.addTask {
                            try? await Task.sleep(for: wait)
                            return nil
                        }
                        continue
                    }
                    group.cancelAll()
                    throw LedgerStoreError.unavailable(
                        served.since(clock.now - wait)
                            ? "every database connection stayed busy for \(Self.busyWait)" : "no database connection within \(wait)"
                    )
                }
                throw CancellationError()
            }
        } catch {
            throw Self.unavailability(error) ?? error
        }
    }

    /// ``LedgerStoreError/unavailable(_:)`` for an error that says the database cannot be used right
    /// now: the connection failed or closed, the pool shut down, or the server is shutting down,
    /// starting, or out of connections (SQLSTATE class 08, 57P01–57P03, 53300).
    static func unavailability(_ error: any Error) -> LedgerStoreError? {
        let error = unwrap(error)
        if let pool = error as? ConnectionPoolError, pool == .connectionCreationCircuitBreakerTripped || pool == .poolShutdown {
            return .unavailable(pool == .poolShutdown ? "the connection pool is shut down" : "no connection could be made for a minute")
        }
        guard let psql = error as? PSQLError else { return nil }
        let connection: Set<PSQLError.Code> = [
            .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .sslUnsupported,
            .failedToAddSSLHandler,
        ]
        if connection.contains(psql.code) { return .unavailable(PostgresStoreError.reason(psql)) }
        if let state = psql.serverInfo?[.sqlState], state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state) {
            return .unavailable(PostgresStoreError.reason(psql))
        }
        // The server answers but cannot write: disk full (53100), a read-only transaction (25006: a
        // standby, default_transaction_read_only), or an I/O error (58030).
        if let state = psql.serverInfo?[.sqlState], ["53100", "25006", "58030"].contains(state) {
            return .notWritable(PostgresStoreError.reason(psql))
        }
        return nil
    }

    /// A transaction, `SERIALIZABLE` unless asked otherwise, run again when it lost a race
    /// (SQLSTATE 40001, 40P01); errors thrown by `body` come back as themselves, not wrapped.
    func transaction<T: Sendable>(
        serializable: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        let logger = self.logger
        while true {
            do {
                return try await withConnection { connection in
                    try await connection.transaction(serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN", logger: logger) {
                        try await body($0)
                    }
                }
            } catch {
                let inner = Self.unwrap(error)
                if let state = Self.sqlState(inner), state == "40001" || state == "40P01" {
                    guard attempt < Self.retries else {
                        logger.warning(
                            "a transaction lost \(attempt + 1) serialization races in a row; giving up",
                            metadata: ["sqlstate": "\(state)"]
                        )
                        throw inner
                    }
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1...(2 << min(attempt, 6)))))
                    continue
                }
                if let unavailable = Self.unavailability(inner) { throw unavailable }
                if !(inner is LedgerStoreError) {
                    logger.debug("a transaction failed", metadata: ["error": "\(String(reflecting: inner))"])
                }
                throw inner
            }
        }
    }

    static func unwrap(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError {
            return transaction.closureError ?? transaction.commitError ?? transaction.beginError ?? error
        }
        return error
    }

    static func sqlState(_ error: any Error) -> String? {
        (unwrap(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func all<T>(_ rows: PostgresRowSequence, _ decode: (PostgresRow) throws -> T) async throws -> [T] {
        var result: [T] = []
        for try await row in rows { result.append(try decode(row)) }
        return result
    }

    static func count(_ rows: [PostgresRow]) throws -> Int {
        try rows.first.map { Int(try $0.decode(Int64.self)) } ?? 0
    }

    static func count(_ rows: PostgresRowSequence) async throws -> Int {
        for try await value in rows.decode(Int64.self) { return Int(value) }
        return 0
    }

    package func ping() async throws {
        try await query("SELECT 1")
    }

    package func probeWrite(at time: Date) async throws {
        try await transaction(serializable: false) { [logger] connection in
            _ = try await connection.checkedQuery("UPDATE write_probe SET written_at = \(time) WHERE id = 1", logger: logger)
        }
    }

    // MARK: Users

    package func user(id: UserID) async throws -> User? {
        try await rows("SELECT \(unescaped: PostgresRows.user) FROM users WHERE id = \(id.rawValue)", PostgresRows.user).first
    }

    package func user(issuer: String, subject: String) async throws -> User? {
        try await rows(
            "SELECT \(unescaped: PostgresRows.user) FROM users WHERE issuer = \(issuer) AND subject = \(subject)",
            PostgresRows.user
        ).first
    }

    package func users(ids: [UserID]) async throws -> [User] {
        try await rows("SELECT \(unescaped: PostgresRows.user) FROM users WHERE id = ANY(\(ids.map(\.rawValue))) ORDER BY id", PostgresRows.user)
    }

    package func users(email: String) async throws -> [User] {
        try await rows(
            "SELECT \(unescaped: PostgresRows.user) FROM users WHERE lower(email) = lower(\(email)) ORDER BY id",
            PostgresRows.user
        )
    }

    package func activeSuperAdminCount() async throws -> Int {
        try Self.count(try await query("SELECT count(*) FROM users WHERE role = 'super_admin' AND status = 'active'"))
    }

    static func activeSuperAdmins(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        try await count(
            try await connection.checkedQuery("SELECT count(*) FROM users WHERE role = 'super_admin' AND status = 'active'", logger: logger)
        )
    }

    package func userCount() async throws -> Int {
        try Self.count(try await query("SELECT count(*) FROM users"))
    }

    package func users(after id: UserID, limit: Int) async throws -> [User] {
        try await rows(
            "SELECT \(unescaped: PostgresRows.user) FROM users WHERE id > \(id.rawValue) ORDER BY id LIMIT \(Int64(limit))",
            PostgresRows.user
        )
    }

    package func users(issuer: String, claim: String, equals value: String, ignoringCase: Bool) async throws -> [User] {
        // The claim's name is a bound key of the JSON object: no text of it reaches the SQL.
        if ignoringCase {
            return try await rows(
                """
                SELECT \(unescaped: PostgresRows.user) FROM users
                WHERE issuer = \(issuer) AND lower(last_claims ->> \(claim)) = lower(\(value)) ORDER BY id
                """,
                PostgresRows.user
            )
        }
        return try await rows(
            "SELECT \(unescaped: PostgresRows.user) FROM users WHERE issuer = \(issuer) AND last_claims ->> \(claim) = \(value) ORDER BY id",
            PostgresRows.user
        )
    }

    // MARK: Writes

    package func write<T: Sendable>(
        _ isolation: WriteIsolation,
        _ body: nonisolated(nonsending) @escaping @Sendable (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        // A sign-in starts `READ COMMITTED` on its locked row; a decision that needs the
        // last-super_admin guard asks for `SERIALIZABLE` (NeedsSerializable) and is made again.
        // (Under `SERIALIZABLE` throughout, concurrent first sign-ins of different people conflict
        // on the index pages their look-ups lock, and retry.)
        var serializable = isolation == .serializable
        while true {
            do {
                return try await transaction(serializable: serializable) { [serializable] connection in
                    try await body(PostgresTransaction(connection: connection, logger: logger, serializable: serializable))
                }
            } catch is NeedsSerializable {
                serializable = true
            }
        }
    }

    /// - Returns: the new id; `nil` when a user has its identity (another replica's insert).
    static func insert(_ user: User, _ connection: PostgresConnection, _ logger: Logger) async throws -> UserID? {
        let rows: PostgresRowSequence
        do {
            rows = try await connection.checkedQuery(
                """
                INSERT INTO users (issuer, subject, email, name, organization_unit, role, role_source, status,
                    deactivation_reason, deactivation_source, registered_at, last_sign_in_at, sign_in_count, last_claims, version)
                VALUES (\(user.issuer), \(user.subject), \(user.email), \(user.name), \(user.organizationUnit), \(user.role.rawValue),
                    \(user.roleSource.rawValue), \(user.status.rawValue), \(user.deactivationReason?.rawValue),
                    \(user.deactivationSource?.rawValue), \(user.registeredAt), \(user.lastSignInAt), \(Int64(user.signInCount)),
                    \(user.lastClaims.jsonText)::jsonb, 1)
                ON CONFLICT ON CONSTRAINT users_identity DO NOTHING
                RETURNING id
                """,
                logger: logger
            )
        }
        for try await id in rows.decode(Int64.self) { return UserID(id) }
        return nil
    }

    /// Writes the row at its expected version; only a changed column is rewritten by PostgreSQL's
    /// MVCC anyway, so the whole row is set.
    /// - Returns: whether it was written (the stored version was `expectedVersion`).
    static func update(_ user: User, expectedVersion: Int, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        let updated = try await count(
            try await connection.checkedQuery(
                """
                WITH changed AS (
                    UPDATE users SET email = \(user.email), name = \(user.name), organization_unit = \(user.organizationUnit),
                        role = \(user.role.rawValue), role_source = \(user.roleSource.rawValue), status = \(user.status.rawValue),
                        deactivation_reason = \(user.deactivationReason?.rawValue), deactivation_source = \(user.deactivationSource?.rawValue),
                        last_sign_in_at = \(user.lastSignInAt), sign_in_count = \(Int64(user.signInCount)),
                        last_claims = \(user.lastClaims.jsonText)::jsonb, version = \(Int64(expectedVersion + 1)),
                        override_role = \(user.override?.role.rawValue), override_until = \(user.override?.until),
                        override_reason = \(user.override?.reason), override_by = \(user.override?.grantedBy.description),
                        override_at = \(user.override?.grantedAt), override_previous_role = \(user.override?.previousRole.rawValue)
                    WHERE id = \(user.id.rawValue) AND version = \(Int64(expectedVersion))
                    RETURNING 1
                ) SELECT count(*) FROM changed
                """,
                logger: logger
            )
        )
        return updated > 0
    }

    static func insert(_ event: AuditEvent, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.checkedQuery(
            """
            INSERT INTO audit_events (time, actor, action, user_id, issuer, subject, details)
            VALUES (\(event.time), \(event.actor.description), \(event.action.rawValue), \(event.userID?.rawValue),
                \(event.issuer), \(event.subject), \(event.storedDetails)::jsonb)
            """,
            logger: logger
        )
    }

    // MARK: Sessions

    package func insertSession(_ session: Session) async throws {
        try await query(
            """
            INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
            VALUES (\(session.tokenHash), \(session.userID.rawValue), \(session.createdAt), \(session.expiresAt), \(session.lastSeenAt))
            """
        )
    }

    package func session(tokenHash: String) async throws -> Session? {
        try await rows("SELECT \(unescaped: PostgresRows.session) FROM sessions WHERE token_hash = \(tokenHash)", PostgresRows.session).first
    }

    package func touchSession(tokenHash: String, at time: Date) async throws {
        try await query("UPDATE sessions SET last_seen_at = greatest(last_seen_at, \(time)) WHERE token_hash = \(tokenHash)")
    }

    package func deleteSession(tokenHash: String) async throws -> Bool {
        try Self.count(
            try await query("WITH ended AS (DELETE FROM sessions WHERE token_hash = \(tokenHash) RETURNING 1) SELECT count(*) FROM ended")
        ) > 0
    }

    package func sessionCount(userID: UserID) async throws -> Int {
        try Self.count(try await query("SELECT count(*) FROM sessions WHERE user_id = \(userID.rawValue)"))
    }

    // MARK: Sign-ins

    /// The last sign-in only moves forward and the count only grows, whichever replica writes
    /// first.
    package func writeSignIns(_ batch: [UserID: SignInTally]) async throws {
        let ids = batch.keys.sorted()
        let times = ids.map { batch[$0]!.time }
        let counts = ids.map { Int64(batch[$0]!.count) }
        try await query(
            """
            UPDATE users SET last_sign_in_at = greatest(coalesce(users.last_sign_in_at, b.time), b.time),
                sign_in_count = users.sign_in_count + b.count
            FROM unnest(\(ids.map(\.rawValue)), \(times), \(counts)) AS b(id, time, count)
            WHERE users.id = b.id
            """
        )
    }
}

/// When an operation last finished on a pooled connection: a pool whose operations keep finishing
/// is busy, not cut off from its server.
final class LastServed: Sendable {
    private let nanoseconds = Atomic<Int64>(.min)
    private static let origin = ContinuousClock.now

    func record() { nanoseconds.store(Self.offset(ContinuousClock.now), ordering: .relaxed) }

    /// Whether one finished after `instant`.
    func since(_ instant: ContinuousClock.Instant) -> Bool {
        nanoseconds.load(ordering: .relaxed) > Self.offset(instant)
    }

    private static func offset(_ instant: ContinuousClock.Instant) -> Int64 {
        (instant - origin).wholeNanoseconds
    }
}

/// Whether an operation got its pooled connection (``PostgresLedgerStore/withConnection(_:)``).
final class LeaseFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
