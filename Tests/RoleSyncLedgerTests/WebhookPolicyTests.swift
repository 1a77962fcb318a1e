import Foundation
import RoleSyncLedger
import Testing

@Suite("Webhook subscriptions")
struct WebhookSubscriptionTests {
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
    static let start = AuditStreamPosition(commit: 0, eventID: 6)
    static let position = AuditStreamPosition(commit: 0, eventID: 7)

    static func endpoint(attempts: Int = 0, failingSince: Date? = nil) -> WebhookEndpoint {
        WebhookEndpoint(
            name: "siem",
            url: "https://siem.example.com",
            actions: [.keyRevoked],
            state: failingSince == nil ? .healthy : .retrying,
            cursor: start,
            head: WebhookHead(attempts: attempts),
            failingSince: failingSince
        )
    }

    static func after(
        _ endpoint: WebhookEndpoint,
        _ outcome: WebhookRetryPolicy.Outcome,
        at time: Date,
        jitter: Double = 1
    )
        -> (endpoint: WebhookEndpoint, failure: WebhookFailure?)
    {
        WebhookRetryPolicy.endpoint(
            endpoint,
            after: outcome,
            of: 7,
            at: position,
            time: time,
            jitter: jitter,
            disableAfter: WebhookRetryPolicy.defaultDisableAfter
        )
    }

    @Test("A 2xx delivers; other answers and none are retried on the schedule, then the message fails and the cursor moves on")
    func schedule() throws {
        #expect(WebhookRetryPolicy.Outcome(status: 204) == .delivered(status: 204))
        #expect(WebhookRetryPolicy.Outcome(status: 410) == .gone)
        #expect(WebhookRetryPolicy.Outcome(status: 301) == .failed(status: 301))
        #expect(WebhookRetryPolicy.Outcome(status: nil) == .failed(status: nil))
        #expect(WebhookRetryPolicy.schedule.reduce(0, +) >= 24 * 3600, "retried over at least a day")

        let delivered = Self.after(Self.endpoint(attempts: 2, failingSince: Self.t0), .delivered(status: 200), at: Self.t0 + 1)
        #expect(delivered.endpoint.cursor == Self.position && delivered.endpoint.head == .fresh && delivered.failure == nil)
        #expect(delivered.endpoint.state == .healthy && delivered.endpoint.failingSince == nil && delivered.endpoint.lastDeliveredAt == Self.t0 + 1)

        var endpoint = Self.endpoint()
        var time = Self.t0
        for (index, wait) in WebhookRetryPolicy.schedule.enumerated() {
            let next = Self.after(endpoint, .failed(status: 500), at: time)
            endpoint = next.endpoint
            #expect(next.failure == nil && endpoint.state == .retrying && endpoint.cursor == Self.start)
            #expect(endpoint.head.attempts == index + 1 && endpoint.head.nextAttemptAt == time + wait && endpoint.head.lastStatus == 500)
            time = try #require(endpoint.head.nextAttemptAt)
        }
        let last = Self.after(endpoint, .failed(status: nil), at: time)
        let failure = try #require(last.failure)
        #expect(
            failure.eventID == 7 && failure.attempts == WebhookRetryPolicy.schedule.count + 1 && failure.lastStatus == nil && failure.failedAt == time
        )
        #expect(last.endpoint.cursor == Self.position && last.endpoint.head == .fresh, "the next message is tried")
        #expect(last.endpoint.state == .retrying && last.endpoint.failingSince == Self.t0, "still failing until a success")

        // Jitter spreads a retry by at most a fifth either way.
        let early = Self.after(Self.endpoint(attempts: 1), .failed(status: 503), at: Self.t0, jitter: 0.1)
        #expect(early.endpoint.head.nextAttemptAt == Self.t0 + 300 * 0.8)
        let gone = Self.after(Self.endpoint(), .gone, at: Self.t0)
        #expect(
            gone.endpoint.state == .disabled && gone.endpoint.disabledReason == "gone" && gone.endpoint.cursor == Self.start,
            "it waits to be re-enabled"
        )
        #expect(gone.failure == nil && gone.endpoint.head.lastStatus == 410)
    }

    @Test("An endpoint failing longer than the limit without a success is disabled; the first failure counts")
    func disableAfter() {
        let limit = WebhookRetryPolicy.defaultDisableAfter
        let failing = Self.after(Self.endpoint(), .failed(status: 500), at: Self.t0).endpoint
        #expect(failing.state == .retrying && failing.failingSince == Self.t0)
        let still = Self.after(failing, .failed(status: nil), at: Self.t0 + limit).endpoint
        #expect(still.state == .retrying && still.failingSince == Self.t0)
        let disabled = Self.after(still, .failed(status: nil), at: Self.t0 + limit + 1).endpoint
        #expect(disabled.state == .disabled && disabled.disabledReason == "failing" && disabled.disabledAt == Self.t0 + limit + 1)
    }

    @Test("An operator's retry of a failed message: delivered resolves it, a failure keeps it, 410 disables")
    func retried() {
        let failure = WebhookFailure(endpoint: "siem", eventID: 7, failedAt: Self.t0, attempts: 8, lastStatus: 500, retryRequested: true)
        let endpoint = Self.endpoint()
        let delivered = WebhookRetryPolicy.retried(failure, of: endpoint, after: .delivered(status: 200), time: Self.t0 + 1)
        #expect(delivered.failure == nil && delivered.endpoint.lastDeliveredAt == Self.t0 + 1)
        let again = WebhookRetryPolicy.retried(failure, of: endpoint, after: .failed(status: 502), time: Self.t0 + 2)
        #expect(
            again.failure == WebhookFailure(endpoint: "siem", eventID: 7, failedAt: Self.t0 + 2, attempts: 9, lastStatus: 502, retryRequested: false)
        )
        let gone = WebhookRetryPolicy.retried(failure, of: endpoint, after: .gone, time: Self.t0 + 3)
        #expect(gone.endpoint.state == .disabled && gone.failure?.retryRequested == false)
    }

    @Test("The start of an answer's body: printable, bounded")
    func responseStart() {
        #expect(WebhookAttempt.start(of: Array("ok\n\u{0}done".utf8)) == "ok  done")
        #expect(WebhookAttempt.start(of: Array(String(repeating: "é", count: 500).utf8)).count == 200)
    }
}
