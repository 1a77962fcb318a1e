import Foundation
import RoleSyncJSON
package import RoleSyncMapping

/// Why a sign-in was refused. Every refusal is audited as `signin.refused` with its code.
package enum SignInRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// No mapping governs the token's issuer.
    case noMapping(issuer: String)
    /// The claims carry no `sub`.
    case missingSubject
    /// A `require` condition does not hold.
    case requirementFailed(check: String)
    /// A `deactivate` condition holds: the user is (now) inactive.
    case deactivated(check: String)
    /// No role rule matched and the mapping says `unmatched: deny`.
    case unmatchedDenied
    /// `require` or `deactivate` depends on unknown (distributed) claims.
    case undetermined(claims: [String])
    /// An admin deactivated the user; only an admin lifts that.
    case manuallyDeactivated

    /// A stable code for pages, JSON and the audit log.
    package var code: String {
        switch self {
        case .noMapping: "no_mapping"
        case .missingSubject: "missing_subject"
        case .requirementFailed: "requirement_failed"
        case .deactivated: "deactivated"
        case .unmatchedDenied: "unmatched_denied"
        case .undetermined: "undetermined"
        case .manuallyDeactivated: "manually_deactivated"
        }
    }

    package var description: String {
        switch self {
        case .noMapping(let issuer): "no mapping governs the issuer \(issuer)"
        case .missingSubject: "the claims have no 'sub'"
        case .requirementFailed(let check): "a required condition does not hold: \(check)"
        case .deactivated(let check): "the IdP deactivated the user: \(check)"
        case .unmatchedDenied: "no role rule matched and the mapping denies unmatched users"
        case .undetermined(let claims):
            "the decision depends on claims the token does not carry (distributed): \(claims.joined(separator: ", "))"
        case .manuallyDeactivated: "the user was deactivated by an admin"
        }
    }
}

/// What a sign-in did.
package struct SignInResult: Sendable {
    /// The user after the sign-in; `nil` when refused before a record existed.
    package var user: User?
    /// `nil` when the sign-in may go ahead.
    package var refusal: SignInRefusal?
    /// This sign-in created the user.
    package var isCreated: Bool
    /// The audit events written, in order.
    package var events: [AuditEvent]
    /// The mapping's decision (`nil` when no mapping applied).
    package var decision: Decision?

    package var isAllowed: Bool { refusal == nil }
}

/// The sign-in rules of SPEC §2–§5 as a pure function: given the stored user (if any) and the
/// mapping's decision, what to write and what to answer. ``SyncService`` reads, calls this, and
/// applies the changes atomically, retrying when a concurrent writer got there first.
enum SignInRules {
    struct Input {
        var issuer: String
        var subject: String
        var claims: Claims
        var mapping: Mapping
        var decision: Decision
        var existing: User?
        /// Active super_admins now (read only when `existing` is one).
        var activeSuperAdmins: Int
        var time: Date
    }

    struct Plan {
        var changes: LedgerChanges
        var result: SignInResult
    }

    /// The result of a sign-in that changes nothing but the last sign-in time and count (same
    /// claims, profile, role, status; no event), or `nil` when it changes more.
    static func touchOnly(_ plan: Plan, existing: User) -> SignInResult? {
        guard existing.status == .active, plan.result.refusal == nil, plan.result.events.isEmpty, plan.changes.audit.isEmpty,
            !plan.changes.requiresActiveSuperAdmin, plan.changes.users.count == 1,
            case .update(let updated, _) = plan.changes.users[0].write, plan.changes.users[0].audit.isEmpty,
            plan.changes.users[0].revoking.isEmpty
        else { return nil }
        var comparable = updated
        comparable.lastSignInAt = existing.lastSignInAt
        comparable.signInCount = existing.signInCount
        comparable.version = existing.version
        guard comparable == existing else { return nil }
        var result = plan.result
        result.user?.version = existing.version
        return result
    }

    static func plan(_ input: Input) -> Plan {
        let d = input.decision
        var events: [AuditEvent] = []
        func event(_ action: AuditAction, _ details: [AuditKey: ClaimValue]) {
            events.append(
                AuditEvent(
                    time: input.time,
                    actor: .idp,
                    action: action,
                    userID: input.existing?.id,
                    issuer: input.issuer,
                    subject: input.subject,
                    details: details
                )
            )
        }
        func refused(_ refusal: SignInRefusal, extra: [AuditKey: ClaimValue] = [:]) {
            var details: [AuditKey: ClaimValue] = [
                .reason: .string(refusal.code), .detail: .string(refusal.description), .mapping: .string(input.mapping.file),
            ]
            details.merge(extra) { $1 }
            event(.signInRefused, details)
        }
        func onlyEvents(_ refusal: SignInRefusal) -> Plan {
            let changes: LedgerChanges
            if let user = input.existing {
                changes = LedgerChanges(users: [.init(write: .none(user.id), audit: events)])
            } else {
                changes = LedgerChanges(audit: events)
            }
            return Plan(
                changes: changes,
                result: SignInResult(user: input.existing, refusal: refusal, isCreated: false, events: events, decision: d)
            )
        }

        // A manual deactivation holds whatever the IdP says.
        if let user = input.existing, user.status == .inactive, user.deactivationReason == .manual {
            refused(.manuallyDeactivated)
            return onlyEvents(.manuallyDeactivated)
        }

        switch d.refusal {
        case .deactivated(let index)?:
            let check = input.mapping.deactivate[index].summary
            let refusal = SignInRefusal.deactivated(check: check)
            guard let user = input.existing, user.status == .active else {
                refused(refusal)
                return onlyEvents(refusal)
            }
            if user.isActiveSuperAdmin, input.activeSuperAdmins <= 1 {
                event(
                    .statusChangeHeld,
                    [
                        .from: "active", .to: "inactive", .reason: "idp", .check: .string(check),
                        .mapping: .string(input.mapping.file), .heldBecause: "last_active_super_admin",
                    ]
                )
                refused(refusal)
                return onlyEvents(refusal)
            }
            var updated = user
            updated.status = .inactive
            updated.deactivationReason = .idp
            updated.deactivationSource = .mapping
            updated.lastClaims = input.claims
            updated.version = user.version + 1
            event(.sessionsEnded, [.reason: "deactivated_by_idp"])
            event(
                .statusChanged,
                [.from: "active", .to: "inactive", .reason: "idp", .check: .string(check), .mapping: .string(input.mapping.file)]
            )
            if let ended = OverrideRules.end(&updated, decision: d, reason: "deactivated", actor: .idp, time: input.time, deactivating: true) {
                events.append(ended)
            }
            refused(refusal)
            return Plan(
                changes: LedgerChanges(
                    users: [
                        .init(
                            write: .update(updated, expectedVersion: user.version),
                            revoking: .everything(
                                KeyRevocation(time: input.time, actor: .idp, cause: .deactivation, reason: "deactivated by the IdP at sign-in")
                            ),
                            audit: events
                        )
                    ],
                    requiresActiveSuperAdmin: user.isActiveSuperAdmin
                ),
                result: SignInResult(user: updated, refusal: refusal, isCreated: false, events: events, decision: d)
            )
        case .requirementFailed(let index)?:
            let refusal = SignInRefusal.requirementFailed(check: input.mapping.require[index].summary)
            refused(refusal)
            return onlyEvents(refusal)
        case .unmatchedDenied?:
            refused(.unmatchedDenied)
            return onlyEvents(.unmatchedDenied)
        case .undetermined(let claims)?:
            let refusal = SignInRefusal.undetermined(claims: claims)
            refused(refusal, extra: [.unknownClaims: .array(claims.map(ClaimValue.string))])
            return onlyEvents(refusal)
        case nil:
            break
        }

        let profile = d.profile
        let covered = d.isCovered && d.isRoleDetermined
        let ruleDetails: [AuditKey: ClaimValue] = [
            .rule: d.ruleID.map(ClaimValue.string) ?? .null, .mapping: .string(input.mapping.file),
        ]
        let unknownDetails: [AuditKey: ClaimValue] = [.unknownClaims: .array(d.unknownClaims.map(ClaimValue.string))]

        guard let stored = input.existing else {
            let role = covered ? (d.role ?? .user) : .user
            let source: RoleSource = covered ? .idp : .default
            let created = User(
                id: UserID(0),
                issuer: input.issuer,
                subject: input.subject,
                email: profile.email,
                name: profile.name,
                organizationUnit: profile.organizationUnit,
                role: role,
                roleSource: source,
                status: .active,
                deactivationReason: nil,
                registeredAt: input.time,
                lastSignInAt: input.time,
                signInCount: 1,
                lastClaims: input.claims,
                version: 1
            )
            event(
                .userCreated,
                ruleDetails.merging([
                    .role: .string(role.rawValue), .roleSource: .string(source.rawValue),
                    .email: profile.email.map(ClaimValue.string) ?? .null, .name: profile.name.map(ClaimValue.string) ?? .null,
                    .organizationUnit: profile.organizationUnit.map(ClaimValue.string) ?? .null,
                ]) { $1 }
            )
            if !d.isRoleDetermined {
                event(.decisionUndetermined, unknownDetails.merging([.roleKept: .string(role.rawValue)]) { $1 })
            }
            return Plan(
                changes: LedgerChanges(users: [.init(write: .insert(created), audit: events)]),
                result: SignInResult(user: created, refusal: nil, isCreated: true, events: events, decision: d)
            )
        }

        // An override whose deadline passed before the expiry was written ends here, first: the
        // decision below then applies to the role it returns.
        var user = stored
        if user.override != nil, user.override(at: input.time) == nil,
            let ended = OverrideRules.end(
                &user,
                decision: d,
                reason: "expired",
                actor: .system,
                time: input.time,
                activeSuperAdmins: input.activeSuperAdmins
            )
        {
            events.append(ended)
        }
        let kept = user.override(at: input.time)
        var updated = user
        var requiresSuperAdmin = false
        if user.status == .inactive {
            // Only an IdP deactivation reaches here (manual ones were refused above): the IdP shows
            // the user active again, which lifts it.
            updated.status = .active
            updated.deactivationReason = nil
            updated.deactivationSource = nil
            event(
                .statusChanged,
                [
                    .from: "inactive", .to: "active", .reason: "idp_shows_active",
                    .previousSource: user.deactivationSource.map { .string($0.rawValue) } ?? .null,
                ]
            )
        }

        var profileChanges: [AuditKey: ClaimValue] = [:]
        func refresh(_ name: AuditKey, _ old: String?, _ new: String?) -> String? {
            guard let new, new != old else { return old }
            profileChanges[name] = .object(["from": old.map(ClaimValue.string) ?? .null, "to": .string(new)])
            return new
        }
        updated.email = refresh(.email, user.email, profile.email)
        updated.name = refresh(.name, user.name, profile.name)
        updated.organizationUnit = refresh(.organizationUnit, user.organizationUnit, profile.organizationUnit)
        if !profileChanges.isEmpty { event(.profileUpdated, profileChanges) }

        if covered, let mapped = d.role, let kept {
            // A break-glass override holds until its deadline: the mapped role waits, and says so.
            if mapped != user.role {
                event(
                    .roleChangeHeld,
                    ruleDetails.merging([
                        .from: .string(user.role.rawValue), .to: .string(mapped.rawValue), .heldBecause: "override",
                        .until: .string(OverrideRules.timestamp(kept.until)),
                    ]) { $1 }
                )
            }
        } else if covered, let mapped = d.role {
            if mapped != user.role {
                if user.isActiveSuperAdmin, input.activeSuperAdmins <= 1 {
                    event(
                        .roleChangeHeld,
                        ruleDetails.merging([
                            .from: .string(user.role.rawValue), .to: .string(mapped.rawValue),
                            .heldBecause: "last_active_super_admin",
                        ]) { $1 }
                    )
                } else {
                    updated.role = mapped
                    updated.roleSource = .idp
                    requiresSuperAdmin = user.isActiveSuperAdmin
                    event(
                        .roleChanged,
                        ruleDetails.merging([
                            .from: .string(user.role.rawValue), .to: .string(mapped.rawValue), .source: "idp",
                            .previousSource: .string(user.roleSource.rawValue),
                        ]) { $1 }
                    )
                }
            } else if user.roleSource != .idp {
                updated.roleSource = .idp
                event(
                    .roleChanged,
                    ruleDetails.merging([
                        .from: .string(user.role.rawValue), .to: .string(mapped.rawValue), .source: "idp",
                        .previousSource: .string(user.roleSource.rawValue),
                    ]) { $1 }
                )
            }
        } else if !d.isRoleDetermined {
            event(.decisionUndetermined, unknownDetails.merging([.roleKept: .string(user.role.rawValue)]) { $1 })
        }

        if stored.isActiveSuperAdmin, !updated.isActiveSuperAdmin { requiresSuperAdmin = true }
        updated.lastSignInAt = input.time
        updated.signInCount = user.signInCount + 1
        updated.lastClaims = input.claims
        updated.version = user.version + 1
        return Plan(
            changes: LedgerChanges(
                users: [.init(write: .update(updated, expectedVersion: user.version), audit: events)],
                requiresActiveSuperAdmin: requiresSuperAdmin
            ),
            result: SignInResult(user: updated, refusal: nil, isCreated: false, events: events, decision: d)
        )
    }
}
