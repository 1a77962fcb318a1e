import Crypto
package import Foundation
import RoleSyncJSON
package import RoleSyncMapping

/// One holder of an admin role in an access review: who, which role, why they hold it, how they
/// use it, and (once decided) whether the reviewer keeps or revokes it.
package struct AccessReviewRow: Sendable, Hashable, Codable {
    /// Why the user holds the role.
    package enum Basis: String, Sendable, Hashable, Codable, CaseIterable {
        /// A rule of the IdP's mapping grants it (`mappingFile`, `rule`).
        case idp
        /// A person set it by hand (`changedBy`, `changedAt`), or it was set before any rule covered
        /// the user.
        case manual
        /// A break-glass override grants it until `overrideUntil`.
        case override
        /// No mapping for the user's issuer is loaded here (the command line without the server's
        /// configuration), so whether a rule grants it cannot be told: `issuer` names it.
        case unknown
    }

    package enum Decision: String, Sendable, Hashable, Codable, CaseIterable {
        case keep
        case revoke
    }

    package var userID: UserID
    package var name: String?
    package var email: String?
    package var role: Role
    package var basis: Basis
    package var mappingFile: String?
    package var rule: String?
    /// Who set a manual role, as the audit log names the actor (`user:3`, `cli`, `idp`).
    package var changedBy: String?
    /// The person who set it, by name and email, when a person did.
    package var changedByName: String?
    package var changedAt: Date?
    package var overrideUntil: Date?
    package var overrideBy: String?
    package var overrideReason: String?
    /// For ``Basis/unknown``: the issuer no loaded mapping governs.
    package var issuer: String?
    package var lastSignInAt: Date?
    package var activeKeys: Int
    /// The most recent use of any of the user's active keys.
    package var keysLastUsedAt: Date?
    package var decision: Decision?

    package init(
        userID: UserID,
        name: String?,
        email: String?,
        role: Role,
        basis: Basis,
        lastSignInAt: Date?,
        activeKeys: Int,
        keysLastUsedAt: Date?
    ) {
        self.userID = userID
        self.name = name
        self.email = email
        self.role = role
        self.basis = basis
        self.lastSignInAt = lastSignInAt
        self.activeKeys = activeKeys
        self.keysLastUsedAt = keysLastUsedAt
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case name, email, role, basis, rule, decision
        case mappingFile = "mapping_file"
        case changedBy = "changed_by"
        case changedByName = "changed_by_name"
        case changedAt = "changed_at"
        case overrideUntil = "override_until"
        case overrideBy = "override_by"
        case overrideReason = "override_reason"
        case issuer
        case lastSignInAt = "last_sign_in_at"
        case activeKeys = "active_keys"
        case keysLastUsedAt = "keys_last_used_at"
    }

    /// Why the user holds the role, in a few words: `rule platform-admins in okta.yaml`, `set by
    /// hand by Root Admin on 2026-11-30`, `break-glass override until 2026-12-08T10:00:00Z`.
    package var why: String {
        switch basis {
        case .idp:
            return "IdP rule \(rule ?? "?") in \(mappingFile ?? "?")"
        case .override:
            return "break-glass override until \(overrideUntil.map(AccessReview.time) ?? "?")"
                + (overrideBy.map { ", granted by \($0)" } ?? "") + (overrideReason.map { ": \($0)" } ?? "")
        case .unknown:
            return "unknown: no mapping for \(issuer ?? "its issuer") is loaded here, so whether a rule grants it cannot be told (pass --config)"
        case .manual:
            guard let changedAt else { return "manual: no rule covers them; the role they were created with, never changed" }
            return "manual: set by \(changedByName ?? changedBy ?? "?") on \(AccessReview.time(changedAt))"
        }
    }
}

/// A completed review, as listed: who completed it, when, and what was decided.
package struct AccessReviewSummary: Sendable, Hashable {
    package var id: Int64
    package var completedAt: Date
    package var reviewer: Actor
    /// The reviewer by name and email, when a person.
    package var reviewerName: String?
    package var holders: Int
    package var kept: Int
    package var revoked: Int
    /// SHA-256 of the rows as stored (``AccessReview/digest(of:)``), also in the audit event.
    package var digest: String

    package init(
        id: Int64,
        completedAt: Date,
        reviewer: Actor,
        reviewerName: String?,
        holders: Int,
        kept: Int,
        revoked: Int,
        digest: String
    ) {
        self.id = id
        self.completedAt = completedAt
        self.reviewer = reviewer
        self.reviewerName = reviewerName
        self.holders = holders
        self.kept = kept
        self.revoked = revoked
        self.digest = digest
    }
}

/// A completed access review: its summary and every row as decided.
package struct AccessReview: Sendable, Hashable {
    package var summary: AccessReviewSummary
    package var rows: [AccessReviewRow]

    package init(summary: AccessReviewSummary, rows: [AccessReviewRow]) {
        self.summary = summary
        self.rows = rows
    }

    /// The rows as stored and digested: JSON, keys sorted, times in RFC 3339.
    package static func encode(_ rows: [AccessReviewRow]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(time(date))
        }
        return try encoder.encode(rows)
    }

    package static func decode(_ data: Data) throws -> [AccessReviewRow] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = try? Date(text, strategy: .iso8601) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)"))
            }
            return date
        }
        return try decoder.decode([AccessReviewRow].self, from: data)
    }

    /// `sha256:` and the hex SHA-256 of the rows as ``encode(_:)`` writes them: what the
    /// `review.completed` event records, so a stored review can be checked against the audit log.
    package static func digest(of rows: [AccessReviewRow]) throws -> String {
        "sha256:" + SHA256.hash(data: try encode(rows)).map { String(format: "%02x", $0) }.joined()
    }

    /// What a review page showed: the holders and their roles, so that a decision is refused when
    /// they changed before it was sent.
    package static func fingerprint(of rows: [AccessReviewRow]) -> String {
        let text = rows.map { "\($0.userID.rawValue):\($0.role.rawValue)" }.sorted().joined(separator: ",")
        return SHA256.hash(data: Data(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    static func time(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
