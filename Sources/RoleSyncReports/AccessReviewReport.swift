package import Foundation
package import RoleSyncLedger

/// An access review's row as JSON shows it (the admin API, `rolesync reviews`): every key always
/// present, times in RFC 3339.
package struct AccessReviewRowReport: Encodable, Sendable {
    package var row: AccessReviewRow

    package init(_ row: AccessReviewRow) { self.row = row }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case name, email, role, basis, why, rule, decision
        case mappingFile = "mapping_file"
        case changedBy = "changed_by"
        case changedAt = "changed_at"
        case overrideUntil = "override_until"
        case lastSignInAt = "last_sign_in_at"
        case activeKeys = "active_keys"
        case keysLastUsedAt = "keys_last_used_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.userID.rawValue, forKey: .userID)
        try c.encode(row.name, forKey: .name)
        try c.encode(row.email, forKey: .email)
        try c.encode(row.role.rawValue, forKey: .role)
        try c.encode(row.basis.rawValue, forKey: .basis)
        try c.encode(row.why, forKey: .why)
        try c.encode(row.mappingFile, forKey: .mappingFile)
        try c.encode(row.rule, forKey: .rule)
        try c.encode(row.changedBy, forKey: .changedBy)
        try c.encode(Timestamp.format(row.changedAt), forKey: .changedAt)
        try c.encode(Timestamp.format(row.overrideUntil), forKey: .overrideUntil)
        try c.encode(Timestamp.format(row.lastSignInAt), forKey: .lastSignInAt)
        try c.encode(row.activeKeys, forKey: .activeKeys)
        try c.encode(Timestamp.format(row.keysLastUsedAt), forKey: .keysLastUsedAt)
        try c.encode(row.decision?.rawValue, forKey: .decision)
    }
}

/// The review to do now: every admin role holder, and the fingerprint a decision sends back.
package struct AccessReviewHoldersReport: Encodable, Sendable {
    package var fingerprint: String
    package var holders: [AccessReviewRowReport]

    package init(_ rows: [AccessReviewRow]) {
        fingerprint = AccessReview.fingerprint(of: rows)
        holders = rows.map(AccessReviewRowReport.init)
    }
}

/// A completed review, listed or in full.
package struct AccessReviewReport: Encodable, Sendable {
    package var summary: AccessReviewSummary
    package var rows: [AccessReviewRow]?

    package init(_ summary: AccessReviewSummary, rows: [AccessReviewRow]? = nil) {
        self.summary = summary
        self.rows = rows
    }

    enum CodingKeys: String, CodingKey {
        case id, reviewer, holders, kept, revoked, digest, rows
        case completedAt = "completed_at"
        case reviewerName = "reviewer_name"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(summary.id, forKey: .id)
        try c.encode(Timestamp.format(summary.completedAt), forKey: .completedAt)
        try c.encode(summary.reviewer.description, forKey: .reviewer)
        try c.encode(summary.reviewerName, forKey: .reviewerName)
        try c.encode(summary.holders, forKey: .holders)
        try c.encode(summary.kept, forKey: .kept)
        try c.encode(summary.revoked, forKey: .revoked)
        try c.encode(summary.digest, forKey: .digest)
        if let rows { try c.encode(rows.map(AccessReviewRowReport.init), forKey: .rows) }
    }
}

extension ExportTable where Row == AccessReviewRow {
    /// A review's rows, as its CSV.
    package static let review = ExportTable(
        name: "access-review",
        columns: [
            "role", "user_id", "name", "email", "basis", "why", "mapping_file", "rule", "changed_by", "changed_at", "override_until",
            "last_sign_in_at", "active_keys", "keys_last_used_at", "decision",
        ],
        cells: { row in
            [
                row.role.rawValue, "\(row.userID.rawValue)", row.name ?? "", row.email ?? "", row.basis.rawValue, row.why, row.mappingFile ?? "",
                row.rule ?? "", row.changedBy ?? "", Timestamp.format(row.changedAt) ?? "", Timestamp.format(row.overrideUntil) ?? "",
                Timestamp.format(row.lastSignInAt) ?? "", "\(row.activeKeys)", Timestamp.format(row.keysLastUsedAt) ?? "",
                row.decision?.rawValue ?? "",
            ]
        },
        json: { AccessReviewRowReport($0) }
    )
}

extension Export {
    /// The rows of a review (a completed one, or the holders now), already read.
    package static func review(_ rows: [AccessReviewRow], format: ExportFormat, name: String, at time: Date) -> Export {
        var table = ExportTable<AccessReviewRow>.review
        table.name = name
        return Export(table, format: format, at: time) { _ in (rows, nil) }
    }
}
