public import Foundation
public import RoleSyncMapping

/// What an audit event records.
public enum AuditAction: String, Sendable, Hashable, Codable, CaseIterable {
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
    case tokenCreated = "token.created"
    case tokenRevoked = "token.revoked"
}

/// One append-only entry of the audit log.
public struct AuditEvent: Sendable, Hashable {
    /// Assigned by the store; `nil` before it is written.
    public var id: Int64?
    public var time: Date
    public var actor: Actor
    public var action: AuditAction
    /// The user the event is about, when there is one (a refused first sign-in has none).
    public var userID: UserID?
    /// The identity the event is about, for events with no user record.
    public var issuer: String?
    public var subject: String?
    /// What changed and why: old and new values, mapping file and rule, reason codes.
    public var details: [String: ClaimValue]

    public init(
        id: Int64? = nil,
        time: Date,
        actor: Actor,
        action: AuditAction,
        userID: UserID? = nil,
        issuer: String? = nil,
        subject: String? = nil,
        details: [String: ClaimValue] = [:]
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

    /// The details as compact JSON, keys sorted.
    public var detailsJSON: String { ClaimValue.object(details).jsonText }
}
