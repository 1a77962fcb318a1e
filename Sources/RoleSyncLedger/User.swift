package import Foundation
package import RoleSyncMapping

/// A ledger user's id: assigned by the store at first sign-in.
package struct UserID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    package var rawValue: Int64
    package init(rawValue: Int64) { self.rawValue = rawValue }
    package init(_ rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { String(rawValue) }
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

package enum UserStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active
    case inactive
}

/// Why a user is inactive.
package enum DeactivationReason: String, Sendable, Hashable, Codable {
    /// The IdP said so (a `deactivate` rule, the directory, a SCIM push); lifted when it says otherwise.
    case idp
    /// An admin did; holds until an admin reactivates.
    case manual
}

/// What deactivated a user whose reason is ``DeactivationReason/idp``.
package enum DeactivationSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// A `deactivate` rule of the mapping; re-evaluating the stored claims can lift it.
    case mapping
    /// Reconciliation against the IdP's directory (absent, or `active: false`).
    case directory
    /// A SCIM push (`active: false`, or a DELETE).
    case scim
}

/// Who set the user's current role.
package enum RoleSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// A role rule of the mapping: the IdP owns it.
    case idp
    /// An admin edited it.
    case manual
    /// The starting role of a user no rule covered at first sign-in.
    case `default`
}

/// One person known to the platform, identified by `(issuer, subject)`, never by email.
package struct User: Sendable, Hashable, Identifiable {
    package var id: UserID
    package var issuer: String
    package var subject: String
    package var email: String?
    package var name: String?
    package var organizationUnit: String?
    package var role: Role
    package var roleSource: RoleSource
    package var status: UserStatus
    package var deactivationReason: DeactivationReason?
    /// What deactivated the user when the reason is `idp`. Only a mapping deactivation can be
    /// lifted by re-evaluating stored claims.
    package var deactivationSource: DeactivationSource?
    package var registeredAt: Date
    package var lastSignInAt: Date?
    package var signInCount: Int
    /// The claims of the last sign-in, for re-evaluation and dry runs.
    package var lastClaims: Claims
    /// Bumped by every write; a write naming an older version is a conflict.
    package var version: Int
    /// A time-boxed break-glass role that holds over the mapped one until ``RoleOverride/until``.
    package var override: RoleOverride?

    package init(
        id: UserID,
        issuer: String,
        subject: String,
        email: String?,
        name: String?,
        organizationUnit: String?,
        role: Role,
        roleSource: RoleSource,
        status: UserStatus,
        deactivationReason: DeactivationReason?,
        deactivationSource: DeactivationSource? = nil,
        registeredAt: Date,
        lastSignInAt: Date?,
        signInCount: Int,
        lastClaims: Claims,
        version: Int,
        override: RoleOverride? = nil
    ) {
        self.id = id
        self.issuer = issuer
        self.subject = subject
        self.email = email
        self.name = name
        self.organizationUnit = organizationUnit
        self.role = role
        self.roleSource = roleSource
        self.status = status
        self.deactivationReason = deactivationReason
        self.deactivationSource = deactivationSource
        self.registeredAt = registeredAt
        self.lastSignInAt = lastSignInAt
        self.signInCount = signInCount
        self.lastClaims = lastClaims
        self.version = version
        self.override = override
    }

    /// Whether the user is an active `super_admin` (the guard counts these).
    package var isActiveSuperAdmin: Bool { role == .superAdmin && status == .active }

    /// The override in force at `time`: one whose deadline has passed no longer holds, even before
    /// the expiry has been written.
    package func override(at time: Date) -> RoleOverride? {
        guard let override, override.until > time else { return nil }
        return override
    }

    /// `email`, else `name`, else `issuer#subject`: how messages name the user.
    package var displayName: String { email ?? name ?? "\(issuer)#\(subject)" }
}

/// A break-glass role given to a covered user for a bounded time (SPEC §3 leaves the IdP owning the
/// role; this is the audited exception). While it lasts, sign-ins, reconciliation and pushes keep
/// ``role``; at ``until`` the mapped role returns without waiting for a sign-in.
package struct RoleOverride: Sendable, Hashable {
    /// The role the user holds while the override lasts.
    package var role: Role
    /// When it ends.
    package var until: Date
    /// Why (required; shown in the audit log and on the user's page).
    package var reason: String
    /// Who gave it.
    package var grantedBy: Actor
    package var grantedAt: Date
    /// The role the user held when the first override began: what returns when the mapping no
    /// longer decides one at the end.
    package var previousRole: Role

    package init(role: Role, until: Date, reason: String, grantedBy: Actor, grantedAt: Date, previousRole: Role) {
        self.role = role
        self.until = until
        self.reason = reason
        self.grantedBy = grantedBy
        self.grantedAt = grantedAt
        self.previousRole = previousRole
    }
}
