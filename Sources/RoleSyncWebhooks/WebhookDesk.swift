package import Foundation
package import RoleSyncLedger

/// The webhook endpoints as operators see and steer them (the Events page, `/api/admin/webhooks`,
/// `rolesync events`): each endpoint's state and backlog, its messages with every try, and the
/// operator's acts (retry a failed message, replay since a time, re-enable), each audited by the
/// ledger. Reads the ledger; sends only a test `ping`.
package struct WebhookDesk: Sendable {
    let store: WebhookDeliverer.Store
    /// The configured endpoints' senders, by name; empty where no configuration was read.
    let senders: [String: WebhookSender]

    package init(store: WebhookDeliverer.Store, senders: [WebhookSender]) {
        self.store = store
        self.senders = Dictionary(senders.map { ($0.settings.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// How many stream events a backlog count reads at most; past it the count says "at least".
    package static let backlogScan = 10_000

    /// An endpoint with what waits for it.
    package struct Status: Sendable {
        package var endpoint: WebhookEndpoint
        /// The event time of the oldest message not yet delivered (or failed); `nil` when none waits.
        package var oldestUndelivered: Date?
        /// Messages waiting: exact unless ``backlogCapped``.
        package var backlog: Int
        package var backlogCapped: Bool
        package var failed: Int
    }

    /// Every endpoint the ledger knows (removed ones last), with its backlog.
    package func endpoints() async throws -> [Status] {
        var result: [Status] = []
        let failures = try await store.webhookFailures(endpoint: nil, retryRequested: nil, limit: 1_000)
        for endpoint in try await store.webhookEndpoints() {
            var status = Status(
                endpoint: endpoint,
                oldestUndelivered: nil,
                backlog: 0,
                backlogCapped: false,
                failed: failures.filter { $0.endpoint == endpoint.name }.count
            )
            if endpoint.state != .removed {
                var position = endpoint.cursor
                var scanned = 0
                scan: while scanned < Self.backlogScan {
                    let page = try await store.auditStream(after: position, limit: 1_000)
                    for (event, _) in page where endpoint.actions.contains(event.action) {
                        if status.oldestUndelivered == nil { status.oldestUndelivered = event.time }
                        status.backlog += 1
                    }
                    scanned += page.count
                    guard let last = page.last, page.count == 1_000 else { break scan }
                    position = last.position
                }
                status.backlogCapped = scanned >= Self.backlogScan
            }
            result.append(status)
        }
        return result.sorted { ($0.endpoint.state == .removed ? 1 : 0, $0.endpoint.name) < ($1.endpoint.state == .removed ? 1 : 0, $1.endpoint.name) }
    }

    /// Where a message stands, as the Events page filters it.
    package enum MessageState: String, Sendable, CaseIterable, Codable {
        /// After the cursor, not tried yet.
        case pending
        /// At the head, tried and waiting for its next try.
        case retrying
        case delivered
        /// Every try failed: kept; retried on request.
        case failed
    }

    /// One message: an event for an endpoint, with its tries (newest first).
    package struct Message: Sendable {
        package var endpoint: String
        package var event: AuditEvent
        package var state: MessageState
        package var nextAttemptAt: Date?
        package var retryRequested: Bool
        package var attempts: [WebhookAttempt]

        /// The `webhook-id` each try carries.
        package var webhookID: String { "msg_\(event.id ?? 0)" }
    }

    /// Messages, newest event first, at most `limit`: of one endpoint or all, in one state or any,
    /// of one audit action or any. Pending ones are read from the stream (the oldest `limit` of
    /// each endpoint), delivered ones from the recent tries (the last 1,000), failed ones from the
    /// kept failures.
    package func messages(endpoint name: String?, state: MessageState?, type: AuditAction?, limit: Int) async throws -> [Message] {
        var found: [Message] = []
        for endpoint in try await store.webhookEndpoints() where name == nil || endpoint.name == name {
            let selects = { (event: AuditEvent) in endpoint.actions.contains(event.action) && (type == nil || event.action == type) }
            if state == nil || state == .pending || state == .retrying, endpoint.state != .removed {
                var position = endpoint.cursor
                var first = true
                var taken = 0
                while taken < limit {
                    let page = try await store.auditStream(after: position, limit: 1_000)
                    for (event, _) in page where endpoint.actions.contains(event.action) {
                        let head = first && endpoint.head.attempts > 0
                        first = false
                        guard type == nil || event.action == type else { continue }
                        let messageState: MessageState = head ? .retrying : .pending
                        if state == nil || state == messageState {
                            found.append(
                                Message(
                                    endpoint: endpoint.name,
                                    event: event,
                                    state: messageState,
                                    nextAttemptAt: head ? endpoint.head.nextAttemptAt : nil,
                                    retryRequested: false,
                                    attempts: []
                                )
                            )
                            taken += 1
                        }
                        if taken >= limit { break }
                    }
                    guard let last = page.last, page.count == 1_000 else { break }
                    position = last.position
                }
            }
            if state == nil || state == .failed {
                let failures = try await store.webhookFailures(endpoint: endpoint.name, retryRequested: nil, limit: limit)
                let events = try await store.auditEvents(ids: failures.map(\.eventID))
                for failure in failures {
                    guard let event = events.first(where: { $0.id == failure.eventID }), selects(event) else { continue }
                    found.append(
                        Message(
                            endpoint: endpoint.name,
                            event: event,
                            state: .failed,
                            nextAttemptAt: nil,
                            retryRequested: failure.retryRequested,
                            attempts: []
                        )
                    )
                }
            }
            if state == nil || state == .delivered {
                let tries = try await store.webhookAttempts(endpoint: endpoint.name, eventIDs: nil, limit: 1_000)
                var seen = Set(found.filter { $0.endpoint == endpoint.name }.compactMap(\.event.id))
                var ids: [Int64] = []
                for attempt in tries where attempt.eventID != 0 && (200..<300).contains(attempt.status ?? 0) && !seen.contains(attempt.eventID) {
                    seen.insert(attempt.eventID)
                    ids.append(attempt.eventID)
                    if ids.count >= limit { break }
                }
                for event in try await store.auditEvents(ids: ids) where selects(event) {
                    found.append(
                        Message(endpoint: endpoint.name, event: event, state: .delivered, nextAttemptAt: nil, retryRequested: false, attempts: [])
                    )
                }
            }
        }
        found.sort { ($0.event.id ?? 0, $0.endpoint) > ($1.event.id ?? 0, $1.endpoint) }
        found = Array(found.prefix(limit))
        // Every try of each message shown.
        for endpointName in Set(found.map(\.endpoint)) {
            let ids = found.filter { $0.endpoint == endpointName }.compactMap(\.event.id)
            let tries = try await store.webhookAttempts(endpoint: endpointName, eventIDs: ids, limit: 1_000)
            for index in found.indices where found[index].endpoint == endpointName {
                found[index].attempts = tries.filter { $0.eventID == found[index].event.id }
            }
        }
        return found
    }

    package func retry(endpoint: String, eventID: Int64, actor: Actor, at time: Date) async throws -> WebhookFailure {
        try await store.retryWebhookFailure(endpoint: endpoint, eventID: eventID, actor: actor, at: time)
    }

    package func replay(endpoint: String, since: Date, actor: Actor, at time: Date) async throws -> WebhookEndpoint {
        try await store.replayWebhookEndpoint(endpoint, since: since, actor: actor, at: time)
    }

    package func enable(endpoint: String, actor: Actor, at time: Date) async throws -> WebhookEndpoint {
        try await store.enableWebhookEndpoint(endpoint, actor: actor, at: time)
    }

    /// Sends a signed `ping` to a configured endpoint. - Returns: `nil` when no endpoint of this
    /// name is configured.
    package func ping(endpoint: String, at time: Date) async -> WebhookSender.Result? {
        await senders[endpoint]?.ping(at: time)
    }

    /// Whether an endpoint of this name is configured here.
    package func isConfigured(_ endpoint: String) -> Bool { senders[endpoint] != nil }
}
