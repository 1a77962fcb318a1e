import Foundation
import Logging
import PostgresNIO
import RoleSyncConfig
import RoleSyncPostgres
import RoleSyncTestSupport
import Testing

@Suite(.enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL (scripts/peers/postgres start; .ci/run does)"))
struct PostgresMigratorTests {
    let logger = ScratchPostgres.logger

    @Test("a fresh database is migrated to the latest version; a second run does nothing; a dry run writes nothing")
    func migratesOnce() async throws {
        try await ScratchPostgres.with { scratch in
            try await withPostgresClient(scratch.settings, logger: logger) { client in
                let dry = try await PostgresMigrator.migrate(client, dryRun: true, logger: logger)
                #expect(dry.found == 0)
                #expect(dry.migrations.map(\.version) == Array(1...11))
                let tables = try await client.query("SELECT count(*)::int8 FROM pg_tables WHERE schemaname = 'public'", logger: logger)
                    .decode(Int64.self).first { _ in true }
                #expect(tables == 0, "a dry run creates nothing")

                let first = try await PostgresMigrator.migrate(client, logger: logger)
                #expect(first.found == 0)
                #expect(first.migrations.map(\.version) == Array(1...11))
                let second = try await PostgresMigrator.migrate(client, logger: logger)
                #expect(second.found == first.latest)
                #expect(second.migrations.isEmpty)
                let names = try await client.query(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
                    logger: logger
                ).decode(String.self).reduce(into: [String]()) { $0.append($1) }
                #expect(
                    names == [
                        "access_reviews", "api_key_usage", "api_keys", "audit_events", "directory_members", "directory_resources", "directory_sync", "pending_logins",
                        "rolesync_schema",
                        "sessions",
                        "shadow_differences", "users", "webhook_attempts", "webhook_endpoints", "webhook_failures", "write_probe",
                    ]
                )
            }
        }
    }

    @Test("eight replicas starting together migrate once: one applies, the others find nothing to do")
    func concurrentReplicas() async throws {
        try await ScratchPostgres.with { scratch in
            let reports = try await withThrowingTaskGroup(of: PostgresMigrator.Report.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await withPostgresClient(scratch.settings, logger: logger) { client in
                            try await PostgresMigrator.migrate(client, logger: logger)
                        }
                    }
                }
                return try await group.reduce(into: [PostgresMigrator.Report]()) { $0.append($1) }
            }
            #expect(reports.filter { !$0.migrations.isEmpty }.count == 1)
            try await withPostgresClient(scratch.settings, logger: logger) { client in
                let rows = try await client.query("SELECT count(*)::int8 FROM rolesync_schema", logger: logger)
                    .decode(Int64.self).first { _ in true }
                #expect(rows == Int64(reports[0].latest))
            }
        }
    }

    @Test("a schema newer than this build is refused with both versions named")
    func newerSchemaRefused() async throws {
        try await ScratchPostgres.with { scratch in
            try await withPostgresClient(scratch.settings, logger: logger) { client in
                let report = try await PostgresMigrator.migrate(client, logger: logger)
                try await client.query(
                    "INSERT INTO rolesync_schema (version, name) VALUES (\(report.latest + 41), 'from the future')",
                    logger: logger
                )
                await #expect {
                    try await PostgresMigrator.migrate(client, logger: logger)
                } throws: { error in
                    "\(error)".contains("version \(report.latest + 41), newer than this RoleSync knows (\(report.latest))")
                }
            }
        }
    }

    @Test("the schema enforces the ledger's rules itself: one user per identity, an append-only audit log, keys that stay revoked")
    func constraints() async throws {
        try await ScratchPostgres.with { scratch in
            try await withPostgresClient(scratch.settings, logger: logger) { client in
                _ = try await PostgresMigrator.migrate(client, logger: logger)
                let insertUser: PostgresQuery = """
                    INSERT INTO users (issuer, subject, role, role_source, status, registered_at, last_claims, version)
                    VALUES ('https://idp', 'ann', 'user', 'idp', 'active', now(), '{}'::jsonb, 1)
                    """
                try await client.query(insertUser, logger: logger)
                await #expect { try await client.query(insertUser, logger: logger) } throws: { error in
                    (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
                }
                try await client.query(
                    "INSERT INTO audit_events (time, actor, action, details) VALUES (now(), 'cli', 'user.created', '{}'::jsonb)",
                    logger: logger
                )
                for statement in ["UPDATE audit_events SET actor = 'idp'", "DELETE FROM audit_events", "TRUNCATE audit_events"] {
                    await #expect("\(statement)") { try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger) } throws: { error in
                        (error as? PSQLError)?.serverInfo?[.message] == "the audit log is append-only"
                    }
                }
                try await client.query(
                    """
                    INSERT INTO api_keys (user_id, name, purpose, prefix, key_hash, created_at, revoked_at, revoked_by, revocation_cause)
                    SELECT id, 'k', 'gateway', 'rsk_x…y', 'hash', now(), now(), 'cli', 'admin' FROM users
                    """,
                    logger: logger
                )
                await #expect {
                    try await client.query("UPDATE api_keys SET revoked_at = NULL, revoked_by = NULL, revocation_cause = NULL", logger: logger)
                } throws: { error in
                    (error as? PSQLError)?.serverInfo?[.message] == "a revoked key stays revoked"
                }
                await #expect {
                    try await client.query(
                        "UPDATE users SET status = 'inactive'",
                        logger: logger
                    )
                } throws: { error in
                    (error as? PSQLError)?.serverInfo?[.sqlState] == "23514"
                }
            }
        }
    }

    @Test("an unreachable database fails fast with its address and without its password")
    func unreachable() async throws {
        var settings = try PostgresSettings(url: "postgres://rolesync:secret-pw@127.0.0.1:1/rolesync")
        settings.poolSize = 1
        let started = ContinuousClock.now
        await #expect {
            try await withPostgresClient(settings, logger: logger, timeout: .seconds(2)) { _ in }
        } throws: { error in
            let text = "\(error)"
            return text.contains("cannot reach the PostgreSQL database postgres://rolesync@127.0.0.1:1/rolesync") && !text.contains("secret-pw")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
