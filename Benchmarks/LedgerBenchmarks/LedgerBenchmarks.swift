import Benchmark
import Foundation
import Logging
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import RoleSyncTestSupport

/// Issue #3's targets. Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target LedgerBenchmarks`.
/// Each benchmark works on a SQLite file in WAL mode in the temporary folder, sequentially: one core's worth of work.

private func mapping(_ yaml: String) -> MappingSet {
    guard let m = MappingParser.parse(yaml: yaml, file: "bench.yaml").mapping else { fatalError("bench mapping invalid") }
    return MappingSet.build([m]).set
}

/// Decisions are logged at info; the benchmarks measure the ledger, not the terminal.
private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

/// - Parameter shadow: a candidate mapping evaluated beside the live one on every sign-in.
private func freshLedger(users: Int, defersSignIns: Bool = false, shadow: String? = nil) async throws -> (SQLiteLedgerStore, SyncService) {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-bench-\(UUID().uuidString).sqlite").path
    let store = try SQLiteLedgerStore(path: path, defersSignIns: defersSignIns)
    let service = SyncService(
        store: store,
        mappings: MappingRegistry(mapping(LedgerFixtures.mappingYAML), shadow: shadow.map(mapping)),
        logger: quietLogger,
        shadow: shadow == nil ? nil : ShadowRecorder(store: store, logger: quietLogger)
    )
    try await LedgerFixtures.populate(store, users: users, under: service.mappings.current)
    return (store, service)
}

/// One 100,000-user ledger, populated once (about ten seconds) and shared by the benchmarks that read it.
private let hundredThousand = Task { try await freshLedger(users: 100_000) }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .microseconds,
        maxDuration: .seconds(5)
    )

    // As `rolesync serve` runs it: the store batches the last-sign-in writes (flushed at the end of
    // each sample, inside the measurement).
    Benchmark(
        "sign-in: existing user, no change",
        configuration: .init(scalingFactor: .kilo, maxIterations: .count(20), thresholds: [.throughput: .init(absolute: [.p50: 10])])
    ) { benchmark in
        let (store, service) = try await freshLedger(users: 1_000, defersSignIns: true)
        let claims = (0..<1_000).map(LedgerFixtures.claims)  // built outside the measurement
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(try await service.signIn(issuer: LedgerFixtures.issuer, claims: claims[i % 1_000]))
        }
        try await store.flushSignIns()
        benchmark.stopMeasurement()
    }

    // Issue #15: the same, with a candidate (shadow) mapping that decides about 1 user in 10
    // differently. Its evaluation is on the sign-in's path; its differences are written by the
    // server's flush every second, here at the end of each sample, inside the measurement.
    Benchmark(
        "sign-in: existing user, no change, with a shadow mapping",
        configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))
    ) { benchmark in
        let (store, service) = try await freshLedger(users: 1_000, defersSignIns: true, shadow: LedgerFixtures.changedMappingYAML)
        let claims = (0..<1_000).map(LedgerFixtures.claims)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(try await service.signIn(issuer: LedgerFixtures.issuer, claims: claims[i % 1_000]))
        }
        try await store.flushSignIns()
        try await service.shadow?.flush()
        benchmark.stopMeasurement()
    }

    // The shadow step alone, as a sign-in runs it after its transaction: evaluate the candidate on
    // the claims, compare with the live decision, queue a difference (about 1 in 10), and the
    // flush of the queue at the end of each sample. Its median against the sign-in's is the ratio.
    Benchmark(
        "sign-in: the shadow step alone (evaluate, compare, queue, flush)",
        configuration: .init(scalingFactor: .kilo, maxIterations: .count(50))
    ) { benchmark in
        let (store, _) = try await freshLedger(users: 0)
        let live = mapping(LedgerFixtures.mappingYAML).mappings[0]
        let candidate = mapping(LedgerFixtures.changedMappingYAML).mappings[0]
        let recorder = ShadowRecorder(store: store, logger: quietLogger)
        let claims = (0..<1_000).map(LedgerFixtures.claims)
        let decisions = claims.map { live.evaluate($0, tracing: false) }
        let time = Date()
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            let k = i % 1_000
            blackHole(
                recorder.compare(
                    live: decisions[k],
                    candidate: candidate.evaluate(claims[k], tracing: false),
                    issuer: LedgerFixtures.issuer,
                    subject: "sub-\(k)",
                    user: nil,
                    via: .signIn,
                    at: time
                )
            )
        }
        try await recorder.flush()
        benchmark.stopMeasurement()
    }

    // As the command line runs it: each sign-in's last-sign-in write is its own transaction.
    Benchmark(
        "sign-in: existing user, no change, written at once",
        configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))
    ) { benchmark in
        let (_, service) = try await freshLedger(users: 1_000)
        let claims = (0..<1_000).map(LedgerFixtures.claims)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(try await service.signIn(issuer: LedgerFixtures.issuer, claims: claims[i % 1_000]))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("sign-in: first sign-in", configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))) { benchmark in
        let (_, service) = try await freshLedger(users: 0)
        let claims = benchmark.scaledIterations.map { LedgerFixtures.claims($0 + 1) }  // built outside the measurement
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(try await service.signIn(issuer: LedgerFixtures.issuer, claims: claims[i - benchmark.scaledIterations.lowerBound]))
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "100,000 users: dry run of a changed mapping",
        configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: .count(3))
    ) { benchmark in
        let (_, service) = try await hundredThousand.value
        let candidate = mapping(LedgerFixtures.changedMappingYAML)
        benchmark.startMeasurement()
        let plan = try await service.reevaluateAll(under: candidate)
        benchmark.stopMeasurement()
        precondition(plan.usersEvaluated == 100_000 && !plan.changes.isEmpty)
        blackHole(plan)
    }

    // Searches: a common surname (the name index finds 50 quickly), a number that matches about 20
    // users, and a string that matches nobody (every row is scanned: the worst case).
    for (label, query) in [("common name", "smith"), ("rare (about 20 users)", "4567"), ("no match", "nobody-matches")] {
        Benchmark(
            "100,000 users: search a page of 50, \(label)",
            configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: .count(100))
        ) { benchmark in
            let (store, _) = try await hundredThousand.value
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await store.users(matching: UsersQuery(search: query, limit: 50)))
            }
            benchmark.stopMeasurement()
        }
    }
}
