import Foundation
import PostgresNIO
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping

/// Directory entries pushed over SCIM, in the ledger's database, so that a push's entry writes and
/// the ledger changes they cause commit together.
extension PostgresEngine: DirectoryReads {
    package func directoryResource(issuer: String, kind: DirectoryResource.Kind, id: String) async throws -> DirectoryResource? {
        try await rows(
            """
            SELECT \(unescaped: PostgresRows.directoryResource) FROM directory_resources
            WHERE issuer = \(issuer) AND kind = \(kind.rawValue) AND id = \(id)
            """,
            PostgresRows.directoryResource
        ).first
    }

    package func directoryResources(
        issuer: String,
        kind: DirectoryResource.Kind,
        lookup: DirectoryLookup?,
        offset: Int,
        limit: Int
    ) async throws -> (total: Int, resources: [DirectoryResource]) {
        // Fixed SQL per look-up; the values are bound.
        func condition(_ sql: inout PostgresSQL) throws -> String {
            var condition = "issuer = \(try sql.bind(issuer)) AND kind = \(try sql.bind(kind.rawValue))"
            switch lookup {
            case .name(let name)?: condition += " AND lower(name) = lower(\(try sql.bind(name)))"
            case .externalId(let value)?: condition += " AND external_id = \(try sql.bind(value))"
            case .id(let value)?: condition += " AND id = \(try sql.bind(value))"
            case .member(let member)?:
                condition +=
                    " AND id IN (SELECT group_id FROM directory_members WHERE issuer = \(try sql.bind(issuer))"
                    + " AND member_id = \(try sql.bind(member)))"
            case nil: break
            }
            return condition
        }
        var total = PostgresSQL()
        total.append("SELECT count(*) FROM directory_resources WHERE " + (try condition(&total)))
        var page = PostgresSQL()
        let pageCondition = try condition(&page)
        let limitBind = try page.bind(Int64(max(0, limit)))
        let offsetBind = try page.bind(Int64(max(0, offset)))
        page.append(
            "SELECT \(PostgresRows.directoryResource) FROM directory_resources WHERE \(pageCondition) ORDER BY seq LIMIT \(limitBind) OFFSET \(offsetBind)"
        )
        let count = try Self.count(try await query(total.query))
        return (count, try await rows(page.query, PostgresRows.directoryResource))
    }

    static func insert(_ resource: DirectoryResource, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.checkedQuery(
            """
            INSERT INTO directory_resources (issuer, kind, id, external_id, name, attributes, version, created, modified)
            VALUES (\(resource.issuer), \(resource.kind.rawValue), \(resource.id), \(resource.externalId), \(resource.name),
                \(ClaimValue.object(resource.attributes).jsonText)::jsonb, 1, \(resource.created), \(resource.modified))
            """,
            logger: logger
        )
    }

    /// - Returns: whether it was written (the stored version was `expectedVersion`).
    static func update(
        _ resource: DirectoryResource,
        expectedVersion expected: Int,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> Bool {
        try await count(
            try await connection.checkedQuery(
                """
                WITH changed AS (
                    UPDATE directory_resources SET external_id = \(resource.externalId), name = \(resource.name),
                        attributes = \(ClaimValue.object(resource.attributes).jsonText)::jsonb, version = \(Int64(expected + 1)),
                        modified = \(resource.modified)
                    WHERE issuer = \(resource.issuer) AND kind = \(resource.kind.rawValue) AND id = \(resource.id)
                        AND version = \(Int64(expected))
                    RETURNING 1
                ) SELECT count(*) FROM changed
                """,
                logger: logger
            )
        ) == 1
    }

    /// - Returns: whether it was deleted (the stored version was `expectedVersion`).
    static func deleteResource(
        issuer: String,
        kind: DirectoryResource.Kind,
        id: String,
        expectedVersion expected: Int,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> Bool {
        try await count(
            try await connection.checkedQuery(
                """
                WITH gone AS (
                    DELETE FROM directory_resources WHERE issuer = \(issuer) AND kind = \(kind.rawValue) AND id = \(id)
                        AND version = \(Int64(expected))
                    RETURNING 1
                ) SELECT count(*) FROM gone
                """,
                logger: logger
            )
        ) == 1
    }

    static func nameTaken(_ resource: DirectoryResource, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        try await count(
            try await connection.checkedQuery(
                """
                SELECT count(*) FROM directory_resources
                WHERE issuer = \(resource.issuer) AND kind = 'User' AND lower(name) = lower(\(resource.name)) AND id <> \(resource.id)
                """,
                logger: logger
            )
        ) > 0
    }

    static func setMembers(issuer: String, group: String, members: [String], _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.checkedQuery("DELETE FROM directory_members WHERE issuer = \(issuer) AND group_id = \(group)", logger: logger)
        guard !members.isEmpty else { return }
        try await connection.checkedQuery(
            """
            INSERT INTO directory_members (issuer, group_id, member_id)
            SELECT \(issuer), \(group), m FROM unnest(\(members)) AS m ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
    }
}
