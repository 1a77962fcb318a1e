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
