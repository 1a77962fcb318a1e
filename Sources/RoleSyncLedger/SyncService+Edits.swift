import Foundation
public import RoleSyncMapping

/// Manual edits: role and status, by an admin or the command line. Every refusal is audited
/// (`user.edit_refused`) before it is thrown.
extension SyncService {
    /// Sets an uncovered user's role by hand.
    ///
    /// - Parameters:
    ///   - role: the new role.
    ///   - userID: whose role.
    ///   - principal: who asks; needs `user_admin` or `super_admin`, and `super_admin` to grant or
    ///     revoke `super_admin`.
    /// - Returns: the user after the edit (unchanged when they already had the role).
    /// - Throws: ``LedgerError`` when the role is IdP-managed, the edit escalates, it would demote the
    ///   last active `super_admin`, or the principal may not manage users.
    @discardableResult
    public func setRole(_ role: Role, of userID: UserID, by principal: Principal) async throws -> User {
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            guard let user = try await store.user(id: userID) else { throw LedgerError.userNotFound("\(userID)") }
            let time = now()
            let attempt: [String: ClaimValue] = ["from": .string(user.role.rawValue), "to": .string(role.rawValue)]
            if let refusal = try await roleRefusal(role, for: user, by: principal) {
                try await refuse(refusal, user: user, principal: principal, time: time, details: attempt.merging(["field": "role"]) { $1 })
                throw refusal
            }
            if user.role == role { return user }
            var updated = user
            updated.role = role
            updated.roleSource = .manual
            updated.version = user.version + 1
            let event = AuditEvent(
                time: time,
                actor: principal.actor,
                action: .roleChanged,
                userID: user.id,
                details: attempt.merging(["source": "manual", "previous_source": .string(user.roleSource.rawValue)]) { $1 }
            )
            do {
                try await store.apply(
                    LedgerChanges(
                        users: [.init(write: .update(updated, expectedVersion: user.version), audit: [event])],
                        requiresActiveSuperAdmin: user.isActiveSuperAdmin
                    )
                )
                logger.info("role set by hand", metadata: ["user_id": "\(user.id)", "role": "\(role.rawValue)", "actor": "\(principal.actor)"])
                return updated
            } catch LedgerStoreError.conflict {
                continue
            }
        }
        throw LedgerError.contention
    }

    private func roleRefusal(_ role: Role, for user: User, by principal: Principal) async throws -> LedgerError? {
        guard principal.canManageUsers else { return .notPermitted(role: principal.role) }
        let eligibility = eligibility(of: user)
        if eligibility.isCovered {
            return .roleManagedByIdP(user: user.displayName, rule: eligibility.ruleID ?? "?", mappingFile: eligibility.mappingFile ?? "?")
        }
        if role != user.role, role == .superAdmin || user.role == .superAdmin, principal.role != .superAdmin {
            return .escalation(user: user.displayName)
        }
        if user.isActiveSuperAdmin, role != .superAdmin, try await store.activeSuperAdminCount() <= 1 {
            return .lastSuperAdmin(user: user.displayName)
        }
        return nil
    }

    /// Deactivates a user by hand (reason `manual`: it holds until an admin reactivates, whatever the
    /// IdP says) or reactivates a manually deactivated one.
    ///
    /// Deactivation ends the user's sessions first; the audit log shows `user.sessions_ended` before
    /// `user.status_changed`.
    /// - Throws: ``LedgerError`` for the last active `super_admin`, deactivating a `super_admin`
    ///   without being one, reactivating a user the IdP deactivated, or missing permission.
    @discardableResult
    public func setStatus(_ status: UserStatus, of userID: UserID, by principal: Principal) async throws -> User {
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            guard let user = try await store.user(id: userID) else { throw LedgerError.userNotFound("\(userID)") }
            let time = now()
            let attempt: [String: ClaimValue] = [
                "field": "status", "from": .string(user.status.rawValue), "to": .string(status.rawValue),
            ]
            if let refusal = try await statusRefusal(status, for: user, by: principal) {
                try await refuse(refusal, user: user, principal: principal, time: time, details: attempt)
                throw refusal
            }
            var updated = user
            var events: [AuditEvent] = []
            switch status {
            case .inactive:
                // Already manually inactive: nothing to do. Inactive by the IdP: make it manual, so it
                // holds even when the IdP lifts its own.
                if user.status == .inactive, user.deactivationReason == .manual { return user }
                updated.status = .inactive
                updated.deactivationReason = .manual
                updated.deactivationSource = nil
                events.append(
                    AuditEvent(
                        time: time,
                        actor: principal.actor,
                        action: .sessionsEnded,
                        userID: user.id,
                        details: ["reason": "deactivated_by_admin"]
                    )
                )
                events.append(
                    AuditEvent(
                        time: time,
                        actor: principal.actor,
                        action: .statusChanged,
                        userID: user.id,
                        details: [
                            "from": .string(user.status.rawValue), "to": "inactive", "reason": "manual",
                            "previous_reason": user.deactivationReason.map { .string($0.rawValue) } ?? .null,
                        ]
                    )
                )
            case .active:
                if user.status == .active { return user }
                updated.status = .active
                updated.deactivationReason = nil
                events.append(
                    AuditEvent(
                        time: time,
                        actor: principal.actor,
                        action: .statusChanged,
                        userID: user.id,
                        details: ["from": "inactive", "to": "active", "reason": "manual"]
                    )
                )
            }
            updated.version = user.version + 1
            do {
                try await store.apply(
                    LedgerChanges(
                        users: [
                            .init(write: .update(updated, expectedVersion: user.version), endSessions: status == .inactive, audit: events)
                        ],
                        requiresActiveSuperAdmin: user.isActiveSuperAdmin && status == .inactive
                    )
                )
                logger.info("status set by hand", metadata: ["user_id": "\(user.id)", "status": "\(status.rawValue)", "actor": "\(principal.actor)"])
                return updated
            } catch LedgerStoreError.conflict {
                continue
            }
        }
        throw LedgerError.contention
    }

    private func statusRefusal(_ status: UserStatus, for user: User, by principal: Principal) async throws -> LedgerError? {
        guard principal.canManageUsers else { return .notPermitted(role: principal.role) }
        switch status {
        case .inactive:
            guard user.status == .active else { return nil }
            if user.role == .superAdmin, principal.role != .superAdmin { return .escalation(user: user.displayName) }
            if user.isActiveSuperAdmin, try await store.activeSuperAdminCount() <= 1 { return .lastSuperAdmin(user: user.displayName) }
        case .active:
            if user.status == .inactive, user.deactivationReason == .idp { return .deactivatedByIdP(user: user.displayName) }
        }
        return nil
    }

    private func refuse(_ refusal: LedgerError, user: User, principal: Principal, time: Date, details: [String: ClaimValue]) async throws {
        var details = details
        details["reason"] = .string(refusal.code)
        details["detail"] = .string(refusal.description)
        let event = AuditEvent(time: time, actor: principal.actor, action: .editRefused, userID: user.id, details: details)
        try await store.apply(LedgerChanges(users: [.init(write: .none(user.id), audit: [event])]))
        logger.notice("edit refused", metadata: ["user_id": "\(user.id)", "reason": "\(refusal.code)", "actor": "\(principal.actor)"])
    }
}
