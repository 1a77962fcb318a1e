package import Logging
package import PostgresNIO

/// Brings a PostgreSQL ledger's schema to the version this build knows: once, even when several
/// replicas start together. Each run takes a session advisory lock on one connection, so the others
/// wait and then find nothing to do; each migration is one transaction with its row in
/// `rolesync_schema`, so a failure leaves the schema at the previous version.
package enum PostgresMigrator {
    /// What a run found and did.
    package struct Report: Sendable, Hashable {
        /// The version before the run.
        package var found: Int
        /// The version this build knows.
        package var latest: Int
        /// The migrations applied (or, in a dry run, that would be), `(version, name)`.
        package var migrations: [Step]
        package var dryRun: Bool

        package struct Step: Sendable, Hashable {
            package var version: Int
            package var name: String
        }
    }

    /// The advisory lock's key, the same in every RoleSync ("rolesync" in ASCII).
    static let lockKey: Int64 = 0x726f_6c65_7379_6e63

    /// Migrates the database, or with `dryRun` only says what it would do.
    /// - Throws: ``PostgresStoreError/schemaNewer(found:known:)`` for a schema from a newer RoleSync,
    ///   ``PostgresStoreError/migrationFailed(version:name:reason:)``.
    package static func migrate(_ client: PostgresClient, dryRun: Bool = false, logger: Logger) async throws -> Report {
        try await client.withConnection { connection in
            try await connection.checkedQuery("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                let report = try await migrate(connection, dryRun: dryRun, logger: logger)
                try await connection.checkedQuery("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return report
            } catch {
                _ = try? await connection.checkedQuery("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// The schema's version: 0 for a database RoleSync never migrated.
    static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let exists =
            try await connection.checkedQuery("SELECT to_regclass('rolesync_schema') IS NOT NULL", logger: logger)
            .decode(Bool.self).first { _ in true } ?? false
        guard exists else { return 0 }
        let version =
            try await connection.checkedQuery("SELECT coalesce(max(version), 0)::int8 FROM rolesync_schema", logger: logger)
            .decode(Int64.self).first { _ in true } ?? 0
        return Int(version)
    }

    private static func migrate(_ connection: PostgresConnection, dryRun: Bool, logger: Logger) async throws -> Report {
        let found = try await version(connection, logger: logger)
        let latest = PostgresSchema.latestVersion
        guard found <= latest else { throw PostgresStoreError.schemaNewer(found: found, known: latest) }
        let pending = PostgresSchema.migrations.filter { $0.version > found }
        let report = Report(
            found: found,
            latest: latest,
            migrations: pending.map { Report.Step(version: $0.version, name: $0.name) },
            dryRun: dryRun
        )
        guard !dryRun, !pending.isEmpty else { return report }
        try await connection.checkedQuery(
            """
            CREATE TABLE IF NOT EXISTS rolesync_schema (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        for migration in pending {
            do {
                try await connection.transaction(logger: logger) { transaction in
                    for statement in migration.statements {
                        try await transaction.checkedQuery(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await transaction.checkedQuery(
                        "INSERT INTO rolesync_schema (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger
                    )
                }
            } catch {
                throw PostgresStoreError.migrationFailed(
                    version: migration.version,
                    name: migration.name,
                    reason: PostgresStoreError.reason(error)
                )
            }
            logger.notice("migrated the PostgreSQL ledger", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        }
        return report
    }
}
