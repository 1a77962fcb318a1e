package import Foundation
import GRDB
package import RoleSyncLedger

// The webhook outbox on SQLite (decision 136): endpoints with their cursors, failed messages and
// tries. One writer at a time commits, so a cursor's `commit` is 0 and event ids are the stream.

extension SQLiteEngine: WebhookOutboxReads {
    package func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await reading { db in try Self.webhookEndpoints(nil, db) }
    }

    package func webhookFailures(endpoint: String?, retryRequested: Bool?, limit: Int) async throws -> [WebhookFailure] {
        try await reading { db in
            var (conditions, arguments) = Self.endpointCondition(endpoint)
            if let retryRequested {
                conditions.append("retry_requested = ?")
                arguments.append(retryRequested)
            }
            arguments.append(limit)
            return try Row.fetchAll(
                db,
                sql: "SELECT \(Self.failureColumns) FROM webhook_failures"
                    + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
                    + " ORDER BY failed_at DESC, event_id DESC LIMIT ?",
                arguments: StatementArguments(arguments)
            ).map(Self.failure)
        }
    }

    package func webhookAttempts(endpoint: String?, eventIDs: [Int64]?, limit: Int) async throws -> [WebhookAttempt] {
        try await reading { db in
            var (conditions, arguments) = Self.endpointCondition(endpoint)
            if let eventIDs {
                conditions.append("event_id IN (\(databaseQuestionMarks(count: max(eventIDs.count, 1))))")
                arguments += eventIDs.isEmpty ? [-1] : eventIDs.map { $0 }
            }
            arguments.append(limit)
            return try Row.fetchAll(
                db,
                sql: "SELECT endpoint, event_id, time, status, duration_ms, response_start, error FROM webhook_attempts"
                    + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments)
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

    package func auditEvents(ids: [Int64]) async throws -> [AuditEvent] {
        try await reading { db in
            try AuditEventRecord.fetchAll(
                db,
                sql: "SELECT \(AuditEventRecord.selection) FROM audit_events WHERE id IN (\(databaseQuestionMarks(count: ids.count))) ORDER BY id",
                arguments: StatementArguments(ids)
            ).map(\.event)
        }
    }

    package func pruneWebhookAttempts(before time: Date) async throws -> Int {
        try await writing { db in
            try db.execute(sql: "DELETE FROM webhook_attempts WHERE time < ?", arguments: [time.timeIntervalSince1970])
            return db.changesCount
        }
    }

    /// `endpoint = ?` and its argument when a listing is of one endpoint.
    static func endpointCondition(_ endpoint: String?) -> ([String], [(any DatabaseValueConvertible)?]) {
        guard let endpoint else { return ([], []) }
        return (["endpoint = ?"], [endpoint])
    }

    // MARK: Rows

    static let endpointColumns = """
        name, url, actions, state, cursor_commit, cursor_event, head_attempts, head_next_attempt_at, head_last_status,
        failing_since, disabled_at, disabled_reason, last_delivered_at, lease_owner, lease_until
        """

    static func webhookEndpoints(_ name: String?, _ db: Database) throws -> [WebhookEndpoint] {
        try Row.fetchAll(
            db,
            sql: "SELECT \(endpointColumns) FROM webhook_endpoints" + (name == nil ? "" : " WHERE name = ?") + " ORDER BY name",
            arguments: name.map { [$0] } ?? []
        ).map { row in
            let name: String = row["name"]
            let stateText: String = row["state"]
            guard let state = WebhookEndpointState(rawValue: stateText) else {
                throw SQLiteStoreError.corrupt("webhook endpoint \(name): unknown state '\(stateText)'")
            }
            let date = { (column: String) -> Date? in (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
            return WebhookEndpoint(
                name: name,
                url: row["url"],
                actions: WebhookEndpoint.actions(stored: row["actions"], endpoint: name),
                state: state,
                cursor: AuditStreamPosition(commit: UInt64(bitPattern: row["cursor_commit"] as Int64), eventID: row["cursor_event"]),
                head: WebhookHead(attempts: row["head_attempts"], nextAttemptAt: date("head_next_attempt_at"), lastStatus: row["head_last_status"]),
                failingSince: date("failing_since"),
                disabledAt: date("disabled_at"),
                disabledReason: row["disabled_reason"],
                lastDeliveredAt: date("last_delivered_at"),
                leaseOwner: row["lease_owner"],
                leaseUntil: date("lease_until")
            )
        }
    }

    static func save(_ endpoint: WebhookEndpoint, _ db: Database) throws {
        try db.execute(
            // An upsert, not INSERT OR REPLACE: a replace deletes the row its failures refer to.
            sql: """
                INSERT INTO webhook_endpoints (\(endpointColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET url = excluded.url, actions = excluded.actions, state = excluded.state,
                    cursor_commit = excluded.cursor_commit, cursor_event = excluded.cursor_event, head_attempts = excluded.head_attempts,
                    head_next_attempt_at = excluded.head_next_attempt_at, head_last_status = excluded.head_last_status,
                    failing_since = excluded.failing_since, disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason,
                    last_delivered_at = excluded.last_delivered_at, lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
                """,
            arguments: [
                endpoint.name, endpoint.url, endpoint.storedActions, endpoint.state.rawValue,
                Int64(bitPattern: endpoint.cursor.commit), endpoint.cursor.eventID,
                endpoint.head.attempts, endpoint.head.nextAttemptAt?.timeIntervalSince1970, endpoint.head.lastStatus,
                endpoint.failingSince?.timeIntervalSince1970, endpoint.disabledAt?.timeIntervalSince1970, endpoint.disabledReason,
                endpoint.lastDeliveredAt?.timeIntervalSince1970, endpoint.leaseOwner, endpoint.leaseUntil?.timeIntervalSince1970,
            ]
        )
    }

    static let failureColumns = "endpoint, event_id, failed_at, attempts, last_status, retry_requested"

    static func failure(_ row: Row) -> WebhookFailure {
        WebhookFailure(
            endpoint: row["endpoint"],
            eventID: row["event_id"],
            failedAt: Date(timeIntervalSince1970: row["failed_at"]),
            attempts: row["attempts"],
            lastStatus: row["last_status"],
            retryRequested: row["retry_requested"]
        )
    }
}

extension SQLiteTransaction {
    package func webhookEndpoints() throws -> [WebhookEndpoint] {
        try access { db in try SQLiteEngine.webhookEndpoints(nil, db) }
    }

    package func webhookEndpoint(named name: String) throws -> WebhookEndpoint? {
        try access { db in try SQLiteEngine.webhookEndpoints(name, db).first }
    }

    package func saveWebhookEndpoint(_ endpoint: WebhookEndpoint) throws {
        try access { db in try SQLiteEngine.save(endpoint, db) }
    }

    package func insertWebhookAttempts(_ attempts: [WebhookAttempt]) throws {
        guard !attempts.isEmpty else { return }
        try access { db in
            let statement = try db.cachedStatement(
                sql:
                    "INSERT INTO webhook_attempts (endpoint, event_id, time, status, duration_ms, response_start, error) VALUES (?, ?, ?, ?, ?, ?, ?)"
            )
            for attempt in attempts {
                try statement.execute(arguments: [
                    attempt.endpoint, attempt.eventID, attempt.time.timeIntervalSince1970, attempt.status,
                    attempt.duration.wholeMilliseconds, attempt.responseStart, attempt.error,
                ])
            }
        }
    }

    package func webhookFailure(endpoint: String, eventID: Int64) throws -> WebhookFailure? {
        try access { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(SQLiteEngine.failureColumns) FROM webhook_failures WHERE endpoint = ? AND event_id = ?",
                arguments: [endpoint, eventID]
            ).map(SQLiteEngine.failure)
        }
    }

    package func saveWebhookFailure(_ failure: WebhookFailure) throws {
        try access { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO webhook_failures (\(SQLiteEngine.failureColumns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    failure.endpoint, failure.eventID, failure.failedAt.timeIntervalSince1970, failure.attempts, failure.lastStatus,
                    failure.retryRequested,
                ]
            )
        }
    }

    package func deleteWebhookFailures(endpoint: String, eventIDs: [Int64]) throws {
        guard !eventIDs.isEmpty else { return }
        try access { db in
            try db.execute(
                sql: "DELETE FROM webhook_failures WHERE endpoint = ? AND event_id IN (\(databaseQuestionMarks(count: eventIDs.count)))",
                arguments: StatementArguments([endpoint] + eventIDs.map { $0 as any DatabaseValueConvertible })
            )
        }
    }

    package func auditStreamHead() throws -> AuditStreamPosition {
        try access { db in
            AuditStreamPosition(commit: 0, eventID: try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM audit_events") ?? 0)
        }
    }

    package func auditStreamPosition(atOrAfter time: Date) throws -> AuditStreamPosition? {
        try access { db in
            try Int64.fetchOne(db, sql: "SELECT min(id) FROM audit_events WHERE time >= ?", arguments: [time.timeIntervalSince1970])
                .map { AuditStreamPosition(commit: 0, eventID: $0) }
        }
    }
}
