package import RoleSyncConfig
import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping
package import RoleSyncSCIM

extension DirectorySettings {
    /// The attribute paths a snapshot must keep for the configured claims.
    package var attributePaths: [String] {
        claims.values.compactMap { if case .attribute(let path) = $0 { path } else { nil } }
    }

    /// The settings pushes to `/scim/v2` match with: a pushed resource's `id` is RoleSync's own,
    /// so `match_by: id` compares the pushed `externalId` there, the field a provisioning app fills
    /// with the IdP's identifier for the person (docs/reconciliation.md says to check it does).
    package var forPushes: DirectorySettings {
        var settings = self
        if settings.matchBy == .id { settings.matchBy = .externalId }
        return settings
    }

    /// The ledger's view of a directory snapshot: each user's match key, status and claims.
    /// Users without the match attribute cannot be matched and are left out.
    package func listing(from snapshot: DirectorySnapshot, isComplete: Bool = true) -> DirectoryListing {
        var entries: [DirectoryEntry] = []
        entries.reserveCapacity(snapshot.users.count)
        for user in snapshot.users {
            let key: String? =
                switch matchBy {
                case .id: user.id
                case .externalId: user.externalId
                case .userName: user.userName
                }
            guard let key, !key.isEmpty else { continue }
            var values: [String: ClaimValue] = [:]
            for (claim, source) in claims {
                values[claim] = Self.value(source, of: user)
            }
            entries.append(DirectoryEntry(key: key, isActive: user.isActive, claims: values))
        }
        // LDAP compares its identifying attributes (uid, mail, entryUUID, a GUID) ignoring case.
        return DirectoryListing(entries: entries, ignoresKeyCase: matchBy == .userName || kind == .ldap, isComplete: isComplete)
    }

    /// The ledger's view of an incremental listing: the users it names, and those deleted (keyed
    /// by their directory id, so only with `match_by: id`; the reconciler lists everything
    /// otherwise). Users it does not name are left alone.
    package func listing(from changes: DirectoryChanges) -> DirectoryListing {
        var listing = listing(from: DirectorySnapshot(users: changes.users, groupCount: 0), isComplete: false)
        if matchBy == .id {
            for id in changes.removedIDs where !id.isEmpty {
                listing.entries.append(DirectoryEntry(key: id, isActive: false, isDeleted: true, claims: [:]))
            }
        }
        return listing
    }

    /// What identifies the source a cursor was read from: the kind, the address and, for
    /// Microsoft Graph (one address for every tenant), the tenant.
    package var sourceIdentity: String {
        [kind.rawValue, url?.absoluteString ?? "", graph?.tenantID ?? google?.customer ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// A claim's value from a directory user; `null` when the directory has none, so a stale
    /// sign-in value does not survive a directory that cleared it.
    static func value(_ source: DirectoryClaimSource, of user: DirectoryUser) -> ClaimValue {
        switch source {
        case .groupNames: .array(user.groups.map(ClaimValue.string))
        case .groupIDs: .array(user.groupIDs.map(ClaimValue.string))
        case .groupExternalIDs: .array(user.groupExternalIDs.map(ClaimValue.string))
        case .email: user.email.map(ClaimValue.string) ?? .null
        case .name: user.name.map(ClaimValue.string) ?? .null
        case .active: .bool(user.isActive)
        case .attribute(let path): user.attributes[path] ?? .null
        }
    }
}
