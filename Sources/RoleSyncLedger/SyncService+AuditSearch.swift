package import Foundation

/// What a free-text search of the audit log resolved to.
package struct AuditSearch: Sendable, Hashable {
    package var subjects: AuditSubjects
    /// Whether more people or keys matched than a search takes (``SyncService/auditSearchLimit``):
    /// the caller asks for a narrower search rather than show a partial log as the whole.
    package var isTruncated: Bool
}

extension SyncService {
    /// How many people, and how many keys, one search of the audit log may name.
    package static var auditSearchLimit: Int { 200 }

    /// The people (by name or email) and keys (by name or prefix) `text` names, for
    /// ``AuditQuery/about``: the Audit page's search finds the events about them and, for people,
    /// what they did.
    package func auditSubjects(matching text: String, at time: Date) async throws -> AuditSearch {
        let limit = Self.auditSearchLimit
        let people = try await store.users(matching: UsersQuery(search: text, sort: .registered, order: .ascending, limit: limit))
        let keys = try await store.keys(matching: KeysQuery(search: text, sort: .created, order: .ascending, limit: limit), at: time)
        // A key found through its owner's name is already covered by the owner.
        let needle = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let named = keys.keys.filter { owned in
            owned.key.name.localizedCaseInsensitiveContains(needle) || owned.key.prefix.localizedCaseInsensitiveContains(needle)
        }
        return AuditSearch(
            subjects: AuditSubjects(
                users: people.users.map(\.id),
                keys: named.map { AuditSubjects.Key(owner: $0.key.userID, prefix: $0.key.prefix) }
            ),
            isTruncated: people.nextCursor != nil || keys.nextCursor != nil
        )
    }

    /// The users with these ids, for naming them (the Audit page's sentences).
    package func users(ids: Set<UserID>) async throws -> [User] {
        try await store.users(ids: ids.sorted { $0.rawValue < $1.rawValue })
    }
}
