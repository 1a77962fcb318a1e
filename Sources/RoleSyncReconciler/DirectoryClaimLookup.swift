package import Foundation
package import Logging
import Metrics
package import RoleSyncConfig
package import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncLedger
package import RoleSyncMapping
import RoleSyncSCIM

/// The ``DirectoryClaimResolver`` `serve` gives the ledger: a sign-in whose token sends claims
/// distributed (`_claim_names`, Entra ID's group overage) reads them from the IdP's directory.
///
/// - An IdP that pushes (`scim_token`): the stored entry of the person and the groups listing them,
///   as old as the newest of those writes.
/// - An IdP with `directory.scim_url`: a live read of that one person (`GET /Users?filter=`, then
///   `GET /Groups?filter=members.value eq "<id>"`), one try, within ``timeout``.
///
/// The person is matched as pushes and reconciliation match them (`match_by`, `match_claim`), and
/// only the unknown claims the directory supplies (`directory.claims`) are resolved. An IdP with
/// both is read from its pushed entries first. When the person is not found, ambiguous or inactive
/// there, or the directory does not answer, nothing is resolved and the claims stay unknown; that
/// is logged (never a claim's value) and counted in `rolesync_claims_resolved_total`.
package struct DirectoryClaimLookup: DirectoryClaimResolver {
    /// One way to read one IdP's directory.
    struct Reader: Sendable {
        enum Kind: Sendable {
            case push(any DirectoryStore)
            case pull(SCIMClient)
        }

        var idp: String
        var settings: DirectorySettings
        var kind: Kind

        var via: ClaimSource.Via {
            switch kind {
            case .push: .scimPush
            case .pull: .scimPull
            }
        }
    }

    /// What one reader found.
    enum Lookup: Sendable {
        case found(DirectoryEntry, asOf: Date)
        case notFound
        case ambiguous
        case inactive
        case failed(String)
        case timedOut

        var outcome: String {
            switch self {
            case .found: "resolved"
            case .notFound: "unknown_user"
            case .ambiguous: "ambiguous"
            case .inactive: "inactive"
            case .failed: "unreachable"
            case .timedOut: "timeout"
            }
        }
    }

    /// The readers of each issuer's directory, pushed entries first.
    let readers: [String: [Reader]]
    /// How long a live read may take before the sign-in goes on without it.
    package let timeout: Duration
    let logger: Logger
    let now: @Sendable () -> Date
    let sleep: @Sendable (Duration) async -> Void

    /// - Parameters:
    ///   - idps: the configured providers; those with `scim_token` or `directory.scim_url` (and its
    ///     token) get a reader.
    ///   - store: where pushed entries are.
    ///   - transport: the HTTP transport to a provider's SCIM directory (its `ca_file`, a short
    ///     timeout); asked once per provider that has `scim_url`.
    ///   - timeout: how long a live read may take (default 3 s).
    ///   - logger: where fallbacks are logged.
    ///   - now: the clock that ages pushed entries.
    ///   - sleep: waits out ``timeout``; tests pass their own.
    /// - Throws: what `transport` throws.
    package init(
        idps: [IdentityProviderSettings],
        store: any DirectoryStore,
        transport: (IdentityProviderSettings) throws -> any HTTPTransport,
        timeout: Duration = .seconds(3),
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) rethrows {
        var readers: [String: [Reader]] = [:]
        for idp in idps {
            if idp.scimToken != nil {
                readers[idp.issuer, default: []].append(
                    Reader(idp: idp.name, settings: (idp.directory ?? .pushDefaults).forPushes, kind: .push(store))
                )
            }
            // A live look-up reads SCIM directories; Okta's ID tokens send no distributed claims.
            if let settings = idp.directory, settings.kind == .scim, let url = settings.url, let token = settings.token {
                let client = SCIMClient(
                    baseURL: url,
                    token: token,
                    transport: try transport(idp),
                    pageSize: settings.pageSize,
                    attempts: 1,
                    logger: logger,
                    sleep: sleep
                )
                readers[idp.issuer, default: []].append(Reader(idp: idp.name, settings: settings, kind: .pull(client)))
            }
        }
        self.readers = readers
        self.timeout = timeout
        self.logger = logger
        self.now = now
        self.sleep = sleep
    }

    /// Whether no provider has a directory to read (then `serve` gives the ledger no resolver).
    package var isEmpty: Bool { readers.isEmpty }

    package func resolve(issuer: String, claims: Claims, unknown: Set<String>) async -> ResolvedClaims? {
        for reader in readers[issuer] ?? [] {
            let supplied = unknown.intersection(reader.settings.claims.keys)
            guard !supplied.isEmpty else { continue }
            var logger = logger
            logger[metadataKey: "idp"] = "\(reader.idp)"
            logger[metadataKey: "via"] = "\(reader.via.code)"
            logger[metadataKey: "claims"] = "\(supplied.sorted().joined(separator: ","))"
            guard let key = Self.matchKey(claims, reader.settings) else {
                count(reader, "unmatchable")
                logger.info("distributed claims left unknown: the token has no value for the directory's match claim")
                continue
            }
            let lookup: Lookup
            switch reader.kind {
            case .push(let store): lookup = await Self.pushed(key, reader.settings, issuer: issuer, store: store)
            case .pull(let client):
                let (settings, now) = (reader.settings, self.now)
                lookup = await withinTimeout { await Self.pulled(key, settings, client: client, now: now) }
            }
            guard case .found(let entry, let asOf) = lookup else {
                count(reader, lookup.outcome)
                switch lookup {
                case .failed(let reason):
                    logger.warning("directory unreadable; distributed claims left unknown", metadata: ["reason": "\(reason)"])
                case .timedOut:
                    logger.warning("directory did not answer in time; distributed claims left unknown", metadata: ["timeout": "\(timeout)"])
                default:
                    logger.info("distributed claims left unknown", metadata: ["outcome": "\(lookup.outcome)"])
                }
                continue
            }
            let values = entry.claims.filter { supplied.contains($0.key) && $0.value != .null }
            guard !values.isEmpty else {
                count(reader, "no_values")
                logger.info("the directory has no value for the distributed claims; left unknown")
                continue
            }
            let age = Int(now().timeIntervalSince(asOf).rounded(.down))
            count(reader, "resolved")
            logger.info("distributed claims resolved from the directory", metadata: ["age_s": "\(max(0, age))"])
            return ResolvedClaims(values: values, source: ClaimSource(via: reader.via, asOf: asOf, ageSeconds: age))
        }
        return nil
    }

    private func count(_ reader: Reader, _ outcome: String) {
        Counter(
            label: "rolesync_claims_resolved_total",
            dimensions: [("idp", reader.idp), ("source", reader.via.code), ("outcome", outcome)]
        ).increment()
    }

    /// The look-up, or ``Lookup/timedOut`` when ``timeout`` passes first (the look-up is cancelled).
    private func withinTimeout(_ lookup: @escaping @Sendable () async -> Lookup) async -> Lookup {
        let (sleep, timeout) = (self.sleep, self.timeout)
        return await withTaskGroup(of: Lookup.self) { group in
            group.addTask { await lookup() }
            group.addTask {
                await sleep(timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
    }

    /// The token's value for the directory's match claim (`sub` by default), as reconciliation
    /// reads it from the stored claims.
    static func matchKey(_ claims: Claims, _ settings: DirectorySettings) -> String? {
        guard let key = claims.values[settings.matchClaim]?.scalarText, !key.isEmpty else { return nil }
        return key
    }

    /// Whether a directory user's match attribute is `key`: `externalId` exactly, `userName`
    /// ignoring case, as pushes and reconciliation compare them.
    static func matches(_ user: DirectoryUser, key: String, _ settings: DirectorySettings) -> Bool {
        switch settings.matchBy {
        case .id: user.id == key
        case .externalId: user.externalId == key
        case .userName: user.userName?.lowercased() == key.lowercased()
        }
    }

    /// The entry for the one active person `snapshot` has under `key`, or why there is none.
    static func entry(for key: String, in snapshot: DirectorySnapshot, _ settings: DirectorySettings, asOf: Date) -> Lookup {
        let users = snapshot.users.filter { matches($0, key: key, settings) }
        guard users.count == 1 else { return users.isEmpty ? .notFound : .ambiguous }
        guard users[0].isActive else { return .inactive }
        let listing = settings.listing(from: snapshot, isComplete: false)
        let wanted = listing.ignoresKeyCase ? key.lowercased() : key
        guard let entry = listing.entries.first(where: { (listing.ignoresKeyCase ? $0.key.lowercased() : $0.key) == wanted }) else {
            return .notFound
        }
        return .found(entry, asOf: asOf)
    }

    /// The person's pushed entry and the pushed groups listing them, as of the newest of those writes.
    static func pushed(_ key: String, _ settings: DirectorySettings, issuer: String, store: any DirectoryStore) async -> Lookup {
        do {
            let lookup: DirectoryLookup = settings.matchBy == .externalId ? .externalId(key) : .name(key)
            let (_, users) = try await store.directoryResources(issuer: issuer, kind: .user, lookup: lookup, offset: 0, limit: 2)
            guard users.count == 1 else { return users.isEmpty ? .notFound : .ambiguous }
            let user = users[0]
            let (_, groups) = try await store.directoryResources(
                issuer: issuer,
                kind: .group,
                lookup: .member(user.id),
                offset: 0,
                limit: Int.max
            )
            let snapshot = try DirectorySnapshot.build(
                users: [SCIMService.body(user)],
                groups: groups.map(SCIMService.body),
                keeping: settings.attributePaths
            )
            let asOf = ([user.modified] + groups.map(\.modified)).max() ?? user.modified
            return entry(for: key, in: snapshot, settings, asOf: asOf)
        } catch {
            return .failed("\(type(of: error))")
        }
    }

    /// The person and their groups read live from the directory, as of `now`. The answers are
    /// checked, not trusted: a directory that ignores a filter lists people and groups it did not
    /// ask for, and only groups whose `members` list the person count.
    static func pulled(_ key: String, _ settings: DirectorySettings, client: SCIMClient, now: @Sendable () -> Date) async -> Lookup {
        do throws(SCIMError) {
            let attribute = settings.matchBy == .externalId ? "externalId" : "userName"
            let users = try await client.search("Users", filter: SCIMClient.equalityFilter(attribute, key))
            let found = try DirectorySnapshot.build(users: users, groups: [], keeping: []).users.filter { matches($0, key: key, settings) }
            guard found.count == 1 else { return found.isEmpty ? .notFound : .ambiguous }
            let id = found[0].id
            let groups = try await client.search("Groups", filter: SCIMClient.equalityFilter("members.value", id))
            let person = users.filter { $0["id"]?.stringValue == id }
            let snapshot = try DirectorySnapshot.build(users: person, groups: groups, keeping: settings.attributePaths)
            return entry(for: key, in: snapshot, settings, asOf: now())
        } catch {
            return .failed(error.code)
        }
    }
}
