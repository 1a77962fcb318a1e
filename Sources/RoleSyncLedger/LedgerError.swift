package import RoleSyncMapping

/// Why the ledger refused an operation. Every refusal of an edit is also in the audit log.
package enum LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    case userNotFound(String)
    /// The role belongs to the IdP: a role rule covers the user.
    case roleManagedByIdP(user: String, rule: String, mappingFile: String)
    /// No mapping for the user's issuer is loaded here (a command without the configuration): whether
    /// the IdP owns the role is unknown, so it is not edited blind.
    case mappingNotLoaded(user: String, issuer: String)
    /// Only a `super_admin` grants or revokes `super_admin`, or deactivates one.
    case escalation(user: String)
    /// The change would leave no active `super_admin`.
    case lastSuperAdmin(user: String)
    /// The principal's role may not manage users.
    case notPermitted(role: Role)
    /// Reactivating a user the IdP deactivated: the IdP lifts it.
    case deactivatedByIdP(user: String)
    /// Too many concurrent writers kept invalidating this operation.
    case contention
    /// A key cannot be created as asked: `field` says which input is wrong and how.
    case invalidKey(field: String, String)
    case keyNotFound(Int64)
    /// Revocation is permanent: a revoked key is never revoked again, nor un-revoked.
    case keyAlreadyRevoked(id: Int64, prefix: String)
    /// Only an active key that was not rolled yet can be rolled: the last words say why this one cannot.
    case keyNotRollable(id: Int64, prefix: String, String)
    /// The caller may not roll this key (another's `admin` key; a `super_admin`'s key when not one).
    case keyRollNotPermitted(String)
    /// The owner already has an active key of this name.
    case keyNameTaken(String)
    /// Keys are created only for active users.
    case keyOwnerInactive(user: String)
    /// An `admin` key needs an owner who holds `user_admin` or `super_admin`.
    case adminKeyNeedsAdminRole(user: String, role: Role)
    /// A reconciliation tripped its safety valve and applied nothing.
    case safetyValve(String)
    /// A break-glass override's input is wrong (an empty or too long reason): `field` says which.
    case invalidOverride(field: String, String)
    /// A break-glass override cannot be given now: its deadline is past or beyond the configured
    /// maximum, or the user already holds that role. `field` names the input.
    case overrideRefused(field: String, String)
    /// Only a `super_admin` gives or ends a break-glass override.
    case overrideNotPermitted(role: Role)
    /// The user's role is not the IdP's (no rule covers them): edit it by hand instead.
    case overrideNotNeeded(user: String)
    /// Overrides are given to active users only (a deactivation ends one).
    case userInactive(user: String)
    /// There is no override in force to end.
    case noOverride(user: String)
    /// The admin role holders changed since the review page was read: nothing was recorded.
    case reviewOutdated
    /// Some holders have no decision (how many).
    case reviewIncomplete(Int)
    case reviewNotFound(Int64)

    /// A stable code for JSON errors and logs.
    package var code: String {
        switch self {
        case .userNotFound: "user_not_found"
        case .roleManagedByIdP: "role_managed_by_idp"
        case .mappingNotLoaded: "mapping_not_loaded"
        case .escalation: "escalation"
        case .lastSuperAdmin: "last_super_admin"
        case .notPermitted: "not_permitted"
        case .deactivatedByIdP: "deactivated_by_idp"
        case .contention: "contention"
        case .invalidKey: "invalid_key"
        case .keyNotFound: "key_not_found"
        case .keyAlreadyRevoked: "key_already_revoked"
        case .keyNotRollable: "key_not_rollable"
        case .keyRollNotPermitted: "not_permitted"
        case .keyNameTaken: "key_name_taken"
        case .keyOwnerInactive: "key_owner_inactive"
        case .adminKeyNeedsAdminRole: "admin_key_needs_admin_role"
        case .safetyValve: "safety_valve"
        case .invalidOverride: "invalid_override"
        case .overrideRefused: "override_refused"
        case .overrideNotPermitted: "not_permitted"
        case .overrideNotNeeded: "override_not_needed"
        case .userInactive: "user_inactive"
        case .noOverride: "no_override"
        case .reviewOutdated: "review_outdated"
        case .reviewIncomplete: "review_incomplete"
        case .reviewNotFound: "review_not_found"
        }
    }

    package var description: String {
        switch self {
        case .userNotFound(let who):
            "no user \(who)"
        case .roleManagedByIdP(let user, let rule, let file):
            "the role of \(user) is managed by the IdP: rule '\(rule)' in \(file) covers them; "
                + "change the user's groups (or claims) in the IdP instead"
        case .mappingNotLoaded(let user, let issuer):
            "no mapping for \(user)'s issuer \(issuer) is loaded, so whether the IdP owns their role is unknown; "
                + "pass --config with the server's configuration (or --mappings with its mapping folder)"
        case .escalation(let user):
            "only a super_admin may grant or revoke super_admin or deactivate a super_admin (\(user))"
        case .lastSuperAdmin(let user):
            "\(user) is the last active super_admin; make another user super_admin first"
        case .notPermitted(let role):
            "the \(role) role may not manage users (user_admin or super_admin is needed)"
        case .deactivatedByIdP(let user):
            "\(user) was deactivated by the IdP; that lifts when the IdP shows them active again (their next sign-in or reconciliation)"
        case .contention:
            "the user kept changing concurrently; try again"
        case .invalidKey(let field, let reason):
            "\(field): \(reason)"
        case .keyNotFound(let id):
            "no key has id \(id)"
        case .keyAlreadyRevoked(let id, let prefix):
            "key \(id) (\(prefix)) is already revoked; there is no un-revoke: create a new key instead"
        case .keyNotRollable(let id, let prefix, let why):
            "key \(id) (\(prefix)) cannot be rolled: \(why)"
        case .keyRollNotPermitted(let why):
            why
        case .keyNameTaken(let name):
            "an active key is already named '\(name)'; choose another name or revoke that key first"
        case .keyOwnerInactive(let user):
            "\(user) is inactive; keys are created only for active users"
        case .adminKeyNeedsAdminRole(let user, let role):
            "an admin key needs an owner who holds user_admin or super_admin; \(user) is \(role)"
        case .safetyValve(let reason):
            reason
        case .invalidOverride(let field, let reason), .overrideRefused(let field, let reason):
            "\(field): \(reason)"
        case .overrideNotPermitted(let role):
            "only a super_admin may give or end a break-glass override (the \(role) role may not)"
        case .overrideNotNeeded(let user):
            "no mapping rule covers \(user): their role is not the IdP's, so edit it by hand instead of overriding it"
        case .userInactive(let user):
            "\(user) is inactive; an override is given to active users only"
        case .noOverride(let user):
            "\(user) has no override in force"
        case .reviewOutdated:
            "the admin role holders changed since this review was loaded (a role was granted, changed or revoked): "
                + "nothing was recorded; load the review again"
        case .reviewIncomplete(let count):
            "decide keep or revoke for every holder: \(count) \(count == 1 ? "has" : "have") no decision yet"
        case .reviewNotFound(let id):
            "no access review has id \(id)"
        }
    }
}
