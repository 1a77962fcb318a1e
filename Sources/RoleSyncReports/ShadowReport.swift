package import RoleSyncLedger
package import RoleSyncMapping

/// Who the candidate (shadow) mappings would change, and why: `GET /api/admin/mapping/shadow` and
/// `rolesync mapping shadow-report --format json`.
package struct ShadowReport: Encodable, Sendable {
    package struct Candidate: Encodable, Sendable {
        package var issuer: String
        package var file: String
    }

    package struct Difference: Encodable, Sendable {
        package var difference: ShadowDifference

        enum CodingKeys: String, CodingKey {
            case issuer, subject, user, via, kinds, live, candidate, summary, occurrences
            case userID = "user_id"
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(difference.issuer, forKey: .issuer)
            try c.encode(difference.subject, forKey: .subject)
            try c.encode(difference.userID?.rawValue, forKey: .userID)
            try c.encode(difference.user, forKey: .user)
            try c.encode(difference.via.rawValue, forKey: .via)
            try c.encode(difference.kinds.map(\.rawValue), forKey: .kinds)
            try c.encode(difference.summary, forKey: .summary)
            try c.encode(difference.live, forKey: .live)
            try c.encode(difference.candidate, forKey: .candidate)
            try c.encode(Timestamp.format(difference.firstSeen), forKey: .firstSeen)
            try c.encode(Timestamp.format(difference.lastSeen), forKey: .lastSeen)
            try c.encode(difference.occurrences, forKey: .occurrences)
        }
    }

    /// The candidate mappings in force now (empty when `shadow:` configures none).
    package var candidates: [Candidate]
    package var since: String?
    /// Differences matching the query, in all; `differences` holds the newest `limit` of them.
    package var total: Int
    package var counts: [String: Int]
    package var differences: [Difference]

    enum CodingKeys: String, CodingKey {
        case candidates, since, total, counts, differences
    }

    /// Every key always present (`since` null when not asked).
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(candidates, forKey: .candidates)
        try c.encode(since, forKey: .since)
        try c.encode(total, forKey: .total)
        try c.encode(counts, forKey: .counts)
        try c.encode(differences, forKey: .differences)
    }

    package init(_ page: ShadowPage, candidates: MappingSet?, query: ShadowQuery) {
        self.candidates = (candidates?.mappings ?? []).map { Candidate(issuer: $0.issuer, file: $0.file) }
        since = query.since.map { Timestamp.format($0) }
        total = page.total
        counts = Dictionary(uniqueKeysWithValues: ShadowDifference.Kind.allCases.map { ($0.rawValue, page.counts[$0] ?? 0) })
        differences = page.differences.map(Difference.init)
    }
}
