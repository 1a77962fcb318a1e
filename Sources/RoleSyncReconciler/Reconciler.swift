package import Foundation
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
    package let settings: DirectorySettings
    let sync: SyncService
    let transport: any HTTPTransport
    /// Where each IdP's cursor and last run are kept; without it every run lists everything and
    /// nothing is recorded.
    let states: (any DirectorySyncStore)?
    let logger: Logger
    let sleep: @Sendable (Duration) async -> Void
    let now: @Sendable () -> Date

    /// What one run did.
    package struct Outcome: Sendable {
        package var plan: ReconciliationPlan
        /// Whether the plan was written (not a dry run, no safety valve, something to write).
        package var applied: Bool
        package var duration: Duration
        /// The directory's kind (`scim`, `okta`).
        package var kind: DirectoryKind
        /// `full`: every user and group was listed; `incremental`: the changes since the cursor.
        package var mode: String = "full"
        /// Why a kind that reads increments listed everything.
        package var fullReason: String?
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
        states: (any DirectorySyncStore)? = nil,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) throws(ReconcileError) {
        guard let settings = idp.directory, settings.url != nil else { throw .noDirectory(idp.name) }
        if let variable = settings.missingSecret { throw .noToken(idp: idp.name, variable: variable, kind: settings.kind) }
        self.idp = idp
        self.settings = settings
        self.sync = sync
        self.transport = transport
        self.states = states
        self.now = now
        var logger = logger
        logger[metadataKey: "idp"] = "\(idp.name)"
        self.logger = logger
        self.sleep = sleep
    }

    /// Reads the directory and plans; writes nothing.
    /// - Throws: ``ReconcileError/directory(_:)`` when the directory cannot be read whole.
    /// - Parameter recordsShadow: evaluate the candidate mappings too and record their differences
    ///   (a real run; a dry run records nothing).
    package func plan(force: Bool = false, recordsShadow: Bool = false, full: Bool = false) async throws -> ReconciliationPlan {
        try await read(force: force, recordsShadow: recordsShadow, full: full, state: try await states?.directorySyncState(issuer: idp.issuer))
            .plan
    }

    /// One reading of the directory and the plan made from it.
    struct Reading {
        var plan: ReconciliationPlan
        var requests: Int
        var throttledSeconds: Double
        var mode: String
        var fullReason: String?
        /// Where the next incremental listing starts, once this plan is applied.
        var cursor: String?
    }

    /// Reads the directory (the changes since the stored cursor when the kind reads increments
    /// and nothing asks for a full listing; else whole), plans, and says what the reading cost.
    func read(force: Bool, recordsShadow: Bool, full: Bool, state: DirectorySyncState?) async throws -> Reading {
        guard let source = settings.source(transport: transport, logger: logger, sleep: sleep) else {
            throw ReconcileError.noDirectory(idp.name)
        }
        let attributes = settings.attributePaths
        var fullReason: String?
        do {
            if settings.kind.readsIncrements {
                fullReason = fullListingReason(asked: full, state: state)
                if fullReason == nil, let cursor = state?.cursor {
                    switch try await source.changes(since: cursor, keeping: attributes) {
                    case .changes(let changes) where !changes.removedIDs.isEmpty && settings.matchBy != .id:
                        fullReason =
                            "users were deleted in the directory, and with match_by: \(settings.matchBy.rawValue) only a full listing finds them"
                    case .changes(let changes):
                        Self.count(source.meter, idp: idp.name, kind: settings.kind, status: "ok")
                        let plan = try await sync.planReconciliation(
                            issuer: idp.issuer,
                            listing: settings.listing(from: changes),
                            policy: policy(force: force, recordsShadow: recordsShadow)
                        )
                        return Reading(
                            plan: plan,
                            requests: source.meter.requests,
                            throttledSeconds: source.meter.throttledSeconds,
                            mode: "incremental",
                            cursor: changes.cursor
                        )
                    case .fullListingNeeded(let reason):
                        fullReason = reason
                    }
                    logger.info("listing the whole directory", metadata: ["reason": "\(fullReason ?? "")"])
                }
            }
            let cursor = settings.kind.readsIncrements ? try await source.startCursor(keeping: attributes) : nil
            // The snapshot lives only until the listing is made from it: the plan that follows
            // holds the listing, and a 100,000-user snapshot beside it would double the peak.
            let listing = settings.listing(from: try await source.snapshot(keeping: attributes))
            Self.count(source.meter, idp: idp.name, kind: settings.kind, status: "ok")
            let plan = try await sync.planReconciliation(
                issuer: idp.issuer,
                listing: listing,
                policy: policy(force: force, recordsShadow: recordsShadow)
            )
            return Reading(
                plan: plan,
                requests: source.meter.requests,
                throttledSeconds: source.meter.throttledSeconds,
                mode: "full",
                fullReason: fullReason,
                cursor: cursor
            )
        } catch let error as any DirectoryReadError {
            Self.count(source.meter, idp: idp.name, kind: settings.kind, status: "failed")
            throw ReconcileError.directory(error)
        }
    }

    /// Why this run lists everything although the kind reads increments; `nil` when the stored
    /// cursor may be used.
    func fullListingReason(asked: Bool, state: DirectorySyncState?) -> String? {
        if asked { return "asked for (--full)" }
        guard let state, state.cursor != nil else { return "no cursor yet: no listing was applied since the directory was configured" }
        if state.source != settings.sourceIdentity { return "the directory's kind or address changed since the cursor was stored" }
        guard let last = state.lastFullAt, now().timeIntervalSince(last) < settings.fullEvery else {
            return "the last full listing is older than full_every (\(Self.duration(settings.fullEvery)))"
        }
        return nil
    }

    /// `24h`, `90m`, `45s`.
    package static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
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

    func policy(force: Bool, recordsShadow: Bool = false) -> ReconciliationPolicy {
        var policy = ReconciliationPolicy(
            matchClaim: settings.matchClaim,
            maxDeactivationShare: settings.maxDeactivationShare,
            maxDeactivations: settings.maxDeactivations,
            force: force,
            source: .directory
        )
        policy.recordsShadow = recordsShadow
        return policy
    }

    /// Reads, plans and (unless `dryRun`) applies. A plan whose users changed meanwhile is made
    /// again, up to three times.
    /// A plan that trips the safety valve is returned unapplied (its `safetyValve` says why), so the
    /// caller reports the very plan that tripped it.
    ///
    /// A run that is not a dry run records itself in the IdP's ``DirectorySyncState``: its summary
    /// always; the new cursor only when its plan was applied (or had nothing to apply), so a
    /// failed or held run is read again from the same point.
    /// - Parameter full: list everything even where the stored cursor could serve (`--full`).
    /// - Throws: ``ReconcileError``, or store errors; nothing is written then.
    package func run(dryRun: Bool, force: Bool = false, full: Bool = false) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let started = now()
        let dimensions = [("idp", idp.name)]
        let state = try await states?.directorySyncState(issuer: idp.issuer)
        do {
            var attempt = 0
            while true {
                attempt += 1
                let reading = try await read(force: force, recordsShadow: !dryRun && attempt == 1, full: full, state: state)
                let plan = reading.plan
                if let valve = plan.safetyValve {
                    Counter(label: "rolesync_reconcile_safety_valve_total", dimensions: dimensions + [("reason", valve.code)]).increment()
                    logger.error(
                        "reconciliation tripped its safety valve; nothing applied",
                        metadata: ["reason": "\(valve.code)", "deactivations": "\(plan.deactivations)", "active_users": "\(plan.activeUsers)"]
                    )
                    let outcome = finish(reading, outcome: "safety_valve", start: start, clock: clock)
                    if !dryRun { try await record(outcome, started: started, state: state, cursor: nil) }
                    return outcome
                }
                guard !dryRun else { return finish(reading, outcome: "dry_run", start: start, clock: clock) }
                do {
                    try await sync.applyReconciliation(plan, as: .reconciler)
                } catch LedgerStoreError.conflict(.staleUser) where attempt < 3 {
                    logger.info("a user changed while reconciling; planning again", metadata: ["attempt": "\(attempt)"])
                    continue
                }
                let applied = !plan.plan.changes.isEmpty || !plan.plan.claimUpdates.isEmpty || !plan.plan.overridesKept.isEmpty
                // The candidate's differences are written now, not at the server's next flush:
                // `rolesync reconcile` ends here.
                try? await sync.shadow?.flush()
                let outcome = finish(reading, outcome: applied ? "applied" : "unchanged", start: start, clock: clock)
                try await record(outcome, started: started, state: state, cursor: reading.cursor)
                return outcome
            }
        } catch {
            let code = (error as? ReconcileError)?.code ?? (error as? LedgerError)?.code ?? "store"
            Counter(label: "rolesync_reconcile_runs_total", dimensions: dimensions + [("outcome", "failed")]).increment()
            Counter(label: "rolesync_reconcile_failures_total", dimensions: dimensions + [("reason", code)]).increment()
            logger.error("reconciliation failed; nothing changed", metadata: ["reason": "\(code)", "error": "\(error)"])
            if !dryRun {
                let failed = DirectoryRunSummary(
                    startedAt: started,
                    durationSeconds: Self.seconds(clock.now - start),
                    mode: "full",
                    outcome: "failed",
                    errorCode: code,
                    error: "\(error)"
                )
                do {
                    try await save(failed, state: state, cursor: nil, succeeded: false)
                } catch let saving {
                    logger.warning("the failed run could not be recorded", metadata: ["error": "\(saving)"])
                }
            }
            throw error
        }
    }

    /// Records a run that ended with a plan; `cursor` (with a full run's start) only when the plan
    /// was applied or had nothing to apply.
    private func record(_ outcome: Outcome, started: Date, state: DirectorySyncState?, cursor: String?) async throws {
        let plan = outcome.plan
        let summary = DirectoryRunSummary(
            startedAt: started,
            durationSeconds: Self.seconds(outcome.duration),
            mode: outcome.mode,
            fullReason: outcome.fullReason,
            outcome: outcome.applied ? "applied" : plan.safetyValve == nil ? "unchanged" : "safety_valve",
            directoryUsers: plan.directoryUsers,
            matched: plan.matched,
            changed: plan.plan.changes.filter { !$0.isHeld }.count,
            deactivated: plan.deactivations,
            claimUpdates: plan.plan.claimUpdates.count,
            requests: outcome.requests,
            throttledSeconds: outcome.throttledSeconds,
            safetyValve: plan.safetyValve?.description,
            safetyValveCode: plan.safetyValve?.code
        )
        try await save(summary, state: state, cursor: cursor, succeeded: plan.safetyValve == nil)
    }

    /// Writes the IdP's state: the summary always; the cursor, the last success and (for a full
    /// run) the last full listing only when the run succeeded.
    private func save(_ summary: DirectoryRunSummary, state: DirectorySyncState?, cursor: String?, succeeded: Bool) async throws {
        guard let states else { return }
        var next = state ?? DirectorySyncState(issuer: idp.issuer, source: settings.sourceIdentity)
        next.lastRun = summary
        if succeeded {
            if next.source != settings.sourceIdentity {
                next.source = settings.sourceIdentity
                next.lastFullAt = nil
            }
            next.cursor = cursor
            next.lastSuccessAt = summary.startedAt
            if summary.mode == "full" { next.lastFullAt = summary.startedAt }
        }
        try await states.saveDirectorySyncState(next)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Reports a run that ended with a plan: `applied`, `unchanged`, `dry_run` or `safety_valve`.
    private func finish(
        _ reading: Reading,
        outcome: String,
        start: ContinuousClock.Instant,
        clock: ContinuousClock
    ) -> Outcome {
        let plan = reading.plan
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
                "outcome": "\(outcome)", "mode": "\(reading.mode)", "directory_users": "\(plan.directoryUsers)",
                "matched": "\(plan.matched)", "changes": "\(plan.plan.changes.count)",
                "claim_updates": "\(plan.plan.claimUpdates.count)", "held": "\(plan.plan.heldCount)",
                "duration_ms": "\(duration.wholeMilliseconds)", "kind": "\(settings.kind.rawValue)",
                "requests": "\(reading.requests)", "throttled_s": "\(reading.throttledSeconds)",
            ]
        )
        return Outcome(
            plan: plan,
            applied: applied,
            duration: duration,
            kind: settings.kind,
            mode: reading.mode,
            fullReason: reading.fullReason,
            requests: reading.requests,
            throttledSeconds: reading.throttledSeconds
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
            "idp '\(idp)': the environment variable \(variable) ("
                + (kind == .microsoftGraph
                    ? "directory.client_secret_env: the app's client secret"
                    : kind == .ldap ? "directory.bind_password_env: the bind DN's password" : "directory.token_env: the directory's API token")
                + ") is not set"
        case .directory(let error): "\(error); nothing was changed"
        }
    }
}
