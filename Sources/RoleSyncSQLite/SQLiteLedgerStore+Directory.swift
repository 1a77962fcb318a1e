import Foundation
import GRDB
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping

/// Directory entries pushed over SCIM, in the ledger's database so that a push's entry writes and
/// the ledger changes they cause commit together.
extension SQLiteEngine: DirectoryReads {
    package func directoryResource(issuer: String, kind: DirectoryResource.Kind, id: String) async throws -> DirectoryResource? {
        try await reading { db in
            try DirectoryResourceRecord.fetchOne(
                try db.cachedStatement(
                    sql: "SELECT \(DirectoryResourceRecord.selection) FROM directory_resources WHERE issuer = ? AND kind = ? AND id = ?"
                ),
                arguments: [issuer, kind.rawValue, id]
            )?.resource
        }
    }

    package func directoryResources(
        issuer: String,
        kind: DirectoryResource.Kind,
        lookup: DirectoryLookup?,
        offset: Int,
        limit: Int
    ) async throws -> (total: Int, resources: [DirectoryResource]) {
        // Fixed SQL per look-up; the values are bound.
        var condition = "issuer = ? AND kind = ?"
        var arguments: StatementArguments = [issuer, kind.rawValue]
        switch lookup {
        case .name(let name)?:
            condition += " AND name = ? COLLATE NOCASE"
            arguments += [name]
        case .externalId(let value)?:
            condition += " AND external_id = ?"
            arguments += [value]
        case .id(let value)?:
            condition += " AND id = ?"
            arguments += [value]
        case .member(let member)?:
            condition += " AND id IN (SELECT group_id FROM directory_members WHERE issuer = ? AND member_id = ?)"
            arguments += [issuer, member]
        case nil:
            break
        }
        let condition_ = condition
        let arguments_ = arguments
        return try await reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM directory_resources WHERE \(condition_)", arguments: arguments_) ?? 0
            let records = try DirectoryResourceRecord.fetchAll(
                db,
                sql: "SELECT \(DirectoryResourceRecord.selection) FROM directory_resources WHERE \(condition_) ORDER BY rowid LIMIT ? OFFSET ?",
                arguments: arguments_ + [max(0, limit), max(0, offset)]
            )
            return (total, records.map(\.resource))
        }
    }

    static func insert(_ resource: DirectoryResource, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO directory_resources (issuer, kind, id, external_id, name, attributes, version, created, modified)
                VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
                """
        ).execute(arguments: [
            resource.issuer, resource.kind.rawValue, resource.id, resource.externalId, resource.name,
            ClaimValue.object(resource.attributes).jsonText, resource.created.timeIntervalSince1970, resource.modified.timeIntervalSince1970,
        ])
    }

    /// - Returns: whether it was written (the stored version was `expectedVersion`).
    static func update(_ resource: DirectoryResource, expectedVersion expected: Int, _ db: Database) throws -> Bool {
        try db.cachedStatement(
            sql: """
                UPDATE directory_resources SET external_id = ?, name = ?, attributes = ?, version = ?, modified = ?
                WHERE issuer = ? AND kind = ? AND id = ? AND version = ?
                """
        ).execute(arguments: [
            resource.externalId, resource.name, ClaimValue.object(resource.attributes).jsonText, expected + 1,
            resource.modified.timeIntervalSince1970, resource.issuer, resource.kind.rawValue, resource.id, expected,
        ])
        return db.changesCount == 1
    }

    /// - Returns: whether it was deleted (the stored version was `expectedVersion`).
    static func deleteResource(issuer: String, kind: DirectoryResource.Kind, id: String, expectedVersion: Int, _ db: Database) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM directory_resources WHERE issuer = ? AND kind = ? AND id = ? AND version = ?")
            .execute(arguments: [issuer, kind.rawValue, id, expectedVersion])
        return db.changesCount == 1
    }

    static func nameTaken(_ resource: DirectoryResource, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            try db.cachedStatement(
                sql: "SELECT EXISTS (SELECT 1 FROM directory_resources WHERE issuer = ? AND kind = 'User' AND name = ? COLLATE NOCASE AND id <> ?)"
            ),
            arguments: [resource.issuer, resource.name, resource.id]
        ) ?? false
    }

    static func setMembers(issuer: String, group: String, members: [String], _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM directory_members WHERE issuer = ? AND group_id = ?").execute(arguments: [issuer, group])
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO directory_members (issuer, group_id, member_id) VALUES (?, ?, ?)")
        for member in members { try insert.execute(arguments: [issuer, group, member]) }
    }

    package func users(issuer: String, claim: String, equals value: String, ignoringCase: Bool) async throws -> [User] {
        // The claim name goes in a bound JSON path, quoted: no text of it reaches the SQL.
        let path = "$.\"" + claim.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        let comparison = ignoringCase ? "json_extract(last_claims, ?) = ? COLLATE NOCASE" : "json_extract(last_claims, ?) = ?"
        return try await reading { db in
            try Self.users(
                in: db,
                sql: "SELECT \(UserRecord.selection) FROM users WHERE issuer = ? AND \(comparison)",
                arguments: [issuer, path, value]
            )
        }
    }
}
