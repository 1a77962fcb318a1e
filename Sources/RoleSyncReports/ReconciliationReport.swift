package import RoleSyncLedger

/// What a reconciliation found and did (`rolesync reconcile --format json`): the directory's and
/// the ledger's counts, the safety valve, and the changes in the mapping dry run's shape.
package struct ReconciliationReport: Encodable, Sendable {
    struct Valve: Encodable, Sendable {
        var code: String
        var message: String
    }

    var idp: String
    var issuer: String
    var dryRun: Bool
    var applied: Bool
    var directoryUsers: Int
    var ledgerUsers: Int
    var activeUsers: Int
    var matched: Int
    var missing: Int
    var unmatchable: Int
    var notSignedIn: Int
    var claimUpdates: Int
    var deactivations: Int
    var safetyValve: Valve?
    var plan: PlanReport
    /// How the directory was read: its kind, `full` or `incremental`, requests sent (retries
    /// included) and seconds spent waiting on its rate limits.
    package var reading: Reading

    package struct Reading: Sendable {
        package var kind: String
        package var mode: String
        /// Why a kind that reads increments listed everything (`--full`, no cursor yet, …).
        package var fullReason: String?
        package var requests: Int
        package var throttledSeconds: Double

        package init(kind: String, mode: String, fullReason: String? = nil, requests: Int, throttledSeconds: Double) {
            self.kind = kind
            self.mode = mode
            self.fullReason = fullReason
            self.requests = requests
            self.throttledSeconds = throttledSeconds
        }
    }

    /// Whether the plan was written.
    package var isApplied: Bool { applied }

    package init(idp: String, plan: ReconciliationPlan, dryRun: Bool, applied: Bool, reading: Reading) {
        self.idp = idp
        self.reading = reading
        issuer = plan.issuer
        self.dryRun = dryRun
        self.applied = applied
        directoryUsers = plan.directoryUsers
        ledgerUsers = plan.ledgerUsers
        activeUsers = plan.activeUsers
        matched = plan.matched
        missing = plan.missing
        unmatchable = plan.unmatchable
        notSignedIn = plan.notSignedIn
        claimUpdates = plan.plan.claimUpdates.count
        deactivations = plan.deactivations
        safetyValve = plan.safetyValve.map { Valve(code: $0.code, message: $0.description) }
        self.plan = PlanReport(plan.plan)
    }

    enum CodingKeys: String, CodingKey {
        case idp, issuer, applied, matched, missing, unmatchable, deactivations, plan
        case dryRun = "dry_run"
        case directoryUsers = "directory_users"
        case ledgerUsers = "ledger_users"
        case activeUsers = "active_users"
        case notSignedIn = "not_signed_in"
        case claimUpdates = "claim_updates"
        case safetyValve = "safety_valve"
        case kind, mode, requests
        case fullReason = "full_reason"
        case throttledSeconds = "throttled_seconds"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(idp, forKey: .idp)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(applied, forKey: .applied)
        try c.encode(reading.kind, forKey: .kind)
        try c.encode(reading.mode, forKey: .mode)
        try c.encode(reading.fullReason, forKey: .fullReason)
        try c.encode(reading.requests, forKey: .requests)
        try c.encode((reading.throttledSeconds * 1000).rounded() / 1000, forKey: .throttledSeconds)
        try c.encode(directoryUsers, forKey: .directoryUsers)
        try c.encode(ledgerUsers, forKey: .ledgerUsers)
        try c.encode(activeUsers, forKey: .activeUsers)
        try c.encode(matched, forKey: .matched)
        try c.encode(missing, forKey: .missing)
        try c.encode(unmatchable, forKey: .unmatchable)
        try c.encode(notSignedIn, forKey: .notSignedIn)
        try c.encode(claimUpdates, forKey: .claimUpdates)
        try c.encode(deactivations, forKey: .deactivations)
        try c.encode(safetyValve, forKey: .safetyValve)
        try c.encode(plan, forKey: .plan)
    }
}
