import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncSQLite
import RoleSyncServer
import Testing

/// A server whose two IdPs push over SCIM, with a ledger where alice (finance → billing_admin)
/// and root (super_admin) have signed in through the first.
final class SCIMHarness: Sendable {
    static let issuer = "https://idp.example.com"
    static let otherIssuer = "https://other.example.com"
    static let token = "scim-token-of-idp-example-0123456789abcdef"
    static let otherToken = "scim-token-of-other-example-0123456789abcdef"
    static let mapping = """
        version: 1
        issuer: "\(issuer)"
        profile: { email: email, name: name }
        deactivate:
          - { claim: groups, contains: offboarded }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: platform-admins } }
          - { id: finance, role: billing_admin, when: { claim: groups, contains: finance } }
          - { id: engineers, role: user, when: { claim: groups, glob: "eng-*" } }
        unmatched: manual
        """

    let store: SQLiteLedgerStore
    let context: ServerContext
    let sync: SyncService

    init() async throws {
        store = try SQLiteLedgerStore.inMemory()
        let mapping = try #require(MappingParser.parse(yaml: Self.mapping, file: "idp.yaml").mapping)
        sync = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: Logger(label: "test"))
        let pushers = [
            SCIMService.Pusher(name: "idp", issuer: Self.issuer, token: Self.token, settings: .pushDefaults),
            SCIMService.Pusher(name: "other", issuer: Self.otherIssuer, token: Self.otherToken, settings: .pushDefaults),
        ]
        context = ServerContext(
            sync: sync,
            sessions: SessionService(store: store),
            providers: ProviderDirectory([]),
            publicURL: URL(string: "https://rolesync.example.com")!,
            scim: SCIMService(pushers: pushers, directory: store, sync: sync, logger: Logger(label: "test"))
        )
        for (sub, groups) in [("root", ["platform-admins"]), ("alice", ["finance"])] {
            let claims = Claims([
                "sub": .string(sub), "email": .string("\(sub)@example.com"), "name": .string(sub),
                "groups": .array(groups.map(ClaimValue.string)),
            ])
            _ = try await sync.signIn(issuer: Self.issuer, claims: claims)
        }
    }

    func user(_ sub: String) async throws -> User {
        try #require(try await store.user(issuer: Self.issuer, subject: sub))
    }

    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: context.makeRouter()).test(.router, body)
    }

    static func headers(_ token: String = token) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "application/scim+json"]
    }

    /// The JSON body's members; throws when the body is not a JSON object.
    static func json(_ response: TestResponse) throws -> [String: ClaimValue] {
        let body = try ClaimValue(json: Data(buffer: response.body))
        guard case .object(let members) = body else { throw HarnessError.notAnObject(body.abbreviated()) }
        return members
    }

    enum HarnessError: Error { case notAnObject(String) }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

@Suite("SCIM service provider (/scim/v2)")
struct SCIMEndpointTests {
    static let errorSchema: ClaimValue = .array(["urn:ietf:params:scim:api:messages:2.0:Error"])

    @Test("No token, a wrong token, or another scheme: 401 with a SCIM error and WWW-Authenticate")
    func unauthenticated() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "Basic \(SCIMHarness.token)"]] {
                let response = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: headers)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"SCIM\"")
                #expect(try SCIMHarness.json(response)["schemas"] == Self.errorSchema)
                #expect(!String(buffer: response.body).contains(SCIMHarness.token))
            }
        }
    }

    @Test("Discovery answers GET only; unknown paths are SCIM 404s")
    func discovery() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            let spc = try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: SCIMHarness.headers())
            #expect(spc.status == .ok)
            #expect(spc.headers[.contentType] == "application/scim+json")
            #expect(try SCIMHarness.json(spc)["patch"] == .object(["supported": true]))
            let post = try await client.execute(uri: "/scim/v2/Schemas", method: .post, headers: SCIMHarness.headers())
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD")
            #expect(try SCIMHarness.json(post)["schemas"] == Self.errorSchema)
            for uri in ["/scim/v2/ResourceTypes/Nope", "/scim/v2/Schemas/urn:x", "/scim/v2/Nope", "/scim/v2/Users/a/b"] {
                let response = try await client.execute(uri: uri, method: .get, headers: SCIMHarness.headers())
                #expect(response.status == .notFound)
                #expect(try SCIMHarness.json(response)["schemas"] == Self.errorSchema)
            }
        }
    }

    @Test("A pushed user is a directory entry, not a ledger user; userName is unique ignoring case")
    func createHeld() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users",
                method: .post,
                headers: SCIMHarness.headers(),
                body: SCIMHarness.body(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"erin","externalId":"erin"}"#)
            )
            #expect(created.status == .created)
            let json = try SCIMHarness.json(created)
            let id = try #require(json["id"]?.stringValue)
            #expect(created.headers[.location] == "https://rolesync.example.com/scim/v2/Users/\(id)")
            #expect(try await h.store.userCount() == 2)
            let again = try await client.execute(
                uri: "/scim/v2/Users",
                method: .post,
                headers: SCIMHarness.headers(),
                body: SCIMHarness.body(#"{"userName":"ERIN"}"#)
            )
            #expect(again.status == .conflict)
            #expect(try SCIMHarness.json(again)["scimType"] == "uniqueness")
            let found = try await client.execute(
                uri: "/scim/v2/Users?filter=userName%20eq%20%22Erin%22",
                method: .get,
                headers: SCIMHarness.headers()
            )
            #expect(try SCIMHarness.json(found)["totalResults"] == .number(1))
            let bad = try await client.execute(uri: "/scim/v2/Users?filter=userName%20eq", method: .get, headers: SCIMHarness.headers())
            #expect(bad.status == .badRequest)
            #expect(try SCIMHarness.json(bad)["scimType"] == "invalidFilter")
            // The other IdP sees none of it.
            let other = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: SCIMHarness.headers(SCIMHarness.otherToken))
            #expect(try SCIMHarness.json(other)["totalResults"] == .number(0))
        }
    }

    @Test("Group membership pushed re-evaluates the member's role, audited with actor scim")
    func groupChange() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            let alice = try await Self.push(client, #"{"userName":"alice@example.com","externalId":"alice"}"#)
            #expect(try await h.user("alice").role == .billingAdmin)
            let group = try await Self.push(client, #"{"displayName":"eng-web","members":[{"value":"\#(alice)"}]}"#, to: "Groups")
            // The directory says alice is in eng-web only: the engineers rule now covers her.
            let after = try await h.user("alice")
            #expect(after.role == .user && after.roleSource == .idp)
            #expect(after.lastClaims.values["groups"] == .array(["eng-web"]))
            let events = try await h.store.auditEvents(matching: AuditQuery(userID: after.id, actor: .scim)).events
            #expect(events.contains { $0.action == .roleChanged && $0.details[.via] == "scim" })
            // Removing her from every group leaves no rule: uncovered, role kept.
            let patched = try await client.execute(
                uri: "/scim/v2/Groups/\(group)",
                method: .patch,
                headers: SCIMHarness.headers(),
                body: SCIMHarness.body(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"\#(alice)\"]"}]}"#
                )
            )
            #expect(patched.status == .ok)
            #expect(try await h.user("alice").lastClaims.values["groups"] == .array([]))
        }
    }

    @Test("A membership change re-evaluates only the members it adds or removes; a rename, every member")
    func membershipScope() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            let alice = try await Self.push(client, #"{"userName":"alice@example.com","externalId":"alice"}"#)
            let root = try await Self.push(client, #"{"userName":"root@example.com","externalId":"root"}"#)
            let group = try await Self.push(client, #"{"displayName":"finance","members":[{"value":"\#(alice)"}]}"#, to: "Groups")
            let aliceID = try await h.user("alice").id
            // Her next token says eng-web: the ledger now differs from the directory, so any
            // re-evaluation of alice would show.
            let claims = Claims(["sub": "alice", "email": "alice@example.com", "name": "alice", "groups": .array(["eng-web"])])
            _ = try await h.sync.signIn(issuer: SCIMHarness.issuer, claims: claims)
            #expect(try await h.user("alice").role == .user)
            let before = try await h.store.auditEvents(matching: AuditQuery(userID: aliceID, actor: .scim)).events.count
            func patch(_ operation: String) async throws {
                let response = try await client.execute(
                    uri: "/scim/v2/Groups/\(group)",
                    method: .patch,
                    headers: SCIMHarness.headers(),
                    body: SCIMHarness.body(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[\#(operation)]}"#)
                )
                #expect(response.status == .ok)
            }
            // root joins finance: root is re-evaluated (finance alone would demote the last
            // super_admin, so that is held), alice is not touched.
            try await patch(#"{"op":"add","path":"members","value":[{"value":"\#(root)"}]}"#)
            #expect(try await h.store.auditEvents(matching: AuditQuery(userID: aliceID, actor: .scim)).events.count == before)
            #expect(try await h.user("alice").role == .user)
            let rootID = try await h.user("root").id
            #expect(try await h.store.auditEvents(matching: AuditQuery(userID: rootID, action: .roleChangeHeld)).events.count == 1)
            // The group is renamed: every member is re-evaluated; alice's groups are the directory's again.
            try await patch(#"{"op":"replace","path":"displayName","value":"finance-emea"}"#)
            #expect(try await h.user("alice").lastClaims.values["groups"] == .array(["finance-emea"]))
            #expect(try await h.store.auditEvents(matching: AuditQuery(userID: aliceID, actor: .scim)).events.count > before)
        }
    }

    @Test("Deleting a group re-evaluates its members; PUT replaces a user's attributes")
    func groupDeleted() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            let alice = try await Self.push(client, #"{"userName":"alice@example.com","externalId":"alice"}"#)
            let group = try await Self.push(client, #"{"displayName":"eng-web","members":[{"value":"\#(alice)"}]}"#, to: "Groups")
            _ = try await Self.push(client, #"{"displayName":"finance","members":[{"value":"\#(alice)"}]}"#, to: "Groups")
            #expect(try await h.user("alice").role == .billingAdmin)
            let deleted = try await client.execute(uri: "/scim/v2/Groups/\(group)", method: .delete, headers: SCIMHarness.headers())
            #expect(deleted.status == .noContent)
            #expect(try await h.user("alice").lastClaims.values["groups"] == .array(["finance"]))
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(alice)",
                method: .put,
                headers: SCIMHarness.headers(),
                body: SCIMHarness.body(#"{"userName":"alice@example.com","externalId":"alice","active":false}"#)
            )
            #expect(put.status == .ok)
            #expect(try SCIMHarness.json(put)["active"] == false)
            #expect(try await h.user("alice").status == .inactive)
        }
    }

    @Test("active:false deactivates at once, cutting API keys and sessions first; active:true lifts it")
    func deactivation() async throws {
        let h = try await SCIMHarness()
        let alice = try await h.user("alice")
        _ = try await h.context.sessions.create(for: alice.id)
        _ = try await h.context.keys.create(for: alice.id, name: "ci", lifetime: nil, purpose: .gateway, by: .cli)
        try await h.test { client in
            let id = try await Self.push(client, #"{"userName":"alice@example.com","externalId":"alice"}"#)
            let patched = try await client.execute(
                uri: "/scim/v2/Users/\(id)",
                method: .patch,
                headers: SCIMHarness.headers(),
                body: SCIMHarness.body(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","value":{"active":"False"}}]}"#
                )
            )
            #expect(patched.status == .ok)
            let after = try await h.user("alice")
            #expect(after.status == .inactive && after.deactivationReason == .idp && after.deactivationSource == .scim)
            #expect(try await h.store.sessionCount(userID: alice.id) == 0)
            #expect(try await h.store.keys(ownerID: alice.id).allSatisfy { $0.revokedBy == .scim })
            let events = try await h.store.auditEvents(matching: AuditQuery(userID: alice.id, actor: .scim)).events.reversed()
            let ended = try #require(events.first { $0.action == .sessionsEnded })
            #expect(ended.details[.sessions] == .number(1) && ended.details[.apiKeysRevoked] == .number(1))
            let actions = events.map(\.action)
            #expect(actions.firstIndex(of: .keyRevoked)! < actions.firstIndex(of: .sessionsEnded)!)
            #expect(actions.firstIndex(of: .sessionsEnded)! < actions.firstIndex(of: .statusChanged)!)
            _ = try await client.execute(
                uri: "/scim/v2/Users/\(id)",
                method: .patch,
                headers: SCIMHarness.headers(),
                body: SCIMHarness.body(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}"#
                )
            )
            #expect(try await h.user("alice").status == .active)
        }
    }

    @Test("DELETE deactivates the user and takes them out of their groups")
    func delete() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            let id = try await Self.push(client, #"{"userName":"alice@example.com","externalId":"alice"}"#)
            let group = try await Self.push(client, #"{"displayName":"finance","members":[{"value":"\#(id)"}]}"#, to: "Groups")
            let deleted = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: SCIMHarness.headers())
            #expect(deleted.status == .noContent)
            let after = try await h.user("alice")
            #expect(after.status == .inactive && after.deactivationSource == .scim)
            let status = try await h.store.auditEvents(matching: AuditQuery(userID: after.id, action: .statusChanged)).events.first
            #expect(status?.details[.because] == "deleted_in_directory")
            let read = try await client.execute(uri: "/scim/v2/Groups/\(group)", method: .get, headers: SCIMHarness.headers())
            #expect(read.status == .ok)
            let groupAfter = try SCIMHarness.json(read)
            #expect(groupAfter["displayName"] == "finance", "the group itself stays")
            #expect(groupAfter["members"] == nil || groupAfter["members"] == .array([]), "\(groupAfter)")
            let gone = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: SCIMHarness.headers())
            #expect(gone.status == .notFound)
            #expect(try SCIMHarness.json(gone)["schemas"] == Self.errorSchema)
        }
    }

    @Test("The last active super_admin pushed inactive is held, not deactivated")
    func lastSuperAdmin() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            _ = try await Self.push(client, #"{"userName":"root@example.com","externalId":"root","active":false}"#)
            #expect(try await h.user("root").status == .active)
            let held = try await h.store.auditEvents(matching: AuditQuery(action: .statusChangeHeld)).events
            #expect(held.count == 1)
        }
    }

    @Test("Bad bodies are SCIM errors that change nothing")
    func badBodies() async throws {
        let h = try await SCIMHarness()
        try await h.test { client in
            let cases: [(String, String, String)] = [
                ("not json", "/scim/v2/Users", "invalidSyntax"),
                (#"{"externalId":"x"}"#, "/scim/v2/Users", "invalidValue"),
                (#"{"userName":"x","active":"maybe"}"#, "/scim/v2/Users", "invalidValue"),
            ]
            for (body, uri, scimType) in cases {
                let response = try await client.execute(uri: uri, method: .post, headers: SCIMHarness.headers(), body: SCIMHarness.body(body))
                #expect(response.status == .badRequest)
                #expect(try SCIMHarness.json(response)["scimType"] == .string(scimType))
            }
            let listed = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: SCIMHarness.headers())
            #expect(try SCIMHarness.json(listed)["totalResults"] == .number(0))
        }
    }

    /// POSTs a resource and returns its id.
    static func push(_ client: any TestClientProtocol, _ json: String, to endpoint: String = "Users") async throws -> String {
        let response = try await client.execute(
            uri: "/scim/v2/\(endpoint)",
            method: .post,
            headers: SCIMHarness.headers(),
            body: SCIMHarness.body(json)
        )
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try SCIMHarness.json(response)["id"]?.stringValue)
    }
}
