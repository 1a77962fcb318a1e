public import RoleSyncMapping

/// A person as the directory lists them, with the display names of their groups.
public struct DirectoryUser: Sendable, Hashable {
    /// The directory's own `id`.
    public var id: String
    public var externalId: String?
    public var userName: String?
    /// `active` (absent means active, RFC 7643 §4.1.1 leaves it to the provider).
    public var isActive: Bool
    /// The primary email, else the first.
    public var email: String?
    /// `displayName`, else `name.formatted`, else given and family name.
    public var name: String?
    /// Display names of the groups whose `members` list this user, sorted.
    public var groups: [String]
}

/// One consistent read of a directory: every user and the groups they belong to.
public struct DirectorySnapshot: Sendable {
    public var users: [DirectoryUser]
    public var groupCount: Int

    /// Reads `/Users` and `/Groups` whole.
    /// - Throws: ``SCIMError`` when either listing fails or is inconsistent.
    public static func read(from client: SCIMClient) async throws(SCIMError) -> DirectorySnapshot {
        let users = try await client.list("Users")
        let groups = try await client.list("Groups")
        return try build(users: users, groups: groups)
    }

    /// Joins users with group memberships (SCIM users need not list their groups; groups list members).
    /// - Throws: ``SCIMError/malformed(_:)`` for a user without `id`.
    public static func build(
        users: [[String: ClaimValue]],
        groups: [[String: ClaimValue]]
    ) throws(SCIMError)
        -> DirectorySnapshot
    {
        var memberships: [String: [String]] = [:]
        for group in groups {
            guard let name = group["displayName"]?.stringValue, case .array(let members)? = group["members"] else { continue }
            for case .object(let member) in members {
                if let id = member["value"]?.stringValue { memberships[id, default: []].append(name) }
            }
        }
        var result: [DirectoryUser] = []
        result.reserveCapacity(users.count)
        for user in users {
            guard let id = user["id"]?.stringValue, !id.isEmpty else { throw .malformed("a user has no id") }
            result.append(
                DirectoryUser(
                    id: id,
                    externalId: user["externalId"]?.stringValue,
                    userName: user["userName"]?.stringValue,
                    isActive: user["active"] != .bool(false),
                    email: primaryEmail(user["emails"]),
                    name: displayName(user),
                    groups: (memberships[id] ?? []).sorted()
                )
            )
        }
        return DirectorySnapshot(users: result, groupCount: groups.count)
    }

    static func primaryEmail(_ value: ClaimValue?) -> String? {
        guard case .array(let emails)? = value else { return nil }
        var first: String?
        for case .object(let email) in emails {
            guard let address = email["value"]?.stringValue else { continue }
            if email["primary"] == .bool(true) { return address }
            if first == nil { first = address }
        }
        return first
    }

    static func displayName(_ user: [String: ClaimValue]) -> String? {
        if let name = user["displayName"]?.stringValue, !name.isEmpty { return name }
        guard case .object(let name)? = user["name"] else { return nil }
        if let formatted = name["formatted"]?.stringValue, !formatted.isEmpty { return formatted }
        let parts = [name["givenName"]?.stringValue, name["familyName"]?.stringValue].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}
