import Foundation
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// One holder's row on the Access review page and on a completed review's page.
struct ReviewRow: Sendable {
    var userID: Int64
    var href: String
    var name: String
    var email: String
    var role: String
    var why: String
    var basis: String
    var lastSignIn: PageTime?
    var keys: String
    /// What revoking means for this holder: the role edit, the override's end, or the IdP group.
    var ifRevoked: String
    var actionHref: String?
    var actionLabel: String?
    var keep: Bool
    var revoke: Bool

    init(_ row: AccessReviewRow, decision: AccessReviewRow.Decision?) {
        userID = row.userID.rawValue
        href = "/admin/users/\(row.userID.rawValue)"
        name = row.name ?? row.email ?? "user \(row.userID.rawValue)"
        email = row.email ?? ""
        role = row.role.rawValue
        why = row.why
        basis = row.basis.rawValue
        lastSignIn = PageTime.optional(row.lastSignInAt)
        switch row.activeKeys {
        case 0: keys = "no active key"
        case let count:
            keys = "\(count) active key\(count == 1 ? "" : "s"), " + (row.keysLastUsedAt.map { "last used " + PageTime($0).text } ?? "never used")
        }
        switch row.basis {
        case .idp:
            ifRevoked =
                "Remove them from the IdP group that rule \(row.rule ?? "?") in \(row.mappingFile ?? "?") reads: RoleSync follows at their next sign-in or reconciliation."
        case .unknown:
            ifRevoked = "Load the mappings that govern them to know whether the IdP or a person grants it."
        case .override:
            ifRevoked = "End the break-glass override on their page."
            actionHref = href
            actionLabel = "End override…"
        case .manual:
            ifRevoked = "Change their role by hand on their page."
            actionHref = href
            actionLabel = "Edit role…"
        }
        keep = decision == .keep
        revoke = decision == .revoke
    }
}

/// Holders grouped by role.
struct ReviewGroup: Sendable {
    var role: String
    var count: String
    var rows: [ReviewRow]

    static func groups(_ rows: [AccessReviewRow], decisions: [UserID: AccessReviewRow.Decision]) -> [ReviewGroup] {
        var groups: [ReviewGroup] = []
        for role in SyncService.reviewedRoles {
            let members = rows.filter { $0.role == role }
            guard !members.isEmpty else { continue }
            groups.append(
                ReviewGroup(
                    role: role.rawValue,
                    count: members.count == 1 ? "1 holder" : "\(members.count) holders",
                    rows: members.map { ReviewRow($0, decision: decisions[$0.userID] ?? $0.decision) }
                )
            )
        }
        return groups
    }
}

/// A completed review as listed.
struct PastReview: Sendable {
    var id: Int64
    var href: String
    var csvHref: String
    var completed: PageTime
    var reviewer: String
    var holders: Int
    var kept: Int
    var revoked: Int
    var digest: String

    init(_ summary: AccessReviewSummary) {
        id = summary.id
        href = "/admin/reviews/\(summary.id)"
        csvHref = "/admin/reviews/\(summary.id)?format=csv"
        completed = PageTime(summary.completedAt)
        reviewer = summary.reviewerName ?? summary.reviewer.description
        holders = summary.holders
        kept = summary.kept
        revoked = summary.revoked
        digest = String(summary.digest.prefix(19)) + "…"
    }
}

/// `/admin/reviews`: every admin role holder to decide on, and the completed reviews.
struct ReviewsPageModel: Sendable {
    var chrome: Chrome
    var fingerprint: String
    var lead: String
    var groups: [ReviewGroup]
    var canComplete: Bool
    var exports: ExportLinks
    var past: [PastReview]

    init(
        chrome: Chrome,
        rows: [AccessReviewRow],
        decisions: [UserID: AccessReviewRow.Decision],
        canComplete: Bool,
        past: [AccessReviewSummary]
    ) {
        self.chrome = chrome
        fingerprint = AccessReview.fingerprint(of: rows)
        let people = rows.count == 1 ? "1 person holds" : "\(rows.count) people hold"
        lead =
            "\(people) an admin role (every role but user; active users only). Mark each keep or revoke, then Complete review: "
            + "the decisions are recorded and audited with a digest of the rows. Revoking is done afterwards, as each row says."
        groups = ReviewGroup.groups(rows, decisions: decisions)
        self.canComplete = canComplete
        exports = ExportLinks(PageURL("/admin/reviews", []))
        self.past = past.map(PastReview.init)
    }
}

/// `/admin/reviews/{id}`: a completed review, its rows as decided, and what is left to revoke.
struct ReviewPageModel: Sendable {
    var chrome: Chrome
    var summary: PastReview
    /// The rows' whole digest, as the audit event records it.
    var digestFull: String
    var toRevoke: [ReviewRow]
    var hasToRevoke: Bool
    var groups: [ReviewGroup]
    var exports: ExportLinks

    init(chrome: Chrome, review: AccessReview) {
        self.chrome = chrome
        summary = PastReview(review.summary)
        digestFull = review.summary.digest
        toRevoke = review.rows.filter { $0.decision == .revoke }.map { ReviewRow($0, decision: .revoke) }
        hasToRevoke = !toRevoke.isEmpty
        groups = ReviewGroup.groups(review.rows, decisions: [:])
        exports = ExportLinks(PageURL("/admin/reviews/\(review.summary.id)", []))
    }
}
