import Crypto
import Foundation
import Logging
import RoleSyncConfig
import RoleSyncEvents
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import RoleSyncTestSupport
import RoleSyncWebhooks
import RoleSyncYAML
import Testing

/// The deliverer over a real ledger (SQLite in memory) and receivers in memory: order, signatures,
/// the retry schedule on a clock the test moves, 410, failures and an operator's retry, two
/// deliverers sharing one ledger, and a failing endpoint that holds back only itself.
@Suite("Webhook deliverer")
struct WebhookDelivererTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    struct World {
        let store: SQLiteLedgerStore
        let clock = ManualClock()
        let user: UserID

        init() async throws {
            store = try SQLiteLedgerStore.inMemory()
            let user = User(
                id: UserID(0),
                issuer: "https://idp.example.com",
                subject: "ann",
                email: "ann@example.com",
                name: "Ann",
                organizationUnit: nil,
                role: .user,
                roleSource: .idp,
                status: .active,
                deactivationReason: nil,
                deactivationSource: nil,
                registeredAt: Date(timeIntervalSince1970: 1_800_000_000),
                lastSignInAt: nil,
                signInCount: 0,
                lastClaims: Claims([:]),
                version: 1
            )
            self.user = try await store.apply(LedgerChanges(users: [.init(write: .insert(user))]))[0]
        }

        func settings(
            _ name: String,
            actions: Set<AuditAction> = Set(AuditAction.allCases),
            disableAfter: TimeInterval = 3 * 86_400
        ) throws -> WebhookSettings {
            WebhookSettings(
                name: name,
                url: URL(string: "https://\(name).example.com/hooks")!,
                secrets: [try WebhookSecret(WebhookDelivererTests.secret)],
                secretEnv: "SECRET",
                actions: actions,
                disableAfter: disableAfter,
                location: RoleSyncYAML.SourceLocation(file: "rolesync.yaml", line: 1, column: 1)
            )
        }

        /// The endpoints in the ledger, as serve writes them at start.
        func configure(_ settings: [WebhookSettings]) async throws {
            try await store.replaceWebhookEndpoints(settings.map(\.endpoint), at: clock.now)
        }

        func record(_ actions: AuditAction...) async throws {
            for action in actions {
                try await store.apply(
                    LedgerChanges(users: [.init(write: .none(user), audit: [AuditEvent(time: clock.now, actor: .cli, action: action)])])
                )
            }
        }

        func deliverer(_ senders: [(WebhookSettings, FakeWebhookReceiver)], owner: String = "test") -> WebhookDeliverer {
            var tuning = WebhookDeliverer.Tuning()
            tuning.poll = .milliseconds(5)
            let clock = self.clock
            return WebhookDeliverer(
                store: store,
                senders: senders.map { WebhookSender(settings: $0.0, transport: $0.1, clock: { clock.now }) },
                owner: owner,
                logger: Logger(label: "test"),
                tuning: tuning,
                clock: { clock.now },
                jitter: { 1 }
            )
        }

        func endpoint(_ name: String) async throws -> WebhookEndpoint {
            try #require(try await store.webhookEndpoints().first { $0.name == name })
        }
    }

    /// Runs the deliverers until `done` holds (at most 10 s), then stops them.
    static func running(_ deliverers: [WebhookDeliverer], until done: @escaping @Sendable () async throws -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for deliverer in deliverers { group.addTask { try await deliverer.run() } }
            let deadline = ContinuousClock.now + .seconds(10)
            while try await !done() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("not done within 10 s")
                    break
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            group.cancelAll()
        }
    }

    @Test("Each subscribed event is posted once, in order, signed as Standard Webhooks says; the cursor moves past the rest")
    func ordered() async throws {
        let world = try await World()
        let siem = try world.settings("siem", actions: [.keyRevoked, .roleChanged])
        try await world.configure([siem])
        try await world.record(.roleChanged, .profileUpdated, .keyRevoked, .sessionsEnded, .roleChanged)
        let receiver = FakeWebhookReceiver()
        try await Self.running([world.deliverer([(siem, receiver)])]) { receiver.requests.count >= 3 }
        let requests = receiver.requests
        #expect(requests.count == 3)
        let events = try await world.store.auditEvents(matching: AuditQuery(limit: 10)).events.reversed().filter { siem.actions.contains($0.action) }
        #expect(receiver.webhookIDs == events.map { "msg_\($0.id ?? 0)" }, "in the order of their events, one id each")
        for (request, event) in zip(requests, events) {
            #expect(request.method == .post && request.url.absoluteString == "https://siem.example.com/hooks")
            #expect(request.header("content-type") == "application/json")
            let body = try #require(request.body)
            let object = try #require(try ClaimValue(json: body).objectValue)
            #expect(object["type"] == .string(event.action.rawValue))
            #expect(object["data"]?.objectValue?["id"] == .number(Double(event.id ?? 0)))
            // The signature is HMAC-SHA256 of id.timestamp.body with the secret's key.
            let id = try #require(request.header("webhook-id"))
            let timestamp = try #require(request.header("webhook-timestamp"))
            var content = Data("\(id).\(timestamp).".utf8)
            content.append(body)
            let key = SymmetricKey(data: try WebhookSecret(Self.secret).key)
            let expected = "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: key)).base64EncodedString()
            #expect(request.header("webhook-signature") == expected)
        }
        let endpoint = try await world.endpoint("siem")
        #expect(endpoint.cursor.eventID == events.last?.id && endpoint.state == .healthy && endpoint.lastDeliveredAt == world.clock.now)
        #expect(try await world.store.webhookAttempts(endpoint: "siem", eventIDs: nil, limit: 10).count == 3)
    }

    @Test("A 500 is tried again after the schedule's wait with the same webhook-id; nothing after it is sent before it")
    func retried() async throws {
        let world = try await World()
        let siem = try world.settings("siem")
        try await world.configure([siem])
        try await world.record(.keyRevoked, .keyRolled)
        let receiver = FakeWebhookReceiver()
        receiver.script([500])
        let deliverer = world.deliverer([(siem, receiver)])
        try await Self.running([deliverer]) { try await world.endpoint("siem").head.attempts == 1 }
        let waiting = try await world.endpoint("siem")
        #expect(waiting.state == .retrying && waiting.head.nextAttemptAt == world.clock.now + 5 && waiting.head.lastStatus == 500)
        #expect(receiver.requests.count == 1, "the next message waits for the first")
        world.clock.advance(5)
        try await Self.running([deliverer]) { receiver.requests.count >= 3 }
        let ids = receiver.webhookIDs
        #expect(ids.count == 3 && ids[0] == ids[1] && ids[2] != ids[0], "the same id on the retry, then the next message")
        #expect(try await world.endpoint("siem").state == .healthy)
    }

    @Test("410 disables the endpoint (audited); its messages wait and are sent once an operator re-enables it")
    func gone() async throws {
        let world = try await World()
        let siem = try world.settings("siem", actions: [.keyRevoked])
        try await world.configure([siem])
        try await world.record(.keyRevoked, .keyRevoked)
        let receiver = FakeWebhookReceiver()
        receiver.script([410])
        let deliverer = world.deliverer([(siem, receiver)])
        try await Self.running([deliverer]) { try await world.endpoint("siem").state == .disabled }
        #expect(try await world.store.auditEvents(matching: AuditQuery(action: .webhookDisabled, limit: 5)).events.count == 1)
        try await world.record(.keyRevoked)
        try await Task.sleep(for: .milliseconds(50))
        #expect(receiver.requests.count == 1, "nothing is sent to a disabled endpoint")
        _ = try await world.store.enableWebhookEndpoint("siem", actor: .cli, at: world.clock.now)
        try await Self.running([deliverer]) { receiver.requests.count >= 4 }
        #expect(Set(receiver.webhookIDs).count == 3 && receiver.webhookIDs[0] == receiver.webhookIDs[1], "the waiting message first, again")
    }

    @Test("After the last try a message is failed and kept, the next one is sent; an operator's retry sends it once more")
    func failedAndRetried() async throws {
        let world = try await World()
        let siem = try world.settings("siem", actions: [.keyRevoked, .keyRolled])
        try await world.configure([siem])
        try await world.record(.keyRevoked, .keyRolled)
        let receiver = FakeWebhookReceiver()
        receiver.script(Array(repeating: nil, count: WebhookRetryPolicy.schedule.count + 1))
        let deliverer = world.deliverer([(siem, receiver)])
        for wait in WebhookRetryPolicy.schedule {
            let tries = receiver.requests.count
            try await Self.running([deliverer]) { receiver.requests.count > tries }
            world.clock.advance(wait)
        }
        try await Self.running([deliverer]) { receiver.requests.count >= WebhookRetryPolicy.schedule.count + 2 }
        let failures = try await world.store.webhookFailures(endpoint: "siem", retryRequested: nil, limit: 10)
        #expect(failures.count == 1 && failures[0].attempts == WebhookRetryPolicy.schedule.count + 1 && failures[0].lastStatus == nil)
        let failedID = failures[0].eventID
        #expect(receiver.webhookIDs.last != "msg_\(failedID)", "the next message was sent")
        #expect(try await world.endpoint("siem").state == .healthy, "the next message was delivered")

        _ = try await world.store.retryWebhookFailure(endpoint: "siem", eventID: failedID, actor: .cli, at: world.clock.now)
        let before = receiver.requests.count
        try await Self.running([deliverer]) { try await world.store.webhookFailures(endpoint: "siem", retryRequested: nil, limit: 10).isEmpty }
        #expect(receiver.requests.count == before + 1 && receiver.webhookIDs.last == "msg_\(failedID)")
    }

    @Test("Two deliverers on one ledger: each message is sent once, in order")
    func twoDeliverers() async throws {
        let world = try await World()
        let siem = try world.settings("siem")
        try await world.configure([siem])
        for _ in 0..<50 { try await world.record(.keyRevoked) }
        let receiver = FakeWebhookReceiver()
        let a = world.deliverer([(siem, receiver)], owner: "a")
        let b = world.deliverer([(siem, receiver)], owner: "b")
        try await Self.running([a, b]) { receiver.requests.count >= 50 }
        try await Task.sleep(for: .milliseconds(50))
        let ids = receiver.webhookIDs
        #expect(ids.count == 50 && Set(ids).count == 50)
        #expect(ids == ids.sorted { Int($0.dropFirst(4))! < Int($1.dropFirst(4))! })
    }

    @Test("An endpoint that gets no answer holds back only itself")
    func isolated() async throws {
        let world = try await World()
        let down = try world.settings("down")
        let up = try world.settings("up")
        try await world.configure([down, up])
        try await world.record(.keyRevoked, .keyRolled, .keyCreated)
        let dead = FakeWebhookReceiver()
        dead.script(Array(repeating: nil, count: 100))
        let alive = FakeWebhookReceiver()
        try await Self.running([world.deliverer([(down, dead), (up, alive)])]) { alive.requests.count >= 3 }
        #expect(dead.requests.count == 1, "tried once, waiting for its next try")
        #expect(try await world.endpoint("down").state == .retrying)
        #expect(try await world.endpoint("up").state == .healthy)
    }
}
