import Foundation
import Logging
package import PostgresNIO
package import RoleSyncConfig
package import RoleSyncPostgres

/// A scratch database on the server `ROLESYNC_POSTGRES_URL` names (`scripts/peers/postgres start`;
/// `.ci/run` sets it), dropped afterwards. Its role needs CREATEDB.
package struct ScratchPostgres: Sendable {
    package static let url = ProcessInfo.processInfo.environment["ROLESYNC_POSTGRES_URL"]
    package static let isConfigured = url != nil
    package static let logger = Logger(label: "postgres-test")

    package let settings: PostgresSettings
    private let admin: PostgresSettings

    package init() throws {
        guard let url = Self.url else { throw ScratchPostgresError.notConfigured }
        admin = try PostgresSettings(url: url)
        var settings = admin
        settings.database = "rolesync_test_\(UInt32.random(in: 0...UInt32.max))"
        // Tests run in parallel, each with its own database: a small pool each keeps them all well
        // under the server's max_connections.
        settings.poolSize = 4
        self.settings = settings
    }

    /// Runs `body` with a fresh, empty database, then drops it.
    package static func with<T: Sendable>(_ body: @Sendable (ScratchPostgres) async throws -> T) async throws -> T {
        let scratch = try ScratchPostgres()
        try await scratch.create()
        do {
            let result = try await body(scratch)
            try await scratch.drop()
            return result
        } catch {
            try? await scratch.drop()
            throw error
        }
    }

    package func create() async throws {
        let name = settings.database
        try await withPostgresClient(admin, logger: Self.logger) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        }
    }

    package func drop() async throws {
        let name = settings.database
        try await withPostgresClient(admin, logger: Self.logger) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: Self.logger)
        }
    }
}

package enum ScratchPostgresError: Error { case notConfigured }

/// A migrated scratch database with a running client and a store over it, for tests that hold a
/// store for their whole run; the database is dropped when this goes away.
package final class ScratchPostgresStore: Sendable {
    package let store: PostgresLedgerStore
    package let scratch: ScratchPostgres
    private let running: Task<Void, Never>

    package init() async throws {
        scratch = try ScratchPostgres()
        try await scratch.create()
        let client = PostgresClient(configuration: try scratch.settings.clientConfiguration(), backgroundLogger: ScratchPostgres.logger)
        running = Task { await client.run() }
        _ = try await PostgresMigrator.migrate(client, logger: ScratchPostgres.logger)
        store = PostgresLedgerStore(client: client, logger: ScratchPostgres.logger)
    }

    deinit {
        running.cancel()
        let scratch = self.scratch
        Task { try? await scratch.drop() }
    }
}
