package import Foundation
import GRDB
package import RoleSyncLedger

/// The webhook outbox on SQLite (``WebhookOutboxStore``). Messages are queued by the schema's
/// trigger on `audit_events`; one writer at a time commits, so event ids are the stream's order.
extension SQLiteEngine: WebhookOutboxStore {
    package func replaceWebhookEndpoints(_ settings: [WebhookEndpointSetting], at time: Date) async throws {
        try await writing { db in
            for setting in settings {
                try db.execute(
                    sql: """
                        INSERT INTO webhook_endpoints (name, url, state) VALUES (?, ?, 'healthy')
                        ON CONFLICT (name) DO UPDATE SET url = excluded.url,
                            state = CASE webhook_endpoints.state WHEN 'removed' THEN 'healthy' ELSE webhook_endpoints.state END
                        """,
                    arguments: [setting.name, setting.url]
                )
                try db.execute(sql: "DELETE FROM webhook_subscriptions WHERE endpoint = ?", arguments: [setting.name])
                for action in setting.actions.sorted(by: { $0.rawValue < $1.rawValue }) {
                    try db.execute(
                        sql: "INSERT INTO webhook_subscriptions (action, endpoint) VALUES (?, ?)",
                        arguments: [action.rawValue, setting.name]
                    )
                }
            }
            let names = settings.map(\.name)
            let kept = names.isEmpty ? "" : " AND name NOT IN (\(databaseQuestionMarks(count: names.count)))"
            try db.execute(
                sql: "UPDATE webhook_endpoints SET state = 'removed', lease_owner = NULL, lease_until = NULL WHERE state != 'removed'\(kept)",
                arguments: StatementArguments(names)
            )
            try db.execute(
                sql: "DELETE FROM webhook_subscriptions WHERE endpoint IN (SELECT name FROM webhook_endpoints WHERE state = 'removed')"
            )
        }
    }

    package func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await reading { db in
            try Row.fetchAll(
                db,
                sql: "SELECT name, url, state, failing_since, disabled_at, disabled_reason FROM webhook_endpoints ORDER BY name"
            ).map { row in
                let state: String = row["state"]
                guard let parsed = WebhookEndpointState(rawValue: state) else {
                    throw SQLiteStoreError.corrupt("webhook endpoint \(row["name"] as String): unknown state '\(state)'")
                }
                return WebhookEndpoint(
                    name: row["name"],
                    url: row["url"],
                    state: parsed,
                    failingSince: (row["failing_since"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    disabledAt: (row["disabled_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    disabledReason: row["disabled_reason"]
                )
            }
        }
    }

    package func webhookSubscriptions() async throws -> [String: Set<AuditAction>] {
        try await reading { db in
            var result: [String: Set<AuditAction>] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT endpoint, action FROM webhook_subscriptions") {
                let action: String = row["action"]
                guard let parsed = AuditAction(rawValue: action) else { continue }
                result[row["endpoint"], default: []].insert(parsed)
            }
            return result
        }
    }

    package func leaseWebhookEndpoint(_ name: String, owner: String, until: Date, at time: Date) async throws -> Bool {
        try await writing { db in
            try db.execute(
                sql: """
                    UPDATE webhook_endpoints SET lease_owner = ?, lease_until = ?
                    WHERE name = ? AND state IN ('healthy', 'retrying')
                        AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)
                    """,
                arguments: [owner, until.timeIntervalSince1970, name, owner, time.timeIntervalSince1970]
            )
            return db.changesCount > 0
        }
    }

    package func releaseWebhookEndpoint(_ name: String, owner: String) async throws {
        try await writing { db in
            try db.execute(
                sql: "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE name = ? AND lease_owner = ?",
                arguments: [name, owner]
            )
        }
    }

    package func pendingWebhookMessages(endpoint: String, limit: Int) async throws -> [WebhookMessage] {
        try await reading { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.endpoint, m.state, m.attempts, m.next_attempt_at, m.last_attempt_at, m.last_status,
                        a.id, a.time, a.actor, a.action, a.user_id, a.issuer, a.subject, a.details
                    FROM webhook_messages m JOIN audit_events a ON a.id = m.event_id
                    WHERE m.endpoint = ? AND m.state = 'pending' ORDER BY m.event_id LIMIT ?
                    """,
                arguments: [endpoint, limit]
            ).map(Self.webhookMessage)
        }
    }

    package func saveWebhookOutcomes(_ messages: [WebhookMessage], attempts: [WebhookAttempt], endpoint: WebhookEndpoint) async throws {
        try await writing { db in
            for message in messages {
                try db.execute(
                    sql: """
                        UPDATE webhook_messages SET state = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?, last_status = ?
                        WHERE endpoint = ? AND event_id = ? AND state = 'pending'
                        """,
                    arguments: [
                        message.state.rawValue, message.attempts, message.nextAttemptAt.timeIntervalSince1970,
                        message.lastAttemptAt?.timeIntervalSince1970, message.lastStatus, message.endpoint, message.event.id,
                    ]
                )
            }
            for attempt in attempts {
                try db.execute(
                    sql: """
                        INSERT INTO webhook_attempts (endpoint, event_id, time, status, duration_ms, response_start, error)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        attempt.endpoint, attempt.eventID, attempt.time.timeIntervalSince1970, attempt.status,
                        attempt.duration.wholeMilliseconds, attempt.responseStart, attempt.error,
                    ]
                )
            }
            try db.execute(
                sql: "UPDATE webhook_endpoints SET state = ?, failing_since = ?, disabled_at = ?, disabled_reason = ? WHERE name = ?",
                arguments: [
                    endpoint.state.rawValue, endpoint.failingSince?.timeIntervalSince1970, endpoint.disabledAt?.timeIntervalSince1970,
                    endpoint.disabledReason, endpoint.name,
                ]
            )
        }
    }

    package func webhookAttempts(endpoint: String, limit: Int) async throws -> [WebhookAttempt] {
        try await reading { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT endpoint, event_id, time, status, duration_ms, response_start, error FROM webhook_attempts
                    WHERE endpoint = ? ORDER BY id DESC LIMIT ?
                    """,
                arguments: [endpoint, limit]
            ).map { row in
                WebhookAttempt(
                    endpoint: row["endpoint"],
                    eventID: row["event_id"],
                    time: Date(timeIntervalSince1970: row["time"]),
                    status: row["status"],
                    duration: .milliseconds(row["duration_ms"] as Int64),
                    responseStart: row["response_start"],
                    error: row["error"]
                )
            }
        }
    }

    static func webhookMessage(_ row: Row) throws -> WebhookMessage {
        let state: String = row["state"]
        guard let parsed = WebhookMessageState(rawValue: state) else {
            throw SQLiteStoreError.corrupt("webhook message of event \(row["id"] as Int64): unknown state '\(state)'")
        }
        return WebhookMessage(
            endpoint: row["endpoint"],
            event: try AuditEventRecord(row: row).event,
            state: parsed,
            attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]),
            lastAttemptAt: (row["last_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastStatus: row["last_status"]
        )
    }
}
