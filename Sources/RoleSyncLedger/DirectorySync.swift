package import Foundation

/// Where one IdP's directory reading stands: the cursor an incremental listing resumes from, and
/// what the last run did. Kept in the ledger (both engines), so every replica, `rolesync reconcile`
/// and the Directory page see the same state, and a replica that takes over the schedule resumes
/// where the last leader stopped.
package struct DirectorySyncState: Sendable, Hashable {
    package var issuer: String
    /// The source the cursor belongs to (its kind and URL): a cursor is used only by the same
    /// source, so pointing an IdP at another tenant starts with a full listing.
    package var source: String
    /// Where the next incremental listing starts (opaque to the ledger: Graph's delta links, an
    /// Okta time); `nil` when the next run lists everything.
    package var cursor: String?
    /// When the last full listing that was applied started.
    package var lastFullAt: Date?
    /// When the last run that applied its plan (or found nothing to change) started.
    package var lastSuccessAt: Date?
    /// The last run that was not a dry run, whatever its outcome.
    package var lastRun: DirectoryRunSummary?

    package init(
        issuer: String,
        source: String,
        cursor: String? = nil,
        lastFullAt: Date? = nil,
        lastSuccessAt: Date? = nil,
        lastRun: DirectoryRunSummary? = nil
    ) {
        self.issuer = issuer
        self.source = source
        self.cursor = cursor
        self.lastFullAt = lastFullAt
        self.lastSuccessAt = lastSuccessAt
        self.lastRun = lastRun
    }
}

/// What one reconciliation run did, as the Directory page and `GET /api/admin/directory` show it.
package struct DirectoryRunSummary: Sendable, Hashable, Codable {
    package var startedAt: Date
    package var durationSeconds: Double
    /// `full` or `incremental`.
    package var mode: String
    /// Why a run was full where the kind reads increments (`--full`, no cursor yet, `full_every`
    /// elapsed, the directory forgot the cursor, …).
    package var fullReason: String?
    /// `applied`, `unchanged`, `safety_valve` or `failed`.
    package var outcome: String
    package var directoryUsers: Int
    package var matched: Int
    /// Users whose role, status or coverage the plan changes (held ones aside).
    package var changed: Int
    package var deactivated: Int
    package var claimUpdates: Int
    package var requests: Int
    package var throttledSeconds: Double
    /// The safety valve's code and what it says, when it held the plan.
    package var safetyValve: String?
    package var safetyValveCode: String?
    /// The error's code and message, when the run failed (never a token).
    package var errorCode: String?
    package var error: String?

    package init(
        startedAt: Date,
        durationSeconds: Double,
        mode: String,
        fullReason: String? = nil,
        outcome: String,
        directoryUsers: Int = 0,
        matched: Int = 0,
        changed: Int = 0,
        deactivated: Int = 0,
        claimUpdates: Int = 0,
        requests: Int = 0,
        throttledSeconds: Double = 0,
        safetyValve: String? = nil,
        safetyValveCode: String? = nil,
        errorCode: String? = nil,
        error: String? = nil
    ) {
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.mode = mode
        self.fullReason = fullReason
        self.outcome = outcome
        self.directoryUsers = directoryUsers
        self.matched = matched
        self.changed = changed
        self.deactivated = deactivated
        self.claimUpdates = claimUpdates
        self.requests = requests
        self.throttledSeconds = throttledSeconds
        self.safetyValve = safetyValve
        self.safetyValveCode = safetyValveCode
        self.errorCode = errorCode
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
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
        case safetyValve = "safety_valve"
        case safetyValveCode = "safety_valve_code"
        case errorCode = "error_code"
        case error
    }

    /// The summary as the ledger stores it: JSON, dates as seconds since 1970.
    package func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    package static func decoded(_ text: String) throws -> DirectoryRunSummary {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(DirectoryRunSummary.self, from: Data(text.utf8))
    }
}

/// Storage for each IdP's ``DirectorySyncState``: one row per issuer, written whole.
package protocol DirectorySyncStore: Sendable {
    /// Every IdP's state, by issuer.
    func directorySyncStates() async throws -> [DirectorySyncState]
    func directorySyncState(issuer: String) async throws -> DirectorySyncState?
    /// Writes the IdP's state whole (inserted or replaced).
    func saveDirectorySyncState(_ state: DirectorySyncState) async throws
}
