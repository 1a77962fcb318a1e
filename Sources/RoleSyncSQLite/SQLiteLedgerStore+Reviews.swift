package import Foundation
import GRDB
import RoleSyncJSON
package import RoleSyncLedger

/// Access reviews: what a review reads of its holders in one query per page, and the completed
/// reviews (ledger v15).
extension SQLiteEngine {
    package func unrevokedKeys(ownerIDs: [UserID]) async throws -> [APIKey] {
        let list = ClaimValue.array(ownerIDs.map { .number(Double($0.rawValue)) }).jsonText
        return try await reading { db in
            try OwnedKeyRecord.fetchAll(
                db,
                sql: """
                    SELECT \(OwnedKeyRecord.selection) FROM \(OwnedKeyRecord.source)
                    WHERE k.user_id IN (SELECT value FROM json_each(?)) AND k.revoked_at IS NULL ORDER BY k.id
                    """,
                arguments: [list]
            ).map(\.owned.key)
        }
    }

    package func lastRoleChanges(of ids: [UserID]) async throws -> [UserID: AuditEvent] {
        let list = ClaimValue.array(ids.map { .number(Double($0.rawValue)) }).jsonText
        return try await reading { db in
            // One descent of audit_by_user (user_id, id) per user: the newest id of the action.
            let events = try AuditEventRecord.fetchAll(
                db,
                sql: """
                    SELECT \(AuditEventRecord.selection) FROM audit_events WHERE id IN (
                        SELECT (SELECT max(a.id) FROM audit_events a WHERE a.user_id = u.value AND a.action = ?)
                        FROM json_each(?) u)
                    """,
                arguments: [AuditAction.roleChanged.rawValue, list]
            )
            var changes: [UserID: AuditEvent] = [:]
            for record in events { if let user = record.event.userID { changes[user] = record.event } }
            return changes
        }
    }

    package func accessReviews(limit: Int) async throws -> [AccessReviewSummary] {
        try await reading { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, completed_at, reviewer, holders, kept, revoked, digest FROM access_reviews ORDER BY id DESC LIMIT ?",
                arguments: [max(0, limit)]
            ).map(Self.reviewSummary)
        }
    }

    package func accessReview(id: Int64) async throws -> AccessReview? {
        try await reading { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, completed_at, reviewer, holders, kept, revoked, digest, decisions FROM access_reviews WHERE id = ?",
                    arguments: [id]
                )
            else { return nil }
            let text: String = row[7]
            do {
                return AccessReview(summary: try Self.reviewSummary(row), rows: try AccessReview.decode(Data(text.utf8)))
            } catch {
                throw SQLiteStoreError.corrupt("access review \(id): its rows do not read back: \(error)")
            }
        }
    }

    static func reviewSummary(_ row: Row) throws -> AccessReviewSummary {
        let id: Int64 = row[0]
        let reviewerText: String = row[2]
        guard let reviewer = Actor(reviewerText) else { throw SQLiteStoreError.corrupt("access review \(id): unknown reviewer '\(reviewerText)'") }
        return AccessReviewSummary(
            id: id,
            completedAt: Date(timeIntervalSince1970: row[1]),
            reviewer: reviewer,
            reviewerName: nil,
            holders: row[3],
            kept: row[4],
            revoked: row[5],
            digest: row[6]
        )
    }

    static func insert(_ review: AccessReview, _ db: Database) throws -> Int64 {
        let summary = review.summary
        try db.execute(
            sql: "INSERT INTO access_reviews (completed_at, reviewer, holders, kept, revoked, digest, decisions) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                summary.completedAt.timeIntervalSince1970, summary.reviewer.description, summary.holders, summary.kept, summary.revoked,
                summary.digest, String(decoding: try AccessReview.encode(review.rows), as: UTF8.self),
            ]
        )
        return db.lastInsertedRowID
    }
}
