public import Foundation
import GRDB
public import RoleSyncLedger

extension SQLiteLedgerStore {
    public func insertToken(_ token: APIToken, audit: AuditEvent) async throws -> Int64 {
        try await writing { db in
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
        try await reading { db in
            try APITokenRecord.fetchOne(
                try db.cachedStatement(sql: "SELECT \(APITokenRecord.selection) FROM api_tokens WHERE token_hash = ?"),
                arguments: [hash]
            )?.token
        }
    }

    public func touchToken(id: Int64, at time: Date) async throws {
        try await writing { db in
            try db.cachedStatement(sql: "UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
                .execute(arguments: [time.timeIntervalSince1970, id])
        }
    }

    public func tokens(userID: UserID?) async throws -> [APIToken] {
        try await reading { db in
            if let userID {
                return try APITokenRecord.fetchAll(
                    try db.cachedStatement(sql: "SELECT \(APITokenRecord.selection) FROM api_tokens WHERE user_id = ? ORDER BY id DESC"),
                    arguments: [userID.rawValue]
                ).map(\.token)
            }
            return try APITokenRecord.fetchAll(
                try db.cachedStatement(sql: "SELECT \(APITokenRecord.selection) FROM api_tokens ORDER BY id DESC")
            ).map(\.token)
        }
    }

    public func deleteToken(id: Int64, audit: AuditEvent) async throws -> Bool {
        try await writing { db in
            try db.cachedStatement(sql: "DELETE FROM api_tokens WHERE id = ?").execute(arguments: [id])
            guard db.changesCount > 0 else { return false }
            try Self.insert(audit, db)
            return true
        }
    }
}
