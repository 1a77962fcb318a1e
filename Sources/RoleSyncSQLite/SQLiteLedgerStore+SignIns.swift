import Foundation
import GRDB
package import RoleSyncLedger

extension SQLiteEngine {
    package func writeSignIns(_ batch: [UserID: SignInTally]) async throws {
        try await writing { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE users SET last_sign_in_at = max(coalesce(last_sign_in_at, 0), ?), sign_in_count = sign_in_count + ?
                    WHERE id = ?
                    """
            )
            for (id, tally) in batch {
                try statement.execute(arguments: [tally.time.timeIntervalSince1970, tally.count, id.rawValue])
            }
        }
    }

    /// A deferring owner's flush also adds the users signed in since to the search index, so
    /// searches seldom wait for it.
    package func flushUpkeep() async throws {
        if indexesOnFlush { try await indexNewUsers() }
    }
}
