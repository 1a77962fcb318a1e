package import Foundation
import RoleSyncMapping

/// An endpoint the configuration names under `webhooks:`, as the ledger keeps it: where its
/// messages go and which audit actions it receives (its `events:` patterns expanded).
package struct WebhookEndpointSetting: Sendable, Hashable {
    package var name: String
    package var url: String
    package var actions: Set<AuditAction>

    package init(name: String, url: String, actions: Set<AuditAction>) {
        self.name = name
        self.url = url
        self.actions = actions
    }

    /// The audit actions `patterns` select: each an action's name (`key.revoked`) or a glob over
    /// the names (`user.*`, `*`). No pattern means every action.
    /// - Throws: ``PatternError`` naming the first pattern that is not a glob or selects nothing.
    package static func actions(matching patterns: [String]) throws(PatternError) -> Set<AuditAction> {
        guard !patterns.isEmpty else { return Set(AuditAction.allCases) }
        var selected: Set<AuditAction> = []
        for pattern in patterns {
            let glob: GlobPattern
            do {
                glob = try GlobPattern(pattern)
            } catch {
                throw PatternError(pattern: pattern, reason: "is not a valid pattern: \(error)")
            }
            let matching = AuditAction.allCases.filter { glob.matches($0.rawValue) }
            guard !matching.isEmpty else {
                throw PatternError(pattern: pattern, reason: "matches no audit action")
            }
            selected.formUnion(matching)
        }
        return selected
    }

    /// A pattern of `events:` that selects nothing.
    package struct PatternError: Error, Sendable, Hashable, CustomStringConvertible {
        package var pattern: String
        package var reason: String
        package var description: String { "'\(pattern)' \(reason)" }

        package init(pattern: String, reason: String) {
            self.pattern = pattern
            self.reason = reason
        }
    }
}

/// Where an endpoint stands.
package enum WebhookEndpointState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Its last delivery succeeded (or none was tried yet).
    case healthy
    /// Its oldest message is waiting for another try.
    case retrying
    /// Nothing is queued or sent for it: it answered 410 Gone or failed for too long; re-enabled by
    /// hand.
    case disabled
    /// No longer in the configuration: its messages stay readable, nothing more is queued.
    case removed
}

/// An endpoint as the ledger keeps it.
package struct WebhookEndpoint: Sendable, Hashable {
    package var name: String
    package var url: String
    package var state: WebhookEndpointState
    /// Since when its deliveries have failed without a success between; `nil` while healthy.
    package var failingSince: Date?
    package var disabledAt: Date?
    /// Why it was disabled: `gone` (410) or `failing` (longer than the limit).
    package var disabledReason: String?

    package init(
        name: String,
        url: String,
        state: WebhookEndpointState,
        failingSince: Date? = nil,
        disabledAt: Date? = nil,
        disabledReason: String? = nil
    ) {
        self.name = name
        self.url = url
        self.state = state
        self.failingSince = failingSince
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
    }
}

/// Where a message stands.
package enum WebhookMessageState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case delivered
    /// Every try of the schedule failed: kept, and sent again only when replayed.
    case failed
}

/// One audit event queued for one endpoint.
package struct WebhookMessage: Sendable, Hashable {
    package var endpoint: String
    package var event: AuditEvent
    package var state: WebhookMessageState
    /// Tries so far.
    package var attempts: Int
    /// When it may be tried next (pending messages).
    package var nextAttemptAt: Date
    package var lastAttemptAt: Date?
    /// The HTTP status of the last try; `nil` when it got no answer.
    package var lastStatus: Int?

    package init(
        endpoint: String,
        event: AuditEvent,
        state: WebhookMessageState,
        attempts: Int,
        nextAttemptAt: Date,
        lastAttemptAt: Date? = nil,
        lastStatus: Int? = nil
    ) {
        self.endpoint = endpoint
        self.event = event
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatus = lastStatus
    }

    /// The `webhook-id` every try of this message carries, the same for each endpoint: receivers
    /// deduplicate on it.
    package var webhookID: String { "msg_\(event.id ?? 0)" }
}

/// What one try's answer means for its message and its endpoint: at-least-once delivery with a
/// retry schedule over more than a day, as issue 26 and the Standard Webhooks specification ask.
/// The deliverer tries; this decides; the store writes (docs/notes/events-outbox.md).
package enum WebhookRetryPolicy {
    /// The waits after the first, second, … seventh failed try: 5 s, 5 min, 30 min, 2 h, 5 h,
    /// 10 h, 10 h (27.6 hours in all). When the eighth try fails too, the message is failed.
    package static let schedule: [TimeInterval] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
    /// How long an endpoint may fail without a success before it is disabled (`disable_after`).
    package static let defaultDisableAfter: TimeInterval = 3 * 86_400

    /// What a try came to.
    package enum Outcome: Sendable, Hashable {
        /// A 2xx answer.
        case delivered(status: Int)
        /// 410 Gone: the receiver says the endpoint no longer exists.
        case gone
        /// Any other status, or none (a timeout, a refused connection).
        case failed(status: Int?)

        /// The outcome of an HTTP status, `nil` when no answer came.
        package init(status: Int?) {
            switch status {
            case let status? where (200..<300).contains(status): self = .delivered(status: status)
            case 410?: self = .gone
            default: self = .failed(status: status)
            }
        }

        var status: Int? {
            switch self {
            case .delivered(let status): status
            case .gone: 410
            case .failed(let status): status
            }
        }
    }

    /// The message after a try at `time`. `jitter` (0.8–1.2, random in production) spreads the
    /// retries of many messages that failed together.
    package static func message(_ message: WebhookMessage, after outcome: Outcome, at time: Date, jitter: Double) -> WebhookMessage {
        var next = message
        next.attempts += 1
        next.lastAttemptAt = time
        next.lastStatus = outcome.status
        switch outcome {
        case .delivered:
            next.state = .delivered
        case .gone:
            // Stays pending: the endpoint is disabled, and its messages wait for it to be re-enabled.
            break
        case .failed:
            if next.attempts > schedule.count {
                next.state = .failed
            } else {
                next.nextAttemptAt = time.addingTimeInterval(schedule[next.attempts - 1] * min(max(jitter, 0.8), 1.2))
            }
        }
        return next
    }

    /// The endpoint after a try at `time`: healthy after a success, disabled after 410 Gone or after
    /// failing for longer than `disableAfter` without a success, else retrying since its first failure.
    package static func endpoint(_ endpoint: WebhookEndpoint, after outcome: Outcome, at time: Date, disableAfter: TimeInterval) -> WebhookEndpoint {
        var next = endpoint
        switch outcome {
        case .delivered:
            next.state = .healthy
            next.failingSince = nil
        case .gone:
            next.state = .disabled
            next.disabledAt = time
            next.disabledReason = "gone"
        case .failed:
            let since = endpoint.failingSince ?? time
            next.failingSince = since
            if time.timeIntervalSince(since) > disableAfter {
                next.state = .disabled
                next.disabledAt = time
                next.disabledReason = "failing"
            } else {
                next.state = .retrying
            }
        }
        return next
    }
}
