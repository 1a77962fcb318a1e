package import Logging
package import PostgresNIO
package import RoleSyncConfig
package import RoleSyncLedger
package import RoleSyncOIDC
package import Foundation

extension PostgresEngine {
    /// A store over a client of its own: the client runs in a task until ``close()``.
    package final class Connected: Sendable {
        package let store: PostgresLedgerStore
        package let migration: PostgresMigrator.Report
        private let running: Task<Void, Never>

        init(store: PostgresLedgerStore, migration: PostgresMigrator.Report, running: Task<Void, Never>) {
            self.store = store
            self.migration = migration
            self.running = running
        }

        /// Writes what the store deferred, then stops the client.
        package func close() async {
            try? await store.flushSignIns()
            running.cancel()
        }

        deinit { running.cancel() }
    }
}

/// Opening the PostgreSQL ledger: ``EngineStore`` over ``PostgresEngine``.
extension EngineStore where Engine == PostgresEngine {
    package typealias Connected = PostgresEngine.Connected

    /// A store over a running client (its `run()` is the caller's); the schema must be migrated
    /// (``PostgresMigrator``).
    package convenience init(client: PostgresClient, logger: Logger, defersSignIns: Bool = false, connectionWait: Duration = .seconds(3)) {
        self.init(engine: PostgresEngine(client: client, logger: logger, connectionWait: connectionWait), defersSignIns: defersSignIns)
    }

    /// Connects to `settings`' database (one probing connection first: a wrong password, a refused
    /// connection or a TLS failure fails here with the server's reason), starts the pool, and
    /// migrates the schema under the advisory lock (replicas starting together apply each migration
    /// once; a schema newer than this build is refused). With `migrating` false it only reads the
    /// schema's version (``Connected/migration`` is then a dry run's report).
    package static func open(
        _ settings: PostgresSettings,
        logger: Logger,
        defersSignIns: Bool = false,
        migrating: Bool = true,
        timeout: Duration = .seconds(10)
    ) async throws -> Connected {
        try await settings.probe(timeout: timeout, logger: logger)
        let client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger)
        let running = Task { await client.run() }
        // Let the pool start before the first lease (PostgresNIO warns of a lease before `run()`).
        try? await Task.sleep(for: .milliseconds(5))
        do {
            let migration = try await PostgresMigrator.migrate(client, dryRun: !migrating, logger: logger)
            return Connected(
                store: PostgresLedgerStore(client: client, logger: logger, defersSignIns: defersSignIns),
                migration: migration,
                running: running
            )
        } catch {
            running.cancel()
            throw error
        }
    }
}

/// Replicas share pending sign-ins through the engine's table.
extension EngineStore: SharedLoginStates where Engine == PostgresEngine {
    package func putLoginState(key: Data, payload: Data, expiresAt: Date, now: Date, capacity: Int) async throws {
        try await engine.putLoginState(key: key, payload: payload, expiresAt: expiresAt, now: now, capacity: capacity)
    }

    package func takeLoginState(key: Data) async throws -> SharedLoginState {
        try await engine.takeLoginState(key: key)
    }
}
