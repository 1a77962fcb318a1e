import Foundation
import GRDB
package import RoleSyncLedger

/// Where each IdP's directory reading stands (``DirectorySyncState``), one row per issuer.
extension SQLiteEngine: DirectorySyncStore {
    package func directorySyncStates() async throws -> [DirectorySyncState] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.syncColumns) FROM directory_sync ORDER BY issuer").map(Self.syncState)
        }
    }

    package func directorySyncState(issuer: String) async throws -> DirectorySyncState? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.syncColumns) FROM directory_sync WHERE issuer = ?", arguments: [issuer])
                .map(Self.syncState)
        }
    }

    package func saveDirectorySyncState(_ state: DirectorySyncState) async throws {
        let run = try state.lastRun?.encoded()
        try await writing { db in
            try db.execute(
                sql: """
                    INSERT INTO directory_sync (issuer, source, cursor, last_full_at, last_success_at, last_run)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (issuer) DO UPDATE SET source = excluded.source, cursor = excluded.cursor,
                        last_full_at = excluded.last_full_at, last_success_at = excluded.last_success_at,
                        last_run = excluded.last_run
                    """,
                arguments: [
                    state.issuer, state.source, state.cursor, state.lastFullAt?.timeIntervalSince1970,
                    state.lastSuccessAt?.timeIntervalSince1970, run,
                ]
            )
        }
    }

    package func userCounts(issuer: String) async throws -> (users: Int, active: Int) {
        try await reading { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT count(*), coalesce(sum(status = 'active'), 0) FROM users WHERE issuer = ?",
                arguments: [issuer]
            )
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    static let syncColumns = "issuer, source, cursor, last_full_at, last_success_at, last_run"

    static func syncState(_ row: Row) throws -> DirectorySyncState {
        let run: String? = row["last_run"]
        return DirectorySyncState(
            issuer: row["issuer"],
            source: row["source"],
            cursor: row["cursor"],
            lastFullAt: (row["last_full_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastSuccessAt: (row["last_success_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastRun: try run.map(DirectoryRunSummary.decoded)
        )
    }
}
