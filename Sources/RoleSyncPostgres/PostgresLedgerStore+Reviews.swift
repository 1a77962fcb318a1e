package import Foundation
import Logging
import PostgresNIO
package import RoleSyncLedger

/// Access reviews: what a review reads of its holders in one query per page, and the completed
/// reviews (ledger v11).
extension PostgresEngine {
    package func unrevokedKeys(ownerIDs: [UserID]) async throws -> [APIKey] {
        try await rows(
            """
            SELECT \(unescaped: PostgresRows.ownedKey) FROM \(unescaped: PostgresRows.ownedKeySource)
            WHERE k.user_id = ANY(\(ownerIDs.map(\.rawValue))) AND k.revoked_at IS NULL ORDER BY k.id
            """,
            PostgresRows.ownedKey
        ).map(\.key)
    }

    package func lastRoleChanges(of ids: [UserID]) async throws -> [UserID: AuditEvent] {
        // One descent of audit_by_user (user_id, id) per user: the newest id of the action.
        let events = try await rows(
            """
            SELECT \(unescaped: PostgresRows.auditEvent) FROM audit_events WHERE id IN (
                SELECT (SELECT max(a.id) FROM audit_events a WHERE a.user_id = u AND a.action = \(AuditAction.roleChanged.rawValue))
                FROM unnest(\(ids.map(\.rawValue))) u)
            """,
            PostgresRows.auditEvent
        )
        var changes: [UserID: AuditEvent] = [:]
        for event in events { if let user = event.userID { changes[user] = event } }
        return changes
    }

    package func accessReviews(limit: Int) async throws -> [AccessReviewSummary] {
        try await rows(
            "SELECT id, completed_at, reviewer, holders, kept, revoked, digest FROM access_reviews ORDER BY id DESC LIMIT \(Int64(max(0, limit)))"
        ) { row in
            try Self.reviewSummary(try row.decode((Int64, Date, String, Int64, Int64, Int64, String).self))
        }
    }

    package func accessReview(id: Int64) async throws -> AccessReview? {
        let found = try await rows(
            "SELECT id, completed_at, reviewer, holders, kept, revoked, digest, decisions::text FROM access_reviews WHERE id = \(id)"
        ) { row in
            let (id, at, reviewer, holders, kept, revoked, digest, decisions) = try row.decode(
                (Int64, Date, String, Int64, Int64, Int64, String, String).self
            )
            let summary = try Self.reviewSummary((id, at, reviewer, holders, kept, revoked, digest))
            do {
                return AccessReview(summary: summary, rows: try AccessReview.decode(Data(decisions.utf8)))
            } catch {
                throw PostgresStoreError.corrupt("access review \(id): its rows do not read back: \(error)")
            }
        }
        return found.first
    }

    static func reviewSummary(_ columns: (Int64, Date, String, Int64, Int64, Int64, String)) throws -> AccessReviewSummary {
        let (id, at, reviewerText, holders, kept, revoked, digest) = columns
        guard let reviewer = Actor(reviewerText) else { throw PostgresStoreError.corrupt("access review \(id): unknown reviewer '\(reviewerText)'") }
        return AccessReviewSummary(
            id: id,
            completedAt: at,
            reviewer: reviewer,
            reviewerName: nil,
            holders: Int(holders),
            kept: Int(kept),
            revoked: Int(revoked),
            digest: digest
        )
    }

    static func insert(_ review: AccessReview, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        let s = review.summary
        let decisions = String(decoding: try AccessReview.encode(review.rows), as: UTF8.self)
        for try await id in try await connection.checkedQuery(
            """
            INSERT INTO access_reviews (completed_at, reviewer, holders, kept, revoked, digest, decisions)
            VALUES (\(s.completedAt), \(s.reviewer.description), \(Int64(s.holders)), \(Int64(s.kept)), \(Int64(s.revoked)), \(s.digest),
                \(decisions)::jsonb)
            RETURNING id
            """,
            logger: logger
        ).decode(Int64.self) { return id }
        throw PostgresStoreError.corrupt("access_reviews: the insert returned no id")
    }
}
