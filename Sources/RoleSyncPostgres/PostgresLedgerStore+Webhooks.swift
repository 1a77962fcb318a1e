package import Foundation
import Logging
import PostgresNIO
package import RoleSyncLedger

// The webhook outbox on PostgreSQL (decision 136): endpoints with their cursors into the audit
// stream (decision 135: the writing transaction's xid8, kept as a bigint, and the event's id),
// failed messages and tries. An endpoint's row is locked by the transaction that decides on it, so
// replicas take its lease one at a time.

extension PostgresEngine: WebhookOutboxReads {
    package func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await rows("SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints ORDER BY name", Self.endpoint)
    }

    package func webhookFailures(endpoint: String?, retryRequested: Bool?, limit: Int) async throws -> [WebhookFailure] {
        var sql = PostgresSQL()
        var conditions: [String] = []
        if let endpoint { conditions.append("endpoint = \(try sql.bind(endpoint))") }
        if let retryRequested { conditions.append("retry_requested = \(try sql.bind(retryRequested))") }
        let limitBind = try sql.bind(Int64(limit))
        sql.append(
            "SELECT \(Self.failureColumns) FROM webhook_failures"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
                + " ORDER BY failed_at DESC, event_id DESC LIMIT \(limitBind)"
        )
        return try await rows(sql.query, Self.failure)
    }

    package func webhookAttempts(endpoint: String?, eventIDs: [Int64]?, limit: Int) async throws -> [WebhookAttempt] {
        var sql = PostgresSQL()
        var conditions: [String] = []
        if let endpoint { conditions.append("endpoint = \(try sql.bind(endpoint))") }
        if let eventIDs { conditions.append("event_id = ANY(\(try sql.bind(eventIDs)))") }
        let limitBind = try sql.bind(Int64(limit))
        sql.append(
            "SELECT endpoint, event_id, time, status, duration_ms, response_start, error FROM webhook_attempts"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY id DESC LIMIT \(limitBind)"
        )
        return try await rows(sql.query) { row in
            let (endpoint, eventID, time, status, duration, start, error) = try row.decode((String, Int64, Date, Int32?, Int64, String, String?).self)
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

    package func auditEvents(ids: [Int64]) async throws -> [AuditEvent] {
        try await rows("SELECT \(unescaped: PostgresRows.auditEvent) FROM audit_events WHERE id = ANY(\(ids)) ORDER BY id", PostgresRows.auditEvent)
    }

    package func pruneWebhookAttempts(before time: Date) async throws -> Int {
        try Self.count(try await query("WITH pruned AS (DELETE FROM webhook_attempts WHERE time < \(time) RETURNING 1) SELECT count(*) FROM pruned"))
    }

    // MARK: Rows

    static let endpointColumns = """
        name, url, actions, state, cursor_commit, cursor_event, head_attempts, head_next_attempt_at, head_last_status,
        failing_since, disabled_at, disabled_reason, last_delivered_at, lease_owner, lease_until
        """

    static func endpoint(_ row: PostgresRow) throws -> WebhookEndpoint {
        let r = PostgresRandomAccessRow(row)
        let name = try r["name"].decode(String.self)
        let stateText = try r["state"].decode(String.self)
        guard let state = WebhookEndpointState(rawValue: stateText) else {
            throw PostgresStoreError.corrupt("webhook endpoint \(name): unknown state '\(stateText)'")
        }
        let commit = try r["cursor_commit"].decode(Int64.self)
        guard let cursorCommit = UInt64(exactly: commit) else {
            throw PostgresStoreError.corrupt("webhook endpoint \(name): cursor transaction id \(commit) is negative")
        }
        return WebhookEndpoint(
            name: name,
            url: try r["url"].decode(String.self),
            actions: WebhookEndpoint.actions(stored: try r["actions"].decode(String.self), endpoint: name),
            state: state,
            cursor: AuditStreamPosition(commit: cursorCommit, eventID: try r["cursor_event"].decode(Int64.self)),
            head: WebhookHead(
                attempts: Int(try r["head_attempts"].decode(Int32.self)),
                nextAttemptAt: try r["head_next_attempt_at"].decode(Date?.self),
                lastStatus: try r["head_last_status"].decode(Int32?.self).map(Int.init)
            ),
            failingSince: try r["failing_since"].decode(Date?.self),
            disabledAt: try r["disabled_at"].decode(Date?.self),
            disabledReason: try r["disabled_reason"].decode(String?.self),
            lastDeliveredAt: try r["last_delivered_at"].decode(Date?.self),
            leaseOwner: try r["lease_owner"].decode(String?.self),
            leaseUntil: try r["lease_until"].decode(Date?.self)
        )
    }

    static let failureColumns = "endpoint, event_id, failed_at, attempts, last_status, retry_requested"

    static func failure(_ row: PostgresRow) throws -> WebhookFailure {
        let (endpoint, eventID, failedAt, attempts, status, retry) = try row.decode((String, Int64, Date, Int32, Int32?, Bool).self)
        return WebhookFailure(
            endpoint: endpoint,
            eventID: eventID,
            failedAt: failedAt,
            attempts: Int(attempts),
            lastStatus: status.map(Int.init),
            retryRequested: retry
        )
    }

    static func streamPosition(_ commitText: String, _ id: Int64) throws -> AuditStreamPosition {
        guard let commit = UInt64(commitText) else { throw PostgresStoreError.corrupt("transaction id '\(commitText)' is not a number") }
        return AuditStreamPosition(commit: commit, eventID: id)
    }
}

extension PostgresTransaction {
    package func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await PostgresEngine.all(
            try await connection.checkedQuery(
                "SELECT \(unescaped: PostgresEngine.endpointColumns) FROM webhook_endpoints ORDER BY name FOR UPDATE",
                logger: logger
            ),
            PostgresEngine.endpoint
        )
    }

    package func webhookEndpoint(named name: String) async throws -> WebhookEndpoint? {
        try await PostgresEngine.all(
            try await connection.checkedQuery(
                "SELECT \(unescaped: PostgresEngine.endpointColumns) FROM webhook_endpoints WHERE name = \(name) FOR UPDATE",
                logger: logger
            ),
            PostgresEngine.endpoint
        ).first
    }

    package func saveWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws {
        guard let commit = Int64(exactly: endpoint.cursor.commit) else {
            throw PostgresStoreError.corrupt("webhook endpoint \(endpoint.name): cursor transaction id \(endpoint.cursor.commit) is too large")
        }
        try await connection.checkedQuery(
            """
            INSERT INTO webhook_endpoints (\(unescaped: PostgresEngine.endpointColumns))
            VALUES (\(endpoint.name), \(endpoint.url), \(endpoint.storedActions), \(endpoint.state.rawValue), \(commit),
                \(endpoint.cursor.eventID), \(Int32(clamping: endpoint.head.attempts)), \(endpoint.head.nextAttemptAt),
                \(endpoint.head.lastStatus.map { Int32(clamping: $0) }), \(endpoint.failingSince), \(endpoint.disabledAt),
                \(endpoint.disabledReason), \(endpoint.lastDeliveredAt), \(endpoint.leaseOwner), \(endpoint.leaseUntil))
            ON CONFLICT (name) DO UPDATE SET url = excluded.url, actions = excluded.actions, state = excluded.state,
                cursor_commit = excluded.cursor_commit, cursor_event = excluded.cursor_event, head_attempts = excluded.head_attempts,
                head_next_attempt_at = excluded.head_next_attempt_at, head_last_status = excluded.head_last_status,
                failing_since = excluded.failing_since, disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason,
                last_delivered_at = excluded.last_delivered_at, lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
            """,
            logger: logger
        )
    }

    package func insertWebhookAttempts(_ attempts: [WebhookAttempt]) async throws {
        guard !attempts.isEmpty else { return }
        // One statement for the batch: arrays of the columns. PostgresNIO encodes no array of
        // optionals, so "no status" travels as 0 and "no error" as "" (neither is a real value).
        try await connection.checkedQuery(
            """
            INSERT INTO webhook_attempts (endpoint, event_id, time, status, duration_ms, response_start, error)
            SELECT endpoint, event_id, time, NULLIF(status, 0), duration_ms, response_start, NULLIF(error, '')
            FROM unnest(\(attempts.map(\.endpoint))::text[], \(attempts.map(\.eventID))::bigint[],
                \(attempts.map(\.time))::timestamptz[], \(attempts.map { Int32(clamping: $0.status ?? 0) })::integer[],
                \(attempts.map(\.duration.wholeMilliseconds))::bigint[], \(attempts.map(\.responseStart))::text[],
                \(attempts.map { $0.error ?? "" })::text[])
                AS a (endpoint, event_id, time, status, duration_ms, response_start, error)
            """,
            logger: logger
        )
    }

    package func webhookFailure(endpoint: String, eventID: Int64) async throws -> WebhookFailure? {
        try await PostgresEngine.all(
            try await connection.checkedQuery(
                """
                SELECT \(unescaped: PostgresEngine.failureColumns) FROM webhook_failures
                WHERE endpoint = \(endpoint) AND event_id = \(eventID) FOR UPDATE
                """,
                logger: logger
            ),
            PostgresEngine.failure
        ).first
    }

    package func saveWebhookFailure(_ failure: WebhookFailure) async throws {
        try await connection.checkedQuery(
            """
            INSERT INTO webhook_failures (\(unescaped: PostgresEngine.failureColumns))
            VALUES (\(failure.endpoint), \(failure.eventID), \(failure.failedAt), \(Int32(clamping: failure.attempts)),
                \(failure.lastStatus.map { Int32(clamping: $0) }), \(failure.retryRequested))
            ON CONFLICT (endpoint, event_id) DO UPDATE SET failed_at = excluded.failed_at, attempts = excluded.attempts,
                last_status = excluded.last_status, retry_requested = excluded.retry_requested
            """,
            logger: logger
        )
    }

    package func deleteWebhookFailures(endpoint: String, eventIDs: [Int64]) async throws {
        guard !eventIDs.isEmpty else { return }
        try await connection.checkedQuery(
            "DELETE FROM webhook_failures WHERE endpoint = \(endpoint) AND event_id = ANY(\(eventIDs))",
            logger: logger
        )
    }

    package func auditStreamHead() async throws -> AuditStreamPosition {
        let texts = try await PostgresEngine.all(
            try await connection.checkedQuery("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", logger: logger)
        ) { try $0.decode(String.self) }
        return try PostgresEngine.streamPosition(texts.first ?? "", 0)
    }

    package func auditStreamPosition(atOrAfter time: Date) async throws -> AuditStreamPosition? {
        let rows = try await PostgresEngine.all(
            try await connection.checkedQuery(
                "SELECT xid::text, id FROM audit_events WHERE time >= \(time) ORDER BY xid, id LIMIT 1",
                logger: logger
            )
        ) { try $0.decode((String, Int64).self) }
        return try rows.first.map { try PostgresEngine.streamPosition($0.0, $0.1) }
    }
}
