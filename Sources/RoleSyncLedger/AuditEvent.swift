package import Foundation
package import RoleSyncJSON
import RoleSyncMapping

/// What an audit event records.
package enum AuditAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// First sign-in created the user.
    case userCreated = "user.created"
    /// Email, name or organisation unit changed.
    case profileUpdated = "user.profile_updated"
    /// The role changed: by the IdP (with mapping file and rule) or by hand.
    case roleChanged = "user.role_changed"
    /// A role change was held back: it would have left no active `super_admin`.
    case roleChangeHeld = "user.role_change_held"
    /// Active ↔ inactive, with the reason.
    case statusChanged = "user.status_changed"
    /// A deactivation was held back: it would have left no active `super_admin`.
    case statusChangeHeld = "user.status_change_held"
    /// The user's sessions were ended.
    case sessionsEnded = "user.sessions_ended"
    /// A manual edit was refused (IdP-managed role, escalation, last `super_admin`, …).
    case editRefused = "user.edit_refused"
    /// The mapping could not decide the role or status: it depends on unknown claims.
    case decisionUndetermined = "user.decision_undetermined"
    /// A sign-in was refused.
    case signInRefused = "signin.refused"
    /// A `super_admin` gave a covered user a break-glass role until a deadline (role, until, reason).
    case overrideGranted = "user.override_granted"
    /// A break-glass override ended: `expired`, `ended_early` or `deactivated`; the role it returns.
    case overrideEnded = "user.override_ended"
    /// A candidate mapping was made live (`rolesync mapping promote`): both files, the dry run's counts.
    case mappingPromoted = "mapping.promoted"
    /// An API key was created (actor, owner, key id, prefix, name, purpose, expiry).
    case keyCreated = "key.created"
    /// An API key was revoked (actor, owner, key id, prefix, name, cause, reason).
    case keyRevoked = "key.revoked"
    /// An API key was replaced by a new one with the same owner, name and purpose (actor, owner,
    /// both keys' ids and prefixes, when the old one now expires, the new one's expiry).
    case keyRolled = "key.rolled"
    /// A webhook endpoint was disabled: it answered 410 Gone or failed for longer than its
    /// `disable_after` (endpoint, reason, last status).
    case webhookDisabled = "webhook.disabled"
    /// An operator re-enabled a disabled webhook endpoint (endpoint, why it had been disabled).
    case webhookEnabled = "webhook.enabled"
    /// An operator sent an endpoint's messages again from a time on (endpoint, since).
    case webhookReplayed = "webhook.replayed"
    /// An operator asked for one more try of a failed webhook message (endpoint, event id).
    case webhookRetryRequested = "webhook.retry_requested"
    /// An access review was completed (reviewer, review id, holders, kept, revoked, digest).
    case reviewCompleted = "review.completed"
    /// An admin API token was created: written before tokens became API keys (ledger v7); kept so
    /// the log reads back.
    case tokenCreated = "token.created"
    /// An admin API token was revoked: written before tokens became API keys (ledger v7).
    case tokenRevoked = "token.revoked"
}

/// A key of an audit event's details. Events are written with these names only, so a typo is a
/// compile error; an event read back keeps whatever keys it was written with.
package struct AuditKey: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    init(_ rawValue: String) { self.rawValue = rawValue }
    package var description: String { rawValue }
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A stable code for why (`deactivated_by_idp`, `manual`, a refusal code).
    package static let reason = AuditKey("reason")
    /// The reason spelled out for people.
    package static let detail = AuditKey("detail")
    /// Where a sign-in was refused before the ledger's rules (`oidc`).
    package static let stage = AuditKey("stage")
    /// The value before.
    package static let from = AuditKey("from")
    /// The value after.
    package static let to = AuditKey("to")
    /// Who set the new value (`idp`, `manual`) or what deactivated (`mapping`, `directory`, `scim`).
    package static let source = AuditKey("source")
    /// Who had set the value before.
    package static let previousSource = AuditKey("previous_source")
    /// Why the user was inactive before.
    package static let previousReason = AuditKey("previous_reason")
    /// The mapping file that decided, named relative to the mappings location.
    package static let mapping = AuditKey("mapping")
    /// The rule that decided.
    package static let rule = AuditKey("rule")
    /// The path a change came by: `reevaluation`, `directory` or `scim`.
    package static let via = AuditKey("via")
    /// The mapping check that failed (`require` or `deactivate`).
    package static let check = AuditKey("check")
    /// Why the directory deactivates: `absent_from_directory`, `inactive_in_directory`, `deleted_in_directory`.
    package static let because = AuditKey("because")
    /// Why a change was held back (`last_active_super_admin`).
    package static let heldBecause = AuditKey("held_because")
    /// The names of the claims that changed.
    package static let claims = AuditKey("claims")
    /// The claims the decision depends on that the IdP did not send.
    package static let unknownClaims = AuditKey("unknown_claims")
    /// The role a user keeps while the decision is undetermined.
    package static let roleKept = AuditKey("role_kept")
    /// The role a new user starts with.
    package static let role = AuditKey("role")
    /// Who set a new user's role.
    package static let roleSource = AuditKey("role_source")
    /// The email (a new user's, or its change).
    package static let email = AuditKey("email")
    /// The name (a token's, a new user's, or its change).
    package static let name = AuditKey("name")
    /// The organisation unit (a new user's, or its change).
    package static let organizationUnit = AuditKey("organization_unit")
    /// The field a refused edit tried to change.
    package static let field = AuditKey("field")
    /// A token's display prefix.
    package static let prefix = AuditKey("prefix")
    /// When a token expires.
    package static let expiresAt = AuditKey("expires_at")
    /// How many sessions a deactivation ended.
    package static let sessions = AuditKey("sessions")
    /// How many API keys a deactivation revoked.
    package static let apiKeysRevoked = AuditKey("api_keys_revoked")
    /// An API key's id.
    package static let keyID = AuditKey("key_id")
    /// What an API key is for (`gateway`, `admin`).
    package static let purpose = AuditKey("purpose")
    /// Why an API key was revoked: `owner`, `admin`, `offboarding` or `deactivation`.
    package static let cause = AuditKey("cause")
    /// A rolled key's replacement: its id and display prefix.
    package static let newKeyID = AuditKey("new_key_id")
    package static let newPrefix = AuditKey("new_prefix")
    /// When a key revoked by the stale-key policy was last used (null: never).
    package static let lastUsedAt = AuditKey("last_used_at")
    /// When a rolled key now expires.
    package static let oldExpiresAt = AuditKey("old_expires_at")
    /// When a rolled key's replacement expires (null: until revoked).
    package static let newExpiresAt = AuditKey("new_expires_at")
    /// When a break-glass override ends.
    package static let until = AuditKey("until")
    /// The live mapping file a promotion replaced, and the candidate it came from.
    package static let live = AuditKey("live")
    package static let candidate = AuditKey("candidate")
    /// A dry run's counts by kind of change.
    package static let changes = AuditKey("changes")
    /// A webhook endpoint's name.
    package static let endpoint = AuditKey("endpoint")
    /// The audit event a webhook message carries.
    package static let eventID = AuditKey("event_id")
    /// From when a replay sends messages again.
    package static let since = AuditKey("since")
    /// An HTTP status answered.
    package static let status = AuditKey("status")
    /// A completed access review's id.
    package static let reviewID = AuditKey("review_id")
    /// An access review's counts: the admin holders, and those kept and to be revoked.
    package static let holders = AuditKey("holders")
    package static let kept = AuditKey("kept")
    package static let revoked = AuditKey("revoked")
    /// The SHA-256 of an access review's rows (`sha256:…`).
    package static let digest = AuditKey("digest")
}

/// One append-only entry of the audit log.
package struct AuditEvent: Sendable, Hashable {
    /// Assigned by the store; `nil` before it is written.
    package var id: Int64?
    package var time: Date
    package var actor: Actor
    package var action: AuditAction
    /// The user the event is about, when there is one (a refused first sign-in has none).
    package var userID: UserID?
    /// The identity the event is about, for events with no user record.
    package var issuer: String?
    package var subject: String?
    /// What changed and why: old and new values, mapping file and rule, reason codes.
    package var details: [AuditKey: ClaimValue]

    package init(
        id: Int64? = nil,
        time: Date,
        actor: Actor,
        action: AuditAction,
        userID: UserID? = nil,
        issuer: String? = nil,
        subject: String? = nil,
        details: [AuditKey: ClaimValue] = [:]
    ) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.userID = userID
        self.issuer = issuer
        self.subject = subject
        self.details = details
    }

    /// The details with their keys as text, as JSON shows them.
    package var detailsObject: [String: ClaimValue] {
        Dictionary(uniqueKeysWithValues: details.map { ($0.key.rawValue, $0.value) })
    }
}
