package import Foundation
import GRDB
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping
import RoleSyncStoreSupport

/// Break-glass overrides waiting for their end, and the shadow mapping's differences.
extension SQLiteEngine: ShadowStore {
    package func overriddenUsers(limit: Int) async throws -> [User] {
        try await reading { db in
            try Self.users(
                in: db,
                sql: "SELECT \(UserRecord.selection) FROM users WHERE override_until IS NOT NULL ORDER BY override_until, id LIMIT ?",
                arguments: [limit]
            )
        }
    }

    package func recordShadowDifferences(_ differences: [ShadowDifference]) async throws {
        let rows = try differences.map { try ShadowRow($0) }
        try await writing { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO shadow_differences (issuer, subject, user_id, user_name, via, kinds, live, candidate,
                        first_seen, last_seen, occurrences)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (issuer, subject) DO UPDATE SET
                        user_id = coalesce(excluded.user_id, user_id), user_name = excluded.user_name, via = excluded.via,
                        kinds = excluded.kinds, live = excluded.live, candidate = excluded.candidate,
                        last_seen = max(last_seen, excluded.last_seen), occurrences = occurrences + excluded.occurrences
                    """
            )
            for row in rows {
                try statement.execute(arguments: [
                    row.difference.issuer, row.difference.subject, row.difference.userID?.rawValue, row.difference.user,
                    row.difference.via.rawValue, row.kinds, row.live, row.candidate, row.difference.firstSeen.timeIntervalSince1970,
                    row.difference.lastSeen.timeIntervalSince1970, row.difference.occurrences,
                ])
            }
        }
    }

    package func shadowDifferences(matching query: ShadowQuery) async throws -> ShadowPage {
        // Fixed conditions; only values are bound.
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let since = query.since {
            conditions.append("last_seen >= ?")
            arguments.append(since.timeIntervalSince1970)
        }
        if let issuer = query.issuer {
            conditions.append("issuer = ?")
            arguments.append(issuer)
        }
        if let kind = query.kind {
            conditions.append("(',' || kinds || ',') LIKE ?")
            arguments.append("%," + kind.rawValue + ",%")
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let bound = StatementArguments(arguments)
        let paged = StatementArguments(arguments + [max(0, query.limit)])
        return try await reading { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT issuer, subject, user_id, user_name, via, kinds, live, candidate, first_seen, last_seen, occurrences
                    FROM shadow_differences\(filter) ORDER BY last_seen DESC, issuer, subject LIMIT ?
                    """,
                arguments: paged
            )
            let groups = try Row.fetchAll(db, sql: "SELECT kinds, count(*) FROM shadow_differences\(filter) GROUP BY kinds", arguments: bound)
            let counts = ShadowRow.counts(groups.map { (kinds: $0[0], rows: $0[1]) })
            return ShadowPage(
                differences: try rows.map { row in
                    try ShadowRow.difference(
                        issuer: row["issuer"],
                        subject: row["subject"],
                        userID: row["user_id"],
                        user: row["user_name"],
                        via: row["via"],
                        kinds: row["kinds"],
                        live: row["live"],
                        candidate: row["candidate"],
                        firstSeen: Date(timeIntervalSince1970: row["first_seen"]),
                        lastSeen: Date(timeIntervalSince1970: row["last_seen"]),
                        occurrences: row["occurrences"]
                    )
                },
                total: counts.total,
                counts: counts.byKind
            )
        }
    }

    package func pruneShadowDifferences(before time: Date) async throws -> Int {
        try await writing { db in
            try db.execute(sql: "DELETE FROM shadow_differences WHERE last_seen < ?", arguments: [time.timeIntervalSince1970])
            return db.changesCount
        }
    }

    package func clearShadowDifferences(issuers: [String]) async throws -> Int {
        try await writing { db in
            if issuers.isEmpty {
                try db.execute(sql: "DELETE FROM shadow_differences")
            } else {
                let marks = Array(repeating: "?", count: issuers.count).joined(separator: ", ")
                try db.execute(sql: "DELETE FROM shadow_differences WHERE issuer IN (\(marks))", arguments: StatementArguments(issuers))
            }
            return db.changesCount
        }
    }
}
