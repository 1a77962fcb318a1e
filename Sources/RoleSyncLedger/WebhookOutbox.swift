package import Foundation

/// Where a deliverer stands after a batch of tries of one endpoint: its new state, cursor and head,
/// the tries it made, and the failed messages to keep or clear. Written only while the deliverer
/// still holds the endpoint's lease and its cursor is where the deliverer read it (a replay moves
/// it); the attempts are written either way (they happened).
package struct WebhookProgress: Sendable {
    package var endpoint: WebhookEndpoint
    package var owner: String
    /// The cursor the batch was read after.
    package var readAfter: AuditStreamPosition
    /// The renewed lease.
    package var leaseUntil: Date
    package var attempts: [WebhookAttempt]
    /// Failed messages to keep (new, or after an operator's retry failed again).
    package var failures: [WebhookFailure]
    /// Failed messages delivered now (by a retry or a replay): removed.
    package var resolved: [Int64]

    package init(
        endpoint: WebhookEndpoint,
        owner: String,
        readAfter: AuditStreamPosition,
        leaseUntil: Date,
        attempts: [WebhookAttempt] = [],
        failures: [WebhookFailure] = [],
        resolved: [Int64] = []
    ) {
        self.endpoint = endpoint
        self.owner = owner
        self.readAfter = readAfter
        self.leaseUntil = leaseUntil
        self.attempts = attempts
        self.failures = failures
        self.resolved = resolved
    }
}

/// An operator's request the outbox cannot carry out.
package enum WebhookOutboxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No endpoint of this name is in the ledger (it is added by `serve` from its configuration).
    case unknownEndpoint(String)
    /// The endpoint has no failed message for this event.
    case unknownFailure(endpoint: String, eventID: Int64)
    /// Only a disabled endpoint can be re-enabled.
    case notDisabled(String, WebhookEndpointState)
    /// A removed endpoint (no longer configured) is not replayed, retried or re-enabled.
    case removed(String)

    package var description: String {
        switch self {
        case .unknownEndpoint(let name): "no webhook endpoint is named '\(name)'"
        case .unknownFailure(let name, let id): "endpoint '\(name)' has no failed message for audit event \(id)"
        case .notDisabled(let name, let state): "endpoint '\(name)' is \(state.rawValue), not disabled"
        case .removed(let name): "endpoint '\(name)' is no longer in the configuration"
        }
    }
}

/// What the ledger keeps of webhook deliveries (issue 26, decision 136): the endpoints with their
/// cursors into the audit stream, the failed messages, and every try. The audit log is the queue:
/// an event is "queued" for an endpoint by the transaction that writes it, and nothing more is
/// written then.
package protocol WebhookOutboxStore: Sendable {
    /// Makes the ledger's endpoints those of `settings`, in one transaction: a new one starts
    /// `healthy` at the stream's head (earlier events are not sent: a replay sends them); a known one
    /// takes the new address and actions and keeps its cursor and state (a `removed` one comes back
    /// `healthy` at the head); one no longer named becomes `removed`.
    func replaceWebhookEndpoints(_ settings: [WebhookEndpointSetting], at time: Date) async throws
    /// Every endpoint, by name.
    func webhookEndpoints() async throws -> [WebhookEndpoint]
    /// Takes the endpoint's lease for `owner` until `until` when it delivers and the lease is free,
    /// expired or `owner`'s. - Returns: the endpoint, when `owner` holds it now.
    func leaseWebhookEndpoint(_ name: String, owner: String, until: Date, at time: Date) async throws -> WebhookEndpoint?
    /// Gives the lease up if `owner` holds it.
    func releaseWebhookEndpoint(_ name: String, owner: String) async throws
    /// Writes a batch's outcome (``WebhookProgress``); an endpoint disabled by it gets its
    /// `webhook.disabled` event in the same transaction. - Returns: whether the endpoint was written
    /// (the attempts always are).
    func recordWebhookProgress(_ progress: WebhookProgress, at time: Date) async throws -> Bool

    /// Sends the endpoint's messages again from the first event at or after `since`: its cursor goes
    /// back, audited (`webhook.replayed`). - Returns: the endpoint.
    func replayWebhookEndpoint(_ name: String, since: Date, actor: Actor, at time: Date) async throws -> WebhookEndpoint
    /// Asks the deliverer for one more try of a failed message, audited (`webhook.retry_requested`).
    func retryWebhookFailure(endpoint name: String, eventID: Int64, actor: Actor, at time: Date) async throws -> WebhookFailure
    /// Makes a disabled endpoint healthy again, audited (`webhook.enabled`); its waiting messages
    /// are sent, from where it stopped.
    func enableWebhookEndpoint(_ name: String, actor: Actor, at time: Date) async throws -> WebhookEndpoint

    /// Failed messages, newest first: of one endpoint or all, only those waiting for a retry.
    func webhookFailures(endpoint: String?, retryRequested: Bool?, limit: Int) async throws -> [WebhookFailure]
    /// Tries, newest first: of one endpoint or all, of some events or all.
    func webhookAttempts(endpoint: String?, eventIDs: [Int64]?, limit: Int) async throws -> [WebhookAttempt]
    /// Audit events by id (those that exist).
    func auditEvents(ids: [Int64]) async throws -> [AuditEvent]
    /// Removes tries older than `time`. - Returns: how many.
    func pruneWebhookAttempts(before time: Date) async throws -> Int
}

/// The reads of the outbox an engine answers with SQL alone.
package protocol WebhookOutboxReads: Sendable {
    func webhookEndpoints() async throws -> [WebhookEndpoint]
    func webhookFailures(endpoint: String?, retryRequested: Bool?, limit: Int) async throws -> [WebhookFailure]
    func webhookAttempts(endpoint: String?, eventIDs: [Int64]?, limit: Int) async throws -> [WebhookAttempt]
    func auditEvents(ids: [Int64]) async throws -> [AuditEvent]
    func pruneWebhookAttempts(before time: Date) async throws -> Int
}

extension EngineStore: WebhookOutboxStore where Engine: WebhookOutboxReads {
    package func replaceWebhookEndpoints(_ settings: [WebhookEndpointSetting], at time: Date) async throws {
        let names = settings.map(\.name)
        precondition(Set(names).count == names.count, "endpoint names are unique (the configuration checks it)")
        try await engine.write(.serializable) { transaction in
            let known = Dictionary(uniqueKeysWithValues: try await transaction.webhookEndpoints().map { ($0.name, $0) })
            let head = try await transaction.auditStreamHead()
            for setting in settings {
                var endpoint = known[setting.name] ?? WebhookEndpoint(name: setting.name, url: setting.url, actions: setting.actions, cursor: head)
                endpoint.url = setting.url
                endpoint.actions = setting.actions
                if endpoint.state == .removed {
                    endpoint.state = .healthy
                    endpoint.cursor = head
                    endpoint.head = .fresh
                    endpoint.failingSince = nil
                }
                if endpoint != known[setting.name] { try await transaction.saveWebhookEndpoint(endpoint) }
            }
            for var endpoint in known.values where endpoint.state != .removed && !names.contains(endpoint.name) {
                endpoint.state = .removed
                endpoint.leaseOwner = nil
                endpoint.leaseUntil = nil
                try await transaction.saveWebhookEndpoint(endpoint)
            }
        }
    }

    package func webhookEndpoints() async throws -> [WebhookEndpoint] { try await engine.webhookEndpoints() }

    package func leaseWebhookEndpoint(_ name: String, owner: String, until: Date, at time: Date) async throws -> WebhookEndpoint? {
        try await engine.write(.serializable) { transaction in
            guard var endpoint = try await transaction.webhookEndpoint(named: name), endpoint.delivers else { return nil }
            let free = endpoint.leaseOwner == nil || endpoint.leaseOwner == owner || (endpoint.leaseUntil.map { $0 <= time } ?? true)
            guard free else { return nil }
            endpoint.leaseOwner = owner
            endpoint.leaseUntil = until
            try await transaction.saveWebhookEndpoint(endpoint)
            return endpoint
        }
    }

    package func releaseWebhookEndpoint(_ name: String, owner: String) async throws {
        try await engine.write(.serializable) { transaction in
            guard var endpoint = try await transaction.webhookEndpoint(named: name), endpoint.leaseOwner == owner else { return }
            endpoint.leaseOwner = nil
            endpoint.leaseUntil = nil
            try await transaction.saveWebhookEndpoint(endpoint)
        }
    }

    package func recordWebhookProgress(_ progress: WebhookProgress, at time: Date) async throws -> Bool {
        try await engine.write(.serializable) { transaction in
            try await transaction.insertWebhookAttempts(progress.attempts)
            guard var stored = try await transaction.webhookEndpoint(named: progress.endpoint.name),
                stored.delivers, stored.leased(by: progress.owner, at: time), stored.cursor == progress.readAfter
            else { return false }
            let next = progress.endpoint
            stored.state = next.state
            stored.cursor = next.cursor
            stored.head = next.head
            stored.failingSince = next.failingSince
            stored.disabledAt = next.disabledAt
            stored.disabledReason = next.disabledReason
            stored.lastDeliveredAt = next.lastDeliveredAt
            if stored.state == .disabled {
                stored.leaseOwner = nil
                stored.leaseUntil = nil
                try await transaction.insertEvent(
                    AuditEvent(
                        time: time,
                        actor: .system,
                        action: .webhookDisabled,
                        details: [
                            .endpoint: .string(stored.name), .reason: .string(stored.disabledReason ?? "failing"),
                            .status: stored.head.lastStatus.map { .number(Double($0)) } ?? .null,
                        ]
                    )
                )
            } else {
                stored.leaseUntil = progress.leaseUntil
            }
            try await transaction.saveWebhookEndpoint(stored)
            for failure in progress.failures { try await transaction.saveWebhookFailure(failure) }
            try await transaction.deleteWebhookFailures(endpoint: stored.name, eventIDs: progress.resolved)
            return true
        }
    }

    package func replayWebhookEndpoint(_ name: String, since: Date, actor: Actor, at time: Date) async throws -> WebhookEndpoint {
        try await engine.write(.serializable) { transaction in
            var endpoint = try await Self.operable(name, transaction)
            // Just before the first event at or after `since`; with none, the head: nothing to send.
            if let first = try await transaction.auditStreamPosition(atOrAfter: since) {
                endpoint.cursor = AuditStreamPosition(commit: first.commit, eventID: first.eventID - 1)
            } else {
                endpoint.cursor = try await transaction.auditStreamHead()
            }
            endpoint.head = .fresh
            try await transaction.saveWebhookEndpoint(endpoint)
            try await transaction.insertEvent(
                AuditEvent(
                    time: time,
                    actor: actor,
                    action: .webhookReplayed,
                    details: [.endpoint: .string(name), .since: .string(since.formatted(.iso8601))]
                )
            )
            return endpoint
        }
    }

    package func retryWebhookFailure(endpoint name: String, eventID: Int64, actor: Actor, at time: Date) async throws -> WebhookFailure {
        try await engine.write(.serializable) { transaction in
            _ = try await Self.operable(name, transaction)
            guard var failure = try await transaction.webhookFailure(endpoint: name, eventID: eventID) else {
                throw WebhookOutboxError.unknownFailure(endpoint: name, eventID: eventID)
            }
            failure.retryRequested = true
            try await transaction.saveWebhookFailure(failure)
            try await transaction.insertEvent(
                AuditEvent(
                    time: time,
                    actor: actor,
                    action: .webhookRetryRequested,
                    details: [.endpoint: .string(name), .eventID: .number(Double(eventID))]
                )
            )
            return failure
        }
    }

    package func enableWebhookEndpoint(_ name: String, actor: Actor, at time: Date) async throws -> WebhookEndpoint {
        try await engine.write(.serializable) { transaction in
            var endpoint = try await Self.operable(name, transaction)
            guard endpoint.state == .disabled else { throw WebhookOutboxError.notDisabled(name, endpoint.state) }
            let reason = endpoint.disabledReason
            endpoint.state = .healthy
            endpoint.head = .fresh
            endpoint.failingSince = nil
            endpoint.disabledAt = nil
            endpoint.disabledReason = nil
            try await transaction.saveWebhookEndpoint(endpoint)
            try await transaction.insertEvent(
                AuditEvent(
                    time: time,
                    actor: actor,
                    action: .webhookEnabled,
                    details: [.endpoint: .string(name), .previousReason: reason.map { .string($0) } ?? .null]
                )
            )
            return endpoint
        }
    }

    /// The endpoint's locked row, when it exists and is configured.
    nonisolated(nonsending) static func operable(_ name: String, _ transaction: Engine.Transaction) async throws -> WebhookEndpoint {
        guard let endpoint = try await transaction.webhookEndpoint(named: name) else { throw WebhookOutboxError.unknownEndpoint(name) }
        guard endpoint.state != .removed else { throw WebhookOutboxError.removed(name) }
        return endpoint
    }

    package func webhookFailures(endpoint: String?, retryRequested: Bool?, limit: Int) async throws -> [WebhookFailure] {
        try await engine.webhookFailures(
            endpoint: endpoint,
            retryRequested: retryRequested,
            limit: PageCursor.pageSize(limit, maximum: PageCursor.maximumAuditPage)
        )
    }
    package func webhookAttempts(endpoint: String?, eventIDs: [Int64]?, limit: Int) async throws -> [WebhookAttempt] {
        try await engine.webhookAttempts(
            endpoint: endpoint,
            eventIDs: eventIDs,
            limit: PageCursor.pageSize(limit, maximum: PageCursor.maximumAuditPage)
        )
    }
    package func auditEvents(ids: [Int64]) async throws -> [AuditEvent] {
        guard !ids.isEmpty else { return [] }
        return try await engine.auditEvents(ids: ids)
    }
    package func pruneWebhookAttempts(before time: Date) async throws -> Int { try await engine.pruneWebhookAttempts(before: time) }
}
