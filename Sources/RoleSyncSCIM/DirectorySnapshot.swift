package import RoleSyncJSON
import RoleSyncMapping

/// A person as the directory lists them, with the display names of their groups.
package struct DirectoryUser: Sendable, Hashable {
    /// The directory's own `id`.
    package var id: String
    package var externalId: String?
    package var userName: String?
    /// `active` (absent means active, RFC 7643 §4.1.1 leaves it to the provider).
    package var isActive: Bool
    /// The primary email, else the first.
    package var email: String?
    /// `displayName`, else `name.formatted`, else given and family name.
    package var name: String?
    /// Display names of the groups whose `members` list this user, sorted.
    package var groups: [String]
    /// The `id`s of those groups, sorted.
    package var groupIDs: [String] = []
    /// The `externalId`s of those groups that have one, sorted.
    package var groupExternalIDs: [String] = []
    /// The values of the attribute paths the snapshot was asked to keep, by path.
    package var attributes: [String: ClaimValue] = [:]

    /// One more group listing this user, by display name and id.
    package mutating func add(group name: String, id: String) {
        groups.append(name)
        groupIDs.append(id)
    }

    package init(
        id: String,
        externalId: String?,
        userName: String?,
        isActive: Bool,
        email: String?,
        name: String?,
        groups: [String],
        groupIDs: [String] = [],
        groupExternalIDs: [String] = [],
        attributes: [String: ClaimValue] = [:]
    ) {
        self.id = id
        self.externalId = externalId
        self.userName = userName
        self.isActive = isActive
        self.email = email
        self.name = name
        self.groups = groups
        self.groupIDs = groupIDs
        self.groupExternalIDs = groupExternalIDs
        self.attributes = attributes
    }
}

/// One consistent read of a directory: every user and the groups they belong to.
package struct DirectorySnapshot: Sendable {
    package var users: [DirectoryUser]
    package var groupCount: Int

    package init(users: [DirectoryUser], groupCount: Int) {
        self.users = users
        self.groupCount = groupCount
    }

    /// A snapshot of users whose memberships were added in listing order (``DirectoryUser/add(group:id:)``):
    /// each user's group names and ids are sorted, as every snapshot keeps them.
    package init(sortingMembershipsOf users: [DirectoryUser], groupCount: Int) {
        var users = users
        for index in users.indices {
            users[index].groups.sort()
            users[index].groupIDs.sort()
        }
        self.init(users: users, groupCount: groupCount)
    }

    /// Reads `/Users` and `/Groups` whole.
    /// - Parameter attributes: attribute paths of the user resource to keep (see
    ///   ``attribute(_:of:)``).
    /// - Throws: ``SCIMError`` when either listing fails or is inconsistent.
    package static func read(from client: SCIMClient, keeping attributes: [String] = []) async throws(SCIMError) -> DirectorySnapshot {
        let users = try await client.list("Users")
        let groups = try await client.list("Groups")
        return try build(users: users, groups: groups, keeping: attributes)
    }

    /// Joins users with group memberships (SCIM users need not list their groups; groups list members).
    /// - Throws: ``SCIMError/malformed(_:)`` for a user without `id`.
    package static func build(
        users: [[String: ClaimValue]],
        groups: [[String: ClaimValue]],
        keeping attributes: [String] = []
    ) throws(SCIMError)
        -> DirectorySnapshot
    {
        struct Membership {
            var names: [String] = []
            var ids: [String] = []
            var externalIDs: [String] = []
        }
        var memberships: [String: Membership] = [:]
        for group in groups {
            guard case .array(let members)? = group["members"] else { continue }
            let name = group["displayName"]?.stringValue
            let groupID = group["id"]?.stringValue
            let externalID = group["externalId"]?.stringValue
            for case .object(let member) in members {
                guard let id = member["value"]?.stringValue else { continue }
                if let name { memberships[id, default: Membership()].names.append(name) }
                if let groupID { memberships[id, default: Membership()].ids.append(groupID) }
                if let externalID { memberships[id, default: Membership()].externalIDs.append(externalID) }
            }
        }
        var result: [DirectoryUser] = []
        result.reserveCapacity(users.count)
        for user in users {
            guard let id = user["id"]?.stringValue, !id.isEmpty else { throw .malformed("a user has no id") }
            let membership = memberships[id] ?? Membership()
            var kept: [String: ClaimValue] = [:]
            for path in attributes { kept[path] = attribute(path, of: user) }
            result.append(
                DirectoryUser(
                    id: id,
                    externalId: user["externalId"]?.stringValue,
                    userName: user["userName"]?.stringValue,
                    isActive: isActive(user["active"]),
                    email: primaryEmail(user["emails"]),
                    name: displayName(user),
                    groups: membership.names.sorted(),
                    groupIDs: membership.ids.sorted(),
                    groupExternalIDs: membership.externalIDs.sorted(),
                    attributes: kept
                )
            )
        }
        return DirectorySnapshot(users: result, groupCount: groups.count)
    }

    /// `active` as directories send it: a boolean, or (Entra ID) the strings `"True"`/`"False"`;
    /// absent means active.
    static func isActive(_ value: ClaimValue?) -> Bool {
        switch value {
        case .bool(let active)?: active
        case .string(let text)?: text.lowercased() != "false"
        default: true
        }
    }

    /// The value at an attribute path of a resource, attribute names compared ignoring case
    /// (RFC 7643 §2.1): `title`, `name.givenName`, or a schema-qualified
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
    package static func attribute(_ path: String, of resource: [String: ClaimValue]) -> ClaimValue? {
        var object = resource
        var parts: [Substring]
        if path.lowercased().hasPrefix("urn:"), let colon = path.lastIndex(of: ":") {
            guard case .object(let extensionObject)? = value(named: path[..<colon], in: resource) else { return nil }
            object = extensionObject
            parts = path[path.index(after: colon)...].split(separator: ".")
        } else {
            parts = path.split(separator: ".")
        }
        guard !parts.isEmpty else { return nil }
        let last = parts.removeLast()
        for part in parts {
            guard case .object(let inner)? = value(named: part, in: object) else { return nil }
            object = inner
        }
        return value(named: last, in: object)
    }

    private static func value(named name: Substring, in object: [String: ClaimValue]) -> ClaimValue? {
        if let exact = object[String(name)] { return exact }
        let lowered = name.lowercased()
        return object.first { $0.key.lowercased() == lowered }?.value
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
