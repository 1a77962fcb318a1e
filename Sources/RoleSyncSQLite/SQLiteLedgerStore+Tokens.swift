public import Foundation
import GRDB
public import RoleSyncLedger

extension SQLiteLedgerStore {
    static let tokenColumns = "id, user_id, name, prefix, token_hash, created_at, expires_at, last_used_at"

    static func token(_ row: Row) -> APIToken {
        APIToken(
            id: row[0],
            userID: UserID(row[1]),
            name: row[2],
            prefix: row[3],
            tokenHash: row[4],
            createdAt: Date(timeIntervalSince1970: row[5]),
            expiresAt: (row[6] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastUsedAt: (row[7] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }

    public func insertToken(_ token: APIToken, audit: AuditEvent) async throws -> Int64 {
        try writing { db in
            try db.cachedStatement(
                sql: "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                token.userID.rawValue, token.name, token.prefix, token.tokenHash, token.createdAt.timeIntervalSince1970,
                token.expiresAt?.timeIntervalSince1970, token.lastUsedAt?.timeIntervalSince1970,
            ])
            let id = db.lastInsertedRowID
            try Self.insert(audit, db)
            return id
        }
    }

    public func token(hash: String) async throws -> APIToken? {
        try reading { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM api_tokens WHERE token_hash = ?"),
                arguments: [hash]
            ).map(Self.token)
        }
    }

    public func touchToken(id: Int64, at time: Date) async throws {
        try writing { db in
            try db.cachedStatement(sql: "UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
                .execute(arguments: [time.timeIntervalSince1970, id])
        }
    }

    public func tokens(userID: UserID?) async throws -> [APIToken] {
        try reading { db in
            if let userID {
                return try Row.fetchAll(
                    try db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM api_tokens WHERE user_id = ? ORDER BY id DESC"),
                    arguments: [userID.rawValue]
                ).map(Self.token)
            }
            return try Row.fetchAll(try db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY id DESC"))
                .map(Self.token)
        }
    }

    public func deleteToken(id: Int64, audit: AuditEvent) async throws -> Bool {
        try writing { db in
            try db.cachedStatement(sql: "DELETE FROM api_tokens WHERE id = ?").execute(arguments: [id])
            guard db.changesCount > 0 else { return false }
            try Self.insert(audit, db)
            return true
        }
    }
}
