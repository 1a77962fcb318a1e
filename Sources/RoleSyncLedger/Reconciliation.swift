import Foundation
package import RoleSyncJSON
import RoleSyncMapping

/// What an IdP's directory says about one person (SPEC §4: reconciliation).
package struct DirectoryEntry: Sendable, Hashable {
    /// The value that identifies the ledger user: the directory's `externalId` or `userName`,
    /// compared with the ledger user's match claim.
    package var key: String
    /// `false` when the directory marks the person inactive, or deleted them.
    package var isActive: Bool
    /// The directory deleted the person (a SCIM push's DELETE).
    package var isDeleted = false
    /// The claims the directory supplies (`groups`, `email`, …), laid over the user's last sign-in
    /// claims before the mapping is evaluated.
    package var claims: [String: ClaimValue]

    package init(key: String, isActive: Bool, isDeleted: Bool = false, claims: [String: ClaimValue]) {
        self.key = key
        self.isActive = isActive
        self.isDeleted = isDeleted
        self.claims = claims
    }
}

/// Entries read from one IdP's directory.
package struct DirectoryListing: Sendable {
    package var entries: [DirectoryEntry]
    /// Whether keys compare ignoring case (`userName`) or exactly (`externalId`).
    package var ignoresKeyCase: Bool
    /// Whether this is the whole directory, so that a user missing from it is gone (a pull), or
    /// only the entries a push touched (users not listed are left alone).
    package var isComplete: Bool

    package init(entries: [DirectoryEntry], ignoresKeyCase: Bool, isComplete: Bool) {
        self.entries = entries
        self.ignoresKeyCase = ignoresKeyCase
        self.isComplete = isComplete
    }
}

/// How a reconciliation matches users and when it refuses to deactivate.
package struct ReconciliationPolicy: Sendable, Hashable {
    /// The last-sign-in claim a directory key must equal; `sub` is the user's subject.
    package var matchClaim: String
    /// A run deactivating more than this share of the IdP's active users applies nothing.
    package var maxDeactivationShare: Double
    /// A run deactivating more than this many users applies nothing.
    package var maxDeactivations: Int?
    /// Apply even when the share or count is exceeded (never when the directory is empty).
    package var force: Bool
    /// What deactivates and what the audit events say: `directory` (a pull) or `scim` (a push).
    package var source: DeactivationSource
    /// Whether the candidate mappings are evaluated beside the live ones and their differences
    /// recorded: a real run or push, never a dry run.
    package var recordsShadow = false

    package init(
        matchClaim: String = "sub",
        maxDeactivationShare: Double = 0.10,
        maxDeactivations: Int? = nil,
        force: Bool = false,
        source: DeactivationSource = .directory
    ) {
        self.matchClaim = matchClaim
        self.maxDeactivationShare = maxDeactivationShare
        self.maxDeactivations = maxDeactivations
        self.force = force
        self.source = source
    }
}

/// Why a reconciliation applies nothing.
package enum SafetyValve: Sendable, Hashable, CustomStringConvertible {
    /// The directory listed nobody while the ledger has users of this IdP: surely a fault.
    case emptyDirectory(ledgerUsers: Int)
    /// More deactivations than the configured share of active users allows.
    case share(deactivations: Int, activeUsers: Int, allowed: Int, maxShare: Double)
    /// More deactivations than the configured count allows.
    case count(deactivations: Int, allowed: Int)

    /// A stable code for logs, metrics and JSON.
    package var code: String {
        switch self {
        case .emptyDirectory: "empty_directory"
        case .share: "max_share"
        case .count: "max_count"
        }
    }

    package var description: String {
        switch self {
        case .emptyDirectory(let users):
            "the directory listed no users while \(users) of this IdP are known; nobody is deactivated on an empty listing"
        case .share(let deactivations, let active, let allowed, let share):
            "the run would deactivate \(deactivations) of \(active) active users, more than \(Self.percent(share)) "
                + "(at most \(allowed)); nothing was applied; check the directory, then run with --force to apply"
        case .count(let deactivations, let allowed):
            "the run would deactivate \(deactivations) users, more than the configured maximum of \(allowed); "
                + "nothing was applied; check the directory, then run with --force to apply"
        }
    }

    static func percent(_ share: Double) -> String {
        let value = share * 100
        return value == value.rounded() ? "\(Int(value))%" : String(format: "%.1f%%", value)
    }
}

/// What reconciling one IdP's directory would change.
package struct ReconciliationPlan: Sendable {
    package var issuer: String
    /// The changes, in the same shape as a mapping dry run's.
    package var plan: ReevaluationPlan
    /// Entries the directory listed.
    package var directoryUsers: Int
    /// Ledger users of this IdP, and how many of them are active.
    package var ledgerUsers: Int
    package var activeUsers: Int
    /// Ledger users found in the directory.
    package var matched: Int
    /// Ledger users not in the directory (deactivated when active).
    package var missing: Int
    /// Ledger users without a value for the match claim: left alone.
    package var unmatchable: Int
    /// Directory entries matching no ledger user (they have not signed in yet; never created).
    package var notSignedIn: Int
    /// Set when the run must apply nothing.
    package var safetyValve: SafetyValve?

    /// Deactivations that would be applied (held ones aside).
    package var deactivations: Int { plan.changes.filter { $0.kinds.contains(.deactivation) && !$0.isHeld }.count }
}

extension SyncService {
    /// Plans a reconciliation of one IdP's users against its directory. Nothing is written.
    ///
    /// For each ledger user of `issuer` (of those it names, for an incremental listing, which is
    /// not complete): a user missing from a complete listing, or listed inactive, is deactivated (reason `idp`, source `policy.source`); a listed active user's
    /// claims are the directory's laid over their last sign-in claims, and the mapping decides
    /// role, coverage and `deactivate` rules as at sign-in. A failing `require` never deactivates
    /// here. An IdP deactivation is lifted when the directory shows the user active and no
    /// `deactivate` rule holds. Directory entries without a ledger user are counted, never created.
    package func planReconciliation(
        issuer: String,
        listing: DirectoryListing,
        policy: ReconciliationPolicy
    ) async throws -> ReconciliationPlan {
        let index = Self.index(listing)
        let current = mappings.current
        let collector = ReconciliationCollector()
        let time = now()
        let observe = shadowObserver(policy, current: current, at: time)
        try await store.forEachUserBatch(size: 2_000) { users in
            for user in users where user.issuer == issuer {
                collector.add(
                    Self.reconcile(user, index: index, listing: listing, policy: policy, mappings: current, at: time, observe: observe)
                )
            }
        }
        var plan = try await makePlan(issuer: issuer, collector.result, listing: listing, indexed: index.count, policy: policy)
        if !listing.isComplete {
            // An incremental listing evaluates the users it names; the safety valve's share is
            // of all the IdP's active users, as for a full one.
            let counts = try await store.userCounts(issuer: issuer)
            plan.ledgerUsers = counts.users
            plan.activeUsers = counts.active
        }
        plan.safetyValve = Self.safetyValve(for: plan, listing: listing, policy: policy)
        return plan
    }

    /// The plan from the outcomes gathered, with holds for the last active super_admin.
    private func makePlan(
        issuer: String,
        _ result: ReconciliationCollector.Result,
        listing: DirectoryListing,
        indexed: Int,
        policy: ReconciliationPolicy
    ) async throws -> ReconciliationPlan {
        var result = result
        Self.holdLastSuperAdmin(&result.changes, activeSuperAdmins: try await store.activeSuperAdminCount())
        var plan = ReconciliationPlan(
            issuer: issuer,
            plan: ReevaluationPlan(changes: result.changes, usersEvaluated: result.evaluated, undetermined: result.undetermined),
            directoryUsers: listing.entries.count,
            ledgerUsers: result.evaluated,
            activeUsers: result.active,
            matched: result.matchedKeys.count,
            missing: result.missing,
            unmatchable: result.unmatchable,
            notSignedIn: indexed - result.matchedKeys.count,
            safetyValve: nil
        )
        plan.plan.claimUpdates = result.claimUpdates
        plan.plan.overridesKept = result.overridesKept
        plan.plan.via = policy.source.rawValue
        return plan
    }

    /// Plans what a push changes for the ledger users its entries match, looked up directly (a
    /// listing from a push is partial: nobody else is touched). Never trips the safety valve.
    package func planPush(issuer: String, listing: DirectoryListing, policy: ReconciliationPolicy) async throws -> ReconciliationPlan {
        precondition(!listing.isComplete, "a push lists only the entries it touched")
        var users: [UserID: User] = [:]
        for entry in listing.entries {
            let found: [User]
            if policy.matchClaim == "sub", !listing.ignoresKeyCase {
                found = try await store.user(issuer: issuer, subject: entry.key).map { [$0] } ?? []
            } else {
                found = try await store.users(issuer: issuer, claim: policy.matchClaim, equals: entry.key, ignoringCase: listing.ignoresKeyCase)
            }
            for user in found { users[user.id] = user }
        }
        let index = Self.index(listing)
        let current = mappings.current
        let collector = ReconciliationCollector()
        let time = now()
        let observe = shadowObserver(policy, current: current, at: time)
        for user in users.values.sorted(by: { $0.id < $1.id }) {
            collector.add(Self.reconcile(user, index: index, listing: listing, policy: policy, mappings: current, at: time, observe: observe))
        }
        return try await makePlan(issuer: issuer, collector.result, listing: listing, indexed: index.count, policy: policy)
    }

    /// What a real run does with each listed user's claims and the live decision on them: the
    /// candidate mapping's decision is compared with it (queued, written later). `nil` for a dry
    /// run, or without candidates.
    private func shadowObserver(
        _ policy: ReconciliationPolicy,
        current: MappingSet,
        at time: Date
    ) -> (
        @Sendable (User, Claims, Decision?) -> Void
    )? {
        guard policy.recordsShadow, shadow != nil, mappings.shadow != nil else { return nil }
        let path: ShadowDifference.Path = policy.source == .scim ? .push : .reconcile
        return { user, claims, live in
            compareShadow(
                live,
                claims: claims,
                issuer: user.issuer,
                subject: user.subject,
                user: user,
                via: path,
                at: time
            )
        }
    }

    /// Applies a plan in one transaction, every change audited with `actor`.
    /// - Throws: ``LedgerError/safetyValve(_:)`` when the plan tripped the safety valve (nothing
    ///   is written); ``LedgerStoreError/conflict(_:)`` when a planned user changed since: plan again.
    package func applyReconciliation(_ plan: ReconciliationPlan, as actor: Actor) async throws {
        if let valve = plan.safetyValve { throw LedgerError.safetyValve(valve.description) }
        try await apply(plan.plan, as: actor)
    }

    /// Whether a stored claim and the directory's say the same: lists compare as sets (a
    /// directory's group order means nothing, and differs from a token's).
    static func sameClaim(_ stored: ClaimValue?, _ directory: ClaimValue?) -> Bool {
        guard case .array(let a)? = stored, case .array(let b)? = directory else { return stored == directory }
        return a.count == b.count && (a == b || Set(a) == Set(b))
    }

    static func index(_ listing: DirectoryListing) -> [String: DirectoryEntry] {
        var index: [String: DirectoryEntry] = [:]
        index.reserveCapacity(listing.entries.count)
        for entry in listing.entries {
            index[listing.ignoresKeyCase ? entry.key.lowercased() : entry.key] = entry
        }
        return index
    }

    static func safetyValve(for plan: ReconciliationPlan, listing: DirectoryListing, policy: ReconciliationPolicy) -> SafetyValve? {
        if listing.isComplete, listing.entries.isEmpty, plan.ledgerUsers > 0 {
            return .emptyDirectory(ledgerUsers: plan.ledgerUsers)
        }
        let deactivations = plan.deactivations
        guard deactivations > 0, !policy.force else { return nil }
        if let maximum = policy.maxDeactivations, deactivations > maximum {
            return .count(deactivations: deactivations, allowed: maximum)
        }
        // One leaver at a time is always allowed: with few users any share would forbid it.
        let allowed = max(1, Int((policy.maxDeactivationShare * Double(plan.activeUsers)).rounded(.down)))
        if deactivations > allowed {
            return .share(deactivations: deactivations, activeUsers: plan.activeUsers, allowed: allowed, maxShare: policy.maxDeactivationShare)
        }
        return nil
    }

    enum ReconcileOutcome {
        /// The user has no value for the match claim.
        case unmatchable(isActive: Bool)
        /// Not in a partial listing: not this run's business.
        case notListed
        case evaluated(key: String?, isActive: Bool, outcome: Outcome, claimUpdate: ReevaluationPlan.Change?)
    }

    static func reconcile(
        _ user: User,
        index: [String: DirectoryEntry],
        listing: DirectoryListing,
        policy: ReconciliationPolicy,
        mappings: MappingSet,
        at time: Date,
        observe: (@Sendable (User, Claims, Decision?) -> Void)? = nil
    ) -> ReconcileOutcome {
        let key: String? =
            policy.matchClaim == "sub" ? user.subject : user.lastClaims.values[policy.matchClaim]?.scalarText
        guard let key, !key.isEmpty else { return .unmatchable(isActive: user.status == .active) }
        let lookup = listing.ignoresKeyCase ? key.lowercased() : key
        let entry = index[lookup]
        if entry == nil, !listing.isComplete { return .notListed }
        let matchedKey = entry == nil ? nil : lookup
        guard let entry, entry.isActive else {
            // Gone from the directory, or inactive there: deactivate, whatever the mapping says.
            guard user.status == .active else {
                return .evaluated(key: matchedKey, isActive: user.status == .active, outcome: .unchanged, claimUpdate: nil)
            }
            let decision = mappings.mapping(forIssuer: user.issuer)?.evaluate(user.lastClaims, tracing: false)
            let covered = decision?.isCovered ?? false
            var change = ReevaluationPlan.Change(
                userID: user.id,
                user: user.displayName,
                issuer: user.issuer,
                kinds: [.deactivation],
                fromRole: user.role,
                toRole: user.role,
                wasCovered: covered,
                isCovered: covered,
                fromStatus: .active,
                toStatus: .inactive,
                rule: nil,
                mappingFile: nil,
                isHeld: false,
                version: user.version,
                before: user
            )
            change.deactivationSource = policy.source
            change.decision = decision
            change.deactivationCause =
                entry == nil ? "absent_from_directory" : entry?.isDeleted == true ? "deleted_in_directory" : "inactive_in_directory"
            return .evaluated(key: matchedKey, isActive: true, outcome: .change(change), claimUpdate: nil)
        }
        var values = user.lastClaims.values
        for (name, value) in entry.claims { values[name] = value }
        let claims = Claims(values)
        // The live decision on the directory's claims, evaluated once for the plan and the shadow.
        let live = mappings.mapping(forIssuer: user.issuer)?.evaluate(claims, tracing: false)
        observe?(user, claims, live)
        let changedClaims = entry.claims.keys.filter { !Self.sameClaim(user.lastClaims.values[$0], entry.claims[$0]) }.sorted()
        let newClaims = changedClaims.isEmpty ? nil : claims
        let liftable = Set(DeactivationSource.allCases)
        var outcome = change(for: user, claims: claims, decided: live, current: mappings, candidate: mappings, liftable: liftable, at: time)
        var claimUpdate: ReevaluationPlan.Change?
        switch outcome {
        case .change(var change):
            change.claims = newClaims
            change.changedClaims = changedClaims
            outcome = .change(change)
        case .overrideKept(var change):
            change.claims = newClaims
            change.changedClaims = changedClaims
            outcome = .overrideKept(change)
        case .unchanged where newClaims != nil:
            let d = live
            claimUpdate = ReevaluationPlan.Change(
                userID: user.id,
                user: user.displayName,
                issuer: user.issuer,
                kinds: [],
                fromRole: user.role,
                toRole: user.role,
                wasCovered: d?.isCovered ?? false,
                isCovered: d?.isCovered ?? false,
                fromStatus: user.status,
                toStatus: user.status,
                rule: d?.ruleID,
                mappingFile: d?.mappingFile,
                isHeld: false,
                deactivationSource: policy.source,
                changedClaims: changedClaims,
                version: user.version,
                before: user,
                claims: newClaims
            )
        case .unchanged, .undetermined:
            break
        }
        return .evaluated(key: lookup, isActive: user.status == .active, outcome: outcome, claimUpdate: claimUpdate)
    }
}

/// Gathers a reconciliation's outcomes from the store's batches (the callback is `@Sendable`).
final class ReconciliationCollector: @unchecked Sendable {
    struct Result {
        var changes: [ReevaluationPlan.Change] = []
        var claimUpdates: [ReevaluationPlan.Change] = []
        var overridesKept: [ReevaluationPlan.Change] = []
        var evaluated = 0
        var active = 0
        var undetermined = 0
        var missing = 0
        var unmatchable = 0
        var matchedKeys = Set<String>()
    }

    private let lock = NSLock()
    private var state = Result()

    func add(_ outcome: SyncService.ReconcileOutcome) {
        lock.lock()
        defer { lock.unlock() }
        switch outcome {
        case .notListed:
            return
        case .unmatchable(let isActive):
            state.evaluated += 1
            state.unmatchable += 1
            if isActive { state.active += 1 }
        case .evaluated(let key, let isActive, let result, let claimUpdate):
            state.evaluated += 1
            if isActive { state.active += 1 }
            if let key { state.matchedKeys.insert(key) } else { state.missing += 1 }
            switch result {
            case .change(let change): state.changes.append(change)
            case .overrideKept(let change): state.overridesKept.append(change)
            case .undetermined: state.undetermined += 1
            case .unchanged: break
            }
            if let claimUpdate { state.claimUpdates.append(claimUpdate) }
        }
    }

    var result: Result {
        lock.lock()
        defer { lock.unlock() }
        return state
    }
}
