import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RoleSyncConfig
import RoleSyncEvents
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncSQLite
import RoleSyncServer
import RoleSyncTestSupport
import RoleSyncWebhooks
import RoleSyncYAML
import Testing

/// A RoleSync server with a ledger of one user per role (an admin API key for each admin, a
/// session for the others, who cannot hold one), for the admin API's tests. No provider: users are signed in through the ledger's own path.
final class AdminHarness: Sendable {
    static let issuer = "https://idp.example.com"
    static let mapping = """
        version: 1
        issuer: "\(issuer)"
        profile: { email: email, name: name }
        roles:
          - id: platform-admins
            role: super_admin
            when: { claim: groups, contains: admins }
          - id: ml
            role: model_admin
            when: { claim: groups, contains: ml }
        unmatched: manual
        """

    /// The shadow (candidate) mapping: the ml group would get mcp_admin instead of model_admin.
    static let candidate = mapping.replacingOccurrences(of: "role: model_admin", with: "role: mcp_admin")

    let store: SQLiteLedgerStore
    let context: ServerContext
    /// The IdP's Okta org, which the Directory page and `/api/admin/directory` read as `corp`: it
    /// lists every user of the ledger, active.
    let okta = FakeOkta()
    /// The receiver of the `siem` webhook endpoint (``seedWebhooks()``).
    let receiver: FakeWebhookReceiver
    let folder: URL
    /// An admin key per role that may hold one (`user_admin`, `super_admin`), a session token for
    /// the others; `super_admin` is IdP-covered (rule platform-admins), the others are
    /// uncovered users whose role the CLI set by hand, except `model_admin` (covered, rule ml).
    let tokens: [Role: String]
    /// The roles whose `tokens` are session tokens.
    let sessionRoles: Set<Role>
    let users: [Role: UserID]
    /// A browser session per role, for the dashboard's pages (which take only the cookie).
    let browserSessions: [Role: String]

    init(keyPolicy: KeyPolicy = KeyPolicy()) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteLedgerStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        let mapping = try #require(MappingParser.parse(yaml: Self.mapping, file: "idp.yaml").mapping)
        let candidate = try #require(MappingParser.parse(yaml: Self.candidate, file: "shadow/idp.yaml").mapping)
        let sync = SyncService(
            store: store,
            mappings: MappingRegistry(MappingSet.build([mapping]).set, shadow: MappingSet.build([candidate]).set),
            logger: Logger(label: "test"),
            shadow: ShadowRecorder(store: store, logger: Logger(label: "test"))
        )
        var context = ServerContext(
            sync: sync,
            sessions: SessionService(store: store),
            providers: ProviderDirectory([]),
            publicURL: URL(string: Self.origin)!,
            directories: DirectoryDesk(reconcilers: [try Self.reconciler(sync: sync, okta: okta)], states: store),
            keyPolicy: keyPolicy,
            gateways: [GatewayCredential(name: "test-gateway", clientID: Self.gatewayID, secret: Self.gatewaySecret)]
        )
        let receiver = FakeWebhookReceiver()
        self.receiver = receiver
        context.webhooks = WebhookDesk(store: store, senders: [try Self.webhookSender(receiver)])
        var sessionRoles: Set<Role> = []
        var tokens: [Role: String] = [:]
        var users: [Role: UserID] = [:]
        var browserSessions: [Role: String] = [:]
        for role in Role.allCases {
            let groups = role == .superAdmin ? "admins" : role == .modelAdmin ? "ml" : "staff"
            let claims = Claims([
                "sub": .string("sub-\(role.rawValue)"), "email": .string("\(role.rawValue)@example.com"),
                "name": .string("The \(role.rawValue)"), "groups": .array([.string(groups)]),
            ])
            let result = try await sync.signIn(issuer: Self.issuer, claims: claims)
            let user = try #require(result.user)
            if user.role != role { try await sync.setRole(role, of: user.id, by: .cli) }
            users[role] = user.id
            if KeyService.adminRoles.contains(role) {
                // Made before any key policy, as an operator's first keys are.
                tokens[role] = try await KeyService(store: store).create(for: user.id, name: "test", lifetime: nil, purpose: .admin, by: .cli).value
            } else {
                tokens[role] = try await context.sessions.create(for: user.id)
                sessionRoles.insert(role)
            }
            browserSessions[role] = try await context.sessions.create(for: user.id)
        }
        okta.with { state in
            state.users = Role.allCases.map { FakeOkta.User(id: "sub-\($0.rawValue)", login: "\($0.rawValue)@example.com") }
            state.groups = [FakeOkta.Group(id: "00g-admins", name: "admins", members: ["sub-super_admin"])]
        }
        self.context = context
        self.browserSessions = browserSessions
        self.tokens = tokens
        self.sessionRoles = sessionRoles
        self.users = users
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The IdP `corp`, reconciled against the Okta org.
    static func reconciler(sync: SyncService, okta: FakeOkta) throws -> Reconciler {
        let yaml = """
            listen: 127.0.0.1:8080
            public_url: \(origin)
            idps:
              - name: corp
                issuer: \(issuer)
                client_id: rolesync
                client_secret: s
                directory: { kind: okta, url: "https://example.okta.com", token_env: OKTA_TOKEN, claims: { groups: groups } }
            """
        let idp = try ServeConfiguration.parse(yaml: yaml, file: "/tmp/harness.yaml", environment: ["OKTA_TOKEN": "okta-api-token"]).idps[0]
        return try Reconciler(
            idp: idp,
            sync: sync,
            transport: okta,
            states: sync.store as? any DirectorySyncStore,
            logger: Logger(label: "test"),
            sleep: { _ in }
        )
    }

    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: context.makeRouter()).test(.router, body)
    }

    static let origin = "https://rolesync.example.com"
    static let gatewayID = "gateway"
    static let gatewaySecret = "a-gateway-secret-of-at-least-32-bytes"

    /// Headers of an introspection by the configured gateway (or with other credentials).
    static func gatewayHeaders(id: String = gatewayID, secret: String = gatewaySecret) -> HTTPFields {
        [
            .authorization: "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString(),
            .contentType: "application/x-www-form-urlencoded",
        ]
    }

    /// Headers authenticating as `role` (or nobody): its admin key, or its session cookie from this
    /// site's origin.
    func auth(_ role: Role?) -> HTTPFields {
        guard let role, let token = tokens[role] else { return [:] }
        if sessionRoles.contains(role) {
            return [.cookie: "\(context.cookies.session)=\(token)", .origin: Self.origin]
        }
        return [.authorization: "Bearer \(token)"]
    }

    /// The session cookie of `role`'s browser, for the dashboard's pages.
    func browser(_ role: Role) -> HTTPFields {
        guard let token = browserSessions[role] else { return [:] }
        return [.cookie: "\(context.cookies.session)=\(token)"]
    }

    /// The JSON body's members; throws when the body is not a JSON object.
    static func json(_ response: TestResponse) throws -> [String: ClaimValue] {
        let body = try ClaimValue(json: Data(buffer: response.body))
        guard case .object(let members) = body else { throw HarnessError.notAnObject(body.abbreviated()) }
        return members
    }

    enum HarnessError: Error { case notAnObject(String) }
}

extension AdminHarness {
    static let webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The `siem` endpoint's sender, to `receiver`.
    static func webhookSender(_ receiver: FakeWebhookReceiver) throws -> WebhookSender {
        WebhookSender(
            settings: WebhookSettings(
                name: "siem",
                url: URL(string: "https://siem.example.com/hooks")!,
                secrets: [try WebhookSecret(webhookSecret)],
                secretEnv: "SIEM_SECRET",
                actions: Set(AuditAction.allCases),
                location: RoleSyncYAML.SourceLocation(file: "rolesync.yaml", line: 1, column: 1)
            ),
            transport: receiver
        )
    }

    /// The `siem` endpoint in the ledger, disabled (it answered 410) with its first audit event
    /// failed: every webhook route has something to act on.
    func seedWebhooks() async throws -> (failedEvent: Int64, endpoint: WebhookEndpoint) {
        let now = Date()
        try await store.replaceWebhookEndpoints(
            [WebhookEndpointSetting(name: "siem", url: "https://siem.example.com/hooks", actions: Set(AuditAction.allCases))],
            at: now
        )
        if try await store.webhookEndpoints().first?.state == .disabled { _ = try await store.enableWebhookEndpoint("siem", actor: .cli, at: now) }
        let first = try #require(try await store.auditEvents(matching: AuditQuery(limit: 1)).events.first?.id)
        try await store.seedWebhookFailure(endpoint: "siem", eventID: first, disable: true, at: now)
        return (first, try #require(try await store.webhookEndpoints().first))
    }
}
