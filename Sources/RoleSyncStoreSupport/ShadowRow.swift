package import Foundation
package import RoleSyncLedger
import RoleSyncJSON

/// A shadow difference as both stores keep it: kinds as comma-separated text, each side as JSON.
package struct ShadowRow: Sendable {
    package var difference: ShadowDifference
    package var kinds: String
    package var live: String
    package var candidate: String

    package init(_ difference: ShadowDifference) throws {
        self.difference = difference
        kinds = difference.kinds.map(\.rawValue).joined(separator: ",")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        live = String(decoding: try encoder.encode(difference.live), as: UTF8.self)
        candidate = String(decoding: try encoder.encode(difference.candidate), as: UTF8.self)
    }

    /// Reads a stored row back; an unknown kind, path or side is an error naming the identity.
    package static func difference(
        issuer: String,
        subject: String,
        userID: Int64?,
        user: String,
        via: String,
        kinds: String,
        live: String,
        candidate: String,
        firstSeen: Date,
        lastSeen: Date,
        occurrences: Int
    ) throws -> ShadowDifference {
        guard let path = ShadowDifference.Path(rawValue: via) else { throw ShadowRowError("\(issuer)#\(subject): unknown via '\(via)'") }
        var parsed: [ShadowDifference.Kind] = []
        for text in kinds.split(separator: ",") {
            guard let kind = ShadowDifference.Kind(rawValue: String(text)) else {
                throw ShadowRowError("\(issuer)#\(subject): unknown kind '\(text)'")
            }
            parsed.append(kind)
        }
        let decoder = JSONDecoder()
        let liveSide: ShadowDifference.Side
        let candidateSide: ShadowDifference.Side
        do {
            liveSide = try decoder.decode(ShadowDifference.Side.self, from: Data(live.utf8))
            candidateSide = try decoder.decode(ShadowDifference.Side.self, from: Data(candidate.utf8))
        } catch {
            throw ShadowRowError("\(issuer)#\(subject): a decision does not read back: \(error)")
        }
        return ShadowDifference(
            issuer: issuer,
            subject: subject,
            userID: userID.map { UserID($0) },
            user: user,
            via: path,
            kinds: parsed,
            live: liveSide,
            candidate: candidateSide,
            firstSeen: firstSeen,
            lastSeen: lastSeen,
            occurrences: occurrences
        )
    }

    /// How many rows there are, and how many have each kind, from the rows counted by their
    /// `kinds` text (`SELECT kinds, count(*) … GROUP BY kinds`: a handful of combinations).
    package static func counts(_ groups: [(kinds: String, rows: Int)]) -> (total: Int, byKind: [ShadowDifference.Kind: Int]) {
        var counts: [ShadowDifference.Kind: Int] = [:]
        for group in groups {
            for part in group.kinds.split(separator: ",") {
                if let kind = ShadowDifference.Kind(rawValue: String(part)) { counts[kind, default: 0] += group.rows }
            }
        }
        return (groups.reduce(0) { $0 + $1.rows }, counts)
    }
}

/// A stored shadow difference that does not read back.
package struct ShadowRowError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = "shadow_differences: " + description }
}

extension AuditEvent {
    /// The details as both engines store them: compact JSON, keys sorted.
    package var storedDetails: String { ClaimValue.object(detailsObject).jsonText }
}
