import Foundation
import RoleSyncLedger
import Testing

/// The webhook outbox on every engine: endpoints and subscriptions as ledger state, messages queued
/// in the transaction that writes their event (and only then), in the stream's order, one lease per
/// endpoint.
@Suite("Webhook outbox conformance")
struct WebhookOutboxConformanceTests {
    static let epoch = StoreUnderTest.epoch

    static func settings(_ entries: (String, Set<AuditAction>)...) -> [WebhookEndpointSetting] {
        entries.map { WebhookEndpointSetting(name: $0.0, url: "https://\($0.0).example.com/hooks", actions: $0.1) }
    }

    /// Pending messages of `endpoint` once there are at least `count` (PostgreSQL hands a message
    /// out once no older transaction in the cluster runs), or what there is after ten seconds.
    static func pending(_ s: StoreUnderTest, _ endpoint: String, atLeast count: Int) async throws -> [WebhookMessage] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let messages = try await s.store.pendingWebhookMessages(endpoint: endpoint, limit: 100)
            if messages.count >= count || ContinuousClock.now > deadline { return messages }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test(
        "An event is queued for each endpoint subscribed to its action, in the transaction that writes it, in order",
        arguments: ConformanceKind.all
    )
    func queueing(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.record(ann.id, .keyRevoked)
        #expect(try await s.store.webhookEndpoints().isEmpty)

        try await s.store.replaceWebhookEndpoints(
            Self.settings(("siem", [.keyRevoked, .statusChanged]), ("ops", Set(AuditAction.allCases))),
            at: Self.epoch
        )
        #expect(try await s.store.webhookEndpoints().map(\.name) == ["ops", "siem"])
        #expect(try await s.store.webhookEndpoints().allSatisfy { $0.state == .healthy })
        #expect(try await s.store.webhookSubscriptions()["siem"] == [.keyRevoked, .statusChanged])

        try await s.record(ann.id, .roleChanged, .keyRevoked, .statusChanged)
        let ops = try await Self.pending(s, "ops", atLeast: 3)
        #expect(ops.map(\.event.action) == [.roleChanged, .keyRevoked, .statusChanged], "events before the endpoint existed are not queued")
        let siem = try await Self.pending(s, "siem", atLeast: 2)
        #expect(siem.map(\.event.action) == [.keyRevoked, .statusChanged])
        #expect(siem.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.event.userID == ann.id })
        #expect(siem.map(\.webhookID) == siem.map { "msg_\($0.event.id ?? -1)" })
        #expect(Set(siem.map(\.webhookID)).isSubset(of: Set(ops.map(\.webhookID))), "one webhook-id per event, whatever the endpoint")
    }

    @Test("A transaction that fails after writing its event queues nothing", arguments: ConformanceKind.all)
    func rolledBack(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("root", role: .superAdmin), StoreUnderTest.user("ann"))
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.roleChanged, .editRefused])), at: Self.epoch)
        var root = users[0]
        root.role = .user
        await #expect(throws: LedgerStoreError.conflict(.noActiveSuperAdmin)) {
            try await s.store.apply(
                LedgerChanges(
                    users: [.init(write: .update(root, expectedVersion: 1), audit: [StoreUnderTest.event(.roleChanged)])],
                    requiresActiveSuperAdmin: true
                )
            )
        }
        try await s.record(users[1].id, .editRefused)
        let pending = try await Self.pending(s, "siem", atLeast: 1)
        #expect(pending.map(\.event.action) == [.editRefused], "the rolled-back role change left no message")
    }

    @Test(
        "Endpoints follow the configuration: removed ones keep their messages and get no more; disabled ones get none",
        arguments: ConformanceKind.all
    )
    func endpointLifecycle(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked]), ("ops", [.keyRevoked])), at: Self.epoch)
        try await s.record(ann.id, .keyRevoked)
        _ = try await Self.pending(s, "siem", atLeast: 1)

        try await s.store.replaceWebhookEndpoints(Self.settings(("ops", [.keyRevoked])), at: Self.epoch)
        #expect(try await s.store.webhookEndpoints().map { "\($0.name):\($0.state.rawValue)" } == ["ops:healthy", "siem:removed"])
        #expect(try await s.store.webhookSubscriptions()["siem"] == nil)
        try await s.record(ann.id, .keyRevoked)
        #expect(try await Self.pending(s, "ops", atLeast: 2).count == 2)
        #expect(try await s.store.pendingWebhookMessages(endpoint: "siem", limit: 100).count == 1, "kept, nothing new")

        // Back in the configuration: healthy again, with its new address.
        var back = Self.settings(("ops", [.keyRevoked]), ("siem", [.keyRevoked]))
        back[1].url = "https://siem.example.com/v2"
        try await s.store.replaceWebhookEndpoints(back, at: Self.epoch)
        let siem = try #require(try await s.store.webhookEndpoints().first { $0.name == "siem" })
        #expect(siem.state == .healthy && siem.url == "https://siem.example.com/v2")

        // A disabled endpoint gets nothing queued, and cannot be leased.
        var disabled = siem
        disabled.state = .disabled
        disabled.disabledAt = Self.epoch
        disabled.disabledReason = "gone"
        try await s.store.saveWebhookOutcomes([], attempts: [], endpoint: disabled)
        try await s.record(ann.id, .keyRevoked)
        #expect(try await Self.pending(s, "ops", atLeast: 3).count == 3)
        #expect(try await s.store.pendingWebhookMessages(endpoint: "siem", limit: 100).count == 1)
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: Self.epoch.addingTimeInterval(30), at: Self.epoch) == false)
        let stored = try #require(try await s.store.webhookEndpoints().first { $0.name == "siem" })
        #expect(stored.state == .disabled && stored.disabledReason == "gone" && stored.disabledAt == Self.epoch)
        // A reload of the configuration does not re-enable it: re-enabling is an operator's act.
        try await s.store.replaceWebhookEndpoints(back, at: Self.epoch)
        #expect(try await s.store.webhookEndpoints().first { $0.name == "siem" }?.state == .disabled)
    }

    @Test("One lease per endpoint: taken when free or expired, renewed by its owner, released only by it", arguments: ConformanceKind.all)
    func leases(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked])), at: Self.epoch)
        let t0 = Self.epoch
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 30, at: t0))
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 40, at: t0 + 10) == false)
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 60, at: t0 + 20), "its owner renews it")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 70, at: t0 + 40) == false, "renewed to 60")
        try await s.store.releaseWebhookEndpoint("siem", owner: "b")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 70, at: t0 + 41) == false, "only its owner releases it")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 90, at: t0 + 60), "expired: another takes it")
        try await s.store.releaseWebhookEndpoint("siem", owner: "b")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 99, at: t0 + 61))
        #expect(try await s.store.leaseWebhookEndpoint("nobody", owner: "a", until: t0 + 99, at: t0 + 61) == false)
    }

    @Test("Outcomes are written with their attempts and the endpoint's state, and only to messages still pending", arguments: ConformanceKind.all)
    func outcomes(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked])), at: Self.epoch)
        try await s.record(ann.id, .keyRevoked, .keyRevoked, .keyRevoked)
        let pending = try await Self.pending(s, "siem", atLeast: 3)
        #expect(pending.count == 3)

        var delivered = pending[0]
        delivered.state = .delivered
        delivered.attempts = 1
        delivered.lastAttemptAt = Self.epoch + 1
        delivered.lastStatus = 204
        var retrying = pending[1]
        retrying.attempts = 1
        retrying.nextAttemptAt = Self.epoch + 6
        retrying.lastAttemptAt = Self.epoch + 1
        retrying.lastStatus = 500
        let attempts = [
            WebhookAttempt(
                endpoint: "siem",
                eventID: try #require(delivered.event.id),
                time: Self.epoch + 1,
                status: 204,
                duration: .milliseconds(12),
                responseStart: "",
                error: nil
            ),
            WebhookAttempt(
                endpoint: "siem",
                eventID: try #require(retrying.event.id),
                time: Self.epoch + 1,
                status: 500,
                duration: .milliseconds(30),
                responseStart: "upstream failed",
                error: nil
            ),
        ]
        var endpoint = try #require(try await s.store.webhookEndpoints().first)
        endpoint.state = .retrying
        endpoint.failingSince = Self.epoch + 1
        try await s.store.saveWebhookOutcomes([delivered, retrying], attempts: attempts, endpoint: endpoint)

        let left = try await s.store.pendingWebhookMessages(endpoint: "siem", limit: 100)
        #expect(left.map(\.event.id) == [retrying.event.id, pending[2].event.id])
        #expect(left.first?.attempts == 1 && left.first?.lastStatus == 500 && left.first?.nextAttemptAt == Self.epoch + 6)
        #expect(try await s.store.webhookAttempts(endpoint: "siem", limit: 10).map(\.status) == [500, 204], "newest first")
        #expect(try await s.store.webhookAttempts(endpoint: "siem", limit: 10).first?.duration == .milliseconds(30))
        let stored = try #require(try await s.store.webhookEndpoints().first)
        #expect(stored.state == .retrying && stored.failingSince == Self.epoch + 1)

        // A message no longer pending is not written again (a late deliverer loses).
        var late = delivered
        late.state = .failed
        try await s.store.saveWebhookOutcomes([late], attempts: [], endpoint: stored)
        #expect(try await s.store.pendingWebhookMessages(endpoint: "siem", limit: 100).count == 2)
    }

    @Test("events: patterns select audit actions by name or glob; one that selects nothing is an error")
    func patterns() throws {
        #expect(try WebhookEndpointSetting.actions(matching: []) == Set(AuditAction.allCases))
        #expect(try WebhookEndpointSetting.actions(matching: ["key.revoked"]) == [.keyRevoked])
        let users = try WebhookEndpointSetting.actions(matching: ["user.*", "key.rolled"])
        #expect(users.contains(.roleChanged) && users.contains(.sessionsEnded) && users.contains(.keyRolled) && !users.contains(.keyRevoked))
        #expect(throws: WebhookEndpointSetting.PatternError(pattern: "user.deleted", reason: "matches no audit action")) {
            try WebhookEndpointSetting.actions(matching: ["user.deleted"])
        }
        #expect(throws: WebhookEndpointSetting.PatternError.self) { try WebhookEndpointSetting.actions(matching: ["user.[a"]) }
    }
}

@Suite("Webhook retry policy")
struct WebhookRetryPolicyTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func message(attempts: Int = 0) -> WebhookMessage {
        WebhookMessage(
            endpoint: "siem",
            event: AuditEvent(id: 7, time: t0, actor: .cli, action: .keyRevoked, details: [:]),
            state: .pending,
            attempts: attempts,
            nextAttemptAt: t0
        )
    }

    @Test("A 2xx delivers; other answers and none are retried on the schedule, then the message fails")
    func schedule() {
        #expect(WebhookRetryPolicy.Outcome(status: 204) == .delivered(status: 204))
        #expect(WebhookRetryPolicy.Outcome(status: 410) == .gone)
        #expect(WebhookRetryPolicy.Outcome(status: 301) == .failed(status: 301))
        #expect(WebhookRetryPolicy.Outcome(status: nil) == .failed(status: nil))
        #expect(WebhookRetryPolicy.schedule.reduce(0, +) >= 24 * 3600, "retried over at least a day")

        let delivered = WebhookRetryPolicy.message(Self.message(), after: .delivered(status: 200), at: Self.t0 + 1, jitter: 1)
        #expect(delivered.state == .delivered && delivered.attempts == 1 && delivered.lastStatus == 200 && delivered.lastAttemptAt == Self.t0 + 1)

        var message = Self.message()
        var time = Self.t0
        for (index, wait) in WebhookRetryPolicy.schedule.enumerated() {
            message = WebhookRetryPolicy.message(message, after: .failed(status: 500), at: time, jitter: 1)
            #expect(message.state == .pending && message.attempts == index + 1 && message.nextAttemptAt == time + wait)
            time = message.nextAttemptAt
        }
        message = WebhookRetryPolicy.message(message, after: .failed(status: nil), at: time, jitter: 1)
        #expect(message.state == .failed && message.attempts == WebhookRetryPolicy.schedule.count + 1 && message.lastStatus == nil)

        // Jitter spreads a retry by at most a fifth either way.
        let early = WebhookRetryPolicy.message(Self.message(attempts: 1), after: .failed(status: 503), at: Self.t0, jitter: 0.1)
        #expect(early.nextAttemptAt == Self.t0 + 300 * 0.8)
        let gone = WebhookRetryPolicy.message(Self.message(), after: .gone, at: Self.t0, jitter: 1)
        #expect(gone.state == .pending && gone.attempts == 1 && gone.lastStatus == 410, "it waits for the endpoint to be re-enabled")
    }

    @Test("An endpoint is healthy after a success, disabled by 410 or by failing longer than the limit, else retrying")
    func endpointStates() {
        let healthy = WebhookEndpoint(name: "siem", url: "https://siem.example.com", state: .healthy)
        let limit = WebhookRetryPolicy.defaultDisableAfter
        let failing = WebhookRetryPolicy.endpoint(healthy, after: .failed(status: 500), at: Self.t0, disableAfter: limit)
        #expect(failing.state == .retrying && failing.failingSince == Self.t0)
        let still = WebhookRetryPolicy.endpoint(failing, after: .failed(status: nil), at: Self.t0 + limit, disableAfter: limit)
        #expect(still.state == .retrying && still.failingSince == Self.t0, "the first failure counts, not the last")
        let disabled = WebhookRetryPolicy.endpoint(still, after: .failed(status: nil), at: Self.t0 + limit + 1, disableAfter: limit)
        #expect(disabled.state == .disabled && disabled.disabledReason == "failing" && disabled.disabledAt == Self.t0 + limit + 1)
        let recovered = WebhookRetryPolicy.endpoint(failing, after: .delivered(status: 202), at: Self.t0 + 60, disableAfter: limit)
        #expect(recovered.state == .healthy && recovered.failingSince == nil)
        let gone = WebhookRetryPolicy.endpoint(healthy, after: .gone, at: Self.t0, disableAfter: limit)
        #expect(gone.state == .disabled && gone.disabledReason == "gone")
    }
}
