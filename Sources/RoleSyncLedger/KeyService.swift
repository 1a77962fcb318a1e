package import Foundation
package import RoleSyncMapping

/// Creates, checks and revokes API keys (SPEC §7). Like a session, a key carries a user id, never a
/// role: whatever accepts it acts with the owner's role as it is at that moment. Nothing about a key
/// is cached: revocation and deactivation take effect on the very next request, on every replica.
package struct KeyService: Sendable {
    package let store: any LedgerStore
    /// Where uses are counted until they are written in batches.
    package let usage: KeyUsageRecorder
    /// The operator's rules: the longest lifetime, when a key is stale, when a stale key is revoked.
    package let policy: KeyPolicy
    private let now: @Sendable () -> Date

    package init(
        store: any LedgerStore,
        usage: KeyUsageRecorder = KeyUsageRecorder(),
        policy: KeyPolicy = KeyPolicy(),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.usage = usage
        self.policy = policy
        self.now = now
    }

    /// The longest lifetime a key may be given: ten years.
    package static let maximumLifetime: TimeInterval = 3650 * 86_400
    /// How many days of usage a key's detail shows.
    package static let usageDays = 90

    /// A new key: the value (shown once, never stored) and its record.
    package struct CreatedKey: Sendable {
        package var value: String
        package var key: APIKey
    }

    /// Creates a key.
    /// - Parameters:
    ///   - ownerID: whom it acts for; must be active, and hold an admin role for an `admin` key.
    ///   - name: 1 to 100 printable characters (trimmed), unique among the owner's active keys.
    ///   - lifetime: seconds until it expires (at most ten years), or `nil` for a key that lives
    ///     until revoked.
    ///   - purpose: what accepts it.
    ///   - actor: who creates it (audited).
    /// - Throws: ``LedgerError`` (`invalidKey`, `userNotFound`, `keyOwnerInactive`,
    ///   `adminKeyNeedsAdminRole`, `keyNameTaken`).
    package func create(
        for ownerID: UserID,
        name: String,
        lifetime: TimeInterval?,
        purpose: APIKeyPurpose,
        by actor: Actor
    ) async throws -> CreatedKey {
        let name = try Self.validatedName(name)
        if let lifetime, !(lifetime > 0 && lifetime <= Self.maximumLifetime) {
            throw LedgerError.invalidKey(field: "expires_in", "a lifetime is more than 0 seconds and at most 3650 days")
        }
        if let maxLifetime = policy.maxLifetime {
            let most = KeyPolicy.words(maxLifetime)
            guard let lifetime else {
                throw LedgerError.invalidKey(
                    field: "expires_in",
                    "keys expire within \(most) here (keys.max_lifetime): give an expiry of at most \(most)"
                )
            }
            guard lifetime <= maxLifetime else {
                throw LedgerError.invalidKey(
                    field: "expires_in",
                    "keys live at most \(most) here (keys.max_lifetime); \(KeyPolicy.words(lifetime)) is longer"
                )
            }
        }
        guard let owner = try await store.user(id: ownerID) else { throw LedgerError.userNotFound("\(ownerID)") }
        guard owner.status == .active else { throw LedgerError.keyOwnerInactive(user: owner.displayName) }
        if purpose == .admin, !Self.adminRoles.contains(owner.role) {
            throw LedgerError.adminKeyNeedsAdminRole(user: owner.displayName, role: owner.role)
        }
        let value = APIKeyFormat.generate()
        let time = now()
        var key = APIKey(
            id: 0,
            userID: ownerID,
            name: name,
            purpose: purpose,
            prefix: APIKeyFormat.displayPrefix(of: value),
            keyHash: SessionService.hash(value),
            createdAt: time,
            expiresAt: lifetime.map { time.addingTimeInterval($0) }
        )
        let event = AuditEvent(
            time: time,
            actor: actor,
            action: .keyCreated,
            userID: ownerID,
            details: [
                .name: .string(name), .prefix: .string(key.prefix), .purpose: .string(purpose.rawValue),
                .expiresAt: key.expiresAt.map { .string($0.formatted(.iso8601)) } ?? .null,
            ]
        )
        do {
            key.id = try await store.insertKey(key, audit: event)
        } catch LedgerStoreError.conflict(.keyNameTaken) {
            throw LedgerError.keyNameTaken(name)
        }
        return CreatedKey(value: value, key: key)
    }

    /// The roles an `admin` key needs of its owner.
    package static let adminRoles: Set<Role> = [.userAdmin, .superAdmin]

    /// A key's name as it is stored: at most 100 Unicode scalars as sent (what the OpenAPI
    /// document's `maxLength` counts), trimmed, not empty, none of them a control or invisible
    /// formatting character.
    static func validatedName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw LedgerError.invalidKey(field: "name", "a key's name is required: 1 to 100 characters saying what the key is for")
        }
        guard name.unicodeScalars.count <= 100 else {
            throw LedgerError.invalidKey(field: "name", "a key's name is at most 100 characters (it has \(name.unicodeScalars.count))")
        }
        guard trimmed.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control && $0.properties.generalCategory != .format })
        else {
            throw LedgerError.invalidKey(field: "name", "a key's name has printable characters only (no control characters)")
        }
        return trimmed
    }

    /// Seconds in a lifetime written `90d`, `12h`, `30m`, `45s` or as plain seconds; `nil` for
    /// anything else (negative, fractional, an unknown unit).
    package static func lifetime(_ text: String) -> TimeInterval? {
        guard !text.isEmpty, text.utf8.count <= 12 else { return nil }
        var digits = Substring(text)
        var unit: TimeInterval = 1
        if let last = text.last, !last.isNumber {
            switch last {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            default: return nil
            }
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else { return nil }
        return TimeInterval(number) * unit
    }

    // MARK: Presenting a key

    /// What introspection answers for a presented value: the key and its owner when the key is
    /// good for the gateway, else `nil`. A good key's use is counted.
    ///
    /// Good means: well formed (checked before any read), known, a `gateway` key, neither revoked
    /// nor expired, and its owner active.
    package func introspect(_ value: String) async throws -> KeyCredential? {
        guard APIKeyFormat.isWellFormed(value), let credential = try await store.credential(hash: SessionService.hash(value)) else {
            return nil
        }
        let time = now()
        guard credential.purpose == .gateway, credential.isLive(at: time), credential.owner.status == .active else { return nil }
        usage.record(keyID: credential.keyID, at: time)
        return credential
    }

    /// The user an `admin` key acts for on the admin API, or `nil` when the value is not a good
    /// admin key: malformed, unknown, a `gateway` key, revoked, expired, its owner inactive or no
    /// longer holding `user_admin` or `super_admin`. A good key's use is counted.
    package func adminUser(presenting value: String) async throws -> User? {
        guard APIKeyFormat.isWellFormed(value), let credential = try await store.credential(hash: SessionService.hash(value)) else {
            return nil
        }
        let time = now()
        guard credential.purpose == .admin, credential.isLive(at: time) else { return nil }
        guard let user = try await store.user(id: credential.owner.id), user.status == .active, Self.adminRoles.contains(user.role)
        else { return nil }
        usage.record(keyID: credential.keyID, at: time)
        return user
    }

    // MARK: Reading

    /// One owner's keys, newest first.
    package func keys(of ownerID: UserID) async throws -> [APIKey] {
        try await store.keys(ownerID: ownerID)
    }

    /// A page of every key on the platform; statuses are as of now.
    package func keys(matching query: KeysQuery) async throws -> KeysPage {
        try await store.keys(matching: query, at: now())
    }

    /// Whose keys a listing's owner filter means: a user id as it is, or the one user with this email
    /// (ignoring case), as the leaver's step of the operator guide filters by it.
    /// - Throws: ``OwnerFilterError`` when no user, or more than one, has the email.
    package func ownerID(reference: String) async throws -> UserID {
        if let id = Int64(reference), id > 0 { return UserID(id) }
        let matches = try await store.users(email: reference)
        switch matches.count {
        case 1: return matches[0].id
        case 0: throw OwnerFilterError.noUser(reference)
        default: throw OwnerFilterError.ambiguous(reference, ids: matches.map(\.id))
        }
    }

    /// The users who own a key, by email (at most ``ownerListLimit``).
    package func owners() async throws -> [KeyOwner] {
        try await store.keyOwners(limit: Self.ownerListLimit)
    }

    /// How many key owners the dashboard's Owner filter lists.
    package static let ownerListLimit = 1000

    /// Requests over the last ``usageDays`` days of each of `keys`, by key id.
    package func requests(of keys: [APIKey]) async throws -> [Int64: Int] {
        var requests: [Int64: Int] = [:]
        for key in keys { requests[key.id] = try await usage(of: key.id).reduce(0) { $0 + $1.requests } }
        return requests
    }

    /// A key and its owner.
    /// - Throws: ``LedgerError/keyNotFound(_:)``.
    package func key(id: Int64) async throws -> OwnedKey {
        guard let owned = try await store.key(id: id) else { throw LedgerError.keyNotFound(id) }
        return owned
    }

    /// Requests per day over the last ``usageDays`` days, oldest first, days without requests
    /// included. Uses not yet written (see ``KeyUsageRecorder``) are not counted.
    package func usage(of id: Int64) async throws -> [KeyUsageDay] {
        let today = KeyUsageDay.day(of: now())
        let first = today - Self.usageDays + 1
        let counts = Dictionary(try await store.keyUsage(id: id, from: first).map { ($0.day, $0.requests) }, uniquingKeysWith: +)
        return (first...today).map { KeyUsageDay(day: $0, requests: counts[$0] ?? 0) }
    }

    // MARK: Revoking

    /// Revokes a key, for good.
    /// - Parameters:
    ///   - ownerID: when set, only this owner's key (the Console): another's answers `keyNotFound`.
    ///   - cause: `owner` or `admin`.
    ///   - reason: why (required of admins by the routes that take it).
    /// - Returns: the key as revoked, with its owner.
    /// - Throws: ``LedgerError/keyNotFound(_:)``, ``LedgerError/keyAlreadyRevoked(id:prefix:)``, or
    ///   ``LedgerError/invalidKey(field:_:)`` for a reason over 500 characters.
    package func revoke(
        id: Int64,
        ownerID: UserID? = nil,
        cause: KeyRevocationCause,
        reason: String?,
        by actor: Actor
    ) async throws -> OwnedKey {
        let reason = try Self.validatedReason(reason)
        let revocation = KeyRevocation(time: now(), actor: actor, cause: cause, reason: reason)
        switch try await store.revokeKey(id: id, ownerID: ownerID, revocation) {
        case nil: throw LedgerError.keyNotFound(id)
        case .alreadyRevoked(let key): throw LedgerError.keyAlreadyRevoked(id: key.id, prefix: key.prefix)
        case .revoked(let key): return key
        }
    }

    /// The most keys one revocation over the API or the dashboard takes.
    package static let bulkRevocationLimit = 500

    /// Revokes several keys in one transaction, all or none: each gets its own `key.revoked` event
    /// (cause `admin`) with the one reason. Ids given twice count once.
    /// - Parameters:
    ///   - unusedBefore: the stale-key sweep's cut-off: a key used (or, never used, created) since
    ///     is left as it is, since it found a caller after it was listed.
    ///   - reason: why, required.
    /// - Returns: the keys as revoked, with their owners, in the order given.
    /// - Throws: ``LedgerError/keyNotFound(_:)`` or ``LedgerError/keyAlreadyRevoked(id:prefix:)``
    ///   for the first id that cannot be revoked (nothing is revoked then), or
    ///   ``LedgerError/invalidKey(field:_:)`` for no ids or no reason.
    package func revoke(
        ids: [Int64],
        reason: String?,
        unusedBefore: Date? = nil,
        by actor: Actor
    ) async throws -> [OwnedKey] {
        var seen = Set<Int64>()
        let ids = ids.filter { seen.insert($0).inserted }
        guard !ids.isEmpty else { throw LedgerError.invalidKey(field: "ids", "choose at least one key to revoke") }
        guard let reason = try Self.validatedReason(reason) else {
            throw LedgerError.invalidKey(field: "reason", "say why the keys are revoked: the reason is audited")
        }
        let revocation = KeyRevocation(time: now(), actor: actor, cause: .admin, reason: reason)
        return try await store.revokeKeys(ids: ids) { id, owned in
            guard let owned else { throw LedgerError.keyNotFound(id) }
            guard owned.key.revokedAt == nil else { throw LedgerError.keyAlreadyRevoked(id: id, prefix: owned.key.prefix) }
            if let unusedBefore, owned.key.lastActivity >= unusedBefore { return nil }
            return revocation
        }
    }

    // MARK: Rolling

    /// How long a rolled key keeps working by default: a day, for callers to move over.
    package static let defaultRollOverlap: TimeInterval = 86_400
    /// The longest a rolled key may keep working: seven days.
    package static let maximumRollOverlap: TimeInterval = 7 * 86_400

    /// How long a rolled key keeps working, written `now` or as a lifetime (`24h`, `90m`, at most
    /// `7d`); `nil` for anything else.
    package static func rollOverlap(_ text: String) -> TimeInterval? {
        if text == "now" { return 0 }
        guard let seconds = lifetime(text), seconds <= maximumRollOverlap else { return nil }
        return seconds
    }

    /// Replaces a key with a new one of the same owner, name and purpose, without downtime: the old
    /// key keeps working for `oldExpiresIn` (or until its own expiry, if sooner), then expires. The
    /// new key lives as long as the old one was created to live (until revoked if it had no
    /// expiry). Both keys name each other; audited as `key.rolled`.
    /// - Parameters:
    ///   - oldExpiresIn: seconds the old key keeps working, 0 (at once) to seven days.
    ///   - authority: whose keys the caller may roll (see ``KeyRollAuthority``).
    /// - Returns: both keys, and the new one's value (shown once).
    /// - Throws: ``LedgerError`` (`keyNotFound`, `keyNotRollable`, `keyRollNotPermitted`,
    ///   `keyOwnerInactive`, `adminKeyNeedsAdminRole`, `invalidKey` for `old_expires_in`).
    package func roll(
        id: Int64,
        oldExpiresIn: TimeInterval = KeyService.defaultRollOverlap,
        as authority: KeyRollAuthority,
        by actor: Actor
    ) async throws -> (rolled: RolledKey, value: String) {
        guard oldExpiresIn >= 0, oldExpiresIn <= Self.maximumRollOverlap else {
            throw LedgerError.invalidKey(field: "old_expires_in", "the old key keeps working from \"now\" up to 7 days (\"7d\")")
        }
        let value = APIKeyFormat.generate()
        let prefix = APIKeyFormat.displayPrefix(of: value)
        let hash = SessionService.hash(value)
        let time = now()
        let policy = self.policy
        let rolled = try await store.rollKey(id: id) { owned in
            let key = owned.key
            try Self.check(authority, mayRoll: owned)
            switch key.status(at: time) {
            case .revoked: throw LedgerError.keyNotRollable(id: key.id, prefix: key.prefix, "it is revoked")
            case .expired:
                throw LedgerError.keyNotRollable(
                    id: key.id,
                    prefix: key.prefix,
                    "it expired \(key.expiresAt?.formatted(.iso8601) ?? "")"
                )
            case .active: break
            }
            if let next = key.rolledTo {
                throw LedgerError.keyNotRollable(id: key.id, prefix: key.prefix, "it was rolled already, to key \(next); roll that one")
            }
            guard owned.owner.status == .active else {
                throw LedgerError.keyOwnerInactive(user: owned.owner.displayName)
            }
            if key.purpose == .admin, !Self.adminRoles.contains(owned.owner.role) {
                throw LedgerError.adminKeyNeedsAdminRole(user: owned.owner.displayName, role: owned.owner.role)
            }
            // The old key's lifetime, within the policy's: a key made before keys.max_lifetime was set
            // is replaced by one that keeps it.
            var lifetime = key.expiresAt.map { $0.timeIntervalSince(key.createdAt) }
            if let maxLifetime = policy.maxLifetime { lifetime = min(lifetime ?? maxLifetime, maxLifetime) }
            let replacement = APIKey(
                id: 0,
                userID: key.userID,
                name: key.name,
                purpose: key.purpose,
                prefix: prefix,
                keyHash: hash,
                createdAt: time,
                expiresAt: lifetime.map { time.addingTimeInterval($0) }
            )
            let replacedExpiresAt = min(key.expiresAt ?? .distantFuture, time.addingTimeInterval(oldExpiresIn))
            let event = AuditEvent(
                time: time,
                actor: actor,
                action: .keyRolled,
                userID: key.userID,
                details: [
                    .keyID: .number(Double(key.id)), .prefix: .string(key.prefix), .name: .string(key.name),
                    .purpose: .string(key.purpose.rawValue), .newPrefix: .string(prefix),
                    .oldExpiresAt: .string(replacedExpiresAt.formatted(.iso8601)),
                    .newExpiresAt: replacement.expiresAt.map { .string($0.formatted(.iso8601)) } ?? .null,
                ]
            )
            return KeyRoll(replacement: replacement, replacedExpiresAt: replacedExpiresAt, event: event)
        }
        guard let rolled else { throw LedgerError.keyNotFound(id) }
        return (rolled, value)
    }

    /// Whether `authority` may roll `owned` (see ``KeyRollAuthority``); another owner's key is not
    /// found for the Console, so ids cannot be probed.
    static func check(_ authority: KeyRollAuthority, mayRoll owned: OwnedKey) throws {
        switch authority {
        case .operator: return
        case .owner(let id):
            guard owned.key.userID == id else { throw LedgerError.keyNotFound(owned.key.id) }
        case .admin(let id, let role):
            guard owned.key.userID != id else { return }
            if owned.key.purpose == .admin {
                throw LedgerError.keyRollNotPermitted(
                    "an admin key is rolled only by its owner: the new key would let you act as them on the admin API"
                )
            }
            if owned.owner.role == .superAdmin, role != .superAdmin {
                throw LedgerError.keyRollNotPermitted("only a super_admin may roll a super_admin's key: the new key would act as them")
            }
        }
    }

    // MARK: The stale-key policy

    /// The time before which a key last used (or, never used, created) is stale now; `nil` when
    /// `keys.stale_after` is not set.
    package func staleBefore() -> Date? {
        policy.staleAfter.map { now().addingTimeInterval(-$0) }
    }

    /// How many active keys are stale now (`nil` without `keys.stale_after`).
    package func staleKeyCount() async throws -> Int? {
        guard let before = staleBefore() else { return nil }
        return try await store.keyCount(matching: KeysQuery(status: .active, unusedSince: before), at: now())
    }

    /// Revokes every active key unused for `keys.revoke_stale_after` (cause `stale`, with its last
    /// use in the event), each in its own transaction that checks the key again with its row
    /// locked, so a use written meanwhile saves it. Uses this process has counted are written
    /// first; another replica's, at most ``KeyUsageRecorder/flushInterval`` seconds old, are not.
    /// - Returns: the keys revoked; none when the policy is off.
    package func revokeStaleKeys() async throws -> [OwnedKey] {
        guard let after = policy.revokeStaleAfter else { return [] }
        try await usage.flush(to: store)
        let time = now()
        let before = time.addingTimeInterval(-after)
        let reason = "unused for \(KeyPolicy.words(after)) (keys.revoke_stale_after)"
        var revoked: [OwnedKey] = []
        for candidate in try await staleKeys(unusedBefore: before) {
            let revocation = KeyRevocation(time: time, actor: .system, cause: .stale, reason: reason)
            let key = try await store.revokeKey(id: candidate.key.id) { owned in
                owned.key.status(at: time) == .active && owned.key.lastActivity < before ? revocation : nil
            }
            if let key { revoked.append(key) }
        }
        return revoked
    }

    /// Every active key last used (or, never used, created) before `unusedBefore`, longest unused
    /// first.
    package func staleKeys(unusedBefore: Date) async throws -> [OwnedKey] {
        let time = now()
        var query = KeysQuery(status: .active, unusedSince: unusedBefore, sort: .lastUsed, order: .ascending, limit: PageCursor.maximumPage)
        var found: [OwnedKey] = []
        repeat {
            let page = try await store.keys(matching: query, at: time)
            found += page.keys
            query.cursor = page.nextCursor
        } while query.cursor != nil
        return found
    }

    /// A revocation's reason as stored: at most 500 Unicode scalars as sent, trimmed, `nil` when
    /// empty.
    static func validatedReason(_ reason: String?) throws -> String? {
        guard let reason else { return nil }
        guard reason.unicodeScalars.count <= 500 else {
            throw LedgerError.invalidKey(field: "reason", "a reason is at most 500 characters (it has \(reason.unicodeScalars.count))")
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// The operator's rules for keys (`keys:` in the configuration); each is off when `nil`.
package struct KeyPolicy: Sendable, Hashable {
    /// Keys may not be made without an expiry, or with a longer lifetime (existing keys are kept,
    /// and listed with `status=over_max_lifetime`).
    package var maxLifetime: TimeInterval?
    /// A key unused (or never used) this long is stale: listed, counted, measured.
    package var staleAfter: TimeInterval?
    /// A key unused this long is revoked by the server itself (cause `stale`).
    package var revokeStaleAfter: TimeInterval?

    package init(maxLifetime: TimeInterval? = nil, staleAfter: TimeInterval? = nil, revokeStaleAfter: TimeInterval? = nil) {
        self.maxLifetime = maxLifetime
        self.staleAfter = staleAfter
        self.revokeStaleAfter = revokeStaleAfter
    }

    /// `90d`, `36h`, `90m`: a policy's duration as the configuration writes it.
    package static func words(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds.magnitude < 100 * 365 * 86_400 else { return "more than 100 years" }
        let whole = Int(seconds.rounded())
        return whole % 86_400 == 0 ? "\(whole / 86_400)d" : SyncService.duration(seconds)
    }
}

/// Why a keys listing's owner filter names nobody in particular.
package enum OwnerFilterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Neither a user id nor any user's email.
    case noUser(String)
    /// Several users (of different identity providers) share the email.
    case ambiguous(String, ids: [UserID])

    package var description: String {
        switch self {
        case .noUser(let reference): "no user has the id or email '\(reference)'"
        case .ambiguous(let email, let ids):
            "\(ids.count) users share the email '\(email)' (ids \(ids.map(\.description).joined(separator: ", "))); filter by one of the ids"
        }
    }
}
