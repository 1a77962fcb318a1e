package import Foundation
package import RoleSyncLedger

/// An API key as every surface shows one in JSON: the Console, the admin API, `rolesync keys`.
/// Never its value, except once, in the answer that created it (``CreatedKeyReport``). Every key is
/// always present (null rather than missing).
package struct KeyReport: Encodable, Sendable {
    package var key: APIKey
    package var owner: KeyOwner
    /// The moment the status is told for.
    package var time: Date

    package init(_ owned: OwnedKey, at time: Date) {
        key = owned.key
        owner = owned.owner
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case id, name, purpose, prefix, status, owner
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
        case revocationReason = "revocation_reason"
        case rolledFrom = "rolled_from"
        case rolledTo = "rolled_to"
        case rolledAt = "rolled_at"
        case usedSinceRoll = "used_since_roll"
    }

    enum OwnerKeys: String, CodingKey {
        case id, name, email
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key.id, forKey: .id)
        try c.encode(key.name, forKey: .name)
        try c.encode(key.purpose.rawValue, forKey: .purpose)
        try c.encode(key.prefix, forKey: .prefix)
        try c.encode(key.status(at: time).rawValue, forKey: .status)
        var o = c.nestedContainer(keyedBy: OwnerKeys.self, forKey: .owner)
        try o.encode(owner.id.rawValue, forKey: .id)
        try o.encode(owner.name, forKey: .name)
        try o.encode(owner.email, forKey: .email)
        try c.encode(Timestamp.format(key.createdAt), forKey: .createdAt)
        try c.encode(Timestamp.format(key.expiresAt), forKey: .expiresAt)
        try c.encode(Timestamp.format(key.lastUsedAt), forKey: .lastUsedAt)
        try c.encode(Timestamp.format(key.revokedAt), forKey: .revokedAt)
        try c.encode(key.revokedBy?.description, forKey: .revokedBy)
        try c.encode(key.revocationReason, forKey: .revocationReason)
        try c.encode(key.rolledFrom, forKey: .rolledFrom)
        try c.encode(key.rolledTo, forKey: .rolledTo)
        try c.encode(Timestamp.format(key.rolledAt), forKey: .rolledAt)
        try c.encode(key.usedSinceRoll, forKey: .usedSinceRoll)
    }

    /// `active`, `revoked 2026-11-30 by user:3 (leaked in a CI log)`, `expired 2026-12-01`: the
    /// status in a few words, for people.
    package var statusSummary: String {
        switch key.status(at: time) {
        case .active:
            guard let next = key.rolledTo else { return "active" }
            return "active until " + (Timestamp.format(key.expiresAt) ?? "") + " (rolled to key \(next))"
        case .expired:
            return "expired " + (key.expiresAt.map { Timestamp.format($0) } ?? "") + (key.rolledTo.map { " (rolled to key \($0))" } ?? "")
        case .revoked:
            var text = "revoked"
            if let at = key.revokedAt { text += " " + Timestamp.format(at) }
            if let by = key.revokedBy { text += " by \(by)" }
            if let reason = key.revocationReason { text += " (\(reason))" }
            return text
        }
    }

    /// The owner's name, else their email, else their id.
    package var ownerLabel: String { owner.name ?? owner.email ?? "user \(owner.id)" }
}

/// The answer to creating a key: the key and, this once, its value.
package struct CreatedKeyReport: Encodable, Sendable {
    package var report: KeyReport
    package var value: String

    package init(_ owned: OwnedKey, value: String, at time: Date) {
        report = KeyReport(owned, at: time)
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case key }

    package func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .key)
    }
}

/// A key with its usage: the admin detail and `rolesync keys show`.
package struct KeyDetailReport: Encodable, Sendable {
    package var report: KeyReport
    package var usage: [KeyUsageDay]

    package init(_ owned: OwnedKey, usage: [KeyUsageDay], at time: Date) {
        report = KeyReport(owned, at: time)
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case usage
        case usagePrecision = "usage_precision_seconds"
    }

    enum DayKeys: String, CodingKey { case day, requests }

    package func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        var days = c.nestedUnkeyedContainer(forKey: .usage)
        for day in usage {
            var d = days.nestedContainer(keyedBy: DayKeys.self)
            try d.encode(Self.date(of: day.day), forKey: .day)
            try d.encode(day.requests, forKey: .requests)
        }
        try c.encode(Int(KeyUsageRecorder.flushInterval), forKey: .usagePrecision)
    }

    /// `2026-11-30` for a day number (days since 1970-01-01, UTC).
    package static func date(of day: Int) -> String {
        String(Timestamp.format(Date(timeIntervalSince1970: TimeInterval(day) * 86_400)).prefix(10))
    }
}

/// What offboarding did: the user after it, the keys it revoked, the sessions it ended.
package struct OffboardingReport: Encodable, Sendable {
    package var user: UserDetailReport
    package var revokedKeys: [KeyReport]
    package var sessionsEnded: Int

    package init(user: UserDetailReport, revokedKeys: [KeyReport], sessionsEnded: Int) {
        self.user = user
        self.revokedKeys = revokedKeys
        self.sessionsEnded = sessionsEnded
    }

    enum CodingKeys: String, CodingKey {
        case user
        case revokedKeys = "revoked_keys"
        case sessionsEnded = "sessions_ended"
    }
}

/// The answer to revoking several keys at once (`POST /api/admin/keys/revoke`, `rolesync keys
/// revoke --stale-since`): how many, and each key as revoked.
package struct RevokedKeysReport: Encodable, Sendable {
    package var revoked: Int
    package var keys: [KeyReport]

    package init(_ keys: [OwnedKey], at time: Date) {
        revoked = keys.count
        self.keys = keys.map { KeyReport($0, at: time) }
    }
}
