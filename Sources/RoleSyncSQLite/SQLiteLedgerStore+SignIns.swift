public import Foundation
import GRDB
public import RoleSyncLedger

extension SQLiteLedgerStore {
    public func recordSignIn(of userID: UserID, at time: Date) async throws {
        guard defersSignIns else {
            try await writing { db in try Self.writeSignIns([userID: (time, 1)], db) }
            return
        }
        let waiting = pendingSignIns.record(userID, at: time)
        if waiting >= Self.signInBatchSize { try await flushSignIns() }
    }

    /// Writes the deferred sign-ins; a deferring store (the server's) also adds the users signed in
    /// since to the search index here, so searches seldom wait for it.
    public func flushSignIns() async throws {
        if defersSignIns { try await indexNewUsers() }
        let batch = pendingSignIns.take()
        guard !batch.isEmpty else { return }
        do {
            try await writing { db in try Self.writeSignIns(batch, db) }
        } catch {
            // Put them back so the next flush tries again; newer sign-ins merge with them.
            pendingSignIns.restore(batch)
            throw error
        }
    }

    /// The last sign-in only moves forward, the count only grows: deferred writes never undo a later
    /// one, and they leave the user's version alone (a sign-in's touch is not an edit).
    static func writeSignIns(_ batch: [UserID: (time: Date, count: Int)], _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE users SET last_sign_in_at = max(coalesce(last_sign_in_at, 0), ?), sign_in_count = sign_in_count + ?
                WHERE id = ?
                """
        )
        for (id, entry) in batch {
            try statement.execute(arguments: [entry.time.timeIntervalSince1970, entry.count, id.rawValue])
        }
    }
}
