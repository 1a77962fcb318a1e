import Foundation
import PostgresNIO
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping

/// Listings: users with search, filters, sorting and keyset pages; the audit log.
extension PostgresEngine {
    /// The keyset condition after `cursor`: rows after its sort value and id in the listing's order.
    static func condition(after cursor: PageCursor, key: String, id: String, ascending: Bool, _ sql: inout PostgresSQL) throws -> String {
        let value: String
        switch cursor.value {
        case .text(let text): value = try sql.bind(text)
        case .micros(let micros): value = "(timestamptz 'epoch' + \(try sql.bind(micros)) * interval '1 microsecond')"
        case .number(let number):
            // This engine's numbers are whole (a role's rank).
            guard let whole = Int64(exactly: number) else { throw LedgerStoreError.invalidCursor }
            value = try sql.bind(whole)
        case .never: value = "'-infinity'::timestamptz"
        }
        let op = ascending ? ">" : "<"
        let last = try sql.bind(cursor.id)
        return "(\(key) \(op) \(value) OR (\(key) = \(value) AND \(id) \(op) \(last)))"
    }

    static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    static func sortKey(_ sort: UsersQuery.Sort) -> String {
        switch sort {
        case .name: "lower(coalesce(name, ''))"
        case .email: "lower(coalesce(email, ''))"
        case .role:
            "(CASE role " + Role.allCases.enumerated().map { "WHEN '\($0.element.rawValue)' THEN \($0.offset)" }.joined(separator: " ") + " END)"
        case .lastSignIn: "coalesce(last_sign_in_at, 'epoch'::timestamptz)"
        case .registered: "registered_at"
        }
    }

    /// The kind of value a sort key is, to read it back for a cursor.
    enum KeyKind { case text, number, time }

    static func keyKind(_ sort: UsersQuery.Sort) -> KeyKind {
        switch sort {
        case .name, .email: .text
        case .role: .number
        case .lastSignIn, .registered: .time
        }
    }

    /// The cursor value of `row`, from the sort value the database computed for it (`sort_key`), so
    /// it compares exactly as the listing orders.
    static func cursorValue(of row: PostgresRow, kind: KeyKind) throws -> PageCursor.Value {
        let value = PostgresRandomAccessRow(row)["sort_key"]
        switch kind {
        case .text: return .text(try value.decode(String.self))
        case .number: return .number(Double(try value.decode(Int64.self)))
        case .time:
            let date = try value.decode(Date.self)
            // `-infinity` (a key never used) decodes far before PostgreSQL's earliest time (4713 BC).
            if !date.timeIntervalSince1970.isFinite || date.timeIntervalSince1970 < -1e12 { return .never }
            return .micros(micros(date))
        }
    }

    /// `%text%` for LIKE, with the pattern's own characters escaped.
    static func containing(_ text: String) -> String {
        "%"
            + text.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    package func users(matching query: UsersQuery, limit: Int, after cursor: PageCursor?) async throws -> [(User, PageCursor.Value)] {
        var sql = PostgresSQL()
        var conditions: [String] = []
        if let search = query.search?.trimmingCharacters(in: .whitespacesAndNewlines), !search.isEmpty {
            // The expression of the pg_trgm index `users_search`.
            conditions.append("lower(coalesce(name, '') || chr(31) || coalesce(email, '')) LIKE \(try sql.bind(Self.containing(search)))")
        }
        if let role = query.role { conditions.append("role = \(try sql.bind(role.rawValue))") }
        if let status = query.status { conditions.append("status = \(try sql.bind(status.rawValue))") }
        return try await keysetRows(
            &sql,
            conditions: conditions,
            select: PostgresRows.user,
            from: "users",
            id: "id",
            key: (Self.sortKey(query.sort), Self.keyKind(query.sort)),
            ascending: query.order == .ascending,
            after: cursor,
            limit: limit,
            decode: PostgresRows.user
        )
    }

    /// At most `limit` rows of a keyset listing after `cursor` under `conditions`, in the key's
    /// order then `id`'s, each with its sort value.
    /// - Parameter key: the sort expression (fixed SQL) and the kind of value it is.
    func keysetRows<Item>(
        _ sql: inout PostgresSQL,
        conditions: [String],
        select: String,
        from source: String,
        id: String,
        key: (sql: String, kind: KeyKind),
        ascending: Bool,
        after cursor: PageCursor?,
        limit: Int,
        decode: (PostgresRow) throws -> Item
    ) async throws -> [(Item, PageCursor.Value)] {
        var conditions = conditions
        if let cursor { conditions.append(try Self.condition(after: cursor, key: key.sql, id: id, ascending: ascending, &sql)) }
        let direction = ascending ? "ASC" : "DESC"
        let limitBind = try sql.bind(Int64(limit))
        sql.append(
            "SELECT \(select), \(key.sql) AS sort_key FROM \(source)"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
                + " ORDER BY \(key.sql) \(direction), \(id) \(direction) LIMIT \(limitBind)"
        )
        return try await self.rows(sql.query) { $0 }.map { row in (try decode(row), try Self.cursorValue(of: row, kind: key.kind)) }
    }

    package func auditEvents(matching query: AuditQuery, limit: Int, before id: Int64?) async throws -> [AuditEvent] {
        var sql = PostgresSQL()
        var conditions: [String] = []
        if let user = query.userID { conditions.append("user_id = \(try sql.bind(user.rawValue))") }
        if let action = query.action { conditions.append("action = \(try sql.bind(action.rawValue))") }
        if let actor = query.actor { conditions.append("actor = \(try sql.bind(actor.description))") }
        if let since = query.since { conditions.append("time >= \(try sql.bind(since))") }
        if let until = query.until { conditions.append("time < \(try sql.bind(until))") }
        if let about = query.about {
            let users = try sql.bind(about.users.map(\.rawValue))
            let actors = try sql.bind(about.actors)
            let owners = try sql.bind(about.keyOwners)
            let prefixes = try sql.bind(about.keyPrefixes)
            conditions.append(
                "(user_id = ANY(\(users)) OR actor = ANY(\(actors)) OR (user_id = ANY(\(owners))"
                    + " AND (details->>'prefix' = ANY(\(prefixes)) OR details->>'new_prefix' = ANY(\(prefixes)))))"
            )
        }
        if let id { conditions.append("id < \(try sql.bind(id))") }
        let limitBind = try sql.bind(Int64(limit))
        sql.append(
            "SELECT \(PostgresRows.auditEvent) FROM audit_events"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY id DESC LIMIT \(limitBind)"
        )
        return try await self.rows(sql.query, PostgresRows.auditEvent)
    }

    // The audit stream (decision 135): ordered by the writing transaction's id, then the event's,
    // and only events of transactions older than every one still running (`pg_snapshot_xmin`), so
    // an event whose transaction commits late is handed out later, never skipped. Rows written
    // before ledger v8 have transaction id 0: they come first, in id order.

    package func auditStream(after position: AuditStreamPosition, limit: Int) async throws -> [(event: AuditEvent, position: AuditStreamPosition)] {
        var sql = PostgresSQL()
        let commit = try sql.bind(String(position.commit))
        let id = try sql.bind(position.eventID)
        let limitBind = try sql.bind(Int64(limit))
        sql.append(
            "SELECT \(PostgresRows.auditStreamEvent) FROM audit_events"
                + " WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) AND (xid, id) > (\(commit)::xid8, \(id))"
                + " ORDER BY xid, id LIMIT \(limitBind)"
        )
        return try await rows(sql.query, PostgresRows.auditStreamEvent)
    }

    package func auditStreamPosition(ofEvent id: Int64) async throws -> AuditStreamPosition? {
        let rows = try await query("SELECT xid::text FROM audit_events WHERE id = \(id)")
        guard let row = rows.first else { return nil }
        let text = try row.decode(String.self)
        guard let commit = UInt64(text) else { throw PostgresStoreError.corrupt("audit event \(id): transaction id '\(text)' is not a number") }
        return AuditStreamPosition(commit: commit, eventID: id)
    }

    package func auditStreamHead() async throws -> AuditStreamPosition {
        // Everything of transactions older than the oldest one running has committed (or never
        // will): a stream from (xmin, 0) reads what those running now and later ones write.
        let rows = try await query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
        guard let text = try rows.first?.decode(String.self), let xmin = UInt64(text) else {
            throw PostgresStoreError.corrupt("pg_snapshot_xmin(pg_current_snapshot()) answered no transaction id")
        }
        return AuditStreamPosition(commit: xmin, eventID: 0)
    }

    package func auditCounts(userID: UserID) async throws -> [AuditAction: Int] {
        let rows = try await query("SELECT action, count(*) FROM audit_events WHERE user_id = \(userID.rawValue) GROUP BY action")
        return try Self.auditCounts(userID, rows)
    }

    static func auditCounts(_ userID: UserID, _ rows: [PostgresRow]) throws -> [AuditAction: Int] {
        var counts: [AuditAction: Int] = [:]
        for row in rows {
            let (action, count) = try row.decode((String, Int64).self)
            guard let known = AuditAction(rawValue: action) else {
                throw PostgresStoreError.corrupt("audit events of user \(userID): unknown action '\(action)'")
            }
            counts[known] = Int(count)
        }
        return counts
    }

    /// One `REPEATABLE READ` transaction: the counts, the newest events, the last refusal and the
    /// sessions, as of one snapshot.
    package func activity(of userID: UserID, recent: Int) async throws -> UserActivity {
        let logger = self.logger
        let id = userID.rawValue
        return try await withConnection { connection in
            try await connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger) { connection in
                let counts = try Self.auditCounts(
                    userID,
                    try await Self.all(
                        try await connection.checkedQuery(
                            "SELECT action, count(*) FROM audit_events WHERE user_id = \(id) GROUP BY action",
                            logger: logger
                        )
                    ) { $0 }
                )
                let recent = try await Self.all(
                    try await connection.checkedQuery(
                        "SELECT \(unescaped: PostgresRows.auditEvent) FROM audit_events WHERE user_id = \(id) ORDER BY id DESC LIMIT \(Int64(recent))",
                        logger: logger
                    ),
                    PostgresRows.auditEvent
                )
                let lastRefusal = try await Self.all(
                    try await connection.checkedQuery(
                        """
                        SELECT \(unescaped: PostgresRows.auditEvent) FROM audit_events
                        WHERE user_id = \(id) AND action = 'signin.refused' ORDER BY id DESC LIMIT 1
                        """,
                        logger: logger
                    ),
                    PostgresRows.auditEvent
                ).first
                let sessions = try await Self.count(
                    try await connection.checkedQuery("SELECT count(*) FROM sessions WHERE user_id = \(id)", logger: logger)
                )
                return UserActivity(counts: counts, recent: recent, lastRefusal: lastRefusal, activeSessions: sessions)
            }
        }
    }
}
