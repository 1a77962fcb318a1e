package import Foundation
import RoleSyncJSON
package import RoleSyncMapping

/// How long a break-glass override may last, from the configuration's `override.max_duration`.
package struct OverridePolicy: Sendable, Hashable {
    /// The longest override a `super_admin` may give (default 8 hours).
    package var maxDuration: TimeInterval
    /// The longest reason kept.
    package static let maxReasonLength = 500

    package init(maxDuration: TimeInterval = 8 * 3600) {
        self.maxDuration = maxDuration
    }
}

/// When an override ends, as asked for: at a time, or after a while.
package enum OverrideDeadline: Sendable, Hashable {
    case until(Date)
    case duration(TimeInterval)

    /// The input's name, for errors (`until` or `for`).
    var field: String {
        switch self {
        case .until: "until"
        case .duration: "for"
        }
    }
}

/// The rules that end an override, shared by every path that ends one: its deadline (at a
/// sign-in or on the clock), an admin ending it early, and a deactivation.
enum OverrideRules {
    /// The role that returns when `user`'s override ends: the mapped one when the mapping covers
    /// them and decides, else the role they held before the override began.
    static func returningRole(_ user: User, decision: Decision?) -> (role: Role, source: RoleSource, rule: String?, file: String?) {
        if let d = decision, d.isCovered, d.isRoleDetermined, let role = d.role {
            return (role, .idp, d.ruleID, d.mappingFile)
        }
        return (user.override?.previousRole ?? user.role, user.roleSource, nil, nil)
    }

    /// Ends `user`'s override in place and returns its `user.override_ended` event; `nil` when the
    /// user has none. The last active `super_admin` keeps the role (the event says so) unless
    /// `deactivating`, where the deactivation's own guard decides.
    /// - Parameters:
    ///   - reason: `expired`, `ended_early` or `deactivated`.
    ///   - activeSuperAdmins: active `super_admin`s now (read by the caller when the user is one).
    static func end(
        _ user: inout User,
        decision: Decision?,
        reason: String,
        actor: Actor,
        time: Date,
        activeSuperAdmins: Int = .max,
        deactivating: Bool = false,
        detail: String? = nil
    ) -> AuditEvent? {
        guard let override = user.override else { return nil }
        let returning = returningRole(user, decision: decision)
        var details: [AuditKey: ClaimValue] = [
            .reason: .string(reason), .from: .string(user.role.rawValue), .until: .string(timestamp(override.until)),
            .rule: returning.rule.map(ClaimValue.string) ?? .null, .mapping: returning.file.map(ClaimValue.string) ?? .null,
        ]
        if let detail { details[.detail] = .string(detail) }
        if !deactivating, user.isActiveSuperAdmin, returning.role != .superAdmin, activeSuperAdmins <= 1 {
            details[.to] = .string(user.role.rawValue)
            details[.heldBecause] = "last_active_super_admin"
        } else {
            details[.to] = .string(returning.role.rawValue)
            user.role = returning.role
            user.roleSource = returning.source
        }
        user.override = nil
        return AuditEvent(time: time, actor: actor, action: .overrideEnded, userID: user.id, details: details)
    }

    /// `2026-11-30T12:00:00Z`: how events and pages write a deadline.
    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle().format(date)
    }
}

extension SyncService {
    /// Gives a covered user a break-glass role until a deadline (SPEC §3's exception, audited):
    /// sign-ins, reconciliation and pushes keep it until then; at the deadline the mapped role
    /// returns. Giving one to a user who has one replaces it (the role held before the first stays
    /// what returns).
    ///
    /// - Parameters:
    ///   - role: the role to hold meanwhile.
    ///   - userID: whose role.
    ///   - deadline: when it ends; at most ``OverridePolicy/maxDuration`` from now.
    ///   - reason: why (required).
    ///   - principal: who asks: a `super_admin` only; granting or taking away `super_admin` follows
    ///     the manual edit's rules (the last active `super_admin` stays one).
    /// - Returns: the user with the override.
    /// - Throws: ``LedgerError`` (audited as `user.edit_refused`).
    @discardableResult
    package func grantOverride(
        _ role: Role,
        of userID: UserID,
        until deadline: OverrideDeadline,
        reason: String,
        by principal: Principal
    ) async throws -> User {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await edit(userID, by: principal, field: "override", to: role.rawValue, from: { $0.role.rawValue }) { user, time in
            if let refusal = try await overrideRefusal(role, for: user, deadline: deadline, reason: reason, by: principal, time: time) {
                return .refused(refusal)
            }
            let until: Date
            switch deadline {
            case .until(let date): until = date
            case .duration(let seconds): until = time.addingTimeInterval(seconds)
            }
            var updated = user
            updated.role = role
            updated.override = RoleOverride(
                role: role,
                until: until,
                reason: reason,
                grantedBy: principal.actor,
                grantedAt: time,
                previousRole: user.override?.previousRole ?? user.role
            )
            var details: [AuditKey: ClaimValue] = [
                .from: .string(user.role.rawValue), .to: .string(role.rawValue), .until: .string(OverrideRules.timestamp(until)),
                .detail: .string(reason),
            ]
            if let previous = user.override { details[.previousReason] = .string(previous.reason) }
            let event = AuditEvent(time: time, actor: principal.actor, action: .overrideGranted, userID: user.id, details: details)
            return .change(updated, events: [event], revoking: [])
        }
    }

    private func overrideRefusal(
        _ role: Role,
        for user: User,
        deadline: OverrideDeadline,
        reason: String,
        by principal: Principal,
        time: Date
    ) async throws -> LedgerError? {
        guard principal.role == .superAdmin else { return .overrideNotPermitted(role: principal.role) }
        if reason.isEmpty { return .invalidOverride(field: "reason", "a reason is required: say why the IdP's role must wait") }
        if reason.count > OverridePolicy.maxReasonLength {
            return .invalidOverride(field: "reason", "at most \(OverridePolicy.maxReasonLength) characters (\(reason.count) given)")
        }
        let seconds: TimeInterval
        switch deadline {
        case .until(let date): seconds = date.timeIntervalSince(time)
        case .duration(let duration): seconds = duration
        }
        guard seconds > 0 else {
            return .overrideRefused(field: deadline.field, "the override must end in the future")
        }
        // A second's slack: an `until` computed by the caller a moment ago from the maximum.
        guard seconds <= overridePolicy.maxDuration + 1 else {
            return .overrideRefused(
                field: deadline.field,
                "at most \(Self.duration(overridePolicy.maxDuration)) (override.max_duration); \(Self.duration(seconds)) asked"
            )
        }
        guard user.status == .active else { return .userInactive(user: user.displayName) }
        guard eligibility(of: user).isCovered else { return .overrideNotNeeded(user: user.displayName) }
        if role == user.role, user.override(at: time) == nil {
            return .overrideRefused(field: "role", "\(user.displayName) already holds \(role.rawValue); an override gives another role")
        }
        if user.isActiveSuperAdmin, role != .superAdmin, try await store.activeSuperAdminCount() <= 1 {
            return .lastSuperAdmin(user: user.displayName)
        }
        return nil
    }

    /// Ends a user's override before its deadline: the mapped role returns now.
    /// - Parameter reason: why, if the admin said (kept in the event).
    /// - Throws: ``LedgerError/noOverride(user:)`` when none is in force, ``LedgerError/lastSuperAdmin(user:)``
    ///   when the role that returns would leave no active `super_admin`.
    @discardableResult
    package func endOverride(of userID: UserID, reason: String?, by principal: Principal) async throws -> User {
        try await edit(userID, by: principal, field: "override", to: "ended", from: { $0.role.rawValue }) { user, time in
            guard principal.role == .superAdmin else { return .refused(.overrideNotPermitted(role: principal.role)) }
            guard user.override != nil else { return .refused(.noOverride(user: user.displayName)) }
            let decision = mappings.current.mapping(forIssuer: user.issuer)?.evaluate(user.lastClaims, tracing: false)
            if user.isActiveSuperAdmin, OverrideRules.returningRole(user, decision: decision).role != .superAdmin,
                try await store.activeSuperAdminCount() <= 1
            {
                return .refused(.lastSuperAdmin(user: user.displayName))
            }
            var updated = user
            let detail = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            guard
                let event = OverrideRules.end(
                    &updated,
                    decision: decision,
                    reason: "ended_early",
                    actor: principal.actor,
                    time: time,
                    detail: detail?.isEmpty == false ? detail : nil
                )
            else { return .unchanged }
            return .change(updated, events: [event], revoking: [])
        }
    }

    /// Ends every override whose deadline has passed, without waiting for a sign-in (actor
    /// `system`): what `serve` runs on the clock.
    /// - Returns: the users whose override ended, and when the next one ends (if any is left).
    package func endExpiredOverrides() async throws -> (ended: [User], next: Date?) {
        var ended: [User] = []
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            let time = now()
            let pending = try await store.overriddenUsers(limit: 100)
            let due = pending.filter { $0.override.map { $0.until <= time } ?? false }
            guard !due.isEmpty else { return (ended, pending.first?.override?.until) }
            var conflicted = false
            for user in due {
                let decision = mappings.current.mapping(forIssuer: user.issuer)?.evaluate(user.lastClaims, tracing: false)
                var updated = user
                let superAdmins = user.isActiveSuperAdmin ? try await store.activeSuperAdminCount() : .max
                guard
                    let event = OverrideRules.end(
                        &updated,
                        decision: decision,
                        reason: "expired",
                        actor: .system,
                        time: time,
                        activeSuperAdmins: superAdmins
                    )
                else { continue }
                updated.version = user.version + 1
                do {
                    try await store.apply(
                        LedgerChanges(
                            users: [.init(write: .update(updated, expectedVersion: user.version), audit: [event])],
                            requiresActiveSuperAdmin: user.isActiveSuperAdmin && !updated.isActiveSuperAdmin
                        )
                    )
                    ended.append(updated)
                    logger.notice(
                        "break-glass override expired",
                        metadata: ["user_id": "\(user.id)", "from": "\(user.role.rawValue)", "to": "\(updated.role.rawValue)"]
                    )
                } catch LedgerStoreError.conflict {
                    conflicted = true
                }
            }
            if !conflicted, due.count < 100 {
                let next = try await store.overriddenUsers(limit: 1).first?.override?.until
                return (ended, next)
            }
        }
        throw LedgerError.contention
    }

    /// `8h`, `90m`, `45s`: how refusals write a duration. A requested one may be any JSON number
    /// or a `for` of many digits: past a century it is said so, never converted to an `Int` (which
    /// trapped on `"886213629703717429204.3m"`, found by schemathesis).
    static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds.magnitude < 100 * 365 * 86_400 else { return "more than 100 years" }
        let s = Int(seconds.rounded())
        if s % 3600 == 0 { return "\(s / 3600)h" }
        if s % 60 == 0 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
