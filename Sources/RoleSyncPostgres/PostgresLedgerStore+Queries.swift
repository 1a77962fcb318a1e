import Foundation
import PostgresNIO
import RoleSyncJSON
public import RoleSyncLedger
import RoleSyncMapping

/// Listings: users with search, filters, sorting and keyset pages; the audit log.
extension PostgresLedgerStore {
    /// A keyset cursor: the sort it was made for, the last row's sort value and its id. Times are
    /// whole microseconds (PostgreSQL's precision), so a cursor compares exactly.
    struct Cursor: Codable {
        var sort: String
        var text: String?
        var micros: Int64?
        var number: Int64?
        /// The sort value is `-infinity` (a key never used).
        var never: Bool?
        var id: Int64

        func encoded() -> String { Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data()) }

        static func decode(_ text: String, sort: String) throws -> Cursor {
            guard text.utf8.count <= 1_024, let data = Base64URL.decode(text), let cursor = try? JSONDecoder().decode(Cursor.self, from: data),
                cursor.sort == sort
            else { throw LedgerStoreError.invalidCursor }
            return cursor
        }

        /// The keyset condition: rows after the cursor's in the listing's order.
        func condition(key: String, id: String, ascending: Bool, _ sql: inout PostgresSQL) throws -> String {
            let value: String
            switch (text, micros, number, never) {
            case (let text?, nil, nil, nil): value = try sql.bind(text)
            case (nil, let micros?, nil, nil): value = "(timestamptz 'epoch' + \(try sql.bind(micros)) * interval '1 microsecond')"
            case (nil, nil, let number?, nil): value = try sql.bind(number)
            case (nil, nil, nil, true?): value = "'-infinity'::timestamptz"
            default: throw LedgerStoreError.invalidCursor
            }
            let op = ascending ? ">" : "<"
            let last = try sql.bind(self.id)
            return "(\(key) \(op) \(value) OR (\(key) = \(value) AND \(id) \(op) \(last)))"
        }
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

    /// A cursor after `row`, from the sort value the database computed for it (`sort_key`), so it
    /// compares exactly as the listing orders.
    static func cursor(after row: PostgresRow, id: Int64, kind: KeyKind, sort: String) throws -> Cursor {
        let value = PostgresRandomAccessRow(row)["sort_key"]
        switch kind {
        case .text: return Cursor(sort: sort, text: try value.decode(String.self), id: id)
        case .number: return Cursor(sort: sort, number: try value.decode(Int64.self), id: id)
        case .time:
            let date = try value.decode(Date.self)
            // `-infinity` (a key never used) decodes far before PostgreSQL's earliest time (4713 BC).
            if !date.timeIntervalSince1970.isFinite || date.timeIntervalSince1970 < -1e12 {
                return Cursor(sort: sort, never: true, id: id)
            }
            return Cursor(sort: sort, micros: micros(date), id: id)
        }
    }

    /// `%text%` for LIKE, with the pattern's own characters escaped.
    static func containing(_ text: String) -> String {
        "%"
            + text.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    public func users(matching query: UsersQuery) async throws -> UsersPage {
        let limit = max(1, min(query.limit, 500))
        var sql = PostgresSQL()
        var conditions: [String] = []
        if let search = query.search?.trimmingCharacters(in: .whitespacesAndNewlines), !search.isEmpty {
            // The expression of the pg_trgm index `users_search`.
            conditions.append("lower(coalesce(name, '') || chr(31) || coalesce(email, '')) LIKE \(try sql.bind(Self.containing(search)))")
        }
        if let role = query.role { conditions.append("role = \(try sql.bind(role.rawValue))") }
        if let status = query.status { conditions.append("status = \(try sql.bind(status.rawValue))") }
        let (users, next) = try await keysetPage(
            &sql,
            conditions: conditions,
            select: PostgresRows.user,
            from: "users",
            id: "id",
            key: (Self.sortKey(query.sort), Self.keyKind(query.sort)),
            ascending: query.order == .ascending,
            cursor: (query.cursor, query.sort.rawValue + ":" + query.order.rawValue),
            limit: limit,
            decode: PostgresRows.user,
            rowID: \.id.rawValue
        )
        return UsersPage(users: users, nextCursor: next)
    }

    /// One page of a keyset listing: rows after the cursor under `conditions`, in the key's order
    /// then `id`'s, and the cursor after the page's last row when more follow.
    /// - Parameters:
    ///   - key: the sort expression (fixed SQL) and the kind of value it is.
    ///   - cursor: the cursor given, and the name of the sort it must have been made for.
    func keysetPage<Item>(
        _ sql: inout PostgresSQL,
        conditions: [String],
        select: String,
        from source: String,
        id: String,
        key: (sql: String, kind: KeyKind),
        ascending: Bool,
        cursor: (text: String?, sort: String),
        limit: Int,
        decode: (PostgresRow) throws -> Item,
        rowID: (Item) -> Int64
    ) async throws -> ([Item], String?) {
        var conditions = conditions
        if let text = cursor.text {
            conditions.append(try Cursor.decode(text, sort: cursor.sort).condition(key: key.sql, id: id, ascending: ascending, &sql))
        }
        let direction = ascending ? "ASC" : "DESC"
        let limitBind = try sql.bind(Int64(limit + 1))
        sql.append(
            "SELECT \(select), \(key.sql) AS sort_key FROM \(source)"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
                + " ORDER BY \(key.sql) \(direction), \(id) \(direction) LIMIT \(limitBind)"
        )
        let rows = try await self.rows(sql.query) { $0 }
        let items = try rows.prefix(limit).map(decode)
        guard rows.count > limit, let last = items.last else { return (items, nil) }
        return (items, try Self.cursor(after: rows[limit - 1], id: rowID(last), kind: key.kind, sort: cursor.sort).encoded())
    }

    public func auditEvents(matching query: AuditQuery) async throws -> AuditPage {
        let limit = max(1, min(query.limit, 1_000))
        var sql = PostgresSQL()
        var conditions: [String] = []
        if let user = query.userID { conditions.append("user_id = \(try sql.bind(user.rawValue))") }
        if let action = query.action { conditions.append("action = \(try sql.bind(action.rawValue))") }
        if let actor = query.actor { conditions.append("actor = \(try sql.bind(actor.description))") }
        if let since = query.since { conditions.append("time >= \(try sql.bind(since))") }
        if let until = query.until { conditions.append("time < \(try sql.bind(until))") }
        if let cursor = query.cursor {
            guard let id = Int64(cursor), id > 0 else { throw LedgerStoreError.invalidCursor }
            conditions.append("id < \(try sql.bind(id))")
        }
        let limitBind = try sql.bind(Int64(limit + 1))
        sql.append(
            "SELECT \(PostgresRows.auditEvent) FROM audit_events"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY id DESC LIMIT \(limitBind)"
        )
        let rows = try await self.rows(sql.query, PostgresRows.auditEvent)
        let events = Array(rows.prefix(limit))
        return AuditPage(events: events, nextCursor: rows.count > limit ? events.last?.id.map(String.init) : nil)
    }

    public func auditCounts(userID: UserID) async throws -> [AuditAction: Int] {
        var counts: [AuditAction: Int] = [:]
        let rows = try await query("SELECT action, count(*) FROM audit_events WHERE user_id = \(userID.rawValue) GROUP BY action")
        for row in rows {
            let (action, count) = try row.decode((String, Int64).self)
            guard let known = AuditAction(rawValue: action) else {
                throw PostgresStoreError.corrupt("audit events of user \(userID): unknown action '\(action)'")
            }
            counts[known] = Int(count)
        }
        return counts
    }
}
