package import Foundation
import PostgresNIO
package import RoleSyncLedger
import RoleSyncMapping

/// API keys: creation, the one read introspection makes, listings, revocation, batched usage.
extension PostgresEngine {
    /// Introspection's read: one index look-up of the hash (`api_keys_by_hash` covers it) joined
    /// with the owner by primary key.
    package func credential(hash: String) async throws -> KeyCredential? {
        let rows = try await query(
            """
            SELECT k.id, k.purpose, k.created_at, k.expires_at, k.revoked_at IS NOT NULL, k.user_id, u.email, u.role, u.status, k.name
            FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = \(hash)
            """
        )
        for row in rows {
            let (id, purpose, created, expires, revoked, userID, email, role, status, name) = try row.decode(
                (Int64, String, Date, Date?, Bool, Int64, String?, String, String, String).self
            )
            let owner = KeyOwner(
                id: UserID(userID),
                name: nil,
                email: email,
                role: try PostgresRows.enumeration(role, "user \(userID): role"),
                status: try PostgresRows.enumeration(status, "user \(userID): status")
            )
            return KeyCredential(
                keyID: id,
                name: name,
                purpose: try PostgresRows.enumeration(purpose, "key \(id): purpose"),
                createdAt: created,
                expiresAt: expires,
                isRevoked: revoked,
                owner: owner
            )
        }
        return nil
    }

    package func key(id: Int64) async throws -> OwnedKey? {
        try await rows(
            "SELECT \(unescaped: PostgresRows.ownedKey) FROM \(unescaped: PostgresRows.ownedKeySource) WHERE k.id = \(id)",
            PostgresRows.ownedKey
        ).first
    }

    package func keys(ownerID: UserID) async throws -> [APIKey] {
        try await rows(
            """
            SELECT \(unescaped: PostgresRows.ownedKey) FROM \(unescaped: PostgresRows.ownedKeySource)
            WHERE k.user_id = \(ownerID.rawValue) ORDER BY k.id DESC
            """,
            PostgresRows.ownedKey
        ).map(\.key)
    }

    package func keyOwners(limit: Int) async throws -> [KeyOwner] {
        try await rows(
            """
            SELECT u.id, u.name, u.email, u.role, u.status FROM users u WHERE u.id IN (SELECT user_id FROM api_keys)
            ORDER BY lower(u.email), u.id LIMIT \(Int64(limit))
            """
        ) { row in
            let (id, name, email, role, status) = try row.decode((Int64, String?, String?, String, String).self)
            return KeyOwner(
                id: UserID(id),
                name: name,
                email: email,
                role: try PostgresRows.enumeration(role, "user \(id): role"),
                status: try PostgresRows.enumeration(status, "user \(id): status")
            )
        }
    }

    static func sortKey(_ sort: KeysQuery.Sort) -> (String, KeyKind) {
        switch sort {
        case .lastUsed: ("coalesce(k.last_used_at, '-infinity'::timestamptz)", .time)
        case .created: ("k.created_at", .time)
        case .name: ("lower(k.name)", .text)
        case .owner: ("lower(coalesce(u.name, u.email, ''))", .text)
        }
    }

    /// A listing's filters as SQL conditions over `k` and `u`, their values bound in `sql`.
    static func conditions(_ query: KeysQuery, at time: Date, _ sql: inout PostgresSQL) throws -> [String] {
        var conditions: [String] = []
        if let search = query.search?.trimmingCharacters(in: .whitespacesAndNewlines), !search.isEmpty {
            let pattern = try sql.bind(Self.containing(search))
            conditions.append(
                "(lower(k.name) LIKE \(pattern) OR lower(k.prefix) LIKE \(pattern) OR lower(u.name) LIKE \(pattern) OR lower(u.email) LIKE \(pattern))"
            )
        }
        if let owner = query.ownerID { conditions.append("k.user_id = \(try sql.bind(owner.rawValue))") }
        if let purpose = query.purpose { conditions.append("k.purpose = \(try sql.bind(purpose.rawValue))") }
        switch query.status {
        case nil: break
        case .active?:
            conditions.append("k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > \(try sql.bind(time)))")
        case .revoked?:
            conditions.append("k.revoked_at IS NOT NULL")
        case .expired?:
            conditions.append("k.revoked_at IS NULL AND k.expires_at <= \(try sql.bind(time))")
        }
        if let unusedSince = query.unusedSince {
            conditions.append("coalesce(k.last_used_at, k.created_at) < \(try sql.bind(unusedSince))")
        }
        if let lifetime = query.lifetimeLongerThan {
            conditions.append("(k.expires_at IS NULL OR k.expires_at - k.created_at > make_interval(secs => \(try sql.bind(lifetime))))")
        }
        return conditions
    }

    package func keyCount(matching query: KeysQuery, at time: Date) async throws -> Int {
        var sql = PostgresSQL()
        let conditions = try Self.conditions(query, at: time, &sql)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // The conditions bound their values into `sql`, whose text is still empty.
        sql.append("SELECT count(*) FROM \(PostgresRows.ownedKeySource) \(whereClause)")
        return try Self.count(try await rows(sql.query) { $0 })
    }

    package func keys(
        matching query: KeysQuery,
        limit: Int,
        after cursor: PageCursor?,
        at time: Date
    ) async throws -> [(OwnedKey, PageCursor.Value)] {
        var sql = PostgresSQL()
        let conditions = try Self.conditions(query, at: time, &sql)
        return try await keysetRows(
            &sql,
            conditions: conditions,
            select: PostgresRows.ownedKey,
            from: PostgresRows.ownedKeySource,
            id: "k.id",
            key: Self.sortKey(query.sort),
            ascending: query.order == .ascending,
            after: cursor,
            limit: limit,
            decode: PostgresRows.ownedKey
        )
    }

    package func keyUsage(id: Int64, from firstDay: Int) async throws -> [KeyUsageDay] {
        try await rows("SELECT day, requests FROM api_key_usage WHERE key_id = \(id) AND day >= \(Int32(firstDay)) ORDER BY day") { row in
            let (day, requests) = try row.decode((Int32, Int64).self)
            return KeyUsageDay(day: Int(day), requests: Int(requests))
        }
    }

    /// Adds to the counts and moves last used forward only: replicas flush in any order.
    package func recordKeyUses(_ uses: [KeyUse]) async throws {
        var keys: [Int64] = []
        var days: [Int64] = []
        var counts: [Int64] = []
        for use in uses {
            for (day, requests) in use.requestsByDay.sorted(by: { $0.key < $1.key }) {
                keys.append(use.keyID)
                days.append(Int64(day))
                counts.append(Int64(requests))
            }
        }
        let lastKeys = uses.map(\.keyID)
        let lastTimes = uses.map(\.lastUsedAt)
        let logger = self.logger
        try await transaction { [keys, days, counts] connection in
            try await connection.checkedQuery(
                """
                INSERT INTO api_key_usage (key_id, day, requests)
                SELECT u.key_id, u.day::int4, u.requests FROM unnest(\(keys), \(days), \(counts)) AS u(key_id, day, requests)
                WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = u.key_id)
                ORDER BY u.key_id, u.day
                ON CONFLICT (key_id, day) DO UPDATE SET requests = api_key_usage.requests + excluded.requests
                """,
                logger: logger
            )
            try await connection.checkedQuery(
                """
                UPDATE api_keys SET last_used_at = greatest(coalesce(api_keys.last_used_at, t.time), t.time)
                FROM unnest(\(lastKeys), \(lastTimes)) AS t(id, time) WHERE api_keys.id = t.id
                """,
                logger: logger
            )
        }
    }

    /// The key with its owner, the key's row locked (`FOR UPDATE OF k`).
    static func lockedKey(id: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> OwnedKey? {
        try await all(
            try await connection.checkedQuery(
                """
                SELECT \(unescaped: PostgresRows.ownedKey) FROM \(unescaped: PostgresRows.ownedKeySource)
                WHERE k.id = \(id) FOR UPDATE OF k
                """,
                logger: logger
            ),
            PostgresRows.ownedKey
        ).first
    }

    /// The user's unrevoked keys in id order, their rows locked.
    static func unrevokedKeys(of id: UserID, _ connection: PostgresConnection, _ logger: Logger) async throws -> [APIKey] {
        try await all(
            try await connection.checkedQuery(
                """
                SELECT \(unescaped: PostgresRows.ownedKey) FROM \(unescaped: PostgresRows.ownedKeySource)
                WHERE k.user_id = \(id.rawValue) AND k.revoked_at IS NULL ORDER BY k.id FOR UPDATE OF k
                """,
                logger: logger
            ),
            PostgresRows.ownedKey
        ).map(\.key)
    }

    static func hasActiveKey(
        of user: UserID,
        named name: String,
        at time: Date,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> Bool {
        try await count(
            try await connection.checkedQuery(
                """
                SELECT count(*) FROM api_keys WHERE user_id = \(user.rawValue) AND lower(name) = lower(\(name))
                    AND revoked_at IS NULL AND rolled_to IS NULL AND (expires_at IS NULL OR expires_at > \(time))
                """,
                logger: logger
            )
        ) > 0
    }

    static func insert(_ key: APIKey, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        for try await id in try await connection.checkedQuery(
            """
            INSERT INTO api_keys (user_id, name, purpose, prefix, key_hash, created_at, expires_at, rolled_from)
            VALUES (\(key.userID.rawValue), \(key.name), \(key.purpose.rawValue), \(key.prefix), \(key.keyHash), \(key.createdAt),
                \(key.expiresAt), \(key.rolledFrom))
            RETURNING id
            """,
            logger: logger
        ).decode(Int64.self) { return id }
        throw PostgresStoreError.corrupt("api_keys: the insert returned no id")
    }

    static func markRolled(
        _ key: APIKey,
        to replacement: Int64,
        at time: Date,
        expiresAt: Date,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        try await connection.checkedQuery(
            """
            UPDATE api_keys SET rolled_to = \(replacement), rolled_at = \(time), expires_at = \(expiresAt) WHERE id = \(key.id)
            """,
            logger: logger
        )
    }

    static func markRevoked(_ key: APIKey, _ revocation: KeyRevocation, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.checkedQuery(
            """
            UPDATE api_keys SET revoked_at = \(revocation.time), revoked_by = \(revocation.actor.description),
                revocation_cause = \(revocation.cause.rawValue), revocation_reason = \(revocation.reason)
            WHERE id = \(key.id) AND revoked_at IS NULL
            """,
            logger: logger
        )
    }
}
