import Foundation
package import GRDB
package import RoleSyncLedger

/// Opening the SQLite ledger: ``EngineStore`` over ``SQLiteEngine``.
extension EngineStore where Engine == SQLiteEngine {
    /// Where tests inject a failure inside a write, to prove nothing is half-written.
    package typealias FaultPoint = WorkPoint

    /// Opens (creating if needed) a database file and migrates it.
    /// - Parameters:
    ///   - path: the SQLite file.
    ///   - defersSignIns: batch the writes of sign-ins that change nothing but the last sign-in; the
    ///     owner then calls ``flushSignIns()`` at least every second and before it exits.
    /// - Throws: ``SQLiteStoreError`` when the file cannot be opened or migrated.
    package convenience init(path: String, defersSignIns: Bool = false) throws {
        try self.init(path: path, defersSignIns: defersSignIns, fault: nil)
    }

    /// ``init(path:defersSignIns:)`` with a fault hook, for the package's tests.
    package convenience init(path: String, defersSignIns: Bool = false, fault: (@Sendable (WorkPoint) throws -> Void)?) throws {
        self.init(engine: try SQLiteEngine(path: path, indexesOnFlush: defersSignIns, fault: fault), defersSignIns: defersSignIns)
    }

    /// Uses an open database and migrates it. Its configuration must allow a transaction to span
    /// several accesses (`allowsUnsafeTransactions`): the engine's writer opens and commits its own.
    package convenience init(writer: any DatabaseWriter, defersSignIns: Bool = false) throws {
        self.init(engine: try SQLiteEngine(writer: writer, indexesOnFlush: defersSignIns), defersSignIns: defersSignIns)
    }

    /// A private in-memory database (tests, demos).
    package static func inMemory() throws -> SQLiteLedgerStore {
        try inMemory(fault: nil)
    }

    /// ``inMemory()`` with a fault hook, for the package's tests.
    package static func inMemory(fault: (@Sendable (WorkPoint) throws -> Void)?) throws -> SQLiteLedgerStore {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.allowsUnsafeTransactions = true
        return SQLiteLedgerStore(engine: try SQLiteEngine(writer: try DatabaseQueue(configuration: configuration), fault: fault))
    }

    /// The SQLite ledger's migrations at `path` (``SQLiteEngine/migrations(path:dryRun:)``).
    package static func migrations(path: String, dryRun: Bool) throws -> (applied: [String], pending: [String]) {
        try SQLiteEngine.migrations(path: path, dryRun: dryRun)
    }

    /// The database, for the package's tests and tools.
    package var writer: any DatabaseWriter { engine.writer }
}
