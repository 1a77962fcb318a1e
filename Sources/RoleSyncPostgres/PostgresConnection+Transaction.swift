package import Logging
package import PostgresNIO
import RoleSyncLedger

extension PostgresConnection {
    /// Runs `body` in a transaction (`BEGIN`, then `COMMIT`, or `ROLLBACK` on an error), never
    /// sending a statement on a connection that has closed.
    ///
    /// PostgresNIO's own `withTransaction` sends `ROLLBACK` after any error, and a statement
    /// written to a connection whose server ended it (a killed backend, a dropped database, a
    /// restart) is lost without an answer (postgres-nio 1.33: the write's failure goes to no
    /// promise), so the caller waited forever and a graceful shutdown with it. Here a closed
    /// connection is ``LedgerStoreError/unavailable(_:)``, and needs no `ROLLBACK`: the server
    /// rolls back a transaction whose session ended. Errors from `body` come back unwrapped.
    /// - Parameter begin: the statement that starts it (`BEGIN ISOLATION LEVEL SERIALIZABLE`).
    package func transaction<T>(
        _ begin: PostgresQuery = "BEGIN",
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await checkedQuery(begin, logger: logger)
        let value: T
        do {
            value = try await body(self)
        } catch {
            if !isClosed { _ = try? await query("ROLLBACK", logger: logger) }
            throw error
        }
        try await checkedQuery("COMMIT", logger: logger)
        return value
    }

    /// `query`, but first ``ensureOpen()``: every statement the store sends goes through here.
    /// (A connection the server ends between the check and the write can still lose it: that
    /// window is the event loop's hop; `serve`'s shutdown grace period bounds what is left.)
    @discardableResult
    package func checkedQuery(
        _ query: PostgresQuery,
        logger: Logger,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> PostgresRowSequence {
        try ensureOpen()
        return try await self.query(query, logger: logger, file: file, line: line)
    }

    /// Throws ``LedgerStoreError/unavailable(_:)`` when the connection has closed: a statement
    /// written to it would never be answered.
    package func ensureOpen() throws {
        guard !isClosed else { throw LedgerStoreError.unavailable("the database closed the connection") }
    }
}
