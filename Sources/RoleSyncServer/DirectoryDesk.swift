import Foundation
package import RoleSyncLedger
package import RoleSyncReconciler
import RoleSyncReports

/// The directories `rolesync serve` reconciles against, as the Directory page and
/// `GET /api/admin/directory` show them: each IdP's source, the last run and the next, what the
/// safety valve holds, and a dry run on demand.
package struct DirectoryDesk: Sendable {
    /// One reconciler per IdP with a directory to read, in configuration order.
    package var reconcilers: [Reconciler]
    /// Where each IdP's cursor and last run are kept.
    package var states: any DirectorySyncStore

    package init(reconcilers: [Reconciler], states: any DirectorySyncStore) {
        self.reconcilers = reconcilers
        self.states = states
    }

    /// Each IdP's directory with its stored state.
    func overview(at time: Date) async throws -> DirectoryReport {
        let stored = Dictionary(try await states.directorySyncStates().map { ($0.issuer, $0) }, uniquingKeysWith: { first, _ in first })
        return DirectoryReport(
            directories: reconcilers.map { reconciler in
                DirectoryReport.Entry(reconciler: reconciler, state: stored[reconciler.idp.issuer], at: time)
            }
        )
    }

    /// The reconciler of the IdP named `name`.
    func reconciler(named name: String) -> Reconciler? {
        reconcilers.first { $0.idp.name == name }
    }
}

/// `GET /api/admin/directory`: one entry per IdP whose directory `serve` reads.
package struct DirectoryReport: Encodable, Sendable {
    package struct Entry: Encodable, Sendable {
        var idp: String
        var issuer: String
        var kind: String
        var url: String
        var intervalSeconds: Double
        /// `nil` for kinds without incremental listing.
        var fullEverySeconds: Double?
        var hasCursor: Bool
        var lastFullAt: Date?
        var lastSuccessAt: Date?
        var lastRun: DirectoryRunSummary?
        /// When the schedule runs next: the last run's start plus the interval (each run starts up
        /// to a tenth of the interval later, at random); `nil` before the first run is recorded.
        var nextRunAt: Date?
        /// Whether a next full listing is due (`full_every` elapsed, or no cursor yet).
        var fullListingDue: Bool

        init(reconciler: Reconciler, state: DirectorySyncState?, at time: Date) {
            let settings = reconciler.settings
            idp = reconciler.idp.name
            issuer = reconciler.idp.issuer
            kind = settings.kind.rawValue
            url = settings.url?.absoluteString ?? ""
            intervalSeconds = settings.interval
            fullEverySeconds = settings.kind.readsIncrements ? settings.fullEvery : nil
            let usable = state.map { $0.source == settings.sourceIdentity } ?? false
            hasCursor = usable && state?.cursor != nil
            lastFullAt = state?.lastFullAt
            lastSuccessAt = state?.lastSuccessAt
            lastRun = state?.lastRun
            nextRunAt = state?.lastRun.map { $0.startedAt.addingTimeInterval(settings.interval) }
            fullListingDue =
                settings.kind.readsIncrements && (!hasCursor || (lastFullAt.map { time.timeIntervalSince($0) >= settings.fullEvery } ?? true))
        }

        enum CodingKeys: String, CodingKey {
            case idp, issuer, kind, url
            case intervalSeconds = "interval_seconds"
            case fullEverySeconds = "full_every_seconds"
            case hasCursor = "has_cursor"
            case lastFullAt = "last_full_at"
            case lastSuccessAt = "last_success_at"
            case nextRunAt = "next_run_at"
            case fullListingDue = "full_listing_due"
            case lastRun = "last_run"
            case safetyValve = "safety_valve"
            case lastError = "last_error"
        }

        enum RunKeys: String, CodingKey {
            case startedAt = "started_at"
            case durationSeconds = "duration_seconds"
            case mode
            case fullReason = "full_reason"
            case outcome
            case directoryUsers = "directory_users"
            case matched, changed, deactivated
            case claimUpdates = "claim_updates"
            case requests
            case throttledSeconds = "throttled_seconds"
        }

        enum ProblemKeys: String, CodingKey {
            case code, message
        }

        /// Every key always present; times as RFC 3339.
        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(idp, forKey: .idp)
            try c.encode(issuer, forKey: .issuer)
            try c.encode(kind, forKey: .kind)
            try c.encode(url, forKey: .url)
            try c.encode(intervalSeconds, forKey: .intervalSeconds)
            try c.encode(fullEverySeconds, forKey: .fullEverySeconds)
            try c.encode(hasCursor, forKey: .hasCursor)
            try c.encode(Timestamp.format(lastFullAt), forKey: .lastFullAt)
            try c.encode(Timestamp.format(lastSuccessAt), forKey: .lastSuccessAt)
            try c.encode(Timestamp.format(nextRunAt), forKey: .nextRunAt)
            try c.encode(fullListingDue, forKey: .fullListingDue)
            if let run = lastRun {
                var r = c.nestedContainer(keyedBy: RunKeys.self, forKey: .lastRun)
                try r.encode(Timestamp.format(run.startedAt), forKey: .startedAt)
                try r.encode((run.durationSeconds * 1000).rounded() / 1000, forKey: .durationSeconds)
                try r.encode(run.mode, forKey: .mode)
                try r.encode(run.fullReason, forKey: .fullReason)
                try r.encode(run.outcome, forKey: .outcome)
                try r.encode(run.directoryUsers, forKey: .directoryUsers)
                try r.encode(run.matched, forKey: .matched)
                try r.encode(run.changed, forKey: .changed)
                try r.encode(run.deactivated, forKey: .deactivated)
                try r.encode(run.claimUpdates, forKey: .claimUpdates)
                try r.encode(run.requests, forKey: .requests)
                try r.encode((run.throttledSeconds * 1000).rounded() / 1000, forKey: .throttledSeconds)
            } else {
                try c.encodeNil(forKey: .lastRun)
            }
            if let run = lastRun, let code = run.safetyValveCode {
                var v = c.nestedContainer(keyedBy: ProblemKeys.self, forKey: .safetyValve)
                try v.encode(code, forKey: .code)
                try v.encode(run.safetyValve, forKey: .message)
            } else {
                try c.encodeNil(forKey: .safetyValve)
            }
            if let run = lastRun, let code = run.errorCode {
                var e = c.nestedContainer(keyedBy: ProblemKeys.self, forKey: .lastError)
                try e.encode(code, forKey: .code)
                try e.encode(run.error, forKey: .message)
            } else {
                try c.encodeNil(forKey: .lastError)
            }
        }
    }

    var directories: [Entry]
}
