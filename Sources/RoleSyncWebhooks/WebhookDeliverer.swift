package import Foundation
package import Logging
import Metrics
import RoleSyncConfig
package import RoleSyncLedger
import ServiceLifecycle

/// Delivers audit events to the configured webhook endpoints (issue 26, decision 136): one loop per
/// endpoint, so a slow or failing one holds back only itself. An endpoint's loop holds its lease
/// (one deliverer at a time, on any engine and any number of replicas), reads the stream after the
/// endpoint's cursor, sends the events it receives in order, and writes how far it got, the tries
/// and the failures in one transaction. A deliverer that dies loses the lease after its term; the
/// next one sends the unwritten messages again with the same `webhook-id` (at least once).
package struct WebhookDeliverer: Service {
    package typealias Store = any WebhookOutboxStore & LedgerReads

    let store: Store
    let senders: [WebhookSender]
    /// Names this process in leases (host, process id, a random part).
    let owner: String
    let logger: Logger
    let tuning: Tuning
    let clock: @Sendable () -> Date
    let jitter: @Sendable () -> Double

    /// How often and how much a loop does.
    package struct Tuning: Sendable {
        /// How long an idle loop waits before looking again: an event is sent at most this long
        /// after it commits (PostgreSQL: after every older transaction ended).
        package var poll: Duration = .milliseconds(250)
        /// How long a lease lasts; renewed with every batch, and at half its term while idle.
        package var leaseTerm: TimeInterval = 30
        /// Events read per batch; the cursor moves once per batch.
        package var batch = 100

        package init() {}
    }

    package init(
        store: Store,
        senders: [WebhookSender],
        owner: String = WebhookDeliverer.processOwner(),
        logger: Logger,
        tuning: Tuning = Tuning(),
        clock: @escaping @Sendable () -> Date = Date.init,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.8...1.2) }
    ) {
        self.store = store
        self.senders = senders
        self.owner = owner
        self.logger = logger
        self.tuning = tuning
        self.clock = clock
        self.jitter = jitter
    }

    /// `host:pid:random`.
    package static func processOwner() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }

    package func run() async throws {
        await withDiscardingTaskGroup { group in
            for sender in senders {
                group.addTask { await EndpointLoop(deliverer: self, sender: sender).run() }
            }
        }
    }
}

/// One endpoint's loop.
struct EndpointLoop {
    let deliverer: WebhookDeliverer
    let sender: WebhookSender
    var name: String { sender.settings.name }

    var metrics: (queued: Counter, delivered: Counter, retried: Counter, failed: Counter, oldest: Gauge) {
        let counter = { (outcome: String) in
            Counter(label: "rolesync_webhook_messages_total", dimensions: [("endpoint", name), ("outcome", outcome)])
        }
        return (
            counter("queued"), counter("delivered"), counter("retried"), counter("failed"),
            Gauge(label: "rolesync_webhook_oldest_undelivered_seconds", dimensions: [("endpoint", name)])
        )
    }

    func run() async {
        var leased: WebhookEndpoint?
        var failuresInARow = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var wait = deliverer.tuning.poll
            do {
                leased = try await lease()
                if let endpoint = leased {
                    let (next, busy) = try await cycle(endpoint)
                    leased = next
                    if busy { wait = .zero }
                }
                failuresInARow = 0
            } catch {
                failuresInARow += 1
                leased = nil
                deliverer.logger.error(
                    "webhook delivery could not read or write the ledger; trying again",
                    metadata: ["endpoint": "\(name)", "error": "\(error)"]
                )
                wait = .milliseconds(min(30_000, 250 << min(failuresInARow, 7)))
            }
            if wait > .zero {
                let pause = wait
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
                } catch {
                    break
                }
            }
        }
        if leased != nil { try? await deliverer.store.releaseWebhookEndpoint(name, owner: deliverer.owner) }
    }

    /// The endpoint as stored while this process holds its lease (taken, or renewed at half its
    /// term), else `nil`. The row is read on every look, so an operator's replay or re-enable is
    /// seen at once; a disabled endpoint, or one another process holds, costs that read alone.
    func lease() async throws -> WebhookEndpoint? {
        let now = deliverer.clock()
        guard let stored = try await deliverer.store.webhookEndpoints().first(where: { $0.name == name }), stored.delivers else {
            metrics.oldest.record(0)
            return nil
        }
        if stored.leased(by: deliverer.owner, at: now), let until = stored.leaseUntil, until.timeIntervalSince(now) > deliverer.tuning.leaseTerm / 2 {
            return stored
        }
        if let owner = stored.leaseOwner, owner != deliverer.owner, let until = stored.leaseUntil, until > now { return nil }
        return try await deliverer.store.leaseWebhookEndpoint(name, owner: deliverer.owner, until: now + deliverer.tuning.leaseTerm, at: now)
    }

    /// One batch: operators' retries of failed messages, then the events after the cursor, in order,
    /// until one is not delivered or the batch is done. - Returns: the endpoint as written (`nil`
    /// when this process no longer holds it) and whether there may be more to send at once.
    func cycle(_ endpoint: WebhookEndpoint) async throws -> (WebhookEndpoint?, Bool) {
        let retries = try await deliverer.store.webhookFailures(endpoint: name, retryRequested: true, limit: 20)
        let now = deliverer.clock()
        let due = endpoint.head.nextAttemptAt.map { $0 <= now } ?? true
        let batch = due ? try await deliverer.store.auditStream(after: endpoint.cursor, limit: deliverer.tuning.batch) : []
        guard !retries.isEmpty || !batch.isEmpty else {
            if due { metrics.oldest.record(0) }
            return (endpoint, false)
        }
        var progress = WebhookProgress(endpoint: endpoint, owner: deliverer.owner, readAfter: endpoint.cursor, leaseUntil: now)
        let started = ContinuousClock.now
        let budget = Duration.seconds(deliverer.tuning.leaseTerm / 3)

        if !retries.isEmpty {
            let events = Dictionary(
                uniqueKeysWithValues: try await deliverer.store.auditEvents(ids: retries.map(\.eventID)).compactMap { e in e.id.map { ($0, e) } }
            )
            for failure in retries {
                guard let event = events[failure.eventID] else { continue }
                let result = await sender.send(event)
                progress.attempts.append(result.attempt)
                let (next, kept) = WebhookRetryPolicy.retried(failure, of: progress.endpoint, after: result.outcome, time: result.attempt.time)
                progress.endpoint = next
                if let kept { progress.failures.append(kept) } else { progress.resolved.append(failure.eventID) }
                count(result.outcome, failed: false)
            }
        }

        var pending: AuditEvent?
        for (event, position) in batch where progress.endpoint.delivers {
            guard sender.settings.actions.contains(event.action) else {
                progress.endpoint.cursor = position
                continue
            }
            if ContinuousClock.now - started > budget {
                pending = event
                break
            }
            if progress.endpoint.head.attempts == 0 { metrics.queued.increment() }
            let result = await sender.send(event)
            progress.attempts.append(result.attempt)
            let (next, failure) = WebhookRetryPolicy.endpoint(
                progress.endpoint,
                after: result.outcome,
                of: event.id ?? 0,
                at: position,
                time: result.attempt.time,
                jitter: deliverer.jitter(),
                disableAfter: sender.settings.disableAfter
            )
            progress.endpoint = next
            count(result.outcome, failed: failure != nil)
            if let failure {
                progress.failures.append(failure)
                log(failure)
            }
            if case .delivered = result.outcome { progress.resolved.append(event.id ?? 0) }
            guard next.cursor == position else {
                pending = event
                break
            }
        }
        let written = deliverer.clock()
        progress.leaseUntil = written + deliverer.tuning.leaseTerm
        guard try await deliverer.store.recordWebhookProgress(progress, at: written) else {
            deliverer.logger.info(
                "webhook endpoint changed meanwhile (a replay, or the lease passed); reading it again",
                metadata: ["endpoint": "\(name)"]
            )
            return (nil, true)
        }
        if progress.endpoint.state == .disabled {
            deliverer.logger.error(
                "webhook endpoint disabled; re-enable it once its receiver works (rolesync events enable, or the Events page)",
                metadata: ["endpoint": "\(name)", "reason": "\(progress.endpoint.disabledReason ?? "failing")"]
            )
            metrics.oldest.record(0)
            return (nil, false)
        }
        metrics.oldest.record(pending.map { max(0, written.timeIntervalSince($0.time)) } ?? 0)
        var stored = progress.endpoint
        stored.leaseOwner = deliverer.owner
        stored.leaseUntil = progress.leaseUntil
        // More to send at once: the batch was full, or cut short by the time budget.
        let more = pending != nil ? stored.head.attempts == 0 : batch.count == deliverer.tuning.batch
        return (stored, more)
    }

    func count(_ outcome: WebhookRetryPolicy.Outcome, failed: Bool) {
        switch outcome {
        case .delivered: metrics.delivered.increment()
        case .gone: metrics.failed.increment()
        case .failed: failed ? metrics.failed.increment() : metrics.retried.increment()
        }
    }

    func log(_ failure: WebhookFailure) {
        deliverer.logger.warning(
            "webhook message failed after every try; kept, and sent again by a retry or a replay",
            metadata: ["endpoint": "\(name)", "event_id": "\(failure.eventID)", "status": "\(failure.lastStatus.map(String.init) ?? "none")"]
        )
    }
}
