package import Foundation
package import Logging
package import RoleSyncConfig
package import RoleSyncJSON
package import RoleSyncLedger
import RoleSyncMapping
package import RoleSyncSCIM

/// The SCIM 2.0 service provider under `/scim/v2` (RFC 7644) for IdPs that push: keeps their
/// people and groups as directory entries and turns each push into the ledger changes it causes,
/// in the same transaction (SPEC §4, §6).
///
/// - A person pushed is held as a directory entry; they become a ledger user only by signing in.
/// - `active: false` or DELETE deactivates the matching ledger user at once (reason `idp`,
///   source `scim`): API keys and sessions go first; `active: true` lifts it.
/// - A group change re-evaluates the mapping for every member it adds or removes.
package struct SCIMService: Sendable {
    /// One IdP allowed to push: the token it authenticates with, and how its people match.
    package struct Pusher: Sendable {
        package var name: String
        package var issuer: String
        /// The push token's bytes, compared in constant time.
        package var token: [UInt8]
        package var settings: DirectorySettings

        package init(name: String, issuer: String, token: String, settings: DirectorySettings) {
            self.name = name
            self.issuer = issuer
            self.token = Array(token.utf8)
            self.settings = settings
        }
    }

    package let pushers: [Pusher]
    package let directory: any DirectoryStore
    let sync: SyncService
    package let logger: Logger
    let now: @Sendable () -> Date
    /// The most resources a list answers with (`filter.maxResults` in ServiceProviderConfig).
    package static let maxResults = 200
    /// The largest request body taken.
    package static let maximumBody = 1 << 20
    /// Tries of a write that concurrent writers keep invalidating.
    package static let attempts = 8

    package init(
        pushers: [Pusher],
        directory: any DirectoryStore,
        sync: SyncService,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.pushers = pushers
        self.directory = directory
        self.sync = sync
        self.logger = logger
        self.now = now
    }

    /// The IdPs of a configuration that push (`scim_token` or `scim_token_env`).
    package static func pushers(of configuration: ServeConfiguration) -> [Pusher] {
        configuration.idps.compactMap { idp in
            guard let token = idp.scimToken else { return nil }
            return Pusher(name: idp.name, issuer: idp.issuer, token: token, settings: (idp.directory ?? .pushDefaults).forPushes)
        }
    }

    // MARK: Reading

    /// The resource as SCIM returns it: stored attributes plus `id`, `schemas` and `meta`.
    package static func representation(_ resource: DirectoryResource, baseURL: String) -> [String: ClaimValue] {
        var body = resource.attributes
        let type: SCIMResourceType = resource.kind == .user ? .user : .group
        body["id"] = .string(resource.id)
        body["schemas"] = .array([.string(type.schemaURN)])
        body["meta"] = .object([
            "resourceType": .string(type.rawValue),
            "created": .string(Self.timestamp(resource.created)),
            "lastModified": .string(Self.timestamp(resource.modified)),
            "location": .string(baseURL + type.endpoint + "/" + resource.id),
            "version": .string("W/\"\(resource.version)\""),
        ])
        return body
    }

    /// What a list or search asks for.
    package struct ListRequest: Sendable {
        package var filter: SCIMFilter?
        package var startIndex = 1
        package var count = SCIMService.maxResults
        package var attributes: [String] = []
        package var excludedAttributes: [String] = []

        package init() {}
    }

    /// One page of resources of a kind matching a filter.
    package func list(_ kind: DirectoryResource.Kind, pusher: Pusher, _ request: ListRequest) async throws -> (total: Int, [DirectoryResource]) {
        let offset = request.startIndex - 1
        guard let filter = request.filter else {
            return try await directory.directoryResources(issuer: pusher.issuer, kind: kind, lookup: nil, offset: offset, limit: request.count)
        }
        if let lookup = Self.lookup(filter, kind: kind) {
            return try await directory.directoryResources(issuer: pusher.issuer, kind: kind, lookup: lookup, offset: offset, limit: request.count)
        }
        // Any other filter: evaluated over the IdP's resources of this kind.
        let (_, all) = try await directory.directoryResources(issuer: pusher.issuer, kind: kind, lookup: nil, offset: 0, limit: Int.max)
        let schema = (kind == .user ? SCIMResourceType.user : .group).schema
        let matching = all.filter { resource in
            var body = resource.attributes
            body["id"] = .string(resource.id)
            body["meta"] = .object([
                "created": .string(Self.timestamp(resource.created)), "lastModified": .string(Self.timestamp(resource.modified)),
            ])
            return filter.matches(body, caseExact: schema.isCaseExact)
        }
        let page = matching.dropFirst(offset).prefix(request.count)
        return (matching.count, Array(page))
    }

    /// The indexed look-up an `attr eq "value"` filter is, when it is one.
    static func lookup(_ filter: SCIMFilter, kind: DirectoryResource.Kind) -> DirectoryLookup? {
        guard let (attribute, value) = filter.equality else { return nil }
        switch (attribute, kind) {
        case ("username", .user), ("displayname", .group): return .name(value)
        case ("externalid", _): return .externalId(value)
        case ("id", _): return .id(value)
        case ("members.value", .group), ("members", .group): return .member(value)
        default: return nil
        }
    }

    // MARK: Writing

    /// What a push changes.
    package enum Mutation {
        case create(DirectoryResource)
        case replace(DirectoryResource, expectedVersion: Int)
        case delete(DirectoryResource)
    }

    /// The stored resource of this IdP.
    /// - Throws: ``SCIMProtocolError`` 404 when there is none.
    package func resource(_ kind: DirectoryResource.Kind, id: String, pusher: Pusher) async throws -> DirectoryResource {
        guard let resource = try await directory.directoryResource(issuer: pusher.issuer, kind: kind, id: id) else {
            throw SCIMProtocolError.notFound("\(kind.rawValue) '\(SCIMProtocolError.excerpt(id))' not found")
        }
        return resource
    }

    /// Stores a new resource and what it causes.
    package func create(_ resource: DirectoryResource, pusher: Pusher) async throws {
        try await retrying { try await commit(.create(resource), pusher: pusher) }
    }

    /// Deletes a resource and what that causes, reading it again while concurrent writes
    /// invalidate it.
    package func delete(_ kind: DirectoryResource.Kind, id: String, pusher: Pusher) async throws {
        try await retrying {
            let resource = try await resource(kind, id: id, pusher: pusher)
            try await commit(.delete(resource), pusher: pusher)
        }
    }

    /// Reads a resource, changes it with `modify` (a PUT's replacement or a PATCH's operations), and
    /// writes it at the version read, again while concurrent writes invalidate it.
    /// - Returns: the resource as stored.
    package func replace(
        _ kind: DirectoryResource.Kind,
        id: String,
        pusher: Pusher,
        _ modify: (DirectoryResource) throws -> DirectoryResource
    ) async throws -> DirectoryResource {
        try await retrying {
            let resource = try await resource(kind, id: id, pusher: pusher)
            var updated = try modify(resource)
            updated.modified = now()
            updated.version = resource.version + 1
            try await commit(.replace(updated, expectedVersion: resource.version), pusher: pusher)
            return updated
        }
    }

    /// Runs a read-modify-write again when a concurrent write invalidated it, at most
    /// ``attempts`` times.
    @discardableResult
    private func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch DirectoryStoreError.staleResource where attempt < Self.attempts {
                continue
            } catch LedgerStoreError.conflict(.staleUser) where attempt < Self.attempts {
                continue
            }
        }
    }

    /// Writes a push and the ledger changes it causes in one transaction.
    /// - Returns: the ledger changes' plan (for logs and tests).
    @discardableResult
    package func commit(_ mutation: Mutation, pusher: Pusher) async throws -> ReconciliationPlan {
        var writes: [DirectoryWrite] = []
        var affected: [String] = []
        let resource: DirectoryResource
        switch mutation {
        case .create(let r):
            resource = r
            writes.append(.insert(r))
        case .replace(let r, let version):
            resource = r
            writes.append(.update(r, expectedVersion: version))
        case .delete(let r):
            resource = r
            writes.append(.delete(issuer: r.issuer, kind: r.kind, id: r.id, expectedVersion: r.version))
        }
        var groupsWritten: [String: DirectoryResource?] = [:]
        switch resource.kind {
        case .user:
            affected = [resource.id]
            if case .delete = mutation {
                // RFC 7644 §3.6: a deleted user leaves the groups that listed them.
                let (_, groups) = try await directory.directoryResources(
                    issuer: pusher.issuer,
                    kind: .group,
                    lookup: .member(resource.id),
                    offset: 0,
                    limit: Int.max
                )
                for var group in groups {
                    let version = group.version
                    if case .array(let members)? = group.attributes["members"] {
                        let kept = members.filter { if case .object(let m) = $0 { m["value"]?.stringValue != resource.id } else { true } }
                        group.attributes["members"] = kept.isEmpty ? nil : .array(kept)
                    }
                    group.modified = now()
                    writes.append(.update(group, expectedVersion: version))
                    groupsWritten[group.id] = group
                }
            }
        case .group:
            let before = try await directory.directoryResource(issuer: pusher.issuer, kind: .group, id: resource.id)
            var after: DirectoryResource?
            if case .delete = mutation { after = nil } else { after = resource }
            groupsWritten[resource.id] = after
            let old = Set(before?.memberIDs ?? [])
            let new = Set(after?.memberIDs ?? [])
            // A renamed group changes every member's claims; a membership change only those it
            // added or removed (Entra ID adds members to large groups a few at a time).
            let renamed = before?.name != after?.name || before?.externalId != after?.externalId
            affected = (renamed ? old.union(new) : old.symmetricDifference(new)).sorted()
        }
        let listing = try await listing(for: affected, mutation: mutation, groupsWritten: groupsWritten, pusher: pusher)
        let plan = try await sync.planPush(
            issuer: pusher.issuer,
            listing: listing,
            policy: {
                var policy = ReconciliationPolicy(matchClaim: pusher.settings.matchClaim, force: true, source: .scim)
                policy.recordsShadow = true
                return policy
            }()
        )
        try await directory.apply(writes, sync.ledgerChanges(for: plan.plan, as: .scim))
        if !plan.plan.changes.isEmpty {
            logger.notice(
                "SCIM push changed ledger users",
                metadata: [
                    "idp": "\(pusher.name)", "changes": "\(plan.plan.changes.count)", "held": "\(plan.plan.heldCount)",
                    "kinds": "\(plan.plan.counts.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: ","))",
                ]
            )
        }
        return plan
    }

    /// The directory's view, after the push, of the people it touches.
    private func listing(
        for userIDs: [String],
        mutation: Mutation,
        groupsWritten: [String: DirectoryResource?],
        pusher: Pusher
    ) async throws -> DirectoryListing {
        var users: [[String: ClaimValue]] = []
        var deleted: [DirectoryEntry] = []
        var groups: [String: [String: ClaimValue]] = [:]
        for id in userIDs {
            let user: DirectoryResource?
            switch mutation {
            case .create(let r) where r.kind == .user && r.id == id, .replace(let r, _) where r.kind == .user && r.id == id:
                user = r
            case .delete(let r) where r.kind == .user && r.id == id:
                if let key = Self.matchKey(r, pusher.settings) {
                    deleted.append(DirectoryEntry(key: key, isActive: false, isDeleted: true, claims: [:]))
                }
                continue
            default:
                user = try await directory.directoryResource(issuer: pusher.issuer, kind: .user, id: id)
            }
            // A member id no pushed user has: nobody to evaluate.
            guard let user else { continue }
            var body = user.attributes
            body["id"] = .string(user.id)
            users.append(body)
            let (_, memberOf) = try await directory.directoryResources(
                issuer: pusher.issuer,
                kind: .group,
                lookup: .member(id),
                offset: 0,
                limit: Int.max
            )
            for group in memberOf where groupsWritten[group.id] == nil { groups[group.id] = Self.body(group) }
        }
        for case (let id, let group?) in groupsWritten { groups[id] = Self.body(group) }
        let snapshot = try DirectorySnapshot.build(users: users, groups: Array(groups.values), keeping: pusher.settings.attributePaths)
        var listing = pusher.settings.listing(from: snapshot, isComplete: false)
        listing.entries += deleted
        return listing
    }

    /// `2026-11-27T12:00:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    static func body(_ resource: DirectoryResource) -> [String: ClaimValue] {
        var body = resource.attributes
        body["id"] = .string(resource.id)
        return body
    }

    static func matchKey(_ resource: DirectoryResource, _ settings: DirectorySettings) -> String? {
        let key = settings.matchBy == .externalId ? resource.externalId : resource.name
        return key?.isEmpty == false ? key : nil
    }
}
