package import Foundation
import RoleSyncJSON
package import RoleSyncMapping

/// What a key is accepted for.
package enum APIKeyPurpose: String, Sendable, Hashable, CaseIterable, Codable {
    /// The AI gateway's credential: only token introspection accepts it.
    case gateway
    /// The admin API's credential: accepted while its owner holds `user_admin` or `super_admin`.
    case admin
}

/// Where a key stands at a given moment.
package enum APIKeyStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case active
    case revoked
    case expired
}

/// Why a key was revoked: the `cause` of its `key.revoked` event.
package enum KeyRevocationCause: String, Sendable, Hashable, CaseIterable, Codable {
    /// Its owner revoked it (Console).
    case owner
    /// An admin revoked it (Admin API or command line).
    case admin
    /// Its owner was offboarded.
    case offboarding
    /// Its owner was deactivated (by an admin, the IdP, SCIM or reconciliation).
    case deactivation
    /// The stale-key policy (`keys.revoke_stale_after`): unused for that long.
    case stale
}

/// An API key: one user's credential, acting as that user with their role at each request. Only its
/// SHA-256 is stored; the value is shown once. Revocation is permanent.
package struct APIKey: Sendable, Hashable, Identifiable {
    package var id: Int64
    package var userID: UserID
    /// What it is for (`checkout-service-prod`); unique among the owner's active keys.
    package var name: String
    package var purpose: APIKeyPurpose
    /// The first characters and the last four (`rsk_Ab3…x9Qz`).
    package var prefix: String
    /// Hex SHA-256 of the value.
    package var keyHash: String
    package var createdAt: Date
    package var expiresAt: Date?
    /// When an introspection or an admin request last presented it (batched: see ``KeyUsageRecorder``).
    package var lastUsedAt: Date?
    package var revokedAt: Date?
    package var revokedBy: Actor?
    package var revocationCause: KeyRevocationCause?
    package var revocationReason: String?
    /// The key this one replaced (``KeyService/roll(id:oldExpiresIn:as:by:)``).
    package var rolledFrom: Int64?
    /// The key that replaced this one; the two work side by side until this one's expiry.
    package var rolledTo: Int64?
    /// When this key was rolled.
    package var rolledAt: Date?

    package init(
        id: Int64,
        userID: UserID,
        name: String,
        purpose: APIKeyPurpose,
        prefix: String,
        keyHash: String,
        createdAt: Date,
        expiresAt: Date? = nil,
        lastUsedAt: Date? = nil,
        revokedAt: Date? = nil,
        revokedBy: Actor? = nil,
        revocationCause: KeyRevocationCause? = nil,
        revocationReason: String? = nil,
        rolledFrom: Int64? = nil,
        rolledTo: Int64? = nil,
        rolledAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.name = name
        self.purpose = purpose
        self.prefix = prefix
        self.keyHash = keyHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
        self.revocationCause = revocationCause
        self.revocationReason = revocationReason
        self.rolledFrom = rolledFrom
        self.rolledTo = rolledTo
        self.rolledAt = rolledAt
    }

    /// For a rolled key, whether a request presented it after the roll (as far as usage is written:
    /// see ``KeyUsageRecorder``): a caller still on it has not moved to the new key. `nil` for a key
    /// that was not rolled.
    package var usedSinceRoll: Bool? {
        guard let rolledAt else { return nil }
        return lastUsedAt.map { $0 > rolledAt } ?? false
    }

    /// When the key was last used, or created if it never was: what staleness counts from.
    package var lastActivity: Date { lastUsedAt ?? createdAt }

    /// Revoked wins over expired: a revoked key says who revoked it.
    package func status(at time: Date) -> APIKeyStatus {
        if revokedAt != nil { return .revoked }
        if let expiresAt, time >= expiresAt { return .expired }
        return .active
    }
}

/// A roll as the ledger decided it, before the store writes it: the replacement (its id is the
/// store's to assign), the replaced key's new expiry, and the `key.rolled` event (the store adds the
/// new key's id).
package struct KeyRoll: Sendable, Hashable {
    package var replacement: APIKey
    package var replacedExpiresAt: Date
    package var event: AuditEvent

    package init(replacement: APIKey, replacedExpiresAt: Date, event: AuditEvent) {
        self.replacement = replacement
        self.replacedExpiresAt = replacedExpiresAt
        self.event = event
    }
}

/// A roll as written: the key replaced (with its new expiry) and its replacement, both with their
/// owner.
package struct RolledKey: Sendable, Hashable {
    package var replaced: OwnedKey
    package var replacement: OwnedKey

    package init(replaced: OwnedKey, replacement: OwnedKey) {
        self.replaced = replaced
        self.replacement = replacement
    }
}

/// Who rolls a key, which decides whose keys they may roll.
package enum KeyRollAuthority: Sendable, Hashable {
    /// The Console: the caller's own keys only (another's is not found).
    case owner(UserID)
    /// The admin API and the Admin Dashboard: any `gateway` key, except a `super_admin`'s unless
    /// the caller is one; an `admin` key only when it is the caller's own.
    case admin(id: UserID, role: Role)
    /// The command line, run by whoever may open the ledger: any key.
    case `operator`
}

/// Who owns a key, as listings and introspection show them.
package struct KeyOwner: Sendable, Hashable {
    package var id: UserID
    package var name: String?
    package var email: String?
    package var role: Role
    package var status: UserStatus

    package init(id: UserID, name: String?, email: String?, role: Role, status: UserStatus) {
        self.id = id
        self.name = name
        self.email = email
        self.role = role
        self.status = status
    }

    /// As ``User/displayName`` names a user: the email, else the name, else the id.
    package var displayName: String { email ?? name ?? "user \(id)" }

    /// `user` as the owner of a key.
    package init(_ user: User) {
        self.init(id: user.id, name: user.name, email: user.email, role: user.role, status: user.status)
    }
}

/// What deciding whether a presented key is good needs, read in one look-up: the key's state and
/// its owner as they are now. Not the key's name, prefix or usage: introspection reads one per
/// request, so it reads no more.
package struct KeyCredential: Sendable, Hashable {
    package var keyID: Int64
    /// The key's name, for the gateway's `X-RoleSync-Key-Name`.
    package var name: String
    package var purpose: APIKeyPurpose
    package var createdAt: Date
    package var expiresAt: Date?
    package var isRevoked: Bool
    package var owner: KeyOwner

    package init(
        keyID: Int64,
        name: String,
        purpose: APIKeyPurpose,
        createdAt: Date,
        expiresAt: Date?,
        isRevoked: Bool,
        owner: KeyOwner
    ) {
        self.keyID = keyID
        self.name = name
        self.purpose = purpose
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.isRevoked = isRevoked
        self.owner = owner
    }

    /// Neither revoked nor expired at `time`.
    package func isLive(at time: Date) -> Bool {
        !isRevoked && expiresAt.map { time < $0 } ?? true
    }
}

/// A key with its owner as they are now.
package struct OwnedKey: Sendable, Hashable {
    package var key: APIKey
    package var owner: KeyOwner

    package init(key: APIKey, owner: KeyOwner) {
        self.key = key
        self.owner = owner
    }
}

/// Requests made with one key on one UTC day.
package struct KeyUsageDay: Sendable, Hashable {
    /// Days since 1970-01-01 (UTC).
    package var day: Int
    package var requests: Int

    package init(day: Int, requests: Int) {
        self.day = day
        self.requests = requests
    }

    /// The UTC day `time` falls on, as days since 1970-01-01.
    package static func day(of time: Date) -> Int {
        Int((time.timeIntervalSince1970 / 86_400).rounded(.down))
    }
}

/// Uses of one key to add to the store: a count per day and the latest use.
package struct KeyUse: Sendable, Hashable {
    package var keyID: Int64
    package var requestsByDay: [Int: Int]
    package var lastUsedAt: Date

    package init(keyID: Int64, requestsByDay: [Int: Int], lastUsedAt: Date) {
        self.keyID = keyID
        self.requestsByDay = requestsByDay
        self.lastUsedAt = lastUsedAt
    }
}

/// A revocation, as the ledger words it: who, when, why. The store applies it to one key or to
/// every unrevoked key of a user, and writes ``event(for:)`` for each key it revoked.
package struct KeyRevocation: Sendable, Hashable {
    package var time: Date
    package var actor: Actor
    package var cause: KeyRevocationCause
    /// Said by whoever revoked (required of admins), or the ledger's own words for a deactivation.
    package var reason: String?

    package init(time: Date, actor: Actor, cause: KeyRevocationCause, reason: String?) {
        self.time = time
        self.actor = actor
        self.cause = cause
        self.reason = reason
    }

    /// The `key.revoked` event for `key`: actor, owner, key id, prefix, name, cause and reason.
    package func event(for key: APIKey) -> AuditEvent {
        AuditEvent(
            time: time,
            actor: actor,
            action: .keyRevoked,
            userID: key.userID,
            details: [
                .keyID: .number(Double(key.id)), .prefix: .string(key.prefix), .name: .string(key.name),
                .purpose: .string(key.purpose.rawValue), .cause: .string(cause.rawValue),
                .reason: reason.map(ClaimValue.string) ?? .null,
            ].merging(cause == .stale ? [.lastUsedAt: key.lastUsedAt.map { .string($0.formatted(.iso8601)) } ?? .null] : [:]) { $1 }
        )
    }

    /// `key` as this revocation leaves it.
    package func applied(to key: APIKey) -> APIKey {
        var key = key
        key.revokedAt = time
        key.revokedBy = actor
        key.revocationCause = cause
        key.revocationReason = reason
        return key
    }
}

/// How to list every key on the platform.
package struct KeysQuery: Sendable, Hashable {
    package enum Sort: String, Sendable, Hashable, CaseIterable, Codable {
        /// Never-used keys first in ascending order.
        case lastUsed = "last_used"
        case created
        case name
        /// The owner's name (then email).
        case owner
    }

    /// Case-insensitive substring of the key's name, its display prefix, or its owner's name or email.
    package var search: String?
    package var ownerID: UserID?
    package var status: APIKeyStatus?
    package var purpose: APIKeyPurpose?
    /// Only keys last used (or, never used, created) before this time: the stale keys.
    package var unusedSince: Date?
    /// Only keys made to live longer than this (from creation to expiry; no expiry is longer).
    package var lifetimeLongerThan: TimeInterval?
    package var sort: Sort
    package var order: UsersQuery.Order
    package var limit: Int
    package var cursor: String?

    package init(
        search: String? = nil,
        ownerID: UserID? = nil,
        status: APIKeyStatus? = nil,
        purpose: APIKeyPurpose? = nil,
        unusedSince: Date? = nil,
        lifetimeLongerThan: TimeInterval? = nil,
        sort: Sort = .created,
        order: UsersQuery.Order = .descending,
        limit: Int = 50,
        cursor: String? = nil
    ) {
        self.search = search
        self.ownerID = ownerID
        self.status = status
        self.purpose = purpose
        self.unusedSince = unusedSince
        self.lifetimeLongerThan = lifetimeLongerThan
        self.sort = sort
        self.order = order
        self.limit = limit
        self.cursor = cursor
    }
}

extension KeysQuery {
    /// The `status` filter value for the stale keys (`keys.stale_after`).
    package static let staleStatus = "stale"
    /// The `status` filter value for active keys made to live longer than `keys.max_lifetime`.
    package static let overMaxLifetimeStatus = "over_max_lifetime"

    /// The `status` filter as a listing's URL writes it: a key status, or a policy's view.
    package var statusParameter: String? {
        if unusedSince != nil { return Self.staleStatus }
        if lifetimeLongerThan != nil { return Self.overMaxLifetimeStatus }
        return status?.rawValue
    }
}

package struct KeysPage: Sendable, Hashable {
    package var keys: [OwnedKey]
    package var nextCursor: String?

    package init(keys: [OwnedKey], nextCursor: String?) {
        self.keys = keys
        self.nextCursor = nextCursor
    }
}
