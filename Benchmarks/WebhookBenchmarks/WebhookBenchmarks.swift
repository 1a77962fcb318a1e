import Benchmark
import Foundation
import Hummingbird
import Logging
import RoleSyncConfig
import RoleSyncEvents
import RoleSyncHTTPClient
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncPostgres
import RoleSyncSQLite
import RoleSyncTestSupport
import RoleSyncWebhooks
import RoleSyncYAML
import Synchronization

/// Issue #26's targets: queueing adds at most 5 % to a first sign-in's median; delivery reaches
/// 1,000 messages a second to a local receiver; a burst of 100,000 events drains with flat memory.
/// Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target WebhookBenchmarks`.
/// Each works on a SQLite file in WAL mode in the temporary folder; the receiver is a Hummingbird
/// server in the same process answering 204, reached over loopback with the deliverer's own client.

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

private let mappings: MappingSet = {
    guard let parsed = MappingParser.parse(yaml: LedgerFixtures.mappingYAML, file: "bench.yaml").mapping else { fatalError("bench mapping invalid") }
    return MappingSet.build([parsed]).set
}()

private func freshStore() throws -> SQLiteLedgerStore {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-webhooks-\(UUID().uuidString).sqlite").path
    return try SQLiteLedgerStore(path: path)
}

/// A receiver on loopback: counts what it receives, answers 204.
private final class Receiver: Sendable {
    let port: Int
    private let received: Count
    private let task: Task<Void, any Error>

    final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    init() async throws {
        let port = Int.random(in: 46_000..<50_000)
        let received = Count()
        let router = Router()
        router.post("hooks") { _, _ -> HTTPResponse.Status in
            received.value.add(1, ordering: .relaxed)
            return .noContent
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quietLogger)
        self.port = port
        self.received = received
        task = Task { try await app.runService() }
        try await Task.sleep(for: .milliseconds(300))
    }

    var count: Int { received.value.load(ordering: .relaxed) }

    deinit { task.cancel() }
}

private func settings(_ name: String, port: Int) throws -> WebhookSettings {
    WebhookSettings(
        name: name,
        url: URL(string: "http://127.0.0.1:\(port)/hooks")!,
        secrets: [try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")],
        secretEnv: "BENCH",
        actions: Set(AuditAction.allCases),
        location: RoleSyncYAML.SourceLocation(file: "bench.yaml", line: 1, column: 1)
    )
}

/// `count` audit events (a role change each, about nobody in particular: a mass reconciliation's
/// shape), a thousand a transaction.
private func seedEvents(_ store: SQLiteLedgerStore, count: Int) async throws {
    var written = 0
    while written < count {
        let batch = min(1_000, count - written)
        let events = (0..<batch).map { index in
            AuditEvent(
                time: Date(),
                actor: .reconciler,
                action: .roleChanged,
                issuer: LedgerFixtures.issuer,
                subject: "sub-\(written + index)",
                details: [.from: "user", .to: "model_admin", .source: "idp", .mapping: "bench.yaml", .rule: "ml"]
            )
        }
        try await store.apply(LedgerChanges(audit: events))
        written += batch
    }
}

/// Delivers everything after the endpoint's cursor in `store` to `receiver`, until it has `count`
/// messages; the deliverer's own client, as `serve` makes it.
private func drain(_ store: SQLiteLedgerStore, to receiver: Receiver, count: Int) async throws {
    let clients = HTTPClients()
    let setting = try settings("bench", port: receiver.port)
    let sender = WebhookSender(settings: setting, transport: AsyncHTTPClientTransport(client: try clients.make(), timeout: .seconds(10)))
    var tuning = WebhookDeliverer.Tuning()
    tuning.poll = .milliseconds(1)
    let deliverer = WebhookDeliverer(store: store, senders: [sender], logger: quietLogger, tuning: tuning)
    let running = Task { try await deliverer.run() }
    let deadline = ContinuousClock.now + .seconds(600)
    while receiver.count < count {
        guard ContinuousClock.now < deadline else { fatalError("only \(receiver.count) of \(count) messages arrived in 10 minutes") }
        try await Task.sleep(for: .milliseconds(1))
    }
    running.cancel()
    _ = await running.result
    await clients.shutdown()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .microseconds,
        maxDuration: .seconds(5)
    )

    // Queueing: the same first sign-ins without endpoints, with two that receive every action and
    // no deliverer running (what a change's transaction pays: nothing is written per endpoint), and
    // with a deliverer sending each event to both meanwhile, to a receiver in the same process (the
    // delivery's share of the same two cores).
    for (endpoints, delivering) in [(0, false), (2, false), (2, true)] {
        Benchmark(
            "sign-in: first sign-in, \(endpoints) webhook endpoints\(delivering ? ", delivering meanwhile" : "")",
            configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))
        ) { benchmark in
            let store = try freshStore()
            let service = SyncService(store: store, mappings: MappingRegistry(mappings), logger: quietLogger)
            let receiver = try await Receiver()
            let clients = HTTPClients()
            var running: Task<Void, any Error>?
            if endpoints > 0 {
                let all = try (0..<endpoints).map { try settings("bench-\($0)", port: receiver.port) }
                try await store.replaceWebhookEndpoints(all.map(\.endpoint), at: Date())
                if delivering {
                    let senders = try all.map {
                        WebhookSender(settings: $0, transport: AsyncHTTPClientTransport(client: try clients.make(), timeout: .seconds(10)))
                    }
                    let deliverer = WebhookDeliverer(store: store, senders: senders, logger: quietLogger)
                    running = Task { try await deliverer.run() }
                }
            }
            let claims = benchmark.scaledIterations.map { LedgerFixtures.claims($0 + 1) }
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                blackHole(try await service.signIn(issuer: LedgerFixtures.issuer, claims: claims[i - benchmark.scaledIterations.lowerBound]))
            }
            benchmark.stopMeasurement()
            running?.cancel()
            _ = await running?.result
            await clients.shutdown()
        }
    }

    // The same on PostgreSQL (a server of ROLESYNC_POSTGRES_URL, a scratch database each).
    if ScratchPostgres.isConfigured {
        for (endpoints, delivering) in [(0, false), (2, false), (2, true)] {
            Benchmark(
                "sign-in: first sign-in on PostgreSQL, \(endpoints) webhook endpoints\(delivering ? ", delivering meanwhile" : "")",
                configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(30), maxIterations: .count(10))
            ) { benchmark in
                let scratch = try ScratchPostgres()
                try await scratch.create()
                let connected = try await PostgresLedgerStore.open(scratch.settings, logger: quietLogger)
                let store = connected.store
                let service = SyncService(store: store, mappings: MappingRegistry(mappings), logger: quietLogger)
                let receiver = try await Receiver()
                let clients = HTTPClients()
                var running: Task<Void, any Error>?
                if endpoints > 0 {
                    let all = try (0..<endpoints).map { try settings("bench-\($0)", port: receiver.port) }
                    try await store.replaceWebhookEndpoints(all.map(\.endpoint), at: Date())
                    if delivering {
                        let senders = try all.map {
                            WebhookSender(settings: $0, transport: AsyncHTTPClientTransport(client: try clients.make(), timeout: .seconds(10)))
                        }
                        let deliverer = WebhookDeliverer(store: store, senders: senders, logger: quietLogger)
                        running = Task { try await deliverer.run() }
                    }
                }
                let claims = benchmark.scaledIterations.map { LedgerFixtures.claims($0 + 1) }
                benchmark.startMeasurement()
                for i in benchmark.scaledIterations {
                    blackHole(try await service.signIn(issuer: LedgerFixtures.issuer, claims: claims[i - benchmark.scaledIterations.lowerBound]))
                }
                benchmark.stopMeasurement()
                running?.cancel()
                _ = await running?.result
                await clients.shutdown()
                await connected.close()
                try? await scratch.drop()
            }
        }
    }

    Benchmark(
        "delivery: 10,000 messages to a local receiver",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: .count(5))
    ) { benchmark in
        let store = try freshStore()
        try await seedEvents(store, count: 10_000)
        let receiver = try await Receiver()
        try await store.replaceWebhookEndpoints([try settings("bench", port: receiver.port).endpoint], at: Date())
        _ = try await store.replayWebhookEndpoint("bench", since: .distantPast, actor: .cli, at: Date())
        benchmark.startMeasurement()
        try await drain(store, to: receiver, count: 10_000)
        benchmark.stopMeasurement()
    }

    Benchmark(
        "delivery: a burst of 100,000 events drains",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident], timeUnits: .seconds, maxDuration: .seconds(600), maxIterations: .count(1))
    ) { benchmark in
        let store = try freshStore()
        try await seedEvents(store, count: 100_000)
        let receiver = try await Receiver()
        try await store.replaceWebhookEndpoints([try settings("bench", port: receiver.port).endpoint], at: Date())
        _ = try await store.replayWebhookEndpoint("bench", since: .distantPast, actor: .cli, at: Date())
        benchmark.startMeasurement()
        try await drain(store, to: receiver, count: 100_000)
        benchmark.stopMeasurement()
    }
}
