import Crypto
import Foundation
import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncSCIM

/// Incremental listings of an Okta org, as Okta documents them: users changed since the cursor's
/// time (`GET /api/v1/users?filter=lastUpdated gt "…"`, which lists `SUSPENDED` and `DEPROVISIONED`
/// users too), each read with its groups (`GET /api/v1/users/{id}/groups`).
///
/// Okta's group API names a group's present members, never who left, so a change to a group asks
/// for a full listing (``DirectoryIncrement/fullListingNeeded(reason:)``): every group is listed
/// (a few requests: 200 a page) and one whose `lastUpdated` or `lastMembershipUpdated` is past the
/// cursor's time, or a group created or deleted since (the cursor keeps a digest of the group ids),
/// means a full run. So does more than ``maximumChangedUsers`` changed users.
///
/// The cursor's time is five minutes before the listing began, so a change Okta stamped while the
/// listing ran, or on a clock a little behind, is read again rather than missed; reading a change
/// twice changes nothing the second time.
extension OktaDirectory {
    /// Above this many changed users a full listing costs fewer requests than reading each.
    package static var maximumChangedUsers: Int { 1_000 }
    /// How far before the listing's start the next incremental listing looks.
    static var overlap: TimeInterval { 300 }

    /// The time and the group digest an incremental listing starts from, taken before a full
    /// listing begins.
    package func startCursor(keeping attributes: [String] = []) async throws(OktaError) -> String? {
        let since = now().addingTimeInterval(-Self.overlap)
        let groups = try await groupState(since: nil)
        return OktaCursor(since: since, groups: groups.digest).encoded()
    }

    /// Every group's id digest, and the first group changed since `since` (none when `nil`).
    func groupState(since: Date?) async throws(OktaError) -> (digest: String, changed: String?) {
        var ids: [String] = []
        var changed: String?
        _ = try await list("/api/v1/groups", query: [("limit", String(pageSize))]) { (group) throws(OktaError) in
            guard let id = group["id"]?.stringValue, !id.isEmpty else {
                throw .malformed(path: "/api/v1/groups", reason: "a group has no id")
            }
            ids.append(id)
            guard let since, changed == nil else { return }
            for field in ["lastUpdated", "lastMembershipUpdated"] {
                guard let text = group[field]?.stringValue else { continue }
                guard let stamp = OktaCursor.date(text) else {
                    throw .malformed(path: "/api/v1/groups", reason: "group \(id) has a \(field) that is not a time")
                }
                if stamp > since {
                    var name = id
                    if case .object(let profile)? = group["profile"], let written = profile["name"]?.stringValue { name = written }
                    changed = OutsideText.printable(name, limit: 80)
                }
            }
        }
        return (OktaCursor.digest(ids), changed)
    }

    /// What changed since `cursor`, each changed user read with their groups.
    package func changes(since cursor: String, keeping attributes: [String] = []) async throws(OktaError) -> DirectoryIncrement {
        guard let cursor = OktaCursor(cursor) else {
            return .fullListingNeeded(reason: "the stored cursor is not an Okta time and group digest")
        }
        let started = now()
        let groups = try await groupState(since: cursor.since)
        if groups.digest != cursor.groups {
            return .fullListingNeeded(reason: "a group was created or deleted in Okta")
        }
        if let changed = groups.changed {
            return .fullListingNeeded(
                reason: "group '\(changed)' changed in Okta (its API names a group's present members, not who left)"
            )
        }
        let filter = "lastUpdated gt \"\(OktaCursor.text(cursor.since))\""
        var users: [DirectoryUser] = []
        var tooMany = false
        _ = try await list("/api/v1/users", query: [("filter", filter), ("limit", String(pageSize))]) { (object) throws(OktaError) in
            guard users.count <= Self.maximumChangedUsers else {
                tooMany = true
                return
            }
            users.append(try Self.user(object, keeping: attributes, path: "/api/v1/users"))
        }
        if tooMany {
            return .fullListingNeeded(
                reason: "more than \(Self.maximumChangedUsers) users changed, more than a full listing costs to read one by one"
            )
        }
        for index in users.indices {
            let path = "/api/v1/users/\(Self.pathSegment(users[index].id))/groups"
            _ = try await list(path, query: [("limit", String(pageSize))]) { (group) throws(OktaError) in
                guard let id = group["id"]?.stringValue, !id.isEmpty else { throw .malformed(path: path, reason: "a group has no id") }
                guard case .object(let profile)? = group["profile"], let name = profile["name"]?.stringValue else {
                    throw .malformed(path: path, reason: "group \(id) has no profile.name")
                }
                users[index].add(group: name, id: id)
            }
            users[index].groups.sort()
            users[index].groupIDs.sort()
        }
        let next = OktaCursor(since: started.addingTimeInterval(-Self.overlap), groups: groups.digest)
        return .changes(DirectoryChanges(users: users, removedIDs: [], cursor: next.encoded()))
    }
}

/// Okta's cursor: the time changes are read from, and a digest of the group ids then.
struct OktaCursor: Equatable {
    var since: Date
    var groups: String

    init(since: Date, groups: String) {
        self.since = since
        self.groups = groups
    }

    /// `okta <time> <digest>`.
    init?(_ text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 3, parts[0] == "okta", let since = Self.date(String(parts[1])) else { return nil }
        self.init(since: since, groups: String(parts[2]))
    }

    func encoded() -> String { "okta \(Self.text(since)) \(groups)" }

    /// The time as Okta writes it, `2026-12-07T00:25:00.000Z`.
    static func text(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A time Okta wrote, with or without milliseconds.
    static func date(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    /// SHA-256 of the sorted ids, one a line, in hexadecimal.
    static func digest(_ ids: [String]) -> String {
        let text = ids.sorted().joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
