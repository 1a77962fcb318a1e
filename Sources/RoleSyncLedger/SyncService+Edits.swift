import Foundation
import RoleSyncJSON
package import RoleSyncMapping

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
    package func setRole(_ role: Role, of userID: UserID, by principal: Principal) async throws -> User {
        try await update(userID, role: role, status: nil, by: principal)
    }

    /// Sets a user's role, status or both in one transaction: either every requested change is made
    /// or none is (the first refusal is audited and thrown).
    /// - Parameters:
    ///   - userID: whose role and status.
    ///   - role: the new role, or `nil` to leave it.
    ///   - status: the new status, or `nil` to leave it.
    ///   - principal: who asks.
    /// - Returns: the user after the edit.
    /// - Throws: ``LedgerError``, as ``setRole(_:of:by:)`` and ``setStatus(_:of:by:)``.
    @discardableResult
    package func update(_ userID: UserID, role: Role?, status: UserStatus?, by principal: Principal) async throws -> User {
        let field = [role.map { _ in "role" }, status.map { _ in "status" }].compactMap { $0 }.joined(separator: "+")
        let target = [role?.rawValue, status?.rawValue].compactMap { $0 }.joined(separator: "+")
        return try await edit(
            userID,
            by: principal,
            field: field,
            to: target,
            from: { user in
                [role.map { _ in user.role.rawValue }, status.map { _ in user.status.rawValue }].compactMap { $0 }
                    .joined(separator: "+")
            }
        ) { user, time in
            var current = user
            var events: [AuditEvent] = []
            var revoking: [CredentialRevocation] = []
            if let role {
                switch try await rolePlan(role, for: current, by: principal, time: time) {
                case .refused(let refusal): return .refused(refusal)
                case .unchanged: break
                case .change(let updated, let more, let revocations):
                    current = updated
                    events += more
                    revoking += revocations
                }
            }
            if let status {
                switch try await statusPlan(status, for: current, by: principal, time: time) {
                case .refused(let refusal): return .refused(refusal)
                case .unchanged: break
                case .change(let updated, let more, let revocations):
                    current = updated
                    // Credentials are taken away before anything else is recorded.
                    events = revocations.isEmpty ? events + more : more + events
                    revoking += revocations
                }
            }
            return events.isEmpty ? .unchanged : .change(current, events: events, revoking: revoking)
        }
    }

    private func rolePlan(_ role: Role, for user: User, by principal: Principal, time: Date) async throws -> EditPlan {
        if let refusal = try await roleRefusal(role, for: user, by: principal) { return .refused(refusal) }
        if user.role == role { return .unchanged }
        var updated = user
        updated.role = role
        updated.roleSource = .manual
        let event = AuditEvent(
            time: time,
            actor: principal.actor,
            action: .roleChanged,
            userID: user.id,
            details: [
                .from: .string(user.role.rawValue), .to: .string(role.rawValue), .source: "manual",
                .previousSource: .string(user.roleSource.rawValue),
            ]
        )
        return .change(updated, events: [event], revoking: [])
    }

    private func roleRefusal(_ role: Role, for user: User, by principal: Principal) async throws -> LedgerError? {
        guard principal.canManageUsers else { return .notPermitted(role: principal.role) }
        let eligibility = eligibility(of: user)
        if eligibility.isCovered {
            return .roleManagedByIdP(user: user.displayName, rule: eligibility.ruleID ?? "?", mappingFile: eligibility.mappingFile ?? "?")
        }
        if let issuer = eligibility.unloadedIssuer { return .mappingNotLoaded(user: user.displayName, issuer: issuer) }
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
    /// Deactivation revokes the user's API keys and ends their sessions first; the audit log shows a
    /// `key.revoked` per key, then `user.sessions_ended`, then `user.status_changed`.
    /// - Throws: ``LedgerError`` for the last active `super_admin`, deactivating a `super_admin`
    ///   without being one, reactivating a user the IdP deactivated, or missing permission.
    @discardableResult
    package func setStatus(_ status: UserStatus, of userID: UserID, by principal: Principal) async throws -> User {
        try await update(userID, role: nil, status: status, by: principal)
    }

    private func statusPlan(
        _ status: UserStatus,
        for user: User,
        by principal: Principal,
        time: Date
    ) async throws
        -> EditPlan
    {
        if let refusal = try await statusRefusal(status, for: user, by: principal) { return .refused(refusal) }
        var updated = user
        switch status {
        case .inactive:
            return manualDeactivationPlan(for: user, by: principal, time: time, offboarding: nil)
        case .active:
            if user.status == .active { return .unchanged }
            updated.status = .active
            updated.deactivationReason = nil
            let event = AuditEvent(
                time: time,
                actor: principal.actor,
                action: .statusChanged,
                userID: user.id,
                details: [.from: "inactive", .to: "active", .reason: "manual"]
            )
            return .change(updated, events: [event], revoking: [])
        }
    }

    /// A manual deactivation of a user the principal may deactivate: keys revoked, sessions ended,
    /// then inactive with reason `manual`. An offboarding (its reason given) says so on every event
    /// and revokes with cause `offboarding`.
    ///
    /// Already manually inactive: nothing to do. Inactive by the IdP: made manual, so it holds even
    /// when the IdP lifts its own.
    func manualDeactivationPlan(for user: User, by principal: Principal, time: Date, offboarding reason: String?) -> EditPlan {
        if user.status == .inactive, user.deactivationReason == .manual { return .unchanged }
        var updated = user
        updated.status = .inactive
        updated.deactivationReason = .manual
        updated.deactivationSource = nil
        var ended: [AuditKey: ClaimValue] = [.reason: "deactivated_by_admin"]
        var changed: [AuditKey: ClaimValue] = [
            .from: .string(user.status.rawValue), .to: "inactive", .reason: "manual",
            .previousReason: user.deactivationReason.map { .string($0.rawValue) } ?? .null,
        ]
        if let reason {
            ended = [.reason: "offboarded", .detail: .string(reason)]
            changed[.via] = "offboarding"
            changed[.detail] = .string(reason)
        }
        var events = [
            AuditEvent(time: time, actor: principal.actor, action: .sessionsEnded, userID: user.id, details: ended),
            AuditEvent(time: time, actor: principal.actor, action: .statusChanged, userID: user.id, details: changed),
        ]
        // An override never outlives a deactivation.
        if user.override != nil,
            let overrideEnded = OverrideRules.end(
                &updated,
                decision: mappings.current.mapping(forIssuer: user.issuer)?.evaluate(user.lastClaims, tracing: false),
                reason: "deactivated",
                actor: principal.actor,
                time: time,
                deactivating: true
            )
        {
            events.append(overrideEnded)
        }
        let keys = KeyRevocation(
            time: time,
            actor: principal.actor,
            cause: reason == nil ? .deactivation : .offboarding,
            reason: reason ?? "deactivated by an admin"
        )
        return .change(updated, events: events, revoking: .everything(keys))
    }

    func statusRefusal(_ status: UserStatus, for user: User, by principal: Principal) async throws -> LedgerError? {
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

    /// What a manual edit decided for the user as it read them.
    enum EditPlan {
        case refused(LedgerError)
        case unchanged
        case change(User, events: [AuditEvent], revoking: [CredentialRevocation])
    }

    /// Reads the user, asks `plan` what to do, and writes it at the version read (sessions first when
    /// the plan takes credentials away); a concurrent write makes it read and decide again. A refusal
    /// is audited and thrown.
    func edit(
        _ userID: UserID,
        by principal: Principal,
        field: String,
        to newValue: String,
        from oldValue: (User) -> String,
        _ plan: (User, Date) async throws -> EditPlan
    ) async throws -> User {
        for attempt in 0..<Self.attempts {
            if attempt > 0 { await Self.backOff(attempt) }
            guard let user = try await store.user(id: userID) else { throw LedgerError.userNotFound("\(userID)") }
            let time = now()
            switch try await plan(user, time) {
            case .refused(let refusal):
                try await refuse(
                    refusal,
                    user: user,
                    principal: principal,
                    time: time,
                    details: [.field: .string(field), .from: .string(oldValue(user)), .to: .string(newValue)]
                )
                throw refusal
            case .unchanged:
                return user
            case .change(var updated, let events, let revoking):
                updated.version = user.version + 1
                do {
                    try await store.apply(
                        LedgerChanges(
                            users: [
                                .init(
                                    write: .update(updated, expectedVersion: user.version),
                                    revoking: revoking,
                                    audit: events
                                )
                            ],
                            requiresActiveSuperAdmin: user.isActiveSuperAdmin && !updated.isActiveSuperAdmin
                        )
                    )
                    logger.info(
                        "\(field) set by hand",
                        metadata: ["user_id": "\(user.id)", "to": "\(newValue)", "actor": "\(principal.actor)"]
                    )
                    return updated
                } catch LedgerStoreError.conflict {
                    continue
                }
            }
        }
        throw LedgerError.contention
    }

    private func refuse(_ refusal: LedgerError, user: User, principal: Principal, time: Date, details: [AuditKey: ClaimValue]) async throws {
        var details = details
        details[.reason] = .string(refusal.code)
        details[.detail] = .string(refusal.description)
        let event = AuditEvent(time: time, actor: principal.actor, action: .editRefused, userID: user.id, details: details)
        try await store.apply(LedgerChanges(users: [.init(write: .none(user.id), audit: [event])]))
        logger.notice("edit refused", metadata: ["user_id": "\(user.id)", "reason": "\(refusal.code)", "actor": "\(principal.actor)"])
    }
}
