import Benchmark
import Foundation
import RoleSyncMapping
import RoleSyncTestSupport

/// Targets from issue #2, as p50 wall-clock thresholds (nanoseconds).
/// Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target MappingBenchmarks`.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

private func loadExample(_ name: String) -> Mapping? {
    let url = packageRoot.appendingPathComponent("mappings/\(name)")
    guard let yaml = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    return MappingParser.parse(yaml: yaml, file: "mappings/\(name)").mapping
}

private func loadClaims(_ name: String) -> Claims? {
    let url = packageRoot.appendingPathComponent("examples/claims/\(name)")
    return (try? Data(contentsOf: url)).flatMap { try? Claims(json: $0) }
}

private func p50(_ nanoseconds: Int) -> [BenchmarkMetric: BenchmarkThresholds] {
    [.wallClock: .init(absolute: [.p50: nanoseconds])]
}

/// Micro-benchmarks time 1,000 evaluations per sample (results are per evaluation): a single
/// 2 µs evaluation is too close to the clock's own cost and to scheduler noise on a 2-core VM.
/// Only time is measured here: counting allocations hooks malloc, which would be timed too.
private func micro(_ nanoseconds: Int) -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .throughput],
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: .count(5_000),
        thresholds: p50(nanoseconds)
    )
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .nanoseconds,
        warmupIterations: 100,
        maxDuration: .seconds(3),
        maxIterations: .count(1_000_000)
    )

    guard let okta = loadExample("okta.yaml"), let engineer = loadClaims("okta-engineer.json"),
        let admin = loadClaims("okta-admin.json")
    else {
        fatalError("run from the package: mappings/okta.yaml and examples/claims/ must be readable")
    }

    // The sign-in path: decision only. The engineer walks every rule down to the last one.
    Benchmark("okta example: evaluate (last rule matches)", configuration: micro(2_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(okta.evaluate(engineer, tracing: false))
        }
    }
    Benchmark("okta example: evaluate (first rule matches)", configuration: micro(2_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(okta.evaluate(admin, tracing: false))
        }
    }
    // Allocations of the sign-in path, counted separately (counting slows the timed loop).
    Benchmark("okta example: allocations per evaluation", configuration: .init(metrics: [.mallocCountTotal], maxIterations: .count(1_000))) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(okta.evaluate(engineer, tracing: false))
        }
    }
    // What a dry run or an audit event with the full trace costs.
    Benchmark("okta example: evaluate with trace", configuration: micro(100_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(okta.evaluate(engineer, tracing: true))
        }
    }

    guard let large = MappingParser.parse(yaml: MappingFixtures.largeMappingYAML(ruleCount: 200), file: "generated.yaml").mapping
    else { fatalError("the generated 200-rule mapping did not validate") }
    let unmatched = MappingFixtures.largeClaims(groupCount: 150)
    let lastRule = MappingFixtures.largeClaims(groupCount: 150, matching: 199)

    // Worst case: every one of the 200 rules is tried against 150 groups.
    Benchmark("200 rules x 150 groups: evaluate (no rule matches)", configuration: micro(50_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(large.evaluate(unmatched, tracing: false))
        }
    }
    Benchmark("200 rules x 150 groups: evaluate (last rule matches)", configuration: micro(50_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(large.evaluate(lastRule, tracing: false))
        }
    }

    let twoThousand = MappingFixtures.largeMappingYAML(ruleCount: 2_000)
    Benchmark(
        "2,000-rule file: load and validate",
        configuration: .init(maxDuration: .seconds(5), maxIterations: .count(200), thresholds: p50(100_000_000))
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            let result = MappingParser.parse(yaml: twoThousand, file: "generated.yaml")
            precondition(result.mapping != nil)
            blackHole(result)
        }
    }
}
