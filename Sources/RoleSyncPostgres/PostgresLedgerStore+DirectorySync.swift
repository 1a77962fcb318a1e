import Foundation
import PostgresNIO
package import RoleSyncLedger

/// Where each IdP's directory reading stands (``DirectorySyncState``), one row per issuer.
extension PostgresEngine: DirectorySyncStore {
    package func directorySyncStates() async throws -> [DirectorySyncState] {
        try await rows(
            "SELECT issuer, source, cursor, last_full_at, last_success_at, last_run::text FROM directory_sync ORDER BY issuer",
            Self.syncState
        )
    }

    package func directorySyncState(issuer: String) async throws -> DirectorySyncState? {
        try await rows(
            """
            SELECT issuer, source, cursor, last_full_at, last_success_at, last_run::text FROM directory_sync
            WHERE issuer = \(issuer)
            """,
            Self.syncState
        ).first
    }

    package func saveDirectorySyncState(_ state: DirectorySyncState) async throws {
        let run = try state.lastRun?.encoded()
        try await query(
            """
            INSERT INTO directory_sync (issuer, source, cursor, last_full_at, last_success_at, last_run)
            VALUES (\(state.issuer), \(state.source), \(state.cursor), \(state.lastFullAt), \(state.lastSuccessAt), \(run)::jsonb)
            ON CONFLICT (issuer) DO UPDATE SET source = excluded.source, cursor = excluded.cursor,
                last_full_at = excluded.last_full_at, last_success_at = excluded.last_success_at, last_run = excluded.last_run
            """
        )
    }

    package func userCounts(issuer: String) async throws -> (users: Int, active: Int) {
        let counts = try await rows(
            "SELECT count(*), count(*) FILTER (WHERE status = 'active') FROM users WHERE issuer = \(issuer)"
        ) { row in try row.decode((Int64, Int64).self) }
        return counts.first.map { (Int($0.0), Int($0.1)) } ?? (0, 0)
    }

    static func syncState(_ row: PostgresRow) throws -> DirectorySyncState {
        let (issuer, source, cursor, full, success, run) = try row.decode((String, String, String?, Date?, Date?, String?).self)
        return DirectorySyncState(
            issuer: issuer,
            source: source,
            cursor: cursor,
            lastFullAt: full,
            lastSuccessAt: success,
            lastRun: try run.map(DirectoryRunSummary.decoded)
        )
    }
}
