import Foundation
import RoleSyncLedger
import RoleSyncTestSupport
import Testing

/// The webhook outbox on every engine (decision 136): endpoints as ledger state with a cursor into
/// the audit stream, one lease per endpoint, progress written only by the lease's holder from the
/// cursor it read, and an operator's replay, retry and re-enable audited in their transaction.
@Suite("Webhook outbox conformance")
struct WebhookOutboxConformanceTests {
    static let epoch = StoreUnderTest.epoch

    static func settings(_ entries: (String, Set<AuditAction>)...) -> [WebhookEndpointSetting] {
        entries.map { WebhookEndpointSetting(name: $0.0, url: "https://\($0.0).example.com/hooks", actions: $0.1) }
    }

    static func endpoint(_ s: StoreUnderTest, _ name: String) async throws -> WebhookEndpoint {
        try #require(try await s.store.webhookEndpoints().first { $0.name == name })
    }

    /// Writes events about `user`, one change each.
    static func record(_ s: StoreUnderTest, _ user: UserID, _ actions: AuditAction..., at offset: TimeInterval = 0) async throws {
        for action in actions {
            try await s.store.apply(LedgerChanges(users: [.init(write: .none(user), audit: [StoreUnderTest.event(action, at: offset)])]))
        }
    }

    @Test("A new endpoint starts at the stream's head; a reload keeps cursors; a removed one comes back at the head", arguments: ConformanceKind.all)
    func endpoints(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await Self.record(s, ann.id, .keyRevoked)
        #expect(try await s.store.webhookEndpoints().isEmpty)

        try await s.store.replaceWebhookEndpoints(
            Self.settings(("siem", [.keyRevoked, .statusChanged]), ("ops", Set(AuditAction.allCases))),
            at: Self.epoch
        )
        let endpoints = try await s.store.webhookEndpoints()
        #expect(endpoints.map(\.name) == ["ops", "siem"])
        #expect(endpoints.allSatisfy { $0.state == .healthy && $0.head == .fresh && $0.leaseOwner == nil })
        #expect(endpoints.last?.actions == [.keyRevoked, .statusChanged])
        let siem = try await Self.endpoint(s, "siem")
        try await Self.record(s, ann.id, .roleChanged, .keyRevoked)
        // PostgreSQL hands an event out once no older transaction in the cluster runs: wait for both.
        var after = try await s.store.auditStream(after: siem.cursor, atLeast: 2)
        let deadline = ContinuousClock.now + .seconds(10)
        while after.last?.event.action != .keyRevoked || after.count < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            after = try await s.store.auditStream(after: siem.cursor, limit: 100)
        }
        #expect(after.suffix(2).map(\.event.action) == [.roleChanged, .keyRevoked])
        if kind != .postgres {
            // On PostgreSQL the head is the oldest transaction still running anywhere in the cluster
            // (decision 135), which may be older than an event already committed: a new endpoint may
            // receive a few events from just before it was added, never miss one after.
            #expect(after.count == 2, "the event before the endpoint existed is not after its cursor")
        }

        // A reload with a new address keeps the cursor; one left out becomes removed.
        var moved = Self.settings(("siem", [.keyRevoked]))
        moved[0].url = "https://siem.example.com/v2"
        try await s.store.replaceWebhookEndpoints(moved, at: Self.epoch)
        let reloaded = try await Self.endpoint(s, "siem")
        #expect(reloaded.url == "https://siem.example.com/v2" && reloaded.actions == [.keyRevoked] && reloaded.cursor == siem.cursor)
        #expect(try await Self.endpoint(s, "ops").state == .removed)

        // Back in the configuration: healthy, from the head (nothing of its absence is sent).
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked]), ("ops", [.keyRevoked])), at: Self.epoch)
        let ops = try await Self.endpoint(s, "ops")
        #expect(ops.state == .healthy)
        if kind != .postgres { #expect(try await s.store.auditStream(after: ops.cursor, limit: 100).isEmpty) }
    }

    @Test("One lease per endpoint: taken when free or expired, renewed by its owner, released only by it", arguments: ConformanceKind.all)
    func leases(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked])), at: Self.epoch)
        let t0 = Self.epoch
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 30, at: t0)?.leaseOwner == "a")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 40, at: t0 + 10) == nil)
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 60, at: t0 + 20) != nil, "its owner renews it")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 70, at: t0 + 40) == nil, "renewed to 60")
        try await s.store.releaseWebhookEndpoint("siem", owner: "b")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 70, at: t0 + 41) == nil, "only its owner releases it")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "b", until: t0 + 90, at: t0 + 60) != nil, "expired: another takes it")
        try await s.store.releaseWebhookEndpoint("siem", owner: "b")
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 99, at: t0 + 61) != nil)
        #expect(try await s.store.leaseWebhookEndpoint("nobody", owner: "a", until: t0 + 99, at: t0 + 61) == nil)
    }

    @Test("Progress is written by the lease's holder from the cursor it read; tries are kept either way", arguments: ConformanceKind.all)
    func progress(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked])), at: Self.epoch)
        try await Self.record(s, ann.id, .keyRevoked, .keyRevoked)
        let t0 = Self.epoch
        let leased = try #require(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 30, at: t0))
        let events = try await s.store.auditStream(after: leased.cursor, atLeast: 2)
        #expect(events.count == 2)

        // The first delivered, the second failed once: retrying.
        var next = WebhookRetryPolicy.endpoint(
            leased,
            after: .delivered(status: 204),
            of: events[0].event.id ?? 0,
            at: events[0].position,
            time: t0 + 1,
            jitter: 1,
            disableAfter: WebhookRetryPolicy.defaultDisableAfter
        ).endpoint
        next =
            WebhookRetryPolicy.endpoint(
                next,
                after: .failed(status: 500),
                of: events[1].event.id ?? 0,
                at: events[1].position,
                time: t0 + 2,
                jitter: 1,
                disableAfter: WebhookRetryPolicy.defaultDisableAfter
            ).endpoint
        let attempts = [
            WebhookAttempt(
                endpoint: "siem",
                eventID: events[0].event.id ?? 0,
                time: t0 + 1,
                status: 204,
                duration: .milliseconds(12),
                responseStart: "",
                error: nil
            ),
            WebhookAttempt(
                endpoint: "siem",
                eventID: events[1].event.id ?? 0,
                time: t0 + 2,
                status: nil,
                duration: .milliseconds(30),
                responseStart: "",
                error: "connection refused"
            ),
        ]
        #expect(
            try await s.store.recordWebhookProgress(
                WebhookProgress(endpoint: next, owner: "a", readAfter: leased.cursor, leaseUntil: t0 + 40, attempts: attempts),
                at: t0 + 3
            )
        )
        let stored = try await Self.endpoint(s, "siem")
        #expect(stored.cursor == events[0].position && stored.state == .retrying && stored.failingSince == t0 + 2)
        #expect(stored.head == WebhookHead(attempts: 1, nextAttemptAt: t0 + 7, lastStatus: 500) && stored.lastDeliveredAt == t0 + 1)
        #expect(stored.leaseUntil == t0 + 40, "the lease is renewed with the progress")
        let tried = try await s.store.webhookAttempts(endpoint: "siem", eventIDs: nil, limit: 10)
        #expect(tried.map(\.status) == [nil, 204] && tried.first?.error == "connection refused" && tried.last?.duration == .milliseconds(12))
        #expect(try await s.store.webhookAttempts(endpoint: nil, eventIDs: [events[0].event.id ?? 0], limit: 10).count == 1)

        // From a cursor that moved meanwhile, or without the lease: not written (the tries are).
        let late = WebhookProgress(endpoint: next, owner: "a", readAfter: leased.cursor, leaseUntil: t0 + 50, attempts: [attempts[0]])
        #expect(try await s.store.recordWebhookProgress(late, at: t0 + 4) == false)
        let other = WebhookProgress(endpoint: next, owner: "b", readAfter: stored.cursor, leaseUntil: t0 + 50)
        #expect(try await s.store.recordWebhookProgress(other, at: t0 + 4) == false)
        #expect(try await s.store.webhookAttempts(endpoint: "siem", eventIDs: nil, limit: 10).count == 3)
        #expect(try await Self.endpoint(s, "siem") == stored)

        // The last try fails: the message is failed and kept, and the cursor moves on.
        var failing = stored
        failing.head.attempts = WebhookRetryPolicy.schedule.count
        let (failed, failure) = WebhookRetryPolicy.endpoint(
            failing,
            after: .failed(status: 503),
            of: events[1].event.id ?? 0,
            at: events[1].position,
            time: t0 + 5,
            jitter: 1,
            disableAfter: WebhookRetryPolicy.defaultDisableAfter
        )
        let kept = try #require(failure)
        #expect(
            try await s.store.recordWebhookProgress(
                WebhookProgress(endpoint: failed, owner: "a", readAfter: stored.cursor, leaseUntil: t0 + 60, failures: [kept]),
                at: t0 + 5
            )
        )
        #expect(try await Self.endpoint(s, "siem").cursor == events[1].position)
        #expect(try await s.store.webhookFailures(endpoint: "siem", retryRequested: nil, limit: 10) == [kept])

        // An operator asks for a retry; delivered, it is resolved.
        let asked = try await s.store.retryWebhookFailure(endpoint: "siem", eventID: kept.eventID, actor: .cli, at: t0 + 6)
        #expect(asked.retryRequested)
        #expect(try await s.store.webhookFailures(endpoint: nil, retryRequested: true, limit: 10).map(\.eventID) == [kept.eventID])
        await #expect(throws: WebhookOutboxError.unknownFailure(endpoint: "siem", eventID: 999_999)) {
            try await s.store.retryWebhookFailure(endpoint: "siem", eventID: 999_999, actor: .cli, at: t0 + 6)
        }
        let current = try await Self.endpoint(s, "siem")
        #expect(
            try await s.store.recordWebhookProgress(
                WebhookProgress(endpoint: current, owner: "a", readAfter: current.cursor, leaseUntil: t0 + 60, resolved: [kept.eventID]),
                at: t0 + 7
            )
        )
        #expect(try await s.store.webhookFailures(endpoint: "siem", retryRequested: nil, limit: 10).isEmpty)
        let audit = try await s.store.auditEvents(matching: AuditQuery(action: .webhookRetryRequested, limit: 10)).events
        #expect(audit.first?.actor == .cli && audit.first?.details[.eventID] == .number(Double(kept.eventID)))
    }

    @Test("410 or failing too long disables, audited in the same transaction; an operator re-enables", arguments: ConformanceKind.all)
    func disabling(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked])), at: Self.epoch)
        try await Self.record(s, ann.id, .keyRevoked)
        let t0 = Self.epoch
        let leased = try #require(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 30, at: t0))
        let event = try #require(try await s.store.auditStream(after: leased.cursor, atLeast: 1).first)
        let gone = WebhookRetryPolicy.endpoint(
            leased,
            after: .gone,
            of: event.event.id ?? 0,
            at: event.position,
            time: t0 + 1,
            jitter: 1,
            disableAfter: 60
        ).endpoint
        #expect(
            try await s.store.recordWebhookProgress(
                WebhookProgress(endpoint: gone, owner: "a", readAfter: leased.cursor, leaseUntil: t0 + 30),
                at: t0 + 1
            )
        )
        let disabled = try await Self.endpoint(s, "siem")
        #expect(disabled.state == .disabled && disabled.disabledReason == "gone" && disabled.cursor == leased.cursor, "the message waits")
        #expect(disabled.leaseOwner == nil)
        let audit = try #require(try await s.store.auditEvents(matching: AuditQuery(action: .webhookDisabled, limit: 10)).events.first)
        #expect(audit.actor == .system && audit.details[.endpoint] == .string("siem") && audit.details[.reason] == .string("gone"))
        #expect(audit.details[.status] == .number(410))
        #expect(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 99, at: t0 + 2) == nil, "a disabled endpoint is not delivered")

        // A reload does not re-enable it: that is an operator's act.
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked])), at: t0)
        #expect(try await Self.endpoint(s, "siem").state == .disabled)
        let enabled = try await s.store.enableWebhookEndpoint("siem", actor: .cli, at: t0 + 3)
        #expect(enabled.state == .healthy && enabled.disabledReason == nil && enabled.cursor == leased.cursor)
        await #expect(throws: WebhookOutboxError.notDisabled("siem", .healthy)) {
            try await s.store.enableWebhookEndpoint("siem", actor: .cli, at: t0 + 4)
        }
        await #expect(throws: WebhookOutboxError.unknownEndpoint("nobody")) {
            try await s.store.enableWebhookEndpoint("nobody", actor: .cli, at: t0 + 4)
        }
        let reenabled = try await s.store.auditEvents(matching: AuditQuery(action: .webhookEnabled, limit: 10)).events
        #expect(reenabled.first?.details[.previousReason] == .string("gone"))
    }

    @Test("A replay moves the cursor back to the first event at or after a time, audited", arguments: ConformanceKind.all)
    func replay(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await Self.record(s, ann.id, .keyRevoked, at: 10)
        try await Self.record(s, ann.id, .roleChanged, at: 20)
        try await Self.record(s, ann.id, .keyRolled, at: 30)
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", Set(AuditAction.allCases))), at: Self.epoch)
        let fresh = try await Self.endpoint(s, "siem")
        // On PostgreSQL a new endpoint's head may precede events committed just before (decision 135).
        if kind != .postgres { #expect(try await s.store.auditStream(after: fresh.cursor, limit: 10).isEmpty) }

        let replayed = try await s.store.replayWebhookEndpoint("siem", since: Self.epoch + 15, actor: .cli, at: Self.epoch + 60)
        let again = try await s.store.auditStream(after: replayed.cursor, atLeast: 3)
        #expect(again.map(\.event.action) == [.roleChanged, .keyRolled, .webhookReplayed])
        let audit = try #require(again.last?.event)
        #expect(audit.details[.endpoint] == .string("siem") && audit.actor == .cli)

        // Since a time after every event: nothing to send again.
        let none = try await s.store.replayWebhookEndpoint("siem", since: Self.epoch + 86_400 * 365, actor: .cli, at: Self.epoch + 61)
        let after = try await s.store.auditStream(after: none.cursor, atLeast: 1).map(\.event.action)
        #expect(kind == .postgres ? after.last == .webhookReplayed : after == [.webhookReplayed], "\(after)")

        try await s.store.replaceWebhookEndpoints([], at: Self.epoch)
        await #expect(throws: WebhookOutboxError.removed("siem")) {
            try await s.store.replayWebhookEndpoint("siem", since: Self.epoch, actor: .cli, at: Self.epoch + 62)
        }
    }

    @Test("A change that rolls back writes no event, so nothing is sent for it", arguments: ConformanceKind.all)
    func rolledBack(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let users = try await s.insert(StoreUnderTest.user("root", role: .superAdmin), StoreUnderTest.user("ann"))
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.roleChanged, .editRefused])), at: Self.epoch)
        let siem = try await Self.endpoint(s, "siem")
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
        try await Self.record(s, users[1].id, .editRefused)
        let after = try await s.store.auditStream(after: siem.cursor, atLeast: 1)
        #expect(after.map(\.event.action) == [.editRefused], "the rolled-back role change left nothing to send")
    }

    @Test("Old tries are pruned; events are read back by id", arguments: ConformanceKind.all)
    func pruning(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        let ann = try await s.insert(StoreUnderTest.user("ann"))[0]
        try await Self.record(s, ann.id, .keyRevoked, .keyRolled)
        let ids = try await s.store.auditEvents(matching: AuditQuery(limit: 10)).events.compactMap(\.id)
        #expect(try await s.store.auditEvents(ids: ids + [999_999]).map(\.id) == ids.sorted().map { Optional($0) })
        try await s.store.replaceWebhookEndpoints(Self.settings(("siem", [.keyRevoked])), at: Self.epoch)
        let t0 = Self.epoch
        let leased = try #require(try await s.store.leaseWebhookEndpoint("siem", owner: "a", until: t0 + 30, at: t0))
        let attempts = (0..<3).map {
            WebhookAttempt(endpoint: "siem", eventID: 0, time: t0 + Double($0) * 86_400, status: 200, duration: .zero, responseStart: "", error: nil)
        }
        _ = try await s.store.recordWebhookProgress(
            WebhookProgress(endpoint: leased, owner: "a", readAfter: leased.cursor, leaseUntil: t0 + 30, attempts: attempts),
            at: t0
        )
        #expect(try await s.store.pruneWebhookAttempts(before: t0 + 86_400) == 1)
        #expect(try await s.store.webhookAttempts(endpoint: "siem", eventIDs: nil, limit: 10).count == 2)
    }
}
