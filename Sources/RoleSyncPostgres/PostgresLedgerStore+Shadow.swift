package import Foundation
import PostgresNIO
package import RoleSyncLedger
import RoleSyncMapping
import RoleSyncStoreSupport

/// Break-glass overrides waiting for their end, and the shadow mapping's differences.
extension PostgresEngine: ShadowStore {
    package func overriddenUsers(limit: Int) async throws -> [User] {
        try await rows(
            """
            SELECT \(unescaped: PostgresRows.user) FROM users WHERE override_until IS NOT NULL
            ORDER BY override_until, id LIMIT \(Int64(limit))
            """,
            PostgresRows.user
        )
    }

    package func recordShadowDifferences(_ differences: [ShadowDifference]) async throws {
        let rows = try differences.map { try ShadowRow($0) }
        guard !rows.isEmpty else { return }
        let logger = self.logger
        // Not serializable: each row is an upsert of its own identity, and concurrent flushes of
        // two replicas add their counts.
        try await transaction(serializable: false) { connection in
            for row in rows {
                let d = row.difference
                try await connection.checkedQuery(
                    """
                    INSERT INTO shadow_differences (issuer, subject, user_id, user_name, via, kinds, live, candidate,
                        first_seen, last_seen, occurrences)
                    VALUES (\(d.issuer), \(d.subject), \(d.userID?.rawValue), \(d.user), \(d.via.rawValue), \(row.kinds),
                        \(row.live)::jsonb, \(row.candidate)::jsonb, \(d.firstSeen), \(d.lastSeen), \(Int64(d.occurrences)))
                    ON CONFLICT (issuer, subject) DO UPDATE SET
                        user_id = coalesce(excluded.user_id, shadow_differences.user_id), user_name = excluded.user_name,
                        via = excluded.via, kinds = excluded.kinds, live = excluded.live, candidate = excluded.candidate,
                        last_seen = greatest(shadow_differences.last_seen, excluded.last_seen),
                        occurrences = shadow_differences.occurrences + excluded.occurrences
                    """,
                    logger: logger
                )
            }
        }
    }

    package func shadowDifferences(matching query: ShadowQuery) async throws -> ShadowPage {
        // Fixed conditions; only values are bound.
        func filter(_ sql: inout PostgresSQL) throws -> String {
            var conditions: [String] = []
            if let since = query.since { conditions.append("last_seen >= \(try sql.bind(since))") }
            if let issuer = query.issuer { conditions.append("issuer = \(try sql.bind(issuer))") }
            if let kind = query.kind { conditions.append("(',' || kinds || ',') LIKE \(try sql.bind("%," + kind.rawValue + ",%"))") }
            return conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        }
        var page = PostgresSQL()
        let pageFilter = try filter(&page)
        let limit = try page.bind(Int64(max(0, query.limit)))
        page.append(
            """
            SELECT issuer, subject, user_id, user_name, via, kinds, live::text, candidate::text, first_seen, last_seen, occurrences
            FROM shadow_differences\(pageFilter) ORDER BY last_seen DESC, issuer, subject LIMIT \(limit)
            """
        )
        var all = PostgresSQL()
        all.append("SELECT kinds, count(*) FROM shadow_differences" + (try filter(&all)) + " GROUP BY kinds")
        let differences = try await rows(page.query) { row in
            let (issuer, subject, userID, user, via, kinds, live, candidate, first, last, occurrences) = try row.decode(
                (String, String, Int64?, String, String, String, String, String, Date, Date, Int64).self
            )
            return try ShadowRow.difference(
                issuer: issuer,
                subject: subject,
                userID: userID,
                user: user,
                via: via,
                kinds: kinds,
                live: live,
                candidate: candidate,
                firstSeen: first,
                lastSeen: last,
                occurrences: Int(occurrences)
            )
        }
        let groups = try await rows(all.query) { row in
            let (kinds, rows) = try row.decode((String, Int64).self)
            return (kinds: kinds, rows: Int(rows))
        }
        let counts = ShadowRow.counts(groups)
        return ShadowPage(differences: differences, total: counts.total, counts: counts.byKind)
    }

    package func pruneShadowDifferences(before time: Date) async throws -> Int {
        try Self.count(
            try await query("WITH gone AS (DELETE FROM shadow_differences WHERE last_seen < \(time) RETURNING 1) SELECT count(*) FROM gone")
        )
    }

    package func clearShadowDifferences(issuers: [String]) async throws -> Int {
        if issuers.isEmpty {
            return try Self.count(try await query("WITH gone AS (DELETE FROM shadow_differences RETURNING 1) SELECT count(*) FROM gone"))
        }
        return try Self.count(
            try await query(
                "WITH gone AS (DELETE FROM shadow_differences WHERE issuer = ANY(\(issuers)) RETURNING 1) SELECT count(*) FROM gone"
            )
        )
    }
}
