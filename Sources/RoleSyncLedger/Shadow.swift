package import Foundation
package import Logging
import Metrics
package import RoleSyncMapping
import Synchronization

/// One identity on which a candidate (shadow) mapping decides differently from the live one: the
/// latest evaluation that disagreed, with both decisions and both rules. Recording one never
/// touches the user.
package struct ShadowDifference: Sendable, Hashable {
    /// What differs.
    package enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        /// Both cover the user, with different roles.
        case role
        /// One covers the user and the other does not.
        case coverage
        /// One would deactivate the user (a `deactivate` condition holds) and the other not.
        case status
        /// One lets the user sign in and the other refuses.
        case access
    }

    /// Where the evaluation happened.
    package enum Path: String, Sendable, Hashable, CaseIterable, Codable {
        case signIn = "sign_in"
        case reconcile
        case push
    }

    /// One mapping's decision, as much as a report needs.
    package struct Side: Sendable, Hashable, Codable {
        package var allowed: Bool
        /// Why sign-in is refused (`requirement_failed`, `unmatched_denied`, …); `nil` when allowed.
        package var refusal: String?
        package var covered: Bool
        /// The role the rule gives; `nil` when no rule covers the user.
        package var role: Role?
        /// `inactive` when a `deactivate` condition holds.
        package var status: UserStatus
        package var rule: String?
        package var file: String

        package init(_ decision: Decision) {
            allowed = decision.refusal == nil
            refusal = decision.refusal?.code
            covered = decision.isCovered && decision.isRoleDetermined
            role = covered ? decision.role : nil
            status = decision.shouldDeactivate ? .inactive : .active
            rule = decision.ruleID
            file = decision.mappingFile
        }

        enum CodingKeys: String, CodingKey {
            case allowed, refusal, covered, role, status, rule, file
        }

        /// Every key always present (null rather than missing): how the report and the stores
        /// write a decision.
        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(allowed, forKey: .allowed)
            try c.encode(refusal, forKey: .refusal)
            try c.encode(covered, forKey: .covered)
            try c.encode(role, forKey: .role)
            try c.encode(status, forKey: .status)
            try c.encode(rule, forKey: .rule)
            try c.encode(file, forKey: .file)
        }
    }

    package var issuer: String
    package var subject: String
    /// The ledger user, once there is one (a refused first sign-in has none).
    package var userID: UserID?
    /// How reports name the user (email, else name, else issuer#subject).
    package var user: String
    package var via: Path
    package var kinds: [Kind]
    package var live: Side
    package var candidate: Side
    package var firstSeen: Date
    package var lastSeen: Date
    /// How many evaluations disagreed since it was first seen.
    package var occurrences: Int

    package init(
        issuer: String,
        subject: String,
        userID: UserID?,
        user: String,
        via: Path,
        kinds: [Kind],
        live: Side,
        candidate: Side,
        firstSeen: Date,
        lastSeen: Date,
        occurrences: Int = 1
    ) {
        self.issuer = issuer
        self.subject = subject
        self.userID = userID
        self.user = user
        self.via = via
        self.kinds = kinds
        self.live = live
        self.candidate = candidate
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.occurrences = occurrences
    }

    /// What differs between two decisions on the same claims; empty when they agree.
    package static func kinds(live: Side, candidate: Side) -> [Kind] {
        var kinds: [Kind] = []
        if live.covered && candidate.covered && live.role != candidate.role { kinds.append(.role) }
        if live.covered != candidate.covered { kinds.append(.coverage) }
        if live.status != candidate.status { kinds.append(.status) }
        if live.allowed != candidate.allowed { kinds.append(.access) }
        return kinds
    }

    /// One line for logs and the command line: `role user → model_admin (rule admins → model-admins)`.
    package var summary: String {
        kinds.map { kind in
            switch kind {
            case .role: "role \(live.role?.rawValue ?? "-") → \(candidate.role?.rawValue ?? "-")"
            case .coverage: candidate.covered ? "coverage gained" : "coverage lost"
            case .status: "status \(live.status.rawValue) → \(candidate.status.rawValue)"
            case .access: candidate.allowed ? "sign-in allowed" : "sign-in refused (\(candidate.refusal ?? "?"))"
            }
        }.joined(separator: ", ")
    }
}

/// Which recorded differences to list.
package struct ShadowQuery: Sendable, Hashable {
    /// Only differences seen at or after this time.
    package var since: Date?
    package var issuer: String?
    package var kind: ShadowDifference.Kind?
    package var limit: Int

    package init(since: Date? = nil, issuer: String? = nil, kind: ShadowDifference.Kind? = nil, limit: Int = 100) {
        self.since = since
        self.issuer = issuer
        self.kind = kind
        self.limit = limit
    }
}

/// Recorded differences, newest first, and how many match in all.
package struct ShadowPage: Sendable, Hashable {
    package var differences: [ShadowDifference]
    package var total: Int
    /// How many of those that match have each kind.
    package var counts: [ShadowDifference.Kind: Int]

    package init(differences: [ShadowDifference], total: Int, counts: [ShadowDifference.Kind: Int]) {
        self.differences = differences
        self.total = total
        self.counts = counts
    }
}

/// Storage for shadow differences: one row per identity, the latest disagreement.
package protocol ShadowStore: Sendable {
    /// Inserts each difference, or updates the identity's row (kinds, decisions, last seen; the
    /// count grows, the first sighting stays).
    func recordShadowDifferences(_ differences: [ShadowDifference]) async throws
    func shadowDifferences(matching query: ShadowQuery) async throws -> ShadowPage
    /// Deletes differences last seen before `time`; returns how many.
    @discardableResult
    func pruneShadowDifferences(before time: Date) async throws -> Int
    /// Deletes the differences of these issuers (all when empty): a promoted candidate is live.
    @discardableResult
    func clearShadowDifferences(issuers: [String]) async throws -> Int
}

/// Evaluates the candidate mappings beside the live ones and records where they disagree, off the
/// sign-in's path: differences wait in memory and are written in batches by ``flush()``.
package final class ShadowRecorder: Sendable {
    private let store: any ShadowStore
    private let pending = Mutex<[ShadowDifference]>([])
    private let logger: Logger
    /// The most differences held between flushes; more are counted and dropped (a flood of them
    /// says enough).
    static let capacity = 10_000

    /// Made once: a sign-in only increments them.
    private let evaluations: [ShadowDifference.Path: Counter]
    private let differences: [ShadowDifference.Path: [ShadowDifference.Kind: Counter]]
    private let dropped = Counter(label: "rolesync_shadow_dropped_total")

    /// Make it after swift-metrics is bootstrapped: its counters are made here.
    /// The recorded differences, as a report lists them.
    package func differences(matching query: ShadowQuery) async throws -> ShadowPage {
        try await store.shadowDifferences(matching: query)
    }

    package init(store: any ShadowStore, logger: Logger) {
        self.store = store
        self.logger = logger
        var evaluations: [ShadowDifference.Path: Counter] = [:]
        var differences: [ShadowDifference.Path: [ShadowDifference.Kind: Counter]] = [:]
        for path in ShadowDifference.Path.allCases {
            evaluations[path] = Counter(label: "rolesync_shadow_evaluations_total", dimensions: [("via", path.rawValue)])
            for kind in ShadowDifference.Kind.allCases {
                differences[path, default: [:]][kind] = Counter(
                    label: "rolesync_shadow_differences_total",
                    dimensions: [("kind", kind.rawValue), ("via", path.rawValue)]
                )
            }
        }
        self.evaluations = evaluations
        self.differences = differences
    }

    /// Compares the decisions on the same claims and queues the difference, if any.
    /// - Returns: the difference queued, or `nil` when the two agree.
    @discardableResult
    package func compare(
        live: Decision,
        candidate: Decision,
        issuer: String,
        subject: String,
        user: User?,
        via path: ShadowDifference.Path,
        at time: Date
    ) -> ShadowDifference? {
        evaluations[path]?.increment()
        let liveSide = ShadowDifference.Side(live)
        let candidateSide = ShadowDifference.Side(candidate)
        let kinds = ShadowDifference.kinds(live: liveSide, candidate: candidateSide)
        guard !kinds.isEmpty else { return nil }
        for kind in kinds {
            differences[path]?[kind]?.increment()
        }
        let difference = ShadowDifference(
            issuer: issuer,
            subject: subject,
            userID: user?.id,
            user: user?.displayName ?? live.profile.email ?? live.profile.name ?? "\(issuer)#\(subject)",
            via: path,
            kinds: kinds,
            live: liveSide,
            candidate: candidateSide,
            firstSeen: time,
            lastSeen: time
        )
        let queued = pending.withLock { queue in
            guard queue.count < Self.capacity else { return false }
            queue.append(difference)
            return true
        }
        if !queued { dropped.increment() }
        return difference
    }

    /// Writes the queued differences (the latest per identity wins within a batch).
    package func flush() async throws {
        let batch = pending.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        guard !batch.isEmpty else { return }
        var latest: [String: ShadowDifference] = [:]
        for difference in batch {
            let key = difference.issuer + "\u{0}" + difference.subject
            if var kept = latest[key] {
                let occurrences = kept.occurrences + 1
                kept = difference
                kept.occurrences = occurrences
                latest[key] = kept
            } else {
                latest[key] = difference
            }
        }
        do {
            try await store.recordShadowDifferences(Array(latest.values))
        } catch {
            // Kept for the next flush, within the bound.
            pending.withLock { queue in queue.insert(contentsOf: latest.values.prefix(max(0, Self.capacity - queue.count)), at: 0) }
            logger.error("shadow differences not recorded yet", metadata: ["differences": "\(latest.count)", "error": "\(error)"])
            throw error
        }
    }
}
