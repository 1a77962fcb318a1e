package import Logging
import PostgresNIO
package import RoleSyncConfig
import RoleSyncLedger

/// Leader election among replicas on one PostgreSQL database: a job's leader holds a session
/// advisory lock, keyed by the job's name, on a connection of its own outside the pool.
///
/// PostgreSQL releases the lock when that session ends: on ``resign()``, when the process dies
/// (even by SIGKILL, the kernel closes its socket), or when the server stops hearing from it (TCP
/// keepalives, about a minute). Each ``lead(_:)`` by the leader checks the session is still there;
/// a lost connection gives up every job at once, since the server has released their locks.
package actor PostgresLeaderElection: LeaderElection {
    let settings: PostgresSettings
    let logger: Logger
    let timeout: Duration
    private var connection: PostgresConnection?
    private var held: Set<String> = []

    package init(settings: PostgresSettings, logger: Logger, timeout: Duration = .seconds(10)) {
        self.settings = settings
        self.logger = logger
        self.timeout = timeout
    }

    /// The server notices a vanished peer after 30 s idle plus three unanswered probes 10 s apart.
    static let keepalives = [("tcp_keepalives_idle", "30"), ("tcp_keepalives_interval", "10"), ("tcp_keepalives_count", "3")]

    package func lead(_ job: String) async -> Bool {
        do {
            let connection = try await session()
            if held.contains(job) {
                // The session (and so the lock) is alive as long as the connection answers.
                try await connection.checkedQuery("SELECT 1", logger: logger)
                return true
            }
            let rows = try await connection.checkedQuery(
                "SELECT pg_try_advisory_lock(hashtextextended(\("rolesync.leader:" + job), 0))",
                logger: logger
            )
            let acquired = try await rows.decode(Bool.self).first { _ in true } ?? false
            if acquired {
                held.insert(job)
                logger.notice("this replica now leads the job", metadata: ["job": "\(job)"])
            }
            return acquired
        } catch {
            await drop(because: error)
            return false
        }
    }

    package func resign() async {
        guard let connection else { return }
        self.connection = nil
        let jobs = held
        held = []
        // Released at once, so another replica's next poll finds the jobs free (closing the session
        // would release them too, but only once the server has ended it). A closed session holds
        // nothing, and a statement written to it would never be answered.
        _ = try? await connection.checkedQuery("SELECT pg_advisory_unlock_all()", logger: logger)
        try? await connection.close()
        if !jobs.isEmpty {
            logger.notice("this replica resigned its jobs", metadata: ["jobs": "\(jobs.sorted().joined(separator: ","))"])
        }
    }

    /// The election's connection, opened when there is none.
    private func session() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if !held.isEmpty { await drop(because: PostgresStoreError.unreachable(settings.description, reason: "the connection closed")) }
        let opened = try await settings.connect(timeout: timeout, startup: Self.keepalives, logger: logger)
        connection = opened
        return opened
    }

    /// Forgets the connection and, with it, every job: the server has released (or will release)
    /// their locks, and another replica may hold them already.
    private func drop(because error: any Error) async {
        let lost = held
        held = []
        if let connection {
            self.connection = nil
            try? await connection.close()
        }
        if lost.isEmpty {
            logger.warning("cannot reach the database for the leader election", metadata: ["error": "\(PostgresStoreError.reason(error))"])
        } else {
            logger.error(
                "lost the database connection that held the leadership; another replica may take over",
                metadata: ["jobs": "\(lost.sorted().joined(separator: ","))", "error": "\(PostgresStoreError.reason(error))"]
            )
        }
    }
}
