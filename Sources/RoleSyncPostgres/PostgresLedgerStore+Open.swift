public import Logging
import PostgresNIO
public import RoleSyncConfig

extension PostgresLedgerStore {
    /// A store over a client of its own: the client runs in a task until ``close()``.
    public final class Connected: Sendable {
        public let store: PostgresLedgerStore
        public let migration: PostgresMigrator.Report
        private let running: Task<Void, Never>

        init(store: PostgresLedgerStore, migration: PostgresMigrator.Report, running: Task<Void, Never>) {
            self.store = store
            self.migration = migration
            self.running = running
        }

        /// Writes what the store deferred, then stops the client.
        public func close() async {
            try? await store.flushSignIns()
            running.cancel()
        }

        deinit { running.cancel() }
    }

    /// Connects to `settings`' database (one probing connection first: a wrong password, a refused
    /// connection or a TLS failure fails here with the server's reason), starts the pool, and
    /// migrates the schema under the advisory lock (replicas starting together apply each migration
    /// once; a schema newer than this build is refused). With `migrating` false it only reads the
    /// schema's version (``Connected/migration`` is then a dry run's report).
    public static func open(
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
