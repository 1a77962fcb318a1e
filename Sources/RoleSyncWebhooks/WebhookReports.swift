package import Foundation
import RoleSyncLedger
import RoleSyncReports

/// An endpoint as `GET /api/admin/webhooks` and `rolesync events list --format json` show it.
package struct WebhookEndpointReport: Encodable, Sendable {
    let status: WebhookDesk.Status
    let configured: Bool
    let now: Date

    package init(_ status: WebhookDesk.Status, configured: Bool, at now: Date) {
        self.status = status
        self.configured = configured
        self.now = now
    }

    enum CodingKeys: String, CodingKey {
        case name, url, state, events, configured, backlog, failed
        case cursorEventID = "cursor_event_id"
        case lastDeliveredAt = "last_delivered_at"
        case failingSince = "failing_since"
        case disabledAt = "disabled_at"
        case disabledReason = "disabled_reason"
        case headAttempts = "head_attempts"
        case nextAttemptAt = "next_attempt_at"
        case lastStatus = "last_status"
        case oldestUndeliveredAt = "oldest_undelivered_at"
        case oldestUndeliveredAgeSeconds = "oldest_undelivered_age_seconds"
        case backlogCapped = "backlog_capped"
    }

    package func encode(to encoder: any Encoder) throws {
        let endpoint = status.endpoint
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(endpoint.name, forKey: .name)
        try c.encode(endpoint.url, forKey: .url)
        try c.encode(endpoint.state.rawValue, forKey: .state)
        try c.encode(endpoint.actions.map(\.rawValue).sorted(), forKey: .events)
        try c.encode(configured, forKey: .configured)
        try c.encode(endpoint.cursor.eventID, forKey: .cursorEventID)
        try c.encode(Timestamp.format(endpoint.lastDeliveredAt), forKey: .lastDeliveredAt)
        try c.encode(Timestamp.format(endpoint.failingSince), forKey: .failingSince)
        try c.encode(Timestamp.format(endpoint.disabledAt), forKey: .disabledAt)
        try c.encode(endpoint.disabledReason, forKey: .disabledReason)
        try c.encode(endpoint.head.attempts, forKey: .headAttempts)
        try c.encode(Timestamp.format(endpoint.head.nextAttemptAt), forKey: .nextAttemptAt)
        try c.encode(endpoint.head.lastStatus, forKey: .lastStatus)
        try c.encode(Timestamp.format(status.oldestUndelivered), forKey: .oldestUndeliveredAt)
        try c.encode(status.oldestUndelivered.map { max(0, now.timeIntervalSince($0).rounded()) }, forKey: .oldestUndeliveredAgeSeconds)
        try c.encode(status.backlog, forKey: .backlog)
        try c.encode(status.backlogCapped, forKey: .backlogCapped)
        try c.encode(status.failed, forKey: .failed)
    }
}

/// A message as `GET /api/admin/webhooks/messages` and `rolesync events messages --format json`
/// show it: the event, where it stands, and every try, newest first.
package struct WebhookMessageReport: Encodable, Sendable {
    let message: WebhookDesk.Message

    package init(_ message: WebhookDesk.Message) {
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case endpoint, type, state, attempts, event
        case webhookID = "webhook_id"
        case eventID = "event_id"
        case nextAttemptAt = "next_attempt_at"
        case retryRequested = "retry_requested"
    }

    struct Attempt: Encodable {
        let attempt: WebhookAttempt

        enum CodingKeys: String, CodingKey {
            case time, status, error
            case durationMS = "duration_ms"
            case responseStart = "response_start"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Timestamp.format(attempt.time), forKey: .time)
            try c.encode(attempt.status, forKey: .status)
            try c.encode(attempt.duration.wholeMilliseconds, forKey: .durationMS)
            try c.encode(attempt.responseStart, forKey: .responseStart)
            try c.encode(attempt.error, forKey: .error)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(message.endpoint, forKey: .endpoint)
        try c.encode(message.webhookID, forKey: .webhookID)
        try c.encode(message.event.id, forKey: .eventID)
        try c.encode(message.event.action.rawValue, forKey: .type)
        try c.encode(message.state.rawValue, forKey: .state)
        try c.encode(Timestamp.format(message.nextAttemptAt), forKey: .nextAttemptAt)
        try c.encode(message.retryRequested, forKey: .retryRequested)
        try c.encode(message.attempts.map(Attempt.init), forKey: .attempts)
        try c.encode(AuditEventReport(message.event), forKey: .event)
    }
}
