import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@testable import RoleSyncServer

/// Keys rolled without downtime over HTTP: the Console's own keys and the admin API's, as JSON and
/// as pages.
@Suite struct KeyRollRoutesTests {
    typealias D = DashboardTests

    func post(_ client: some TestClientProtocol, _ uri: String, _ headers: HTTPFields, _ body: String?) async throws -> TestResponse {
        var headers = headers
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    @Test("The Console rolls its own keys: 201 with the new value once, both keys work until old_expires_in, errors name the field")
    func consoleAPI() async throws {
        let h = try await AdminHarness()
        let owner = try #require(h.users[.user])
        let old = try await h.context.keys.create(for: owner, name: "checkout", lifetime: 90 * 86_400, purpose: .gateway, by: .cli)
        let theirs = try await h.context.keys.create(
            for: try #require(h.users[.billingAdmin]),
            name: "theirs",
            lifetime: nil,
            purpose: .gateway,
            by: .cli
        )
        try await h.test { client in
            #expect(try await post(client, "/api/keys/\(old.key.id)/roll", [:], nil).status == .unauthorized)
            let other = try await post(client, "/api/keys/\(theirs.key.id)/roll", h.auth(.user), nil)
            #expect(other.status == .notFound, "another's key is not found")
            for (body, status, field) in [
                (#"{"old_expires_in":"8d"}"#, HTTPResponse.Status.unprocessableContent, "old_expires_in"),
                (#"{"old_expires_in":3600}"#, .unprocessableContent, "old_expires_in"),
                (#"{"old_expires_in":"soon"}"#, .unprocessableContent, "old_expires_in"),
                (#"{"expires_in":"1h"}"#, .badRequest, "expires_in"),
            ] as [(String, HTTPResponse.Status, String)] {
                let refused = try await post(client, "/api/keys/\(old.key.id)/roll", h.auth(.user), body)
                #expect(refused.status == status, "\(body): \(String(buffer: refused.body))")
                #expect(try AdminHarness.json(refused)["field"] == .string(field), "\(body)")
            }
            #expect(try await h.context.keys.key(id: old.key.id).key.rolledTo == nil, "a refused roll changes nothing")

            let rolled = try await post(client, "/api/keys/\(old.key.id)/roll", h.auth(.user), #"{"old_expires_in":"1h"}"#)
            #expect(rolled.status == .created, "\(String(buffer: rolled.body))")
            let body = try AdminHarness.json(rolled)
            let value = try #require(body["key"]?.stringValue)
            #expect(body["name"] == "checkout" && body["purpose"] == "gateway" && body["rolled_from"] == .number(Double(old.key.id)))
            #expect(body["rolled_to"] == .null && body["used_since_roll"] == .null)
            let newID = try #require(body["id"]?.scalarText)
            #expect(try await h.context.keys.introspect(value)?.keyID == Int64(newID))
            #expect(try await h.context.keys.introspect(old.value)?.keyID == old.key.id, "the old key works during the overlap")
            let replaced = try await h.context.keys.key(id: old.key.id).key
            #expect(replaced.rolledTo == Int64(newID) && replaced.expiresAt.map { $0.timeIntervalSinceNow } ?? 0 > 3_500)

            try await h.context.keys.usage.flush(to: h.store)
            let listed = try await client.execute(uri: "/api/keys", method: .get, headers: h.auth(.user))
            let oldReport = try #require(
                try AdminHarness.json(listed)["keys"]?.arrayValue?.compactMap(\.objectValue).first { $0["id"] == .number(Double(old.key.id)) }
            )
            #expect(oldReport["rolled_to"] == .number(Double(newID)!) && oldReport["status"] == "active")
            #expect(oldReport["used_since_roll"] == true, "introspected after the roll, and the use written")
            let again = try await post(client, "/api/keys/\(old.key.id)/roll", h.auth(.user), nil)
            #expect(try again.status == .conflict && AdminHarness.json(again)["code"] == "key_not_rollable")

            let now = try await post(client, "/api/keys/\(newID)/roll", h.auth(.user), #"{"old_expires_in":"now"}"#)
            #expect(now.status == .created)
            #expect(try await h.context.keys.introspect(value) == nil, "\"now\" ends the old key at once")
        }
        let events = try await h.store.auditEvents(matching: AuditQuery(action: .keyRolled)).events
        #expect(events.count == 2 && events.allSatisfy { $0.actor == Actor.user(owner) && $0.userID == owner })
    }

    @Test("The admin API rolls any gateway key; another's admin key and a super_admin's key (for a user_admin) are 403")
    func adminAPI() async throws {
        let h = try await AdminHarness()
        let carol = try #require(h.users[.user])
        let root = try #require(h.users[.superAdmin])
        let carols = try await h.context.keys.create(for: carol, name: "carol-ci", lifetime: nil, purpose: .gateway, by: .cli)
        let roots = try await h.context.keys.create(for: root, name: "root-gw", lifetime: nil, purpose: .gateway, by: .cli)
        let rootAdmin = try await h.context.keys.create(for: root, name: "root-ops", lifetime: nil, purpose: .admin, by: .cli)
        try await h.test { client in
            for (id, role) in [(roots.key.id, Role.userAdmin), (rootAdmin.key.id, .userAdmin)] {
                let refused = try await post(client, "/api/admin/keys/\(id)/roll", h.auth(role), nil)
                #expect(refused.status == .forbidden, "\(String(buffer: refused.body))")
                #expect(try AdminHarness.json(refused)["code"] == "not_permitted")
            }
            #expect(try await post(client, "/api/admin/keys/\(carols.key.id)/roll", h.auth(.modelAdmin), nil).status == .forbidden)
            #expect(try await post(client, "/api/admin/keys/99999/roll", h.auth(.userAdmin), nil).status == .notFound)
            let rolled = try await post(client, "/api/admin/keys/\(carols.key.id)/roll", h.auth(.userAdmin), #"{"old_expires_in":"7d"}"#)
            #expect(rolled.status == .created)
            let body = try AdminHarness.json(rolled)
            #expect(body["owner"]?.objectValue?["id"] == .number(Double(carol.rawValue)) && body["key"]?.stringValue?.hasPrefix("rsk_") == true)
            let byRoot = try await post(client, "/api/admin/keys/\(roots.key.id)/roll", h.auth(.superAdmin), nil)
            #expect(byRoot.status == .created, "a super_admin rolls a super_admin's gateway key")
            let detail = try await client.execute(uri: "/api/admin/keys/\(carols.key.id)", method: .get, headers: h.auth(.userAdmin))
            #expect(try AdminHarness.json(detail)["rolled_to"] == body["id"])
        }
        #expect(try await h.context.keys.key(id: rootAdmin.key.id).key.rolledTo == nil)
    }

    @Test("Pages: the Console's Roll… asks how long the old key works and shows the new value once; the dashboard's key page links both keys")
    func pages() async throws {
        let h = try await AdminHarness()
        let owner = try #require(h.users[.user])
        let mine = try await h.context.keys.create(for: owner, name: "laptop", lifetime: nil, purpose: .gateway, by: .cli)
        try await h.test { client in
            let list = try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(.user))
            #expect(D.html(list).contains("href=\"/console/keys/\(mine.key.id)/roll\""))
            let confirm = try await client.execute(uri: "/console/keys/\(mine.key.id)/roll", method: .get, headers: h.browser(.user))
            #expect(confirm.status == .ok)
            let page = D.html(confirm)
            #expect(page.contains("name=\"old_expires_in\"") && page.contains("<option value=\"24h\" selected>"))
            let token = try D.formToken(confirm)

            let (badHeaders, badBody) = D.form(h, .user, [("csrf_token", token), ("old_expires_in", "30d")])
            let bad = try await client.execute(uri: "/console/keys/\(mine.key.id)/roll", method: .post, headers: badHeaders, body: badBody)
            #expect(bad.status == .unprocessableContent && D.html(bad).contains("id=\"error\""))

            let (headers, body) = D.form(h, .user, [("csrf_token", token), ("old_expires_in", "1h")])
            let rolled = try await client.execute(uri: "/console/keys/\(mine.key.id)/roll", method: .post, headers: headers, body: body)
            #expect(rolled.status == .created)
            let value = try #require(D.html(rolled).firstMatch(of: /<code id="key-value">(rsk_[0-9A-Za-z]{42})<\/code>/)?.output.1)
            #expect(D.html(rolled).contains("rolled to "), "the old key's line says it was rolled")
            #expect(rolled.headers[.cacheControl] == "no-store")
            #expect(try await h.context.keys.introspect(String(value))?.owner.id == owner)
            let after = try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(.user))
            #expect(!D.html(after).contains(String(value)), "the value is shown once")
            #expect(!D.html(after).contains("href=\"/console/keys/\(mine.key.id)/roll\""), "a rolled key is not rolled again")

            let old = try await client.execute(uri: "/admin/keys/\(mine.key.id)", method: .get, headers: h.browser(.userAdmin))
            let oldPage = D.html(old)
            let newID = try #require(try await h.context.keys.key(id: mine.key.id).key.rolledTo)
            #expect(oldPage.contains("id=\"rolled-to\"><a href=\"/admin/keys/\(newID)\">"))
            #expect(oldPage.contains("not used since the roll"))
            #expect(!oldPage.contains("id=\"roll\""))
            let new = try await client.execute(uri: "/admin/keys/\(newID)", method: .get, headers: h.browser(.userAdmin))
            #expect(D.html(new).contains("id=\"rolled-from\"><a href=\"/admin/keys/\(mine.key.id)\">"))
            #expect(D.html(new).contains("id=\"roll\""))

            // The dashboard rolls too and answers with the new key's page, its value shown once.
            let adminToken = try D.formToken(new)
            let (adminHeaders, adminBody) = D.form(h, .userAdmin, [("csrf_token", adminToken), ("old_expires_in", "now")])
            let byAdmin = try await client.execute(uri: "/admin/keys/\(newID)/roll", method: .post, headers: adminHeaders, body: adminBody)
            #expect(byAdmin.status == .created)
            let adminValue = try #require(D.html(byAdmin).firstMatch(of: /<code id="key-value">(rsk_[0-9A-Za-z]{42})<\/code>/)?.output.1)
            #expect(try await h.context.keys.introspect(String(adminValue))?.owner.id == owner)
            #expect(try await h.context.keys.introspect(String(value)) == nil)
            let notRollable = try await client.execute(uri: "/admin/keys/\(newID)/roll", method: .get, headers: h.browser(.userAdmin))
            #expect(notRollable.status == .conflict)
        }
    }
}

/// The key policy over HTTP: the listing's `stale` and `over_max_lifetime` views, the badge and
/// the count on API Keys, a bounded lifetime at creation, and why the Console's owner lost a key.
@Suite struct KeyPolicyRoutesTests {
    typealias D = DashboardTests

    @Test("Without a policy, status=stale and over_max_lifetime are 400 naming status; with one, they list, badge and count")
    func staleViews() async throws {
        let plain = try await AdminHarness()
        try await plain.test { client in
            for status in ["stale", "over_max_lifetime", "dormant"] {
                let refused = try await client.execute(uri: "/api/admin/keys?status=\(status)", method: .get, headers: plain.auth(.userAdmin))
                #expect(refused.status == .badRequest)
                #expect(try AdminHarness.json(refused)["field"] == "status", "\(status)")
            }
            let page = try await client.execute(uri: "/admin/keys", method: .get, headers: plain.browser(.userAdmin))
            #expect(!D.html(page).contains("value=\"stale\"") && !D.html(page).contains("id=\"stale-summary\""))
        }

        let day: TimeInterval = 86_400
        let h = try await AdminHarness(keyPolicy: KeyPolicy(maxLifetime: 30 * day, staleAfter: 30 * day, revokeStaleAfter: 30 * day))
        let carol = try #require(h.users[.user])
        // Made through the store 40 days ago, never used: stale, and unbounded (over max_lifetime).
        let old = Date().addingTimeInterval(-40 * day)
        let stale = try await h.store.insertKey(
            APIKey(id: 0, userID: carol, name: "old-ci", purpose: .gateway, prefix: "rsk_Old…abcd", keyHash: "old-ci", createdAt: old),
            audit: AuditEvent(time: old, actor: .cli, action: .keyCreated, userID: carol)
        )
        try await h.test { client in
            var headers = h.auth(.user)
            headers[.contentType] = "application/json"
            let created = try await client.execute(
                uri: "/api/keys",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"name":"no-expiry"}"#)
            )
            #expect(created.status == .unprocessableContent, "keys.max_lifetime: an expiry is required")
            #expect(try AdminHarness.json(created)["field"] == "expires_in")
            #expect(String(buffer: created.body).contains("keys.max_lifetime"))

            let listed = try await client.execute(uri: "/api/admin/keys?status=stale", method: .get, headers: h.auth(.userAdmin))
            #expect(listed.status == .ok)
            let ids = try AdminHarness.json(listed)["keys"]?.arrayValue?.compactMap { $0.objectValue?["id"] } ?? []
            #expect(ids == [.number(Double(stale))], "only the old key: the admins' own keys were made just now")
            let over = try await client.execute(uri: "/api/admin/keys?status=over_max_lifetime", method: .get, headers: h.auth(.userAdmin))
            #expect((try AdminHarness.json(over)["keys"]?.arrayValue?.count ?? 0) >= 1)

            let page = try await client.execute(uri: "/admin/keys?status=stale", method: .get, headers: h.browser(.userAdmin))
            let html = D.html(page)
            #expect(html.contains("<option value=\"stale\" selected>stale</option>"))
            #expect(html.contains("id=\"stale-summary\"") && html.contains("1 active key unused for 30d"))
            #expect(html.contains("status-stale"), "the stale badge")
            #expect(html.contains("old-ci"))

            // The policy revokes it; its owner's Console says why.
            #expect(try await h.context.keys.revokeStaleKeys().map(\.key.id) == [stale])
            let console = try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(.user))
            #expect(D.html(console).contains("by the key policy: never used; unused for 30d (keys.revoke_stale_after)"))
        }
    }
}
