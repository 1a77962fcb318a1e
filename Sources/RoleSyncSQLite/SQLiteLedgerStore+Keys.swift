package import Foundation
import GRDB
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping

/// API keys: creation, the one-read look-up introspection makes, listings, revocation, batched usage.
extension SQLiteEngine {
    static func hasActiveKey(of user: UserID, named name: String, at time: Date, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            try db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM api_keys WHERE user_id = ? AND name = ? COLLATE NOCASE
                        AND revoked_at IS NULL AND rolled_to IS NULL AND (expires_at IS NULL OR expires_at > ?))
                    """
            ),
            arguments: [user.rawValue, name, time.timeIntervalSince1970]
        ) ?? false
    }

    static func insert(_ key: APIKey, _ db: Database) throws -> Int64 {
        try db.cachedStatement(
            sql: """
                INSERT INTO api_keys (user_id, name, purpose, prefix, key_hash, created_at, expires_at, rolled_from)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            key.userID.rawValue, key.name, key.purpose.rawValue, key.prefix, key.keyHash, key.createdAt.timeIntervalSince1970,
            key.expiresAt?.timeIntervalSince1970, key.rolledFrom,
        ])
        return db.lastInsertedRowID
    }

    /// Introspection's read, on the calling thread (see ``pointRead(_:)``): the covering index
    /// `api_keys_by_hash` holds every key column it needs, so it is one descent of that index and
    /// one of `users` by primary key.
    package func credential(hash: String) async throws -> KeyCredential? {
        try await pointRead { db in
            guard
                let row = try Row.fetchOne(
                    try db.cachedStatement(
                        sql: """
                            SELECT k.id, k.purpose, k.created_at, k.expires_at, k.revoked_at IS NOT NULL, k.user_id, u.email, u.role, u.status, k.name
                            FROM api_keys k INDEXED BY api_keys_by_hash JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?
                            """
                    ),
                    arguments: [hash]
                )
            else { return nil }
            let id: Int64 = row[0]
            let (purpose, role, status) = try OwnedKeyRecord.enumerations(key: id, purpose: row[1], role: row[7], status: row[8])
            let expiresAt: Double? = row[3]
            let owner = KeyOwner(id: UserID(row[5]), name: nil, email: row[6], role: role, status: status)
            return KeyCredential(
                keyID: id,
                name: row[9],
                purpose: purpose,
                createdAt: Date(timeIntervalSince1970: row[2]),
                expiresAt: expiresAt.map(Date.init(timeIntervalSince1970:)),
                isRevoked: row[4],
                owner: owner
            )
        }
    }

    package func key(id: Int64) async throws -> OwnedKey? {
        try await reading { db in try Self.key(id: id, db) }
    }

    static func key(id: Int64, _ db: Database) throws -> OwnedKey? {
        try OwnedKeyRecord.fetchOne(
            try db.cachedStatement(sql: "SELECT \(OwnedKeyRecord.selection) FROM \(OwnedKeyRecord.source) WHERE k.id = ?"),
            arguments: [id]
        )?.owned
    }

    package func keys(ownerID: UserID) async throws -> [APIKey] {
        try await reading { db in
            try OwnedKeyRecord.fetchAll(
                try db.cachedStatement(
                    sql: "SELECT \(OwnedKeyRecord.selection) FROM \(OwnedKeyRecord.source) WHERE k.user_id = ? ORDER BY k.id DESC"
                ),
                arguments: [ownerID.rawValue]
            ).map(\.owned.key)
        }
    }

    package func keyOwners(limit: Int) async throws -> [KeyOwner] {
        try await reading { db in
            try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT u.id, u.name, u.email, u.role, u.status FROM users u
                        WHERE u.id IN (SELECT user_id FROM api_keys)
                        ORDER BY u.email COLLATE NOCASE, u.id LIMIT ?
                        """
                ),
                arguments: [limit]
            ).map { row in
                let id: Int64 = row[0]
                guard let role = Role(rawValue: row[3]), let status = UserStatus(rawValue: row[4]) else {
                    throw SQLiteStoreError.corrupt("user \(id): unknown role '\(row[3] as String)' or status '\(row[4] as String)'")
                }
                return KeyOwner(id: UserID(id), name: row[1], email: row[2], role: role, status: status)
            }
        }
    }

    /// The SQL expression each sort orders by (fixed strings: no user input reaches SQL text).
    static func sortKey(_ sort: KeysQuery.Sort) -> String {
        switch sort {
        case .lastUsed: "coalesce(k.last_used_at, -1)"
        case .created: "k.created_at"
        case .name: "k.name COLLATE NOCASE"
        case .owner: "coalesce(u.name, u.email, '') COLLATE NOCASE"
        }
    }

    /// The cursor value of a key under `sort`: what ``sortKey(_:)`` computes for its row.
    static func sortValue(_ owned: OwnedKey, _ sort: KeysQuery.Sort) -> PageCursor.Value {
        switch sort {
        case .lastUsed: .number(owned.key.lastUsedAt?.timeIntervalSince1970 ?? -1)
        case .created: .number(owned.key.createdAt.timeIntervalSince1970)
        case .name: .text(owned.key.name)
        case .owner: .text(owned.owner.name ?? owned.owner.email ?? "")
        }
    }

    /// A listing's filters as SQL conditions over `k` and `u`, with their arguments.
    static func conditions(_ query: KeysQuery, at time: Date) -> ([String], [(any DatabaseValueConvertible)?]) {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let search = query.search?.trimmingCharacters(in: .whitespacesAndNewlines), !search.isEmpty {
            let pattern =
                "%"
                + search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            conditions.append(
                "(k.name LIKE ? ESCAPE '\\' OR k.prefix LIKE ? ESCAPE '\\' OR u.name LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\')"
            )
            arguments += [pattern, pattern, pattern, pattern]
        }
        if let owner = query.ownerID {
            conditions.append("k.user_id = ?")
            arguments.append(owner.rawValue)
        }
        if let purpose = query.purpose {
            conditions.append("k.purpose = ?")
            arguments.append(purpose.rawValue)
        }
        switch query.status {
        case nil: break
        case .active?:
            conditions.append("k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?)")
            arguments.append(time.timeIntervalSince1970)
        case .revoked?:
            conditions.append("k.revoked_at IS NOT NULL")
        case .expired?:
            conditions.append("k.revoked_at IS NULL AND k.expires_at <= ?")
            arguments.append(time.timeIntervalSince1970)
        }
        if let unusedSince = query.unusedSince {
            conditions.append("coalesce(k.last_used_at, k.created_at) < ?")
            arguments.append(unusedSince.timeIntervalSince1970)
        }
        if let lifetime = query.lifetimeLongerThan {
            conditions.append("(k.expires_at IS NULL OR k.expires_at - k.created_at > ?)")
            arguments.append(lifetime)
        }
        return (conditions, arguments)
    }

    package func keyCount(matching query: KeysQuery, at time: Date) async throws -> Int {
        let (conditions, arguments) = Self.conditions(query, at: time)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT count(*) FROM \(OwnedKeyRecord.source) \(whereClause)"
        let statementArguments = StatementArguments(arguments)
        return try await reading { db in try Int.fetchOne(try db.cachedStatement(sql: sql), arguments: statementArguments) ?? 0 }
    }

    package func keys(
        matching query: KeysQuery,
        limit: Int,
        after cursor: PageCursor?,
        at time: Date
    ) async throws -> [(OwnedKey, PageCursor.Value)] {
        var (conditions, arguments) = Self.conditions(query, at: time)
        let key = Self.sortKey(query.sort)
        let ascending = query.order == .ascending
        if let cursor {
            let (condition, values) = try Self.after(cursor, key: key, id: "k.id", ascending: ascending)
            conditions.append(condition)
            arguments += values
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let direction = ascending ? "ASC" : "DESC"
        let sql = """
            SELECT \(OwnedKeyRecord.selection) FROM \(OwnedKeyRecord.source) \(whereClause)
            ORDER BY \(key) \(direction), k.id \(direction) LIMIT ?
            """
        arguments.append(limit)
        let statementArguments = StatementArguments(arguments)
        let sort = query.sort
        return try await reading { db in
            try OwnedKeyRecord.fetchAll(try db.cachedStatement(sql: sql), arguments: statementArguments).map {
                ($0.owned, Self.sortValue($0.owned, sort))
            }
        }
    }

    package func keyUsage(id: Int64, from firstDay: Int) async throws -> [KeyUsageDay] {
        try await reading { db in
            try Row.fetchAll(
                try db.cachedStatement(sql: "SELECT day, requests FROM api_key_usage WHERE key_id = ? AND day >= ? ORDER BY day"),
                arguments: [id, firstDay]
            ).map { KeyUsageDay(day: $0["day"], requests: $0["requests"]) }
        }
    }

    package func recordKeyUses(_ uses: [KeyUse]) async throws {
        try await writing { db in
            let count = try db.cachedStatement(
                sql: """
                    INSERT INTO api_key_usage (key_id, day, requests)
                    SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?)
                    ON CONFLICT (key_id, day) DO UPDATE SET requests = requests + excluded.requests
                    """
            )
            let touch = try db.cachedStatement(
                sql: "UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?"
            )
            for use in uses {
                for (day, requests) in use.requestsByDay.sorted(by: { $0.key < $1.key }) {
                    try count.execute(arguments: [use.keyID, day, requests, use.keyID])
                }
                try touch.execute(arguments: [use.lastUsedAt.timeIntervalSince1970, use.keyID])
            }
        }
    }

    /// The user's unrevoked keys, in id order.
    static func unrevokedKeys(of id: UserID, _ db: Database) throws -> [APIKey] {
        try OwnedKeyRecord.fetchAll(
            try db.cachedStatement(
                sql: "SELECT \(OwnedKeyRecord.selection) FROM \(OwnedKeyRecord.source) WHERE k.user_id = ? AND k.revoked_at IS NULL ORDER BY k.id"
            ),
            arguments: [id.rawValue]
        ).map(\.owned.key)
    }

    static func markRolled(_ key: APIKey, to replacement: Int64, at time: Date, expiresAt: Date, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE api_keys SET rolled_to = ?, rolled_at = ?, expires_at = ? WHERE id = ?
                """
        ).execute(arguments: [replacement, time.timeIntervalSince1970, expiresAt.timeIntervalSince1970, key.id])
    }

    static func markRevoked(_ key: APIKey, _ revocation: KeyRevocation, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE api_keys SET revoked_at = ?, revoked_by = ?, revocation_cause = ?, revocation_reason = ?
                WHERE id = ? AND revoked_at IS NULL
                """
        ).execute(arguments: [
            revocation.time.timeIntervalSince1970, revocation.actor.description, revocation.cause.rawValue, revocation.reason, key.id,
        ])
    }
}
