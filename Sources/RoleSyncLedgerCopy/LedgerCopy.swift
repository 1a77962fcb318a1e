import Foundation
import GRDB
package import Logging
import PostgresNIO
package import RoleSyncConfig
import RoleSyncPostgres

/// Copies a single node's SQLite ledger into an empty PostgreSQL database, for the move to several
/// replicas: users, sessions, the audit log, API keys and their usage, and the SCIM directory, with
/// their ids, in one PostgreSQL transaction. Either everything arrives, each table's count checked
/// against the source's, or nothing does.
///
/// The SQLite file must be at this build's schema (``SQLiteLedgerStore/migrations(path:dryRun:)``)
/// and nothing may write to it meanwhile (stop `rolesync serve` first): a source whose counts
/// change during the copy is refused.
package enum LedgerCopy {
    /// What a copy did: the rows of each table, in the order copied.
    package struct Report: Sendable {
        package var tables: [(name: String, rows: Int)]
        /// Whether it was rolled back on purpose (`dryRun`).
        package var dryRun: Bool
        package var total: Int { tables.reduce(0) { $0 + $1.rows } }
    }

    /// Why a copy did not happen; nothing was written to the target.
    package enum Failure: Error, Sendable, CustomStringConvertible {
        case cannotRead(path: String, reason: String)
        case targetNotEmpty(table: String, rows: Int)
        case countMismatch(table: String, source: Int, target: Int)
        case sourceChanged(table: String, before: Int, after: Int)
        case write(table: String, reason: String)

        package var description: String {
            switch self {
            case .cannotRead(let path, let reason): "cannot read the SQLite ledger \(path): \(reason)"
            case .targetNotEmpty(let table, let rows):
                "the target database is not empty (\(table) holds \(rows) row\(rows == 1 ? "" : "s")); copy into a new, empty database"
            case .countMismatch(let table, let source, let target):
                "\(table): the source has \(source) rows but \(target) arrived; nothing was copied"
            case .sourceChanged(let table, let before, let after):
                "\(table) changed during the copy (\(before) rows, then \(after)); stop rolesync serve and copy again; nothing was copied"
            case .write(let table, let reason): "\(table): \(reason); nothing was copied"
            }
        }
    }

    /// A column's type in both stores.
    enum Kind {
        /// INTEGER → bigint.
        case integer
        case text
        /// REAL seconds since 1970 → timestamptz.
        case time
        /// JSON text → jsonb.
        case json
        /// INTEGER 0 or 1 → boolean.
        case boolean
    }

    struct Table {
        var name: String
        var columns: [(name: String, kind: Kind)]
        /// Whether `id` is an identity column, copied as is and then moved past the highest id.
        var identity = false
        /// The columns the source is read in order of, a batch at a time: the rowid, or the primary
        /// key of a table without one.
        var key = ["rowid"]
    }

    /// Every table the ledger keeps, parents before children. SQLite's search index (FTS) is not
    /// copied: PostgreSQL searches through `pg_trgm` over the rows themselves.
    static let tables: [Table] = [
        Table(
            name: "users",
            columns: [
                ("id", .integer), ("issuer", .text), ("subject", .text), ("email", .text), ("name", .text), ("organization_unit", .text),
                ("role", .text), ("role_source", .text), ("status", .text), ("deactivation_reason", .text), ("deactivation_source", .text),
                ("registered_at", .time), ("last_sign_in_at", .time), ("sign_in_count", .integer), ("last_claims", .json), ("version", .integer),
                ("override_role", .text), ("override_until", .time), ("override_reason", .text), ("override_by", .text),
                ("override_at", .time), ("override_previous_role", .text),
            ],
            identity: true
        ),
        Table(
            name: "sessions",
            columns: [("token_hash", .text), ("user_id", .integer), ("created_at", .time), ("expires_at", .time), ("last_seen_at", .time)]
        ),
        Table(
            name: "audit_events",
            columns: [
                ("id", .integer), ("time", .time), ("actor", .text), ("action", .text), ("user_id", .integer), ("issuer", .text),
                ("subject", .text), ("details", .json),
            ],
            identity: true
        ),
        Table(
            name: "api_keys",
            columns: [
                ("id", .integer), ("user_id", .integer), ("name", .text), ("purpose", .text), ("prefix", .text), ("key_hash", .text),
                ("created_at", .time), ("expires_at", .time), ("last_used_at", .time), ("revoked_at", .time), ("revoked_by", .text),
                ("revocation_cause", .text), ("revocation_reason", .text), ("rolled_from", .integer), ("rolled_to", .integer),
                ("rolled_at", .time),
            ],
            identity: true
        ),
        Table(name: "api_key_usage", columns: [("key_id", .integer), ("day", .integer), ("requests", .integer)], key: ["key_id", "day"]),
        Table(
            name: "directory_resources",
            columns: [
                ("issuer", .text), ("kind", .text), ("id", .text), ("external_id", .text), ("name", .text), ("attributes", .json),
                ("version", .integer), ("created", .time), ("modified", .time),
            ]
        ),
        Table(name: "directory_members", columns: [("issuer", .text), ("group_id", .text), ("member_id", .text)]),
        Table(
            name: "directory_sync",
            columns: [
                ("issuer", .text), ("source", .text), ("cursor", .text), ("last_full_at", .time), ("last_success_at", .time),
                ("last_run", .json),
            ],
            key: ["issuer"]
        ),
        // The webhook outbox (decision 136). An endpoint's cursor names a position in the audit
        // stream; every copied event is written by this one transaction, so after the copy the
        // cursors take its transaction id (``copy(_:path:counts:into:logger:)``), and each still
        // stands right after the event it stood after. Leases are not copied.
        Table(
            name: "webhook_endpoints",
            columns: [
                ("name", .text), ("url", .text), ("actions", .text), ("state", .text), ("cursor_commit", .integer),
                ("cursor_event", .integer), ("head_attempts", .integer), ("head_next_attempt_at", .time), ("head_last_status", .integer),
                ("failing_since", .time), ("disabled_at", .time), ("disabled_reason", .text), ("last_delivered_at", .time),
            ],
            key: ["name"]
        ),
        Table(
            name: "webhook_failures",
            columns: [
                ("endpoint", .text), ("event_id", .integer), ("failed_at", .time), ("attempts", .integer), ("last_status", .integer),
                ("retry_requested", .boolean),
            ],
            key: ["endpoint", "event_id"]
        ),
        Table(
            name: "webhook_attempts",
            columns: [
                ("id", .integer), ("endpoint", .text), ("event_id", .integer), ("time", .time), ("status", .integer),
                ("duration_ms", .integer), ("response_start", .text), ("error", .text),
            ],
            identity: true
        ),
        Table(
            name: "access_reviews",
            columns: [
                ("id", .integer), ("completed_at", .time), ("reviewer", .text), ("holders", .integer), ("kept", .integer),
                ("revoked", .integer), ("digest", .text), ("decisions", .json),
            ],
            identity: true
        ),
    ]

    /// Rows per read and per `INSERT` (at most 16 columns: well under PostgreSQL's 65,535 binds).
    static let batchSize = 1_000

    /// Copies `path` into `target` (migrating the target's schema first).
    /// - Parameter dryRun: copy and check everything, then roll back.
    /// - Throws: ``Failure``, ``PostgresStoreError``; the target is then as it was (its schema
    ///   aside, which a first connection migrates anyway).
    package static func copy(
        from path: String,
        to target: PostgresSettings,
        dryRun: Bool = false,
        logger: Logger
    ) async throws -> Report {
        let source: DatabaseQueue
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            source = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Failure.cannotRead(path: path, reason: "\(error)")
        }
        let counts = try sourceCounts(source, path: path)
        return try await withPostgresClient(target, logger: logger) { client in
            _ = try await PostgresMigrator.migrate(client, logger: logger)
            do {
                let report = try await client.withConnection { connection in
                    try await connection.transaction(logger: logger) { connection in
                        try await copy(source, path: path, counts: counts, into: connection, logger: logger)
                        // Every table's count is checked before the commit; a dry run stops here.
                        if dryRun { throw DryRunDone() }
                        return Report(tables: tables.map { ($0.name, counts[$0.name] ?? 0) }, dryRun: false)
                    }
                }
                // Statistics for the planner now, not when autovacuum gets round to the new rows:
                // until then, a search could pick a slower plan.
                _ = try? await client.query("ANALYZE", logger: logger)
                return report
            } catch is DryRunDone {
                return Report(tables: tables.map { ($0.name, counts[$0.name] ?? 0) }, dryRun: true)
            }
        }
    }

    struct DryRunDone: Error {}

    static func sourceCounts(_ source: DatabaseQueue, path: String) throws -> [String: Int] {
        do {
            return try source.read { db in
                var counts: [String: Int] = [:]
                for table in tables { counts[table.name] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 }
                return counts
            }
        } catch {
            throw Failure.cannotRead(path: path, reason: "\(error)")
        }
    }

    static func copy(
        _ source: DatabaseQueue,
        path: String,
        counts: [String: Int],
        into connection: PostgresConnection,
        logger: Logger
    ) async throws {
        for table in tables {
            let rows = try await count(table.name, connection, logger)
            guard rows == 0 else { throw Failure.targetNotEmpty(table: table.name, rows: rows) }
        }
        for table in tables {
            let key = table.key.joined(separator: ", ")
            var last: [DatabaseValue]?
            while true {
                let batch: [Row]
                do {
                    batch = try source.read { db in
                        try Row.fetchAll(
                            db,
                            sql: """
                                SELECT \(key), \(table.columns.map(\.name).joined(separator: ", ")) FROM \(table.name)
                                \(last == nil ? "" : "WHERE (\(key)) > (\(table.key.map { _ in "?" }.joined(separator: ", ")))")
                                ORDER BY \(key) LIMIT \(batchSize)
                                """,
                            arguments: StatementArguments(last ?? [])
                        )
                    }
                } catch {
                    throw Failure.cannotRead(path: path, reason: "\(table.name): \(error)")
                }
                guard let end = batch.last else { break }
                last = table.key.indices.map { end[$0] }
                do {
                    try await connection.checkedQuery(try insert(batch, into: table), logger: logger)
                } catch {
                    throw Failure.write(table: table.name, reason: PostgresStoreError.reason(error))
                }
            }
            if table.identity {
                // The next id the database gives is past every copied one.
                try await connection.checkedQuery(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table.name)', 'id'), coalesce(max(id), 0) + 1, false) FROM \(table.name)
                            """
                    ),
                    logger: logger
                )
            }
            let copied = try await count(table.name, connection, logger)
            let source = counts[table.name] ?? 0
            guard copied == source else { throw Failure.countMismatch(table: table.name, source: source, target: copied) }
        }
        // The copied events all carry this transaction's id in the audit stream (decision 135):
        // each endpoint's cursor, (0, id) on SQLite, becomes (this transaction, id).
        try await connection.checkedQuery(
            "UPDATE webhook_endpoints SET cursor_commit = pg_current_xact_id()::text::bigint",
            logger: logger
        )
        // Nothing may have written to the source meanwhile.
        let after = try sourceCounts(source, path: path)
        for table in tables where after[table.name] != counts[table.name] {
            throw Failure.sourceChanged(table: table.name, before: counts[table.name] ?? 0, after: after[table.name] ?? 0)
        }
    }

    /// One multi-row `INSERT` of `rows` (their first values are the batch key, not copied).
    static func insert(_ rows: [Row], into table: Table) throws -> PostgresQuery {
        var bindings = PostgresBindings()
        var values: [String] = []
        values.reserveCapacity(rows.count)
        for row in rows {
            var placeholders: [String] = []
            for (index, column) in table.columns.enumerated() {
                // Each value decoded as its column's type (a NULL as nil; another type is an error
                // naming the table), straight from the row: no DatabaseValue is held across the
                // switch (Swift 6.3.1's optimiser crashed on that shape, decision 113).
                let position = table.key.count + index
                switch column.kind {
                case .integer: bindings.append(try row.decode(Int64?.self, atIndex: position))
                case .text, .json: bindings.append(try row.decode(String?.self, atIndex: position))
                case .time: bindings.append(try row.decode(Double?.self, atIndex: position).map(Date.init(timeIntervalSince1970:)))
                case .boolean: bindings.append(try row.decode(Bool?.self, atIndex: position))
                }
                placeholders.append("$\(bindings.count)" + (column.kind == .json ? "::jsonb" : ""))
            }
            values.append("(" + placeholders.joined(separator: ", ") + ")")
        }
        let sql = """
            INSERT INTO \(table.name) (\(table.columns.map(\.name).joined(separator: ", ")))\(table.identity ? " OVERRIDING SYSTEM VALUE" : "")
            VALUES \(values.joined(separator: ", "))
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func count(_ table: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        let rows = try await connection.checkedQuery(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger)
        for try await value in rows.decode(Int64.self) { return Int(value) }
        return 0
    }
}
