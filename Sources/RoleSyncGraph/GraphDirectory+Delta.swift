import Foundation
import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncSCIM

/// Incremental listings through Microsoft Graph's delta queries (`/v1.0/users/delta` and
/// `/v1.0/groups/delta` with their members), as Microsoft documents them: each run follows the
/// stored `@odata.deltaLink`s through `@odata.nextLink` to new delta links, and reads each user
/// the changes name whole (`/v1.0/users/{id}` and its `transitiveMemberOf`).
///
/// - Requests ask `Prefer: return=minimal`, so a changed object carries only what changed: a
///   group that comes back with its `displayName` was created or renamed.
/// - A change only a full listing can place asks for one (``DirectoryIncrement/fullListingNeeded(reason:)``):
///   a group created, renamed or deleted (its members' group names change), a group nested in or
///   taken out of another (every member of the nested group is affected), more than
///   ``maximumChangedUsers`` users changed, or a delta token Graph no longer knows (HTTP 410,
///   `syncStateNotFound` or `resyncRequired`).
extension GraphDirectory {
    /// Above this many changed users a full listing costs fewer requests than reading each.
    package static var maximumChangedUsers: Int { 1_000 }

    static let minimal = [("Prefer", "return=minimal")]

    /// The delta queries' present ends, asked with `$deltatoken=latest` *before* a full listing:
    /// the next incremental listing then sees every change made during and after it.
    package func startCursor(keeping attributes: [String]) async throws(GraphError) -> String? {
        let users = try await deltaEnd("/v1.0/users/delta", select: Self.select(keeping: attributes))
        let groups = try await deltaEnd("/v1.0/groups/delta", select: "displayName,members")
        return try GraphCursor(users: users, groups: groups).encoded()
    }

    func deltaEnd(_ path: String, select: String) async throws(GraphError) -> URL {
        let start = try url(path, query: [("$select", select), ("$deltatoken", "latest")])
        guard let end = try await list(from: start, headers: Self.minimal, each: { _ in }) else {
            throw .malformed(path: path, reason: "a delta query ended without an @odata.deltaLink")
        }
        return end
    }

    /// What changed since `cursor`, each changed user read whole.
    package func changes(since cursor: String, keeping attributes: [String]) async throws(GraphError) -> DirectoryIncrement {
        // A token is sent only to the root: a stored link elsewhere (another tenant's root) is not followed.
        guard let cursor = GraphCursor(cursor), RequestURL.sameOrigin(cursor.users, root), RequestURL.sameOrigin(cursor.groups, root) else {
            return .fullListingNeeded(reason: "the stored cursor is not a pair of delta links of this Microsoft Graph root")
        }
        var changed: [String] = []
        var named: Set<String> = []
        var removed: Set<String> = []
        var needsFull: String?
        let users: URL?
        let groups: URL?
        do {
            users = try await list(from: cursor.users, headers: Self.minimal) { (item) throws(GraphError) in
                guard let id = item["id"]?.stringValue, !id.isEmpty else { throw .malformed(path: "/v1.0/users/delta", reason: "a user has no id") }
                if item["@removed"] != nil {
                    removed.insert(id)
                } else if named.insert(id).inserted {
                    changed.append(id)
                }
            }
            groups = try await list(from: cursor.groups, headers: Self.minimal) { (group) throws(GraphError) in
                if group["@removed"] != nil {
                    needsFull = needsFull ?? "a group was deleted"
                    return
                }
                if group["displayName"] != nil {
                    needsFull = needsFull ?? "a group was created or renamed"
                    return
                }
                guard case .array(let members)? = group["members@delta"] else { return }
                for case .object(let member) in members {
                    switch member["@odata.type"]?.stringValue {
                    case "#microsoft.graph.group":
                        needsFull = needsFull ?? "a group was nested in or taken out of another"
                    case "#microsoft.graph.user":
                        guard let id = member["id"]?.stringValue, !id.isEmpty else {
                            throw .malformed(path: "/v1.0/groups/delta", reason: "a member has no id")
                        }
                        if named.insert(id).inserted { changed.append(id) }
                    default:
                        continue
                    }
                }
            }
        } catch {
            if case .status(410, _, let detail) = error {
                return .fullListingNeeded(
                    reason: "Microsoft Graph no longer knows the delta token (HTTP 410" + (detail.map { ": \($0)" } ?? "") + ")"
                )
            }
            throw error
        }
        guard let users, let groups else {
            throw .malformed(path: "/v1.0/users/delta", reason: "a delta query ended without an @odata.deltaLink")
        }
        if let needsFull { return .fullListingNeeded(reason: needsFull) }
        changed.removeAll { removed.contains($0) }
        if changed.count > Self.maximumChangedUsers {
            return .fullListingNeeded(reason: "\(changed.count) users changed, more than a full listing costs to read one by one")
        }
        var read: [DirectoryUser] = []
        for id in changed {
            if let user = try await user(id: id, keeping: attributes) {
                read.append(user)
            } else {
                removed.insert(id)
            }
        }
        let next = try GraphCursor(users: users, groups: groups).encoded()
        return .changes(DirectoryChanges(users: read, removedIDs: removed.sorted(), cursor: next))
    }

    /// One user, with every group it is in (nested ones included); `nil` when Graph no longer
    /// has it (deleted since the delta named it).
    func user(id: String, keeping attributes: [String]) async throws(GraphError) -> DirectoryUser? {
        let path = "/v1.0/users/\(OutsideText.percentEncoded(id))"
        let address = try url(path, query: [("$select", Self.select(keeping: attributes))])
        var user: DirectoryUser
        do {
            user = try Self.user(try await get(address, shown: RequestURL.shown(address)), keeping: attributes, path: path)
            try await list(path + "/transitiveMemberOf", query: [("$select", "id,displayName"), ("$top", String(pageSize))]) {
                (group) throws(GraphError) in
                // Directory roles and administrative units are listed too: only groups count.
                guard group["@odata.type"]?.stringValue == "#microsoft.graph.group" else { return }
                guard let groupID = group["id"]?.stringValue, !groupID.isEmpty else {
                    throw .malformed(path: path + "/transitiveMemberOf", reason: "a group has no id")
                }
                user.add(group: group["displayName"]?.stringValue ?? groupID, id: groupID)
            }
        } catch {
            if case .status(404, _, _) = error { return nil }
            throw error
        }
        user.groups.sort()
        user.groupIDs.sort()
        return user
    }
}

/// Graph's cursor: the users' and the groups' delta links, as JSON.
struct GraphCursor: Codable, Equatable {
    var users: URL
    var groups: URL

    init(users: URL, groups: URL) {
        self.users = users
        self.groups = groups
    }

    init?(_ text: String) {
        guard let decoded = try? JSONDecoder().decode(GraphCursor.self, from: Data(text.utf8)) else { return nil }
        self = decoded
    }

    func encoded() throws(GraphError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { throw .inconsistent("the delta links cannot be stored") }
        return String(decoding: data, as: UTF8.self)
    }
}
