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

/// Reconciliation through Okta's API (`kind: okta`), against the scenario fake of its users and
/// groups: the same plan, safety valve and apply as every kind.
@Suite("Reconciler: an Okta directory")
struct OktaReconciliationTests {
    static let issuer = "https://example.okta.com"
    static let mapping = """
        version: 1
        issuer: "\(issuer)"
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: platform-admins } }
          - { id: ml, role: model_admin, when: { claim: group_ids, contains: 00g-ml } }
        unmatched: manual
        """

    let store: SQLiteLedgerStore
    let sync: SyncService
    let okta = FakeOkta()

    init() async throws {
        store = try SQLiteLedgerStore.inMemory()
        let mapping = try #require(MappingParser.parse(yaml: Self.mapping, file: "okta.yaml").mapping)
        sync = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: Logger(label: "test"))
        // Okta's ID tokens carry the user id as `sub`.
        for (sub, login) in [("00u-root", "root"), ("00u-ada", "ada"), ("00u-bob", "bob"), ("00u-cy", "cy"), ("00u-dee", "dee")] {
            let claims = Claims(["sub": .string(sub), "email": .string("\(login)@example.com"), "groups": .array([])])
            _ = try await sync.signIn(issuer: Self.issuer, claims: claims)
        }
        okta.with { state in
            state.users = [
                .init(id: "00u-root", login: "root@example.com"), .init(id: "00u-ada", login: "ada@example.com"),
                .init(id: "00u-bob", login: "bob@example.com"), .init(id: "00u-cy", login: "cy@example.com"),
                .init(id: "00u-dee", login: "dee@example.com"),
            ]
            state.groups = [
                .init(id: "00g-admins", name: "platform-admins", members: ["00u-root"]),
                .init(id: "00g-ml", name: "ML Engineers", members: ["00u-ada", "00u-bob"]),
            ]
        }
    }

    func reconciler() throws -> Reconciler {
        let yaml = """
            listen: 127.0.0.1:8080
            public_url: https://rolesync.example.com
            idps:
              - issuer: \(Self.issuer)
                client_id: rolesync
                client_secret: s
                directory: { kind: okta, url: "https://example.okta.com", token_env: OKTA_API_TOKEN, page_size: 2, claims: { groups: groups, group_ids: group_ids, email: email, active: active } }
            """
        let idp = try ServeConfiguration.parse(yaml: yaml, file: "/tmp/r.yaml", environment: ["OKTA_API_TOKEN": "okta-api-token"]).idps[0]
        return try Reconciler(idp: idp, sync: sync, transport: okta, logger: Logger(label: "test"), sleep: { _ in })
    }

    func user(_ sub: String) async throws -> User { try #require(try await store.user(issuer: Self.issuer, subject: sub)) }

    @Test("Roles from group names and group ids; a suspended user and one gone from Okta are cut off, keys first")
    func leavers() async throws {
        let keys = KeyService(store: store)
        let bob = try await user("00u-bob")
        _ = try await keys.create(for: bob.id, name: "notebook", lifetime: nil, purpose: .gateway, by: .cli)
        okta.with { state in
            state.users.removeAll { $0.id == "00u-dee" }
            state.users[state.users.firstIndex { $0.id == "00u-bob" }!].status = "SUSPENDED"
        }
        let outcome = try await reconciler().run(dryRun: false, force: true)
        #expect(outcome.applied && outcome.kind == .okta && outcome.mode == "full")
        #expect(outcome.plan.directoryUsers == 4 && outcome.plan.matched == 4 && outcome.plan.missing == 1)
        // The cursor's group digest 2 (1 page), users 4 by 2 (2), groups 2 (1), members 1 + 2 (2): 6 requests.
        #expect(outcome.requests == 6 && outcome.throttledSeconds == 0)
        #expect(try await user("00u-root").role == .superAdmin)
        #expect(try await user("00u-ada").role == .modelAdmin, "matched on the group's Okta id")
        #expect(try await user("00u-bob").status == .inactive)
        #expect(try await user("00u-dee").status == .inactive)
        #expect(try await user("00u-cy").status == .active)
        let bobKeys = try await keys.keys(of: bob.id)
        #expect(bobKeys.count == 1 && bobKeys.allSatisfy { $0.revokedAt != nil })
        let events = try await store.auditEvents(matching: AuditQuery(actor: .reconciler)).events
        #expect(events.contains { $0.action.rawValue == "key.revoked" } && events.contains { $0.action.rawValue == "user.status_changed" })
    }

    @Test("An Okta page that fails changes nothing, and the error names the page")
    func failedPage() async throws {
        okta.with { $0.failing = ("/api/v1/groups/00g-ml/users", 503) }
        do {
            _ = try await reconciler().run(dryRun: false, force: true)
            Issue.record("a failed listing was applied")
        } catch let error as ReconcileError {
            #expect(error.code == "okta_status")
            #expect("\(error)".contains("/api/v1/groups/00g-ml/users?limit=2") && "\(error)".contains("nothing was changed"))
        }
        #expect(try await store.auditEvents(matching: AuditQuery(actor: .reconciler)).events.isEmpty)
    }

    @Test("An org that lists nobody deactivates nobody, even forced")
    func emptyOrg() async throws {
        okta.with { $0.users = [] }
        let outcome = try await reconciler().run(dryRun: false, force: true)
        #expect(!outcome.applied && outcome.plan.safetyValve?.code == "empty_directory")
        #expect(try await store.auditEvents(matching: AuditQuery(actor: .reconciler)).events.isEmpty)
        #expect(try await user("00u-cy").status == .active)
    }
}
