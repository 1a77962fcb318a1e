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
    /// Nothing is sent to it: it answered 410 Gone or failed for too long. Its messages wait (the
    /// cursor stays) until an operator re-enables it.
    case disabled
    /// No longer in the configuration: nothing is sent; its history stays readable.
    case removed
}

/// The message at an endpoint's head (the first event after its cursor that it receives): how
/// often it was tried, when it may be tried next, and the last answer.
package struct WebhookHead: Sendable, Hashable {
    package var attempts: Int
    package var nextAttemptAt: Date?
    package var lastStatus: Int?

    package init(attempts: Int = 0, nextAttemptAt: Date? = nil, lastStatus: Int? = nil) {
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
    }

    /// Not tried yet.
    package static let fresh = WebhookHead()
}

/// An endpoint as the ledger keeps it (decision 136): no message is written when an event is; the
/// audit log is the queue, and each endpoint keeps a cursor into its stream (decision 135).
package struct WebhookEndpoint: Sendable, Hashable {
    package var name: String
    package var url: String
    /// The audit actions it receives.
    package var actions: Set<AuditAction>
    package var state: WebhookEndpointState
    /// The stream position of the last event it is done with (delivered, failed, or not one it
    /// receives).
    package var cursor: AuditStreamPosition
    package var head: WebhookHead
    /// Since when its deliveries have failed without a success between; `nil` while healthy.
    package var failingSince: Date?
    package var disabledAt: Date?
    /// Why it was disabled: `gone` (410) or `failing` (longer than the limit).
    package var disabledReason: String?
    package var lastDeliveredAt: Date?
    /// Who delivers its messages now (one process at a time), and until when.
    package var leaseOwner: String?
    package var leaseUntil: Date?

    package init(
        name: String,
        url: String,
        actions: Set<AuditAction>,
        state: WebhookEndpointState = .healthy,
        cursor: AuditStreamPosition,
        head: WebhookHead = .fresh,
        failingSince: Date? = nil,
        disabledAt: Date? = nil,
        disabledReason: String? = nil,
        lastDeliveredAt: Date? = nil,
        leaseOwner: String? = nil,
        leaseUntil: Date? = nil
    ) {
        self.name = name
        self.url = url
        self.actions = actions
        self.state = state
        self.cursor = cursor
        self.head = head
        self.failingSince = failingSince
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
        self.lastDeliveredAt = lastDeliveredAt
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
    }

    /// Its actions as the ledger stores them: names, sorted, space-separated.
    package var storedActions: String { actions.map(\.rawValue).sorted().joined(separator: " ") }

    /// The actions a stored list names; a name this build does not know (written by a newer one)
    /// is left out.
    package static func actions(stored: String, endpoint: String) -> Set<AuditAction> {
        Set(stored.split(separator: " ").compactMap { AuditAction(rawValue: String($0)) })
    }

    /// Whether a deliverer sends its messages.
    package var delivers: Bool { state == .healthy || state == .retrying }

    /// Whether `owner` holds its lease at `time`.
    package func leased(by owner: String, at time: Date) -> Bool {
        leaseOwner == owner && (leaseUntil.map { $0 > time } ?? false)
    }
}

/// A message every try of the schedule failed (or an out-of-band retry of it): kept, shown, and
/// sent again when an operator asks (retry now, or a replay).
package struct WebhookFailure: Sendable, Hashable {
    package var endpoint: String
    package var eventID: Int64
    package var failedAt: Date
    package var attempts: Int
    package var lastStatus: Int?
    /// An operator asked for one more try; the deliverer sends it out of order, once.
    package var retryRequested: Bool

    package init(endpoint: String, eventID: Int64, failedAt: Date, attempts: Int, lastStatus: Int?, retryRequested: Bool = false) {
        self.endpoint = endpoint
        self.eventID = eventID
        self.failedAt = failedAt
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.retryRequested = retryRequested
    }
}

/// One try of one message, as the Events page shows it.
package struct WebhookAttempt: Sendable, Hashable {
    package var endpoint: String
    /// The audit event sent; 0 for a test `ping`.
    package var eventID: Int64
    package var time: Date
    /// The HTTP status; `nil` when there was no answer (`error` says why).
    package var status: Int?
    package var duration: Duration
    /// The start of the answer's body, printable, at most 200 characters.
    package var responseStart: String
    package var error: String?

    package init(endpoint: String, eventID: Int64, time: Date, status: Int?, duration: Duration, responseStart: String, error: String?) {
        self.endpoint = endpoint
        self.eventID = eventID
        self.time = time
        self.status = status
        self.duration = duration
        self.responseStart = responseStart
        self.error = error
    }

    /// At most `limit` printable characters of an answer's body: control characters become spaces.
    package static func start(of body: some Sequence<UInt8>, limit: Int = 200) -> String {
        let text = String(decoding: Array(body.prefix(limit * 4)), as: UTF8.self)
        return String(String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) }).prefix(limit))
    }
}

/// What one try's answer means for an endpoint and the message at its head: at-least-once delivery
/// with a retry schedule over more than a day, as issue 26 and the Standard Webhooks specification
/// ask. The deliverer tries; this decides; the store writes (docs/notes/events-outbox.md).
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

        package var status: Int? {
            switch self {
            case .delivered(let status): status
            case .gone: 410
            case .failed(let status): status
            }
        }
    }

    /// The endpoint after a try, at `time`, of the message at its head (the event at `position`).
    ///
    /// - delivered: the cursor moves past it, the endpoint is healthy;
    /// - 410 Gone: the endpoint is disabled; the message stays at the head;
    /// - else: tried again after the schedule's next wait (`jitter`, 0.8–1.2, random in production,
    ///   spreads retries that failed together); after the last, the message is failed (returned, to
    ///   keep) and the cursor moves past it. An endpoint failing longer than `disableAfter` without a
    ///   success is disabled.
    package static func endpoint(
        _ endpoint: WebhookEndpoint,
        after outcome: Outcome,
        of eventID: Int64,
        at position: AuditStreamPosition,
        time: Date,
        jitter: Double,
        disableAfter: TimeInterval
    ) -> (endpoint: WebhookEndpoint, failure: WebhookFailure?) {
        var next = endpoint
        next.head.attempts += 1
        next.head.lastStatus = outcome.status
        switch outcome {
        case .delivered:
            next.cursor = position
            next.head = .fresh
            next.state = .healthy
            next.failingSince = nil
            next.lastDeliveredAt = time
            return (next, nil)
        case .gone:
            disable(&next, reason: "gone", at: time)
            return (next, nil)
        case .failed:
            let since = endpoint.failingSince ?? time
            next.failingSince = since
            if time.timeIntervalSince(since) > disableAfter {
                disable(&next, reason: "failing", at: time)
                return (next, nil)
            }
            next.state = .retrying
            guard next.head.attempts > schedule.count else {
                next.head.nextAttemptAt = time.addingTimeInterval(schedule[next.head.attempts - 1] * min(max(jitter, 0.8), 1.2))
                return (next, nil)
            }
            let failure = WebhookFailure(
                endpoint: endpoint.name,
                eventID: eventID,
                failedAt: time,
                attempts: next.head.attempts,
                lastStatus: outcome.status
            )
            next.cursor = position
            next.head = .fresh
            return (next, failure)
        }
    }

    /// After an operator's retry of a failed message: delivered removes the failure (`nil`); 410
    /// disables the endpoint; anything else keeps it failed, one try more.
    package static func retried(
        _ failure: WebhookFailure,
        of endpoint: WebhookEndpoint,
        after outcome: Outcome,
        time: Date
    ) -> (endpoint: WebhookEndpoint, failure: WebhookFailure?) {
        var next = endpoint
        var failure = failure
        failure.retryRequested = false
        failure.attempts += 1
        failure.lastStatus = outcome.status
        switch outcome {
        case .delivered:
            next.lastDeliveredAt = time
            return (next, nil)
        case .gone:
            disable(&next, reason: "gone", at: time)
            return (next, failure)
        case .failed:
            failure.failedAt = time
            return (next, failure)
        }
    }

    static func disable(_ endpoint: inout WebhookEndpoint, reason: String, at time: Date) {
        endpoint.state = .disabled
        endpoint.disabledAt = time
        endpoint.disabledReason = reason
        endpoint.leaseOwner = nil
        endpoint.leaseUntil = nil
    }
}
