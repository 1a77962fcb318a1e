import Foundation
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncSQLite
import RoleSyncTestSupport
import Testing

/// Reconciliation through Microsoft Graph (`kind: microsoft_graph`), against the scenario fake of
/// an Entra ID tenant: users matched by object id to the `oid` claim, roles from group object ids
/// (as Entra's tokens carry them) through nested groups, and a disabled account cut off.
@Suite("Reconciler: a Microsoft Graph directory")
struct GraphReconciliationTests {
    static let issuer = "https://login.microsoftonline.com/contoso/v2.0"
    static let mapping = """
        version: 1
        issuer: "\(issuer)"
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: g-admins } }
          - { id: ml, role: model_admin, when: { claim: groups, contains: g-ml } }
        unmatched: manual
        """

    let store: SQLiteLedgerStore
    let sync: SyncService
    let graph = FakeGraph()

    init() async throws {
        store = try SQLiteLedgerStore.inMemory()
        let mapping = try #require(MappingParser.parse(yaml: Self.mapping, file: "entra.yaml").mapping)
        sync = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: Logger(label: "test"))
        // Entra's sub is pairwise; oid is the object id Graph lists.
        for name in ["root", "ada", "bob", "cy"] {
            let claims = Claims([
                "sub": .string("pairwise-\(name)"), "oid": .string("oid-\(name)"), "email": .string("\(name)@contoso.example"),
                "groups": .array([]),
            ])
            _ = try await sync.signIn(issuer: Self.issuer, claims: claims)
        }
        graph.with { state in
            state.users = ["root", "ada", "bob", "cy"].map { .init(id: "oid-\($0)", userPrincipalName: "\($0)@contoso.example") }
            state.groups = [
                .init(id: "g-admins", displayName: "Platform Admins", members: ["oid-root"]),
                .init(id: "g-ml", displayName: "ML", members: ["g-ml-research"]),
                .init(id: "g-ml-research", displayName: "ML Research", members: ["oid-ada"]),
            ]
        }
    }

    /// The IdP's configuration with its Microsoft Graph directory, plus `extra` lines under `directory:`.
    static func idp(tenant: String = "contoso", extra: [String] = []) throws -> IdentityProviderSettings {
        let lines = (["page_size: 2", "claims: { groups: group_ids, email: email, active: active }"] + extra)
            .map { "      " + $0 }.joined(separator: "\n")
        let yaml = """
            listen: 127.0.0.1:8080
            public_url: https://rolesync.example.com
            idps:
              - issuer: \(Self.issuer)
                client_id: rolesync
                client_secret: s
                directory:
                  kind: microsoft_graph
                  tenant_id: \(tenant)
                  client_id: rolesync-app
                  client_secret_env: GRAPH_SECRET
            \(lines)
            """
        return try ServeConfiguration.parse(yaml: yaml, file: "/tmp/r.yaml", environment: ["GRAPH_SECRET": "graph-client-secret"]).idps[0]
    }

    func reconciler() throws -> Reconciler {
        try Reconciler(idp: Self.idp(), sync: sync, transport: graph, logger: Logger(label: "test"), sleep: { _ in })
    }

    func user(_ name: String) async throws -> User {
        try #require(try await store.user(issuer: Self.issuer, subject: "pairwise-\(name)"))
    }

    @Test("Roles from group ids through nested groups; a disabled account and a deleted one are cut off")
    func leavers() async throws {
        graph.with { state in
            state.users.removeAll { $0.id == "oid-cy" }
            state.users[state.users.firstIndex { $0.id == "oid-bob" }!].accountEnabled = false
        }
        let outcome = try await reconciler().run(dryRun: false, force: true)
        #expect(outcome.applied && outcome.kind == .microsoftGraph && outcome.plan.matched == 3 && outcome.plan.missing == 1)
        #expect(try await user("root").role == .superAdmin)
        #expect(try await user("ada").role == .modelAdmin, "through ML Research, nested in ML")
        #expect(try await user("bob").status == .inactive)
        #expect(try await user("cy").status == .inactive)
        #expect(outcome.requests > 5)
    }

    @Test("A missing client secret is named before anything is read")
    func missingSecret() throws {
        let yaml = """
            listen: 127.0.0.1:8080
            public_url: https://rolesync.example.com
            idps:
              - issuer: \(Self.issuer)
                client_id: rolesync
                client_secret: s
                directory: { kind: microsoft_graph, tenant_id: contoso, client_id: rolesync-app, client_secret_env: GRAPH_SECRET }
            """
        let idp = try ServeConfiguration.parse(yaml: yaml, file: "/tmp/r.yaml", environment: [:], requiringSecrets: false).idps[0]
        #expect(throws: ReconcileError.self) { _ = try Reconciler(idp: idp, sync: sync, transport: graph, logger: Logger(label: "test")) }
        do {
            _ = try Reconciler(idp: idp, sync: sync, transport: graph, logger: Logger(label: "test"))
        } catch {
            #expect("\(error)".contains("GRAPH_SECRET (directory.client_secret_env: the app's client secret) is not set"))
        }
        #expect(graph.with { $0.requests.isEmpty })
    }
}
