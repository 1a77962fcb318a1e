import Benchmark
import Foundation
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncSQLite
import RoleSyncTestSupport

/// Issue #4's figures. Run: `ROLESYNC_BENCHMARKS=1 swift package --disable-sandbox benchmark --target OIDCBenchmarks`.
/// Compare RS256 validation with `openssl speed -seconds 5 -verify rsa2048` on the same machine.

private let issuer = "https://bench-idp.example.com"
private let now = Date(timeIntervalSince1970: 1_800_000_000)

private let quietLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

private func claims(nonce: String, sub: String = "00u-bench") -> [String: String] {
    [
        "iss": "\"\(issuer)\"", "aud": "\"rolesync\"", "sub": "\"\(sub)\"", "nonce": "\"\(nonce)\"",
        "iat": "\(Int(now.timeIntervalSince1970))", "exp": "\(Int(now.timeIntervalSince1970) + 300)",
        "email": "\"ada@example.com\"", "email_verified": "true", "name": "\"Ada Lovelace\"",
        "groups": "[\"engineers\",\"staff\",\"all-company\"]",
    ]
}

private func keySet() async throws -> KeySet {
    let jwks = "{\"keys\":[\(TestSigningKey.rsa.publicJWK(alg: "RS256")),\(TestSigningKey.p256.publicJWK(alg: "ES256"))]}"
    return try await KeySet.parse(Data(jwks.utf8), allowed: JWSAlgorithm.asymmetric, fetchedAt: now)
}

private let mappingYAML = """
    version: 1
    issuer: \(issuer)
    profile: { email: email, name: name }
    require:
      - { claim: email_verified, equals: true }
    roles:
      - id: admins
        role: super_admin
        when: { claim: groups, contains: admins }
      - id: engineers
        role: model_admin
        when: { claim: groups, contains: engineers }
    unmatched: manual
    """

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .microseconds,
        maxDuration: .seconds(10)
    )

    for (alg, key) in [("RS256", TestSigningKey.rsa), ("ES256", TestSigningKey.p256)] {
        Benchmark("ID-token validation \(alg)", configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))) {
            benchmark in
            let keys = try await keySet()
            let validator = IDTokenValidator(
                .init(issuer: issuer, clientID: "rolesync", algorithms: JWSAlgorithm.asymmetric)
            )
            let token = TokenMinter.idToken(key: key, alg: alg, claims: claims(nonce: "bench-nonce"))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try validator.validate(token, keys: keys, nonce: "bench-nonce", now: now))
            }
        }
    }

    // Parts of the validation, to see where its time goes.
    Benchmark("RS256 signature check alone (jwt-kit verifier)", configuration: .init(scalingFactor: .kilo, maxIterations: .count(20))) {
        benchmark in
        let keys = try await keySet()
        let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(nonce: "bench-nonce"))
        let parts = token.split(separator: ".")
        let input = Data("\(parts[0]).\(parts[1])".utf8)
        guard let signature = Base64URL.decode(parts[2]), let key = keys.keys["rsa-1"] else { fatalError("setup") }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(key.verify(signature: signature, signingInput: input, algorithm: .rs256))
        }
    }

    // The callback's work without HTTP parsing: take the pending login, redeem the code at a stubbed
    // token endpoint (in process), validate the RS256 ID token, sign the existing user in on a
    // SQLite ledger in WAL mode, and start a session. The ledger and caches are shared by all
    // samples, as in a running server.
    let callback = CallbackBench()
    Benchmark("callback, stubbed token endpoint (RS256, existing user)", configuration: .init(scalingFactor: .kilo, maxIterations: .count(10))) {
        benchmark in
        try await callback.warmUp()
        let prepared = callback.prepare(count: benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        for (login, browser, code) in prepared {
            blackHole(try await callback.run(login: login, browser: browser, code: code))
        }
    }
}

/// What the callback benchmark shares across samples.
final class CallbackBench: @unchecked Sendable {
    let store: SQLiteLedgerStore
    let sync: SyncService
    let sessions: SessionService
    let scenario = ScenarioProvider(issuer: issuer, keys: [TestSigningKey.rsa.publicJWK(alg: "RS256")], algorithms: ["RS256"])
    let provider: OpenIDProvider
    let logins = LoginStateStore(capacity: 1_000_000)
    var warm = false
    var counter = 0

    init() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-bench-\(UUID().uuidString).sqlite").path
        guard let store = try? SQLiteLedgerStore(path: path),
            let mapping = MappingParser.parse(yaml: mappingYAML, file: "bench.yaml").mapping
        else { fatalError("setup") }
        self.store = store
        sync = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: quietLogger, now: { now })
        sessions = SessionService(store: store, now: { now })
        provider = OpenIDProvider(
            configuration: ProviderConfiguration(
                name: "bench",
                issuer: issuer,
                clientID: "rolesync",
                clientSecret: "secret",
                redirectURI: URL(string: "https://rolesync.example.com/auth/callback")!
            ),
            transport: scenario,
            logger: quietLogger,
            now: { now }
        )
    }

    /// The user exists and the provider's documents are cached.
    func warmUp() async throws {
        guard !warm else { return }
        warm = true
        for (login, browser, code) in prepare(count: 10) { _ = try await run(login: login, browser: browser, code: code) }
    }

    /// Logins with their tokens issued at the stub, made outside the measurement (RSA signing is slow).
    func prepare(count: Int) -> [(PendingLogin, String, String)] {
        scenario.with { $0.requests.removeAll() }
        return (0..<count).map { _ in
            counter += 1
            let (login, browser) = logins.begin(issuer: issuer, returnTo: nil, browserToken: nil, now: now)
            let code = "code-\(counter)"
            scenario.issue(code: code, idToken: TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(nonce: login.nonce)))
            return (login, browser, code)
        }
    }

    func run(login: PendingLogin, browser: String, code: String) async throws -> String {
        let pending = try logins.finish(state: login.state, browserToken: browser, now: now)
        try await provider.checkIssuerParameter(issuer)
        let identity = try await provider.redeem(code: code, login: pending)
        let result = try await sync.signIn(issuer: issuer, claims: identity.claims)
        guard let user = result.user else { fatalError("refused: \(String(describing: result.refusal))") }
        return try await sessions.create(for: user.id)
    }
}
