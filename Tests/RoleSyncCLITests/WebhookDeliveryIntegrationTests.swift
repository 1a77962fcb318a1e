import AsyncHTTPClient
import Foundation
import NIOCore
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncPostgres
import RoleSyncSQLite
import RoleSyncTestSupport
import Synchronization
import Testing

/// `rolesync serve` (the built binary) posting audit events to the Standard Webhooks
/// specification's own reference library (PyPI `standardwebhooks` 1.1.0 in
/// `scripts/peers/webhook-receiver.py`), which verifies every signature and records what arrives.
/// Faults: answers of 500 and 410, the receiver down for a while, a change that rolls back, serve
/// killed with SIGKILL with 1,000 messages queued, and two replicas on PostgreSQL. `.ci/run` sets
/// ROLESYNC_WEBHOOK_PYTHON (the venv's Python) and, for the replicas, ROLESYNC_POSTGRES_URL.
@Suite(
    "Webhooks to the Standard Webhooks reference library",
    .enabled(if: WebhookReceiver.python != nil, "set ROLESYNC_WEBHOOK_PYTHON to a Python with standardwebhooks 1.1.0 (see .ci/run)"),
    .serialized
)
struct WebhookDeliveryIntegrationTests {
    static let issuer = "https://sso.example.com"
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A configuration for `folder` with one endpoint to `receiver`, its mapping written there.
    static func configuration(port: Int, folder: URL, database: String, receiver: WebhookReceiver) throws -> String {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("mappings"), withIntermediateDirectories: true)
        try """
        version: 1
        issuer: \(issuer)
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: admins } }
        unmatched: manual
        """.write(to: folder.appendingPathComponent("mappings/sso.yaml"), atomically: true, encoding: .utf8)
        return """
            listen: 127.0.0.1:\(port)
            public_url: http://127.0.0.1:\(port)
            database: \(database)
            mappings: mappings/
            idps:
              - { name: sso, issuer: \(issuer), client_id: rolesync, client_secret_env: ROLESYNC_TEST_SECRET }
            webhooks:
              - name: siem
                url: http://127.0.0.1:\(receiver.port)/hooks/siem
                secret_env: ROLESYNC_TEST_WEBHOOK_SECRET
            """
    }

    static func serve(database: String, receiver: WebhookReceiver) async throws -> ServeProcess {
        try await ServeProcess.start(environment: ["ROLESYNC_TEST_WEBHOOK_SECRET": secret]) { port, folder in
            try configuration(port: port, folder: folder, database: database, receiver: receiver)
        }
    }

    static func user(_ subject: String, role: Role = .user) -> User {
        User(
            id: UserID(0),
            issuer: issuer,
            subject: subject,
            email: "\(subject)@example.com",
            name: subject,
            organizationUnit: nil,
            role: role,
            roleSource: .manual,
            status: .active,
            deactivationReason: nil,
            deactivationSource: nil,
            registeredAt: Date(),
            lastSignInAt: nil,
            signInCount: 0,
            lastClaims: Claims([:]),
            version: 1
        )
    }

    /// Waits (at most `seconds`) until the receiver holds what `done` wants; the last look either way.
    static func waitFor(
        _ receiver: WebhookReceiver,
        seconds: Double = 20,
        _ done: ([WebhookReceiver.Request]) -> Bool
    ) async throws -> [WebhookReceiver.Request] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let requests = try await receiver.received()
            if done(requests) || ContinuousClock.now > deadline { return requests }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test(
        "A 500 is retried with the same webhook-id; the receiver down for a while gets the waiting messages in order; a rolled-back change sends nothing; 410 disables until re-enabled"
    )
    func faults() async throws {
        let receiver = try await WebhookReceiver.start(secret: Self.secret)
        let folder = try ScratchFolder("webhooks")
        let database = folder.path("ledger.sqlite")
        let store = try SQLiteLedgerStore(path: database)
        let server = try await Self.serve(database: database, receiver: receiver)
        defer { receiver.stop() }
        do {
            // A 500, then 200 for the same message, five seconds later.
            try await receiver.scenario(#"{"status": 500, "times": 1}"#)
            try await store.apply(
                LedgerChanges(users: [.init(write: .insert(Self.user("ann")), audit: [AuditEvent(time: Date(), actor: .cli, action: .userCreated)])])
            )
            var requests = try await Self.waitFor(receiver) { $0.count >= 2 }
            #expect(requests.map(\.status) == [500, 200], "\(requests)")
            #expect(requests.allSatisfy { $0.verified }, "the reference library verified every signature")
            #expect(Set(requests.map(\.webhookID)).count == 1, "one message, one webhook-id: the receiver deduplicates on it")
            #expect(requests.first?.type == "user.created")

            // Down for a while: three changes meanwhile arrive after it is back, in order.
            receiver.stop()
            for name in ["bob", "cy", "dee"] {
                try await store.apply(
                    LedgerChanges(users: [
                        .init(write: .insert(Self.user(name)), audit: [AuditEvent(time: Date(), actor: .cli, action: .userCreated)])
                    ])
                )
            }
            try await Task.sleep(for: .seconds(1))
            try await receiver.restart()
            requests = try await Self.waitFor(receiver) { $0.count >= 3 }
            let ids = requests.map(\.webhookID)
            #expect(ids.count == 3 && ids == ids.sorted { Int($0.dropFirst(4))! < Int($1.dropFirst(4))! }, "\(ids)")
            #expect(requests.allSatisfy { $0.verified && $0.status == 200 })

            // A change that rolls back (the last super_admin demoted) writes no event: only its
            // refusal is sent.
            let root = try await store.apply(LedgerChanges(users: [.init(write: .insert(Self.user("root", role: .superAdmin)))]))[0]
            try await receiver.clear()
            let refused = try Rolesync.run([
                "users", "set-role", "\(root)", "user", "--database", database, "--mappings", server.folder.appendingPathComponent("mappings").path,
            ])
            #expect(refused.status == 1, "\(refused.stderr)")
            requests = try await Self.waitFor(receiver, seconds: 5) { $0.contains { $0.type == "user.edit_refused" } }
            #expect(requests.map(\.type) == ["user.edit_refused"], "\(requests.map(\.type))")

            // 410: disabled, audited; re-enabled, the waiting message is sent.
            try await receiver.scenario(#"{"status": 410, "times": 1}"#)
            try await receiver.clear()
            try await store.apply(
                LedgerChanges(users: [.init(write: .insert(Self.user("eve")), audit: [AuditEvent(time: Date(), actor: .cli, action: .userCreated)])])
            )
            _ = try await Self.waitFor(receiver) { $0.contains { $0.status == 410 } }
            var list = try Rolesync.run([
                "events", "list", "--format", "json", "--database", database, "--mappings", server.folder.appendingPathComponent("mappings").path,
            ])
            for _ in 0..<50 where !list.stdout.contains(#""state" : "disabled""#) {
                try await Task.sleep(for: .milliseconds(100))
                list = try Rolesync.run([
                    "events", "list", "--format", "json", "--database", database, "--mappings", server.folder.appendingPathComponent("mappings").path,
                ])
            }
            #expect(list.stdout.contains(#""state" : "disabled""#), "\(list.stdout)")
            #expect(try await store.auditEvents(matching: AuditQuery(action: .webhookDisabled, limit: 5)).events.count == 1)
            let enable = try Rolesync.run([
                "events", "enable", "siem", "--database", database, "--mappings", server.folder.appendingPathComponent("mappings").path,
            ])
            #expect(enable.status == 0, "\(enable.stderr)")
            requests = try await Self.waitFor(receiver) { $0.contains { $0.type == "webhook.enabled" } }
            let delivered = requests.filter { $0.status == 200 }.map(\.type)
            #expect(delivered.prefix(1) == ["user.created"] && delivered.contains("webhook.enabled"), "\(delivered)")

            // The deliveries are in the metrics.
            let metrics = try await server.get("/metrics")
            #expect(metrics.body.contains(#"rolesync_webhook_messages_total{endpoint="siem",outcome="delivered"}"#), "\(metrics.body.prefix(3000))")
            #expect(metrics.body.contains("rolesync_webhook_oldest_undelivered_seconds"))
        } catch {
            Issue.record("\(error); serve's log:\n\(server.log.suffix(4000))")
        }
        #expect(await server.terminate() == 0)
        await server.stop()
    }

    @Test("serve killed with SIGKILL while 1,000 messages are queued: after a restart all 1,000 arrive, each with its one webhook-id")
    func killed() async throws {
        let receiver = try await WebhookReceiver.start(secret: Self.secret)
        defer { receiver.stop() }
        // Each answer takes a few milliseconds, so the kill lands mid-delivery.
        try await receiver.scenario(#"{"delay": 0.004}"#)
        let folder = try ScratchFolder("webhooks-kill")
        let database = folder.path("ledger.sqlite")
        let store = try SQLiteLedgerStore(path: database)
        let first = try await Self.serve(database: database, receiver: receiver)
        let users = (0..<1_000).map { Self.user("u\($0)") }
        try await store.apply(
            LedgerChanges(users: users.map { .init(write: .insert($0), audit: [AuditEvent(time: Date(), actor: .cli, action: .userCreated)]) })
        )
        let expected = Set(
            try await store.auditEvents(matching: AuditQuery(action: .userCreated, limit: 1_000)).events.compactMap(\.id).map { "msg_\($0)" }
        )
        #expect(expected.count == 1_000)
        _ = try await Self.waitFor(receiver) { $0.count >= 100 }
        first.kill()
        await first.stop()
        let before = try await receiver.received().count
        #expect(before < 1_000, "killed mid-delivery (\(before) arrived)")
        let second = try await Self.serve(database: database, receiver: receiver)
        let requests = try await Self.waitFor(receiver, seconds: 60) { Set($0.map(\.webhookID)).isSuperset(of: expected) }
        #expect(Set(requests.map(\.webhookID)) == expected, "every message arrived, and nothing else")
        #expect(requests.allSatisfy { $0.verified })
        // A message sent twice (the batch the kill interrupted) carries the same id and body both times.
        let byID = Dictionary(grouping: requests, by: \.webhookID)
        #expect(byID.values.allSatisfy { Set($0.map(\.eventID)).count == 1 })
        #expect(byID.values.filter { $0.count > 1 }.count <= 100, "at most the interrupted batch is sent again")
        #expect(await second.terminate() == 0, "\(second.log.suffix(2000))")
        await second.stop()
    }

    @Test(
        "Two replicas on one PostgreSQL database: each message is delivered by one of them, once, in order",
        .enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL")
    )
    func replicas() async throws {
        let receiver = try await WebhookReceiver.start(secret: Self.secret)
        defer { receiver.stop() }
        let scratch = try ScratchPostgres()
        try await scratch.create()
        let connected = try await PostgresLedgerStore.open(scratch.settings, logger: ScratchPostgres.logger)
        let database = ReplicaDatabase.url(scratch.settings)
        var servers: [ServeProcess] = []
        do {
            for _ in 0..<2 { servers.append(try await Self.serve(database: database, receiver: receiver)) }
            for index in 0..<200 {
                try await connected.store.apply(
                    LedgerChanges(users: [
                        .init(write: .insert(Self.user("p\(index)")), audit: [AuditEvent(time: Date(), actor: .cli, action: .userCreated)])
                    ])
                )
            }
            let requests = try await Self.waitFor(receiver, seconds: 60) { $0.count >= 200 }
            try await Task.sleep(for: .seconds(1))
            let ids = try await receiver.received().map(\.webhookID)
            #expect(ids.count == 200 && Set(ids).count == 200, "each once: \(ids.count) requests, \(Set(ids).count) ids")
            #expect(ids == ids.sorted { Int($0.dropFirst(4))! < Int($1.dropFirst(4))! }, "in the order of their events")
            #expect(requests.allSatisfy { $0.verified })
        } catch {
            Issue.record("\(error)")
        }
        for server in servers {
            #expect(await server.terminate() == 0)
            await server.stop()
        }
        await connected.close()
        try? await scratch.drop()
    }
}

/// The reference receiver (`scripts/peers/webhook-receiver.py`), a child process of the test on a
/// port of its own.
final class WebhookReceiver: Sendable {
    static let python = ProcessInfo.processInfo.environment["ROLESYNC_WEBHOOK_PYTHON"]

    let port: Int
    let secret: String
    private let process = Mutex<Process?>(nil)

    private init(port: Int, secret: String) {
        self.port = port
        self.secret = secret
    }

    static func start(secret: String) async throws -> WebhookReceiver {
        let receiver = WebhookReceiver(port: Int.random(in: 40_000..<45_000), secret: secret)
        try await receiver.restart()
        return receiver
    }

    /// Starts it (again, on the same port) and waits until it answers.
    func restart() async throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try #require(Self.python))
        child.arguments = [Rolesync.packageRoot.appendingPathComponent("scripts/peers/webhook-receiver.py").path, "\(port)", secret]
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        process.withLock { $0 = child }
        for _ in 0..<100 {
            if (try? await received()) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the webhook receiver did not start on port \(port)")
        throw CancellationError()
    }

    /// Ends it at once (connections are refused until ``restart()``).
    func stop() {
        let child = process.withLock { current in
            defer { current = nil }
            return current
        }
        guard let child, child.isRunning else { return }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
    }

    struct Request: Sendable, CustomStringConvertible {
        var webhookID: String
        var verified: Bool
        var status: Int
        var type: String?
        var eventID: Double?
        var description: String { "\(webhookID) \(type ?? "?") \(status)\(verified ? "" : " UNVERIFIED")" }
    }

    func received() async throws -> [Request] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/_received"), timeout: .seconds(10))
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        guard response.status == .ok else { throw ReceiverError(what: "GET /_received answered \(response.status)") }
        guard case .array(let items)? = try ClaimValue(json: data).objectValue?["requests"] else {
            throw ReceiverError(what: "GET /_received: no requests")
        }
        return try items.map { item in
            guard let object = item.objectValue, case .string(let id)? = object["webhook_id"], case .bool(let verified)? = object["verified"],
                case .number(let status)? = object["status"]
            else { throw ReceiverError(what: "a record without webhook_id, verified or status: \(item)") }
            let body = object["body"]?.objectValue
            var eventID: Double?
            if case .number(let number)? = body?["data"]?.objectValue?["id"] { eventID = number }
            return Request(webhookID: id, verified: verified, status: Int(status), type: body?["type"]?.stringValue, eventID: eventID)
        }
    }

    func scenario(_ json: String) async throws {
        try await send("PUT", "/_scenario", body: json)
    }

    func clear() async throws {
        try await send("DELETE", "/_received", body: nil)
    }

    private func send(_ method: String, _ path: String, body: String?) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .RAW(value: method)
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .noContent else { throw ReceiverError(what: "\(method) \(path) answered \(response.status)") }
    }

    struct ReceiverError: Error, CustomStringConvertible {
        var what: String
        var description: String { what }
    }
}
