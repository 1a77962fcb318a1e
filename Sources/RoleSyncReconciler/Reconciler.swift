import Foundation
package import Logging
import Metrics
package import RoleSyncConfig
package import RoleSyncHTTPClient
package import RoleSyncLedger
package import RoleSyncSCIM

/// Reconciles one IdP's users against its SCIM directory: reads the directory whole, plans, and
/// applies the plan in one transaction with actor `reconciler` (SPEC §4).
///
/// A run that fails (directory unreachable or inconsistent, safety valve) changes nothing.
package struct Reconciler: Sendable {
    package let idp: IdentityProviderSettings
    let settings: DirectorySettings
    let sync: SyncService
    let transport: any HTTPTransport
    let logger: Logger
    let sleep: @Sendable (Duration) async -> Void

    /// What one run did.
    package struct Outcome: Sendable {
        package var plan: ReconciliationPlan
        /// Whether the plan was written (not a dry run, no safety valve, something to write).
        package var applied: Bool
        package var duration: Duration
        /// The directory's kind (`scim`, `okta`).
        package var kind: DirectoryKind
        /// `full`: every user and group was listed (the only mode so far).
        package var mode: String = "full"
        /// Requests sent to the directory, retries included.
        package var requests: Int
        /// Seconds spent waiting on the directory's rate limits.
        package var throttledSeconds: Double
    }

    /// - Throws: ``ReconcileError/noDirectory(_:)`` when the IdP has no `directory:`, or
    ///   ``ReconcileError/noToken(_:)`` when its token variable is not set.
    package init(
        idp: IdentityProviderSettings,
        sync: SyncService,
        transport: any HTTPTransport,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) throws(ReconcileError) {
        guard let settings = idp.directory, settings.url != nil else { throw .noDirectory(idp.name) }
        if let variable = settings.missingSecret { throw .noToken(idp: idp.name, variable: variable, kind: settings.kind) }
        self.idp = idp
        self.settings = settings
        self.sync = sync
        self.transport = transport
        var logger = logger
        logger[metadataKey: "idp"] = "\(idp.name)"
        self.logger = logger
        self.sleep = sleep
    }

    /// Reads the directory and plans; writes nothing.
    /// - Throws: ``ReconcileError/directory(_:)`` when the directory cannot be read whole.
    /// - Parameter recordsShadow: evaluate the candidate mappings too and record their differences
    ///   (a real run; a dry run records nothing).
    package func plan(force: Bool = false, recordsShadow: Bool = false) async throws -> ReconciliationPlan {
        try await read(force: force, recordsShadow: recordsShadow).plan
    }

    /// Reads the directory whole, plans, and says what the reading cost.
    func read(force: Bool, recordsShadow: Bool) async throws -> (plan: ReconciliationPlan, requests: Int, throttledSeconds: Double) {
        guard let source = settings.source(transport: transport, logger: logger, sleep: sleep) else {
            throw ReconcileError.noDirectory(idp.name)
        }
        let snapshot: DirectorySnapshot
        do {
            snapshot = try await source.snapshot(keeping: settings.attributePaths)
        } catch let error as any DirectoryReadError {
            Self.count(source.meter, idp: idp.name, kind: settings.kind, status: "failed")
            throw ReconcileError.directory(error)
        }
        Self.count(source.meter, idp: idp.name, kind: settings.kind, status: "ok")
        let plan = try await plan(snapshot: snapshot, force: force, recordsShadow: recordsShadow)
        return (plan, source.meter.requests, source.meter.throttledSeconds)
    }

    /// `rolesync_directory_requests_total{idp, kind, status}` (the listing's outcome) and
    /// `rolesync_directory_throttled_seconds_total{idp, kind}`.
    static func count(_ meter: DirectoryReadMeter, idp: String, kind: DirectoryKind, status: String) {
        let dimensions = [("idp", idp), ("kind", kind.rawValue)]
        Counter(label: "rolesync_directory_requests_total", dimensions: dimensions + [("status", status)]).increment(by: meter.requests)
        let throttled = meter.throttledSeconds
        if throttled > 0 {
            FloatingPointCounter(label: "rolesync_directory_throttled_seconds_total", dimensions: dimensions).increment(by: throttled)
        }
    }

    /// Plans from a snapshot already read.
    package func plan(snapshot: DirectorySnapshot, force: Bool = false, recordsShadow: Bool = false) async throws -> ReconciliationPlan {
        var policy = policy(force: force)
        policy.recordsShadow = recordsShadow
        return try await sync.planReconciliation(issuer: idp.issuer, listing: settings.listing(from: snapshot), policy: policy)
    }

    func policy(force: Bool) -> ReconciliationPolicy {
        ReconciliationPolicy(
            matchClaim: settings.matchClaim,
            maxDeactivationShare: settings.maxDeactivationShare,
            maxDeactivations: settings.maxDeactivations,
            force: force,
            source: .directory
        )
    }

    /// Reads, plans and (unless `dryRun`) applies. A plan whose users changed meanwhile is made
    /// again, up to three times.
    /// A plan that trips the safety valve is returned unapplied (its `safetyValve` says why), so the
    /// caller reports the very plan that tripped it.
    /// - Throws: ``ReconcileError``, or store errors; nothing is written then.
    package func run(dryRun: Bool, force: Bool = false) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let dimensions = [("idp", idp.name)]
        do {
            var attempt = 0
            while true {
                attempt += 1
                let (plan, requests, throttled) = try await read(force: force, recordsShadow: !dryRun && attempt == 1)
                let cost = (requests: requests, throttledSeconds: throttled)
                if let valve = plan.safetyValve {
                    Counter(label: "rolesync_reconcile_safety_valve_total", dimensions: dimensions + [("reason", valve.code)]).increment()
                    logger.error(
                        "reconciliation tripped its safety valve; nothing applied",
                        metadata: ["reason": "\(valve.code)", "deactivations": "\(plan.deactivations)", "active_users": "\(plan.activeUsers)"]
                    )
                    return finish(plan, outcome: "safety_valve", cost: cost, start: start, clock: clock)
                }
                guard !dryRun else { return finish(plan, outcome: "dry_run", cost: cost, start: start, clock: clock) }
                do {
                    try await sync.applyReconciliation(plan, as: .reconciler)
                } catch LedgerStoreError.conflict(.staleUser) where attempt < 3 {
                    logger.info("a user changed while reconciling; planning again", metadata: ["attempt": "\(attempt)"])
                    continue
                }
                let applied = !plan.plan.changes.isEmpty || !plan.plan.claimUpdates.isEmpty || !plan.plan.overridesKept.isEmpty
                // The candidate's differences are written now, not at the server's next flush:
                // `rolesync reconcile` ends here.
                if !dryRun { try? await sync.shadow?.flush() }
                return finish(plan, outcome: applied ? "applied" : "unchanged", cost: cost, start: start, clock: clock)
            }
        } catch {
            let code = (error as? ReconcileError)?.code ?? (error as? LedgerError)?.code ?? "store"
            Counter(label: "rolesync_reconcile_runs_total", dimensions: dimensions + [("outcome", "failed")]).increment()
            Counter(label: "rolesync_reconcile_failures_total", dimensions: dimensions + [("reason", code)]).increment()
            logger.error("reconciliation failed; nothing changed", metadata: ["reason": "\(code)", "error": "\(error)"])
            throw error
        }
    }

    /// Records a run that ended with a plan: `applied`, `unchanged`, `dry_run` or `safety_valve`.
    private func finish(
        _ plan: ReconciliationPlan,
        outcome: String,
        cost: (requests: Int, throttledSeconds: Double),
        start: ContinuousClock.Instant,
        clock: ContinuousClock
    ) -> Outcome {
        let duration = clock.now - start
        let dimensions = [("idp", idp.name)]
        let applied = outcome == "applied"
        Timer(label: "rolesync_reconcile_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .recordNanoseconds(duration.wholeNanoseconds)
        Counter(label: "rolesync_reconcile_runs_total", dimensions: dimensions + [("outcome", outcome)]).increment()
        if applied {
            for (kind, count) in plan.plan.counts {
                Counter(label: "rolesync_reconcile_changes_total", dimensions: dimensions + [("kind", kind.rawValue)]).increment(by: count)
            }
            Counter(label: "rolesync_reconcile_changes_total", dimensions: dimensions + [("kind", "claims_update")])
                .increment(by: plan.plan.claimUpdates.count)
        }
        if applied || outcome == "unchanged" {
            Gauge(label: "rolesync_reconcile_last_success_timestamp_seconds", dimensions: dimensions)
                .record(Date().timeIntervalSince1970)
        }
        logger.notice(
            "reconciliation finished",
            metadata: [
                "outcome": "\(outcome)", "directory_users": "\(plan.directoryUsers)", "matched": "\(plan.matched)",
                "changes": "\(plan.plan.changes.count)", "claim_updates": "\(plan.plan.claimUpdates.count)",
                "held": "\(plan.plan.heldCount)",
                "duration_ms": "\(duration.wholeMilliseconds)", "kind": "\(settings.kind.rawValue)",
                "requests": "\(cost.requests)", "throttled_s": "\(cost.throttledSeconds)",
            ]
        )
        return Outcome(
            plan: plan,
            applied: applied,
            duration: duration,
            kind: settings.kind,
            requests: cost.requests,
            throttledSeconds: cost.throttledSeconds
        )
    }
}

/// Why a reconciliation could not run.
package enum ReconcileError: Error, Sendable, CustomStringConvertible {
    /// The IdP has no `directory:` in the configuration.
    case noDirectory(String)
    /// The directory's token variable is not set.
    case noToken(idp: String, variable: String, kind: DirectoryKind)
    /// The directory could not be read whole.
    case directory(any DirectoryReadError)

    package var code: String {
        switch self {
        case .noDirectory: "no_directory"
        case .noToken: "no_token"
        case .directory(let error): error.code
        }
    }

    package var description: String {
        switch self {
        case .noDirectory(let idp): "idp '\(idp)' has no 'directory: {kind: …, url: …}' to reconcile against"
        case .noToken(let idp, let variable, let kind):
            kind == .microsoftGraph
                ? "idp '\(idp)': the environment variable \(variable) (directory.client_secret_env: the app's client secret) is not set"
                : "idp '\(idp)': the environment variable \(variable) (directory.token_env: the directory's API token) is not set"
        case .directory(let error): "\(error); nothing was changed"
        }
    }
}
