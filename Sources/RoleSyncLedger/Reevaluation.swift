package import Foundation
import RoleSyncJSON
package import RoleSyncMapping

/// What a new mapping would change, user by user: the dry run before a mapping change, and the
/// plan reconciliation applies.
package struct ReevaluationPlan: Sendable {
    /// One kind of change to one user.
    package enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case roleChange = "role_change"
        case coverageGained = "coverage_gained"
        case coverageLost = "coverage_lost"
        case deactivation
        case reactivation
    }

    /// Everything that would change for one user.
    package struct Change: Sendable, Hashable {
        package var userID: UserID
        package var user: String
        package var issuer: String
        package var kinds: [Kind]
        package var fromRole: Role
        package var toRole: Role
        package var wasCovered: Bool
        package var isCovered: Bool
        package var fromStatus: UserStatus
        package var toStatus: UserStatus
        /// The rule that decides under the new mapping, and its file.
        package var rule: String?
        package var mappingFile: String?
        /// Held back: it would leave no active `super_admin`. Reported, not applied.
        package var isHeld: Bool
        /// What deactivates the user (`mapping`, `directory` or `scim`), when `kinds` has it.
        package var deactivationSource = DeactivationSource.mapping
        /// Why the directory deactivates the user: `absent_from_directory` or `inactive_in_directory`.
        package var deactivationCause: String?
        /// The names of the claims the directory changed (reconciliation only).
        package var changedClaims: [String] = []
        /// The user's version the plan was made from: applying fails if it moved.
        var version: Int
        /// The user as the plan saw them.
        var before: User
        /// The claims to store, when the directory changed them.
        var claims: Claims?
        /// The decision under the new mapping, for ending an override when the user is deactivated.
        var decision: Decision?
        /// When the break-glass override that holds the user's role ends (``ReevaluationPlan/overridesKept``).
        package var overrideUntil: Date? { before.override?.until }
    }

    package var changes: [Change]
    /// Users whose mapped role waits for their break-glass override to end: nothing changes, each
    /// is audited as a held role change (`held_because: override`).
    package var overridesKept: [Change] = []
    /// Users whose only change is the claims the directory supplies (reconciliation only): stored
    /// so that later dry runs see what reconciliation saw.
    package var claimUpdates: [Change] = []
    /// What the audit events name as the path: `reevaluation`, `directory` or `scim`.
    package var via = "reevaluation"
    package var usersEvaluated: Int
    /// Users whose role or status could not be decided (unknown claims): left as they are.
    package var undetermined: Int

    /// How many changes of each kind (held ones included).
    package var counts: [Kind: Int] {
        var counts: [Kind: Int] = [:]
        for change in changes { for kind in change.kinds { counts[kind, default: 0] += 1 } }
        return counts
    }

    package var heldCount: Int { changes.filter(\.isHeld).count }
}

extension SyncService {
    /// Plans what `candidate` would change for every stored user, evaluated on their last claims.
    /// Nothing is written.
    ///
    /// Coverage is compared with the mappings in force; a role changes where the candidate covers the
    /// user with another role; a `deactivate` rule that now holds deactivates; a deactivation that a
    /// mapping rule caused is lifted where no rule holds any more. Decisions that depend on unknown
    /// claims change nothing. A demotion or deactivation that would leave no active `super_admin` is
    /// marked held.
    /// - Parameter candidate: the mappings to try; issuers it lacks keep no mapping.
    package func reevaluateAll(under candidate: MappingSet) async throws -> ReevaluationPlan {
        let current = mappings.current
        let collector = ChangeCollector()
        let time = now()
        try await store.forEachUserBatch(size: 2_000) { users in
            for user in users {
                collector.add(Self.change(for: user, current: current, candidate: candidate, at: time))
            }
        }
        var (changes, kept, evaluated, undetermined) = collector.result
        Self.holdLastSuperAdmin(&changes, activeSuperAdmins: try await store.activeSuperAdminCount())
        var plan = ReevaluationPlan(changes: changes, usersEvaluated: evaluated, undetermined: undetermined)
        plan.overridesKept = kept
        return plan
    }

    /// Marks held the demotions and deactivations of active super_admins that would leave none.
    static func holdLastSuperAdmin(_ changes: inout [ReevaluationPlan.Change], activeSuperAdmins: Int) {
        var activeSuperAdmins = activeSuperAdmins
        for change in changes where change.toRole == .superAdmin && change.toStatus == .active && !change.before.isActiveSuperAdmin {
            activeSuperAdmins += 1
        }
        for i in changes.indices where changes[i].before.isActiveSuperAdmin && (changes[i].toRole != .superAdmin || changes[i].toStatus != .active) {
            if activeSuperAdmins <= 1 {
                changes[i].isHeld = true
            } else {
                activeSuperAdmins -= 1
            }
        }
    }

    enum Outcome {
        case unchanged
        /// The new mapping's decision depends on unknown claims: left as it is.
        case undetermined
        case change(ReevaluationPlan.Change)
        /// The mapped role differs, but a break-glass override holds the user's role until its end.
        case overrideKept(ReevaluationPlan.Change)
    }

    /// - Parameters:
    ///   - claims: the claims to decide on under `candidate` (the user's last claims unless the
    ///     directory supplied newer ones).
    ///   - decided: `candidate`'s decision on those claims, when the caller has it already.
    ///   - liftable: the deactivation sources that a decision without a `deactivate` rule lifts.
    static func change(
        for user: User,
        claims: Claims? = nil,
        decided: Decision? = nil,
        current: MappingSet,
        candidate: MappingSet,
        liftable: Set<DeactivationSource> = [.mapping],
        at time: Date
    ) -> Outcome {
        let old = current.mapping(forIssuer: user.issuer)?.evaluate(user.lastClaims, tracing: false)
        let new = decided ?? candidate.mapping(forIssuer: user.issuer)?.evaluate(claims ?? user.lastClaims, tracing: false)
        if let new, !new.isRoleDetermined || new.refusal.map({ if case .undetermined = $0 { true } else { false } }) == true {
            return .undetermined
        }
        let wasCovered = old?.isCovered ?? false
        let isCovered = new?.isCovered ?? false
        var kinds: [ReevaluationPlan.Kind] = []
        var toRole = user.role
        var toStatus = user.status
        if wasCovered != isCovered { kinds.append(isCovered ? .coverageGained : .coverageLost) }
        var overrideHolds = false
        if isCovered, let role = new?.role, role != user.role {
            if user.override(at: time) != nil {
                overrideHolds = true
            } else {
                kinds.append(.roleChange)
                toRole = role
            }
        }
        if new?.shouldDeactivate == true, user.status == .active {
            kinds.append(.deactivation)
            toStatus = .inactive
        } else if new?.shouldDeactivate != true, user.status == .inactive, user.deactivationReason == .idp,
            liftable.contains(user.deactivationSource ?? .mapping)
        {
            kinds.append(.reactivation)
            toStatus = .active
        }
        guard !kinds.isEmpty || overrideHolds else { return .unchanged }
        var change = ReevaluationPlan.Change(
            userID: user.id,
            user: user.displayName,
            issuer: user.issuer,
            kinds: kinds,
            fromRole: user.role,
            toRole: toRole,
            wasCovered: wasCovered,
            isCovered: isCovered,
            fromStatus: user.status,
            toStatus: toStatus,
            rule: new?.ruleID,
            mappingFile: new?.mappingFile,
            isHeld: false,
            version: user.version,
            before: user
        )
        change.decision = new
        if overrideHolds, kinds.isEmpty {
            change.toRole = new?.role ?? user.role
            return .overrideKept(change)
        }
        return .change(change)
    }

    /// Applies a plan in one transaction: role changes (source `idp`), deactivations (sessions
    /// first) and reactivations, each audited with `actor`; held changes are audited as held.
    /// - Throws: ``LedgerStoreError/conflict(_:)`` when a planned user changed since the plan; plan again.
    package func apply(_ plan: ReevaluationPlan, as actor: Actor) async throws {
        let changes = ledgerChanges(for: plan, as: actor)
        guard !changes.isEmpty else { return }
        try await store.apply(changes)
        logger.notice(
            "re-evaluation applied",
            metadata: [
                "changes": "\(plan.changes.count)", "claim_updates": "\(plan.claimUpdates.count)", "held": "\(plan.heldCount)",
                "actor": "\(actor)", "via": "\(plan.via)",
            ]
        )
    }

    /// The writes and audit events that apply a plan, for a store call that writes more with them
    /// (a SCIM push's directory entries).
    package func ledgerChanges(for plan: ReevaluationPlan, as actor: Actor) -> LedgerChanges {
        let time = now()
        var userChanges: [LedgerChanges.UserChange] = []
        var removesSuperAdmin = false
        /// The directory's new claims stored for a user whose role and status stay.
        func claimsStored(_ update: ReevaluationPlan.Change, _ claims: Claims, then events: [AuditEvent]) -> LedgerChanges.UserChange {
            var updated = update.before
            updated.lastClaims = claims
            updated.version = update.version + 1
            let profile = AuditEvent(
                time: time,
                actor: actor,
                action: .profileUpdated,
                userID: update.userID,
                details: [.claims: .array(update.changedClaims.map(ClaimValue.string)), .via: .string(plan.via)]
            )
            return .init(write: .update(updated, expectedVersion: update.version), audit: [profile] + events)
        }
        for update in plan.claimUpdates {
            guard let claims = update.claims else { continue }
            userChanges.append(claimsStored(update, claims, then: []))
        }
        for kept in plan.overridesKept {
            guard let override = kept.before.override else { continue }
            let event = AuditEvent(
                time: time,
                actor: actor,
                action: .roleChangeHeld,
                userID: kept.userID,
                details: [
                    .from: .string(kept.fromRole.rawValue), .to: .string(kept.toRole.rawValue), .heldBecause: "override",
                    .until: .string(OverrideRules.timestamp(override.until)), .rule: kept.rule.map(ClaimValue.string) ?? .null,
                    .mapping: kept.mappingFile.map(ClaimValue.string) ?? .null, .via: .string(plan.via),
                ]
            )
            // Claims the directory changed meanwhile are stored as for any other user.
            userChanges.append(kept.claims.map { claimsStored(kept, $0, then: [event]) } ?? .init(write: .none(kept.userID), audit: [event]))
        }
        for change in plan.changes {
            let base: [AuditKey: ClaimValue] = [
                .rule: change.rule.map(ClaimValue.string) ?? .null,
                .mapping: change.mappingFile.map(ClaimValue.string) ?? .null, .via: .string(plan.via),
            ]
            func event(_ action: AuditAction, _ details: [AuditKey: ClaimValue]) -> AuditEvent {
                AuditEvent(time: time, actor: actor, action: action, userID: change.userID, details: base.merging(details) { $1 })
            }
            let roleDetails: [AuditKey: ClaimValue] = [.from: .string(change.fromRole.rawValue), .to: .string(change.toRole.rawValue)]
            if change.isHeld {
                var events: [AuditEvent] = []
                if change.kinds.contains(.roleChange) {
                    events.append(event(.roleChangeHeld, roleDetails.merging([.heldBecause: "last_active_super_admin"]) { $1 }))
                }
                if change.kinds.contains(.deactivation) {
                    events.append(event(.statusChangeHeld, [.from: "active", .to: "inactive", .heldBecause: "last_active_super_admin"]))
                }
                userChanges.append(.init(write: .none(change.userID), audit: events))
                continue
            }
            var updated = change.before
            var events: [AuditEvent] = []
            if let claims = change.claims {
                updated.lastClaims = claims
                events.append(event(.profileUpdated, [.claims: .array(change.changedClaims.map(ClaimValue.string))]))
            }
            if change.kinds.contains(.roleChange) {
                // An override past its deadline that the clock has not ended yet ends here, so
                // the row never keeps one that no longer holds.
                if updated.override != nil,
                    let ended = OverrideRules.end(&updated, decision: change.decision, reason: "expired", actor: .system, time: time)
                {
                    events.append(ended)
                }
                updated.role = change.toRole
                updated.roleSource = .idp
                events.append(
                    event(.roleChanged, roleDetails.merging([.source: "idp", .previousSource: .string(change.before.roleSource.rawValue)]) { $1 })
                )
            }
            if change.kinds.contains(.deactivation) {
                updated.status = .inactive
                updated.deactivationReason = .idp
                updated.deactivationSource = change.deactivationSource
                events.append(event(.sessionsEnded, [.reason: "deactivated_by_idp"]))
                events.append(
                    event(
                        .statusChanged,
                        [
                            .from: "active", .to: "inactive", .reason: "idp", .source: .string(change.deactivationSource.rawValue),
                            .because: change.deactivationCause.map(ClaimValue.string) ?? .null,
                        ]
                    )
                )
                // An override never outlives a deactivation.
                if let ended = OverrideRules.end(
                    &updated,
                    decision: change.decision,
                    reason: "deactivated",
                    actor: actor,
                    time: time,
                    deactivating: true
                ) {
                    events.append(ended)
                }
            }
            if change.kinds.contains(.reactivation) {
                updated.status = .active
                updated.deactivationReason = nil
                updated.deactivationSource = nil
                events.append(
                    event(
                        .statusChanged,
                        [
                            .from: "inactive", .to: "active",
                            .reason: plan.via == "reevaluation" ? "idp_rule_no_longer_holds" : "idp_shows_active",
                            .previousSource: change.before.deactivationSource.map { .string($0.rawValue) } ?? .null,
                        ]
                    )
                )
            }
            if change.before.isActiveSuperAdmin, !updated.isActiveSuperAdmin { removesSuperAdmin = true }
            let writesRow =
                change.claims != nil || change.kinds.contains(.roleChange) || change.kinds.contains(.deactivation)
                || change.kinds.contains(.reactivation)
            if writesRow {
                updated.version = change.version + 1
                userChanges.append(
                    .init(
                        write: .update(updated, expectedVersion: change.version),
                        revoking: change.kinds.contains(.deactivation)
                            ? .everything(
                                KeyRevocation(
                                    time: time,
                                    actor: actor,
                                    cause: .deactivation,
                                    reason: "deactivated by the IdP (\(change.deactivationSource.rawValue) via \(plan.via))"
                                )
                            ) : [],
                        audit: events
                    )
                )
            }
        }
        return LedgerChanges(users: userChanges, requiresActiveSuperAdmin: removesSuperAdmin)
    }
}

/// Gathers changes from the store's batches (the batch callback is `@Sendable`).
private final class ChangeCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var changes: [ReevaluationPlan.Change] = []
    private var kept: [ReevaluationPlan.Change] = []
    private var evaluated = 0
    private var undetermined = 0

    func add(_ outcome: SyncService.Outcome) {
        lock.lock()
        defer { lock.unlock() }
        evaluated += 1
        switch outcome {
        case .change(let c): changes.append(c)
        case .overrideKept(let c): kept.append(c)
        case .undetermined: undetermined += 1
        case .unchanged: break
        }
    }

    var result: ([ReevaluationPlan.Change], [ReevaluationPlan.Change], Int, Int) {
        lock.lock()
        defer { lock.unlock() }
        return (changes, kept, evaluated, undetermined)
    }
}
