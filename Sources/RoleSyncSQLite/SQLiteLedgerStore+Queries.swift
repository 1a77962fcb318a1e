import Foundation
import GRDB
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping

/// Listings: users with search, filters, sorting and keyset pagination; the audit log.
extension SQLiteEngine {
    /// The SQL expression each sort orders by (fixed strings: no user input reaches SQL text).
    static func sortKey(_ sort: UsersQuery.Sort) -> String {
        switch sort {
        case .name: "coalesce(name, '') COLLATE NOCASE"
        case .email: "coalesce(email, '') COLLATE NOCASE"
        case .role:
            "CASE role " + Role.allCases.enumerated().map { "WHEN '\($0.element.rawValue)' THEN \($0.offset)" }.joined(separator: " ")
                + " END"
        case .lastSignIn: "coalesce(last_sign_in_at, 0)"
        case .registered: "registered_at"
        }
    }

    /// The keyset condition after `cursor`: rows after its sort value and id, in the listing's
    /// order. `key` and `id` are the listing's fixed SQL expressions; only values are bound.
    static func after(
        _ cursor: PageCursor,
        key: String,
        id: String,
        ascending: Bool
    ) throws -> (String, [(any DatabaseValueConvertible)?]) {
        let value: any DatabaseValueConvertible
        switch cursor.value {
        case .text(let text): value = text
        case .number(let number): value = number
        // This engine makes text and number cursors only.
        case .micros, .never: throw LedgerStoreError.invalidCursor
        }
        let op = ascending ? ">" : "<"
        return ("(\(key) \(op) ? OR (\(key) = ? AND \(id) \(op) ?))", [value, value, cursor.id])
    }

    /// The cursor value of a user under `sort`: what ``sortKey(_:)`` computes for its row.
    static func sortValue(_ user: User, _ sort: UsersQuery.Sort) -> PageCursor.Value {
        switch sort {
        case .name: .text(user.name ?? "")
        case .email: .text(user.email ?? "")
        case .role: .number(Double(Role.allCases.firstIndex(of: user.role) ?? 0))
        case .lastSignIn: .number(user.lastSignInAt?.timeIntervalSince1970 ?? 0)
        case .registered: .number(user.registeredAt.timeIntervalSince1970)
        }
    }

    package func users(matching query: UsersQuery, limit: Int, after cursor: PageCursor?) async throws -> [(User, PageCursor.Value)] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        // NUL ends a full-text query early (a syntax error): no name or email holds one.
        if let search = query.search?.replacingOccurrences(of: "\u{0}", with: "").trimmingCharacters(in: .whitespacesAndNewlines),
            !search.isEmpty
        {
            let phrase = "\"" + search.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            // The trigram index finds substrings of three characters or more, ignoring case. When it
            // finds few users it is the fastest way; when a term is common (thousands match) walking
            // the sort order with LIKE finds a page sooner than sorting every match.
            if search.count >= 3 { try await indexNewUsers() }
            if search.count >= 3, try await Self.isSelective(phrase, in: self) {
                conditions.append("id IN (SELECT rowid FROM users_search WHERE users_search MATCH ?)")
                arguments.append(phrase)
            } else {
                let escaped = search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_")
                conditions.append("(name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')")
                arguments += ["%\(escaped)%", "%\(escaped)%"]
            }
        }
        if let role = query.role {
            // A common role (thousands of users) is found sooner by walking the sort order's index and
            // filtering than by sorting all its users; `+role` keeps SQLite off the role index then.
            var common = false
            if query.sort != .role { common = try await Self.isCommon(role: role, status: query.status, in: self) }
            conditions.append(common ? "+role = ?" : "role = ?")
            arguments.append(role.rawValue)
        }
        if let status = query.status {
            conditions.append("status = ?")
            arguments.append(status.rawValue)
        }
        let key = Self.sortKey(query.sort)
        let ascending = query.order == .ascending
        if let cursor {
            let (condition, values) = try Self.after(cursor, key: key, id: "id", ascending: ascending)
            conditions.append(condition)
            arguments += values
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let direction = ascending ? "ASC" : "DESC"
        let sql = """
            SELECT \(UserRecord.selection) FROM users \(whereClause)
            ORDER BY \(key) \(direction), id \(direction) LIMIT ?
            """
        arguments.append(limit)
        let statementArguments = StatementArguments(arguments)
        let sort = query.sort
        return try await reading { db in
            try Self.users(in: db, sql: sql, arguments: statementArguments).map { ($0, Self.sortValue($0, sort)) }
        }
    }

    /// Whether more than 2,000 users have the role (and status).
    static func isCommon(role: Role, status: UserStatus?, in store: SQLiteEngine) async throws -> Bool {
        try await store.reading { db in
            let sql =
                status == nil
                ? "SELECT count(*) FROM (SELECT 1 FROM users WHERE role = ? LIMIT 2001)"
                : "SELECT count(*) FROM (SELECT 1 FROM users WHERE role = ? AND status = ? LIMIT 2001)"
            let arguments: StatementArguments = status.map { [role.rawValue, $0.rawValue] } ?? [role.rawValue]
            return (try Int.fetchOne(try db.cachedStatement(sql: sql), arguments: arguments) ?? 0) > 2000
        }
    }

    /// Adds the users created since the last search to the trigram index, in one write transaction;
    /// a read first, so a search after no new sign-in writes nothing.
    func indexNewUsers() async throws {
        let behind = try await reading { db in
            try Bool.fetchOne(
                try db.cachedStatement(sql: "SELECT coalesce((SELECT max(id) FROM users), 0) > (SELECT id FROM search_index_position)")
            ) ?? false
        }
        guard behind else { return }
        try await writing { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO users_search (rowid, name, email)
                    SELECT id, coalesce(name, ''), coalesce(email, '') FROM users
                    WHERE id > (SELECT id FROM search_index_position) ORDER BY id
                    """
            ).execute()
            try db.cachedStatement(sql: "UPDATE search_index_position SET id = (SELECT coalesce(max(id), 0) FROM users)")
                .execute()
        }
    }

    /// Whether at most 2,000 users match a trigram phrase.
    static func isSelective(_ phrase: String, in store: SQLiteEngine) async throws -> Bool {
        try await store.reading { db in
            let matches = try Int.fetchOne(
                try db.cachedStatement(sql: "SELECT count(*) FROM (SELECT rowid FROM users_search WHERE users_search MATCH ? LIMIT 2001)"),
                arguments: [phrase]
            )
            return (matches ?? 0) <= 2_000
        }
    }

    package func auditEvents(matching query: AuditQuery, limit: Int, before id: Int64?) async throws -> [AuditEvent] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let user = query.userID {
            conditions.append("user_id = ?")
            arguments.append(user.rawValue)
        }
        if let action = query.action {
            conditions.append("action = ?")
            arguments.append(action.rawValue)
        }
        if let actor = query.actor {
            conditions.append("actor = ?")
            arguments.append(actor.description)
        }
        if let since = query.since {
            conditions.append("time >= ?")
            arguments.append(since.timeIntervalSince1970)
        }
        if let until = query.until {
            conditions.append("time < ?")
            arguments.append(until.timeIntervalSince1970)
        }
        if let about = query.about {
            // Each branch reads an index (audit_by_user, audit_by_actor), so SQLite answers the OR
            // as a union of index lookups rather than a scan of the log.
            func list(_ values: [ClaimValue]) -> String { ClaimValue.array(values).jsonText }
            conditions.append(
                """
                (user_id IN (SELECT value FROM json_each(?)) OR actor IN (SELECT value FROM json_each(?))
                 OR (user_id IN (SELECT value FROM json_each(?)) AND (json_extract(details, '$.prefix') IN (SELECT value FROM json_each(?))
                     OR json_extract(details, '$.new_prefix') IN (SELECT value FROM json_each(?)))))
                """
            )
            let prefixes = list(about.keyPrefixes.map(ClaimValue.string))
            arguments += [
                list(about.users.map { .number(Double($0.rawValue)) }), list(about.actors.map(ClaimValue.string)),
                list(about.keyOwners.map { .number(Double($0)) }), prefixes, prefixes,
            ]
        }
        if let id {
            conditions.append("id < ?")
            arguments.append(id)
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(AuditEventRecord.selection) FROM audit_events \(whereClause) ORDER BY id DESC LIMIT ?"
        arguments.append(limit)
        let statementArguments = StatementArguments(arguments)
        return try await reading { db in
            try AuditEventRecord.fetchAll(try db.cachedStatement(sql: sql), arguments: statementArguments).map(\.event)
        }
    }

    // The audit stream: one writer at a time commits, so ids are in commit order and a position's
    // `commit` stays 0.

    package func auditStream(after position: AuditStreamPosition, limit: Int) async throws -> [(event: AuditEvent, position: AuditStreamPosition)] {
        try await reading { db in
            try AuditEventRecord.fetchAll(
                try db.cachedStatement(sql: "SELECT \(AuditEventRecord.selection) FROM audit_events WHERE id > ? ORDER BY id LIMIT ?"),
                arguments: [position.eventID, limit]
            ).map { record in (record.event, AuditStreamPosition(commit: 0, eventID: record.event.id ?? 0)) }
        }
    }

    package func auditStreamPosition(ofEvent id: Int64) async throws -> AuditStreamPosition? {
        try await reading { db in
            try Int64.fetchOne(try db.cachedStatement(sql: "SELECT id FROM audit_events WHERE id = ?"), arguments: [id])
                .map { AuditStreamPosition(commit: 0, eventID: $0) }
        }
    }

    package func auditStreamHead() async throws -> AuditStreamPosition {
        try await reading { db in
            AuditStreamPosition(commit: 0, eventID: try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM audit_events") ?? 0)
        }
    }

    package func auditCounts(userID: UserID) async throws -> [AuditAction: Int] {
        try await reading { db in try Self.auditCounts(userID, db) }
    }

    static func auditCounts(_ userID: UserID, _ db: Database) throws -> [AuditAction: Int] {
        var counts: [AuditAction: Int] = [:]
        for row in try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT action, count(*) AS events FROM audit_events WHERE user_id = ? GROUP BY action"),
            arguments: [userID.rawValue]
        ) {
            let action: String = row["action"]
            guard let known = AuditAction(rawValue: action) else {
                throw SQLiteStoreError.corrupt("audit events of user \(userID): unknown action '\(action)'")
            }
            counts[known] = row["events"]
        }
        return counts
    }

    /// One read transaction: the counts, the newest events, the last refusal and the sessions, as of
    /// one moment.
    package func activity(of userID: UserID, recent: Int) async throws -> UserActivity {
        try await reading { db in
            let events = "SELECT \(AuditEventRecord.selection) FROM audit_events WHERE user_id = ?"
            return UserActivity(
                counts: try Self.auditCounts(userID, db),
                recent: try AuditEventRecord.fetchAll(
                    try db.cachedStatement(sql: events + " ORDER BY id DESC LIMIT ?"),
                    arguments: [userID.rawValue, recent]
                ).map(\.event),
                lastRefusal: try AuditEventRecord.fetchOne(
                    try db.cachedStatement(sql: events + " AND action = 'signin.refused' ORDER BY id DESC LIMIT 1"),
                    arguments: [userID.rawValue]
                )?.event,
                activeSessions: try Int.fetchOne(
                    try db.cachedStatement(sql: "SELECT count(*) FROM sessions WHERE user_id = ?"),
                    arguments: [userID.rawValue]
                ) ?? 0
            )
        }
    }
}
