package import Foundation
package import RoleSyncJSON
import RoleSyncMapping

/// A person or group an IdP pushed over SCIM (SPEC §6): held as a directory entry; a pushed
/// person becomes a ledger user only by signing in.
package struct DirectoryResource: Sendable, Hashable {
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case user = "User"
        case group = "Group"
    }

    /// The IdP that pushed it.
    package var issuer: String
    package var kind: Kind
    /// RoleSync's id for it (the SCIM `id`).
    package var id: String
    package var externalId: String?
    /// `userName` for a user, `displayName` for a group.
    package var name: String
    /// The resource as pushed, less `id`, `meta` and `schemas`.
    package var attributes: [String: ClaimValue]
    /// Bumped by every write; a write naming an older version is a conflict.
    package var version: Int
    package var created: Date
    package var modified: Date

    package init(
        issuer: String,
        kind: Kind,
        id: String,
        externalId: String?,
        name: String,
        attributes: [String: ClaimValue],
        version: Int,
        created: Date,
        modified: Date
    ) {
        self.issuer = issuer
        self.kind = kind
        self.id = id
        self.externalId = externalId
        self.name = name
        self.attributes = attributes
        self.version = version
        self.created = created
        self.modified = modified
    }

    /// A group's member ids (`members[].value`).
    package var memberIDs: [String] {
        guard case .array(let members)? = attributes["members"] else { return [] }
        return members.compactMap { if case .object(let m) = $0 { m["value"]?.stringValue } else { nil } }
    }
}

/// An indexed look-up among directory resources.
package enum DirectoryLookup: Sendable, Hashable {
    /// `userName` (users, ignoring case) or `displayName` (groups, ignoring case).
    case name(String)
    /// `externalId`, exactly.
    case externalId(String)
    /// `id`, exactly.
    case id(String)
    /// Groups listing this member id.
    case member(String)
}

/// A write to the directory entries.
package enum DirectoryWrite: Sendable {
    /// A new resource; fails with ``DirectoryStoreError/nameTaken(_:)`` when a user's name is taken.
    case insert(DirectoryResource)
    /// A changed resource, written only at `expectedVersion` (else a conflict).
    case update(DirectoryResource, expectedVersion: Int)
    /// Removes a resource (and, for a group, its memberships), only at `expectedVersion`.
    case delete(issuer: String, kind: DirectoryResource.Kind, id: String, expectedVersion: Int)
}

/// Reads of pushed directory entries, which an engine answers with SQL alone.
package protocol DirectoryReads: Sendable {
    func directoryResource(issuer: String, kind: DirectoryResource.Kind, id: String) async throws -> DirectoryResource?
    /// Resources of a kind in creation order, optionally by an indexed look-up; `offset` and `limit`
    /// page them. Also returns how many match in all.
    func directoryResources(
        issuer: String,
        kind: DirectoryResource.Kind,
        lookup: DirectoryLookup?,
        offset: Int,
        limit: Int
    ) async throws -> (total: Int, resources: [DirectoryResource])
}

/// Storage for pushed directory entries, beside the ledger: a push's entry writes and the ledger
/// changes they cause are applied in one transaction.
package protocol DirectoryStore: DirectoryReads {
    /// Applies directory writes and then ledger changes, all or nothing.
    /// - Throws: ``DirectoryStoreError``, ``LedgerStoreError/conflict(_:)``; nothing is written then.
    func apply(_ writes: [DirectoryWrite], _ changes: LedgerChanges) async throws
}

/// Why directory writes were refused.
package enum DirectoryStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another user of this IdP has this `userName` (compared ignoring case).
    case nameTaken(String)
    /// The resource changed (or went) since it was read.
    case staleResource(id: String)

    package var description: String {
        switch self {
        case .nameTaken(let name): "userName '\(name)' is already taken"
        case .staleResource(let id): "resource \(id) changed concurrently"
        }
    }
}
