package import Foundation
import PostgresNIO
package import RoleSyncLedger

/// The webhook outbox on PostgreSQL (``WebhookOutboxStore``). Messages are queued by the schema's
/// trigger on `audit_events`. Pending messages are read in the audit stream's order and only once
/// no older transaction can still add one before them (decision 135), so an endpoint receives its
/// events in that order whichever replica delivers.
extension PostgresEngine: WebhookOutboxStore {
    package func replaceWebhookEndpoints(_ settings: [WebhookEndpointSetting], at time: Date) async throws {
        let logger = self.logger
        try await withConnection { connection in
            try await connection.transaction(logger: logger) { connection in
                for setting in settings {
                    try await connection.checkedQuery(
                        """
                        INSERT INTO webhook_endpoints (name, url, state) VALUES (\(setting.name), \(setting.url), 'healthy')
                        ON CONFLICT (name) DO UPDATE SET url = excluded.url,
                            state = CASE webhook_endpoints.state WHEN 'removed' THEN 'healthy' ELSE webhook_endpoints.state END
                        """,
                        logger: logger
                    )
                    let actions = setting.actions.map(\.rawValue).sorted()
                    try await connection.checkedQuery("DELETE FROM webhook_subscriptions WHERE endpoint = \(setting.name)", logger: logger)
                    try await connection.checkedQuery(
                        """
                        INSERT INTO webhook_subscriptions (action, endpoint)
                        SELECT action, \(setting.name) FROM unnest(\(actions)::text[]) AS action
                        """,
                        logger: logger
                    )
                }
                let names = settings.map(\.name)
                try await connection.checkedQuery(
                    """
                    UPDATE webhook_endpoints SET state = 'removed', lease_owner = NULL, lease_until = NULL
                    WHERE state <> 'removed' AND NOT (name = ANY(\(names)::text[]))
                    """,
                    logger: logger
                )
                try await connection.checkedQuery(
                    "DELETE FROM webhook_subscriptions WHERE endpoint IN (SELECT name FROM webhook_endpoints WHERE state = 'removed')",
                    logger: logger
                )
            }
        }
    }

    package func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await rows("SELECT name, url, state, failing_since, disabled_at, disabled_reason FROM webhook_endpoints ORDER BY name") { row in
            let (name, url, state, failingSince, disabledAt, reason) = try row.decode((String, String, String, Date?, Date?, String?).self)
            guard let parsed = WebhookEndpointState(rawValue: state) else {
                throw PostgresStoreError.corrupt("webhook endpoint \(name): unknown state '\(state)'")
            }
            return WebhookEndpoint(name: name, url: url, state: parsed, failingSince: failingSince, disabledAt: disabledAt, disabledReason: reason)
        }
    }

    package func webhookSubscriptions() async throws -> [String: Set<AuditAction>] {
        let pairs = try await rows("SELECT endpoint, action FROM webhook_subscriptions") { row in try row.decode((String, String).self) }
        var result: [String: Set<AuditAction>] = [:]
        for (endpoint, action) in pairs {
            guard let parsed = AuditAction(rawValue: action) else { continue }
            result[endpoint, default: []].insert(parsed)
        }
        return result
    }

    package func leaseWebhookEndpoint(_ name: String, owner: String, until: Date, at time: Date) async throws -> Bool {
        let taken = try await rows(
            """
            UPDATE webhook_endpoints SET lease_owner = \(owner), lease_until = \(until)
            WHERE name = \(name) AND state IN ('healthy', 'retrying')
                AND (lease_owner IS NULL OR lease_owner = \(owner) OR lease_until <= \(time))
            RETURNING name
            """
        ) { row in try row.decode(String.self) }
        return !taken.isEmpty
    }

    package func releaseWebhookEndpoint(_ name: String, owner: String) async throws {
        try await query("UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE name = \(name) AND lease_owner = \(owner)")
    }

    package func pendingWebhookMessages(endpoint: String, limit: Int) async throws -> [WebhookMessage] {
        try await rows(
            """
            SELECT m.endpoint, m.state, m.attempts, m.next_attempt_at, m.last_attempt_at, m.last_status,
                a.id, a.time, a.actor, a.action, a.user_id, a.issuer, a.subject, a.details::text
            FROM webhook_messages m JOIN audit_events a ON a.id = m.event_id
            WHERE m.endpoint = \(endpoint) AND m.state = 'pending' AND a.xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY a.xid, a.id LIMIT \(Int64(limit))
            """
        ) { row in
            let (endpoint, state, attempts, next, last, status, id, time, actor, action, userID, issuer, subject, details) = try row.decode(
                (String, String, Int32, Date, Date?, Int32?, Int64, Date, String, String, Int64?, String?, String?, String).self
            )
            guard let parsed = WebhookMessageState(rawValue: state) else {
                throw PostgresStoreError.corrupt("webhook message of event \(id): unknown state '\(state)'")
            }
            return WebhookMessage(
                endpoint: endpoint,
                event: try PostgresRows.auditEvent((id, time, actor, action, userID, issuer, subject, details)),
                state: parsed,
                attempts: Int(attempts),
                nextAttemptAt: next,
                lastAttemptAt: last,
                lastStatus: status.map(Int.init)
            )
        }
    }

    package func saveWebhookOutcomes(_ messages: [WebhookMessage], attempts: [WebhookAttempt], endpoint: WebhookEndpoint) async throws {
        let logger = self.logger
        try await withConnection { connection in
            try await connection.transaction(logger: logger) { connection in
                for message in messages {
                    try await connection.checkedQuery(
                        """
                        UPDATE webhook_messages SET state = \(message.state.rawValue), attempts = \(Int32(message.attempts)),
                            next_attempt_at = \(message.nextAttemptAt), last_attempt_at = \(message.lastAttemptAt),
                            last_status = \(message.lastStatus.map { Int32($0) })
                        WHERE endpoint = \(message.endpoint) AND event_id = \(message.event.id ?? 0) AND state = 'pending'
                        """,
                        logger: logger
                    )
                }
                for attempt in attempts {
                    try await connection.checkedQuery(
                        """
                        INSERT INTO webhook_attempts (endpoint, event_id, time, status, duration_ms, response_start, error)
                        VALUES (\(attempt.endpoint), \(attempt.eventID), \(attempt.time), \(attempt.status.map { Int32($0) }),
                            \(attempt.duration.wholeMilliseconds), \(attempt.responseStart), \(attempt.error))
                        """,
                        logger: logger
                    )
                }
                try await connection.checkedQuery(
                    """
                    UPDATE webhook_endpoints SET state = \(endpoint.state.rawValue), failing_since = \(endpoint.failingSince),
                        disabled_at = \(endpoint.disabledAt), disabled_reason = \(endpoint.disabledReason)
                    WHERE name = \(endpoint.name)
                    """,
                    logger: logger
                )
            }
        }
    }

    package func webhookAttempts(endpoint: String, limit: Int) async throws -> [WebhookAttempt] {
        try await rows(
            """
            SELECT endpoint, event_id, time, status, duration_ms, response_start, error FROM webhook_attempts
            WHERE endpoint = \(endpoint) ORDER BY id DESC LIMIT \(Int64(limit))
            """
        ) { row in
            let (endpoint, eventID, time, status, duration, start, error) = try row.decode(
                (String, Int64, Date, Int32?, Int64, String, String?).self
            )
            return WebhookAttempt(
                endpoint: endpoint,
                eventID: eventID,
                time: time,
                status: status.map(Int.init),
                duration: .milliseconds(duration),
                responseStart: start,
                error: error
            )
        }
    }
}
