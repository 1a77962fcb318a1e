import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncSQLite
import RoleSyncServer
import RoleSyncTestSupport
import Synchronization
import Testing

/// A RoleSync server (tested in-process through its router) signing in through a loopback
/// scenario provider, with a ledger in a fresh SQLite file and a clock the test moves.
final class SignInHarness: Sendable {
    let provider: LoopbackProvider
    let context: ServerContext
    let store: SQLiteLedgerStore
    let httpClient: HTTPClient
    let clock = ManualClock()
    let folder: URL
    /// Every log line of the server, the relying party and the ledger, at trace level.
    let logs: InMemoryLogHandler
    let logger: Logger

    var scenario: ScenarioProvider { provider.scenario }
    var issuer: String { provider.issuer }
    var now: Date { clock.now }

    func advance(_ seconds: TimeInterval) { clock.advance(seconds) }

    /// The mapping the tests sign in under; `%ISSUER%` is replaced by the provider's issuer.
    static let mapping = """
        version: 1
        issuer: "%ISSUER%"
        profile:
          email: email
          name: name
        require:
          - { claim: email_verified, equals: true }
        deactivate:
          - { claim: groups, contains: leavers }
        roles:
          - id: admins
            role: super_admin
            when: { claim: groups, contains: admins }
          - id: engineers
            role: model_admin
            when: { claim: groups, contains: engineers }
        unmatched: manual
        """

    init(
        userinfo: Bool = false,
        keys: [String] = [TestSigningKey.rsa.publicJWK()],
        publicURL: String = "https://rolesync.example.com",
        cookieDomain: String? = nil,
        allowedReturnHosts: [String] = []
    ) async throws {
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        logs = handler
        logger = Logger(label: "test", factory: { _ in handler })
        provider = try await LoopbackProvider.start(keys: keys)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteLedgerStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        let parsed = MappingParser.parse(yaml: Self.mapping.replacingOccurrences(of: "%ISSUER%", with: provider.issuer), file: "test.yaml")
        let mapping = try #require(parsed.mapping, "\(parsed.diagnostics)")
        let registry = MappingRegistry(MappingSet.build([mapping]).set)
        let clock = self.clock
        let now: @Sendable () -> Date = { clock.now }
        httpClient = try AsyncHTTPClientTransport.makeClient()
        let relyingParty = OpenIDProvider(
            configuration: ProviderConfiguration(
                name: "loopback",
                issuer: provider.issuer,
                clientID: "rolesync",
                clientSecret: "rolesync-secret",
                scopes: ["openid", "email", "profile", "groups"],
                fetchUserinfo: userinfo,
                redirectURI: URL(string: publicURL + "/auth/callback")!
            ),
            transport: AsyncHTTPClientTransport(client: httpClient),
            logger: logger,
            now: now
        )
        context = ServerContext(
            sync: SyncService(store: store, mappings: registry, logger: logger, now: now),
            sessions: SessionService(store: store, idleTimeout: 3600, absoluteLifetime: 86400, now: now),
            providers: ProviderDirectory([relyingParty]),
            publicURL: URL(string: publicURL)!,
            metricsExposition: { "# metrics\n" },
            cookieDomain: cookieDomain,
            allowedReturnHosts: allowedReturnHosts,
            now: now
        )
    }

    deinit {
        provider.stop()
        try? httpClient.syncShutdown()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs the test against the server's router.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: context.makeRouter(), logger: logger)
        try await app.test(.router, body)
    }

    /// Claims that sign in under ``mapping`` as an engineer, as JSON texts; tests override members.
    func claims(nonce: String, _ overrides: [String: String?] = [:]) -> [String: String] {
        let time = Int(now.timeIntervalSince1970)
        var claims: [String: String] = [
            "iss": "\"\(issuer)\"", "aud": "\"rolesync\"", "sub": "\"00u-ada\"", "nonce": "\"\(nonce)\"",
            "iat": "\(time)", "exp": "\(time + 300)", "email": "\"ada@example.com\"", "email_verified": "true",
            "name": "\"Ada Lovelace\"", "groups": "[\"engineers\"]",
        ]
        for (name, value) in overrides { claims[name] = value }
        return claims
    }

    /// What `/auth/login` answered: the redirect's parameters and the login cookie.
    struct LoginStart {
        var state: String
        var nonce: String
        var parameters: [String: String]
        /// The cookie as the browser sends it back (`name=value`).
        var cookie: String
        /// The whole `Set-Cookie` header, attributes included.
        var setCookie: String
        var location: String
    }

    func startLogin(_ client: any TestClientProtocol, query: String = "") async throws -> LoginStart {
        let response = try await client.execute(uri: "/auth/login" + query, method: .get)
        #expect(response.status == .found)
        let location = try #require(response.headers[.location])
        let items = URLComponents(string: location)?.queryItems ?? []
        let parameters = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        let setCookie = try #require(response.headers[values: .setCookie].first { $0.contains("rolesync_login=") })
        let cookie = String(setCookie.split(separator: ";")[0])
        return LoginStart(
            state: try #require(parameters["state"]),
            nonce: try #require(parameters["nonce"]),
            parameters: parameters,
            cookie: cookie,
            setCookie: setCookie,
            location: location
        )
    }

    /// Sends the browser back to the callback with a code the provider will redeem for `idToken`.
    func callback(
        _ client: any TestClientProtocol,
        login: LoginStart,
        idToken: String?,
        query extra: String = "",
        cookie: String? = nil,
        json: Bool = true
    ) async throws -> TestResponse {
        let code = "code-\(UUID().uuidString)"
        if let idToken { scenario.issue(code: code, idToken: idToken) }
        var headers: HTTPFields = [.cookie: cookie ?? login.cookie]
        if json { headers[.accept] = "application/json" }
        let state = login.state.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try await client.execute(
            uri: "/auth/callback?code=\(code)&state=\(state)" + extra,
            method: .get,
            headers: headers
        )
    }

    /// The whole sign-in; returns the session cookie.
    func signIn(_ client: any TestClientProtocol, overrides: [String: String?] = [:]) async throws -> String {
        let login = try await startLogin(client)
        let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(nonce: login.nonce, overrides))
        let response = try await callback(client, login: login, idToken: token)
        #expect(response.status == .found, "\(String(buffer: response.body))")
        let setCookie = try #require(response.headers[values: .setCookie].first { $0.contains("rolesync_session=") })
        return String(setCookie.split(separator: ";")[0])
    }

    /// The JSON body's members; throws when the body is not a JSON object.
    static func json(_ response: TestResponse) throws -> [String: ClaimValue] {
        let body = try ClaimValue(json: Data(buffer: response.body))
        guard case .object(let members) = body else { throw HarnessError.notAnObject(body.abbreviated()) }
        return members
    }

    enum HarnessError: Error { case notAnObject(String) }

    /// Every logged message and metadata value, as text.
    var logText: String {
        logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
    }

    func userCount() async throws -> Int { try await store.userCount() }

    func refusals() async throws -> [AuditEvent] {
        try await store.auditEvents(matching: AuditQuery(action: .signInRefused, limit: 100)).events
    }
}
