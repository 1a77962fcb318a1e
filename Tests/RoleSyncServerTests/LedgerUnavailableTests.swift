import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncPostgres
import RoleSyncServer
import Testing

/// The server over a PostgreSQL ledger whose server does not answer (nothing listens on the port):
/// every surface that needs the ledger answers 503 with `Retry-After`, saying nothing changed, and
/// none pretends (introspection never says `active: false` for a key it could not look up).
@Suite("The ledger's database unreachable")
struct LedgerUnavailableTests {
    static let session = "__Host-rolesync_session=" + String(repeating: "A", count: 43)

    func withUnreachableServer(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let settings = try PostgresSettings(url: "postgres://rolesync@127.0.0.1:1/rolesync?sslmode=disable")
        let logger = Logger(label: "test")
        let client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let store = PostgresLedgerStore(client: client, logger: logger, connectionWait: .milliseconds(200))
        let mapping = try #require(MappingParser.parse(yaml: AdminHarness.mapping, file: "idp.yaml").mapping)
        let context = ServerContext(
            sync: SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: logger),
            sessions: SessionService(store: store),
            providers: ProviderDirectory([]),
            logins: LoginStateStore(shared: store),
            publicURL: URL(string: AdminHarness.origin)!,
            gateways: [GatewayCredential(name: "test-gateway", clientID: AdminHarness.gatewayID, secret: AdminHarness.gatewaySecret)]
        )
        try await Application(router: context.makeRouter()).test(.router, body)
    }

    static func expectUnavailable(_ response: TestResponse, _ what: Comment) {
        #expect(response.status == .serviceUnavailable, what)
        #expect(response.headers[.retryAfter] == "5", what)
        let body = String(buffer: response.body)
        #expect(body.contains("nothing was changed"), what)
    }

    @Test("Health, the API, the pages, the sign-in callback and introspection answer 503")
    func everySurface() async throws {
        try await withUnreachableServer { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .serviceUnavailable)

            let me = try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: Self.session])
            Self.expectUnavailable(me, "the JSON API")
            #expect(String(buffer: me.body).contains("\"code\":\"ledger_unavailable\""))

            let page = try await client.execute(uri: "/admin/users", method: .get, headers: [.cookie: Self.session])
            Self.expectUnavailable(page, "a dashboard page")
            #expect(String(buffer: page.body).contains("<title>Temporarily unavailable"))

            let state = String(repeating: "B", count: 43)
            let callback = try await client.execute(uri: "/auth/callback?state=\(state)&code=c", method: .get)
            Self.expectUnavailable(callback, "the sign-in callback")

            var headers = AdminHarness.gatewayHeaders()
            headers[.contentType] = "application/x-www-form-urlencoded"
            let introspection = try await client.execute(
                uri: "/oauth/introspect",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: "token=" + APIKeyFormat.generate())
            )
            Self.expectUnavailable(introspection, "introspection")
            #expect(String(buffer: introspection.body).contains("\"error\":\"temporarily_unavailable\""))
            #expect(!String(buffer: introspection.body).contains("active"))
        }
    }
}
