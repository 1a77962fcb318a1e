import Foundation
package import Logging
package import RoleSyncConfig
package import RoleSyncLedger
import RoleSyncMapping
package import RoleSyncPostgres
import RoleSyncSQLite

/// The one place a process opens its ledger: `rolesync serve` and every command that touches the
/// ledger open the store (the SQLite file or the PostgreSQL database) and build the services over
/// it here, from one reading of the configuration or the command's options.
package struct LedgerAssembly: Sendable {
    /// Where the ledger is.
    package enum Database: Sendable {
        case sqlite(path: String)
        case postgres(PostgresSettings)
        /// A private in-memory SQLite database (`serve --check`'s stand-in, tests).
        case memory
    }

    package let store: any LedgerStore & DirectoryStore & ShadowStore & DirectorySyncStore & WebhookOutboxStore
    package let service: SyncService
    /// The live mappings and the candidates, as loaded, and the registry the service reads.
    package let mappings: LoadedMappings
    package let registry: MappingRegistry
    /// The PostgreSQL client, when the ledger is there; ``close()`` stops it.
    package let postgres: PostgresLedgerStore.Connected?

    /// Opens the ledger and builds the sync service over it.
    /// - Parameters:
    ///   - database: the SQLite file or the PostgreSQL database (migrated under its advisory lock
    ///     unless `migrating` is false).
    ///   - mappings: the loaded mappings; `isConfigurations` says whether they are the
    ///     configuration's own (decision 117).
    ///   - defersSignIns: batch sign-ins that change nothing but the last sign-in (`serve`).
    ///   - claimResolver: made from the store once it is open (`serve`'s directory look-up).
    ///   - postgresLogger: PostgresNIO's logger (a command quiets it: its errors come back as errors).
    /// - Throws: the store's error opening or migrating; nothing is left running then.
    package static func open(
        _ database: Database,
        mappings: LoadedMappings,
        isConfigurations: Bool,
        overridePolicy: OverridePolicy,
        defersSignIns: Bool,
        migrating: Bool = true,
        postgresLogger: Logger = Logger(label: "rolesync.postgres"),
        claimResolver: (any LedgerStore & DirectoryStore) throws -> (any DirectoryClaimResolver)? = { _ in nil }
    ) async throws -> LedgerAssembly {
        let store: any LedgerStore & DirectoryStore & ShadowStore & DirectorySyncStore & WebhookOutboxStore
        let postgres: PostgresLedgerStore.Connected?
        switch database {
        case .postgres(let settings):
            let connected = try await PostgresLedgerStore.open(
                settings,
                logger: postgresLogger,
                defersSignIns: defersSignIns,
                migrating: migrating
            )
            postgres = connected
            store = connected.store
        case .sqlite(let path):
            postgres = nil
            store = try SQLiteLedgerStore(path: path, defersSignIns: defersSignIns)
        case .memory:
            postgres = nil
            store = try SQLiteLedgerStore.inMemory()
        }
        do {
            let registry = MappingRegistry(mappings.live.set, shadow: mappings.shadow?.set, isConfigurations: isConfigurations)
            let service = SyncService(
                store: store,
                mappings: registry,
                logger: Logger(label: "rolesync.ledger"),
                overridePolicy: overridePolicy,
                shadow: ShadowRecorder(store: store, logger: Logger(label: "rolesync.shadow")),
                claimResolver: try claimResolver(store)
            )
            return LedgerAssembly(store: store, service: service, mappings: mappings, registry: registry, postgres: postgres)
        } catch {
            await postgres?.close()
            throw error
        }
    }

    /// Writes what the store deferred and stops a PostgreSQL client.
    package func close() async {
        if let postgres {
            await postgres.close()
        } else {
            try? await store.flushSignIns()
        }
    }
}

extension ServeConfiguration {
    /// Where the configuration puts the ledger.
    package var ledgerDatabase: LedgerAssembly.Database {
        postgres.map { .postgres($0) } ?? .sqlite(path: database)
    }
}

extension KeySettings {
    /// The configuration's `keys:` as the ledger applies it.
    package var policy: KeyPolicy {
        KeyPolicy(maxLifetime: maxLifetime, staleAfter: staleAfter, revokeStaleAfter: revokeStaleAfter)
    }
}
