import Foundation
import GRDB

extension SQLiteEngine {
    /// The SQLite ledger's migrations at `path`: which are applied and which are pending; unless
    /// `dryRun`, applies the pending ones (all of them in one transaction each, as opening the
    /// store does). A dry run on a missing file creates nothing.
    /// - Throws: ``SQLiteStoreError/cannotMigrate(reason:)`` for a ledger migrated by a newer
    ///   RoleSync, or one that cannot be opened.
    package static func migrations(path: String, dryRun: Bool) throws -> (applied: [String], pending: [String]) {
        let migrator = LedgerSchema.migrator
        if dryRun, !FileManager.default.fileExists(atPath: path) { return ([], migrator.migrations) }
        let queue: DatabaseQueue
        do {
            var configuration = Configuration()
            configuration.readonly = dryRun
            configuration.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw SQLiteStoreError.cannotOpen(path: path, reason: "\(error)")
        }
        let (applied, superseded) = try queue.read { db in
            (try migrator.appliedMigrations(db), try migrator.hasBeenSuperseded(db))
        }
        if superseded {
            throw SQLiteStoreError.cannotMigrate(reason: "the ledger was migrated by a newer RoleSync; run that one, or a newer one")
        }
        let pending = migrator.migrations.filter { !applied.contains($0) }
        if !dryRun, !pending.isEmpty {
            do {
                try migrator.migrate(queue)
            } catch {
                throw SQLiteStoreError.cannotMigrate(reason: "\(error)")
            }
        }
        return (applied, pending)
    }
}
