import Foundation
import Logging
import PostgresNIO
import RoleSyncLedger
import RoleSyncPostgres
import RoleSyncTestSupport
import Synchronization
import Testing

/// The store's transactions when the server ends the session under them (a killed backend, a
/// dropped database, a restart): an error at once, never a statement written to a closed
/// connection and waited for forever (postgres-nio 1.33 loses such a write without an answer).
@Suite(.enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL (scripts/peers/postgres start; .ci/run does)"))
struct PostgresTransactionTests {
    let logger = ScratchPostgres.logger

    /// Ends the backend `pid` from another pooled connection.
    static func terminate(_ pid: Int32, _ client: PostgresClient, _ logger: Logger) async throws {
        _ = try await client.query("SELECT pg_terminate_backend(\(pid))", logger: logger)
    }

    /// Runs `operation` in a task of its own and waits at most ten seconds for it: a hang is
    /// recorded, not waited for (a stuck write cannot be cancelled).
    static func withinTenSeconds(_ operation: @escaping @Sendable () async throws -> Void) async throws -> (any Error)? {
        let outcome = Mutex<(done: Bool, error: (any Error)?)>((false, nil))
        Task {
            var failure: (any Error)?
            do { try await operation() } catch { failure = error }
            outcome.withLock { $0 = (true, failure) }
        }
        for _ in 0..<100 {
            if let error = outcome.withLock({ $0.done ? Optional($0.error) : nil }) { return error }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the transaction did not end within 10 s of its session")
        return nil
    }

    @Test("The session ended between two statements: unavailable at once, no ROLLBACK sent")
    func endedBetweenStatements() async throws {
        try await ScratchPostgres.with { scratch in
            try await withPostgresClient(scratch.settings, logger: logger) { client in
                let logger = self.logger
                let error = try await Self.withinTenSeconds {
                    try await client.withConnection { connection in
                        try await connection.transaction(logger: logger) { connection in
                            let pid =
                                try await connection.checkedQuery("SELECT pg_backend_pid()", logger: logger).decode(Int32.self)
                                .first { _ in true } ?? 0
                            try await Self.terminate(pid, client, logger)
                            try await Task.sleep(for: .milliseconds(300))
                            try await connection.checkedQuery("SELECT 2", logger: logger)
                        }
                    }
                }
                guard case LedgerStoreError.unavailable? = error else {
                    Issue.record("expected unavailable, got \(String(describing: error))")
                    return
                }
            }
        }
    }

    @Test("The session ended during a statement: that statement fails, and the transaction ends without a ROLLBACK")
    func endedDuringStatement() async throws {
        try await ScratchPostgres.with { scratch in
            try await withPostgresClient(scratch.settings, logger: logger) { client in
                let logger = self.logger
                let pid = Mutex<Int32>(0)
                let killer = Task {
                    for _ in 0..<50 where pid.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
                    try await Task.sleep(for: .milliseconds(300))
                    try await Self.terminate(pid.withLock { $0 }, client, logger)
                }
                let error = try await Self.withinTenSeconds {
                    try await client.withConnection { connection in
                        try await connection.transaction(logger: logger) { connection in
                            let own =
                                try await connection.checkedQuery("SELECT pg_backend_pid()", logger: logger).decode(Int32.self)
                                .first { _ in true } ?? 0
                            pid.withLock { $0 = own }
                            try await connection.checkedQuery("SELECT pg_sleep(5)", logger: logger)
                        }
                    }
                }
                _ = try await killer.value
                #expect(error != nil, "the killed statement fails")
            }
        }
    }
}
