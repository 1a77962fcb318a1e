import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@testable import RoleSyncServer

/// The Console and the dashboard's API Keys, Audit and Mapping pages through the whole router.
@Suite struct DashboardKeyTests {
    typealias D = DashboardTests

    @Test("the Console creates a key and shows its value once; the owner revokes it; another's key is a 404")
    func console() async throws {
        let h = try await AdminHarness()
        let other = try await h.context.keys.create(
            for: try #require(h.users[.superAdmin]),
            name: "theirs",
            lifetime: nil,
            purpose: .gateway,
            by: .cli
        )
        try await h.test { client in
            let empty = try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(.user))
            #expect(D.html(empty).contains("You have no API keys yet."))
            let token = try D.formToken(empty)

            let (headers, body) = D.form(h, .user, [("csrf_token", token), ("name", "laptop <gateway>"), ("expires_in", "90d")])
            let created = try await client.execute(uri: "/console/keys", method: .post, headers: headers, body: body)
            #expect(created.status == .created)
            let page = D.html(created)
            let value = try #require(page.firstMatch(of: /<code id="key-value">(rsk_[0-9A-Za-z]{42})<\/code>/)?.output.1)
            #expect(page.contains("will not show this key again"))
            #expect(page.contains("laptop &lt;gateway&gt;"))
            #expect(created.headers[.cacheControl] == "no-store")
            #expect(try await h.context.keys.introspect(String(value))?.owner.id == h.users[.user])

            let again = try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(.user))
            #expect(!D.html(again).contains(String(value)), "the value is shown once")
            #expect(D.html(again).contains("laptop &lt;gateway&gt;"))

            let (dupHeaders, dupBody) = D.form(h, .user, [("csrf_token", token), ("name", "LAPTOP <gateway>")])
            let duplicate = try await client.execute(uri: "/console/keys", method: .post, headers: dupHeaders, body: dupBody)
            #expect(duplicate.status == .conflict)
            #expect(D.html(duplicate).contains("id=\"error\""))
            #expect(D.html(duplicate).contains("value=\"LAPTOP &lt;gateway&gt;\""), "the form keeps what was typed")

            let (badHeaders, badBody) = D.form(h, .user, [("csrf_token", token), ("name", "x"), ("expires_in", "7y")])
            #expect(try await client.execute(uri: "/console/keys", method: .post, headers: badHeaders, body: badBody).status == .unprocessableContent)

            let theirs = try await client.execute(uri: "/console/keys/\(other.key.id)/revoke", method: .get, headers: h.browser(.user))
            #expect(theirs.status == .notFound)
            let (forgedHeaders, forgedBody) = D.form(h, .user, [("csrf_token", token)])
            let forged = try await client.execute(
                uri: "/console/keys/\(other.key.id)/revoke",
                method: .post,
                headers: forgedHeaders,
                body: forgedBody
            )
            #expect(forged.status == .notFound)
            #expect(try await h.context.keys.key(id: other.key.id).key.revokedAt == nil)

            let owner = try #require(h.users[.user])
            let mine = try #require(try await h.context.keys.keys(of: owner).first)
            let confirm = try await client.execute(uri: "/console/keys/\(mine.id)/revoke", method: .get, headers: h.browser(.user))
            #expect(confirm.status == .ok)
            #expect(D.html(confirm).contains("Reason (optional)"))
            let (revokeHeaders, revokeBody) = D.form(h, .user, [("csrf_token", token)])
            let revoked = try await client.execute(uri: "/console/keys/\(mine.id)/revoke", method: .post, headers: revokeHeaders, body: revokeBody)
            #expect(revoked.status == .seeOther)
            #expect(revoked.headers[.location] == "/console/keys?done=revoked")
            #expect(try await h.context.keys.introspect(String(value)) == nil, "the revoked key no longer introspects")
            #expect(try await h.context.keys.key(id: mine.id).key.revocationCause == .owner)
        }
    }

    @Test("API Keys lists, filters by owner and status, searches as a fragment, and revokes with a required reason")
    func adminKeys() async throws {
        let h = try await AdminHarness()
        let carol = try #require(h.users[.user])
        let key = try await h.context.keys.create(for: carol, name: "carol-ci", lifetime: nil, purpose: .gateway, by: .cli)
        try await h.test { client in
            let list = try await client.execute(uri: "/admin/keys?q=&status=&owner=", method: .get, headers: h.browser(.userAdmin))
            #expect(list.status == .ok)
            let page = D.html(list)
            #expect(page.contains("carol-ci"))
            #expect(page.contains("<option value=\"\(carol)\">user@example.com</option>"), "the Owner filter lists key owners by email")
            for label in ["Search", "Status", "Owner"] { #expect(page.contains(">\(label)</label>")) }

            let byOwner = try await client.execute(
                uri: "/admin/keys?owner=\(carol)&sort=last_used&order=asc",
                method: .get,
                headers: h.browser(.userAdmin)
            )
            #expect(D.html(byOwner).contains("carol-ci"))
            #expect(D.html(byOwner).components(separatedBy: "data-key-id=").count == 2, "only carol's key, not the admins' own")

            var fragmentHeaders = h.browser(.userAdmin)
            fragmentHeaders[PageInput.fragmentHeader] = "results"
            let fragment = try await client.execute(uri: "/admin/keys?q=carol-c", method: .get, headers: fragmentHeaders)
            #expect(D.html(fragment).hasPrefix("<div id=\"results\">"))
            #expect(D.html(fragment).contains("carol-ci"))

            let detail = try await client.execute(uri: "/admin/keys/\(key.key.id)", method: .get, headers: h.browser(.userAdmin))
            #expect(D.html(detail).contains("<svg role=\"img\""))
            #expect(D.html(detail).contains("id=\"revoke\""))
            let token = try D.formToken(detail)

            let (noReasonHeaders, noReason) = D.form(h, .userAdmin, [("csrf_token", token), ("reason", "")])
            let refused = try await client.execute(uri: "/admin/keys/\(key.key.id)/revoke", method: .post, headers: noReasonHeaders, body: noReason)
            #expect(refused.status == .unprocessableContent)
            #expect(try await h.context.keys.key(id: key.key.id).key.revokedAt == nil)

            let (headers, body) = D.form(h, .userAdmin, [("csrf_token", token), ("reason", "leaked in a CI log")])
            let revoked = try await client.execute(uri: "/admin/keys/\(key.key.id)/revoke", method: .post, headers: headers, body: body)
            #expect(revoked.status == .seeOther)
            let after = try await h.context.keys.key(id: key.key.id).key
            #expect(after.revocationCause == .admin)
            #expect(after.revocationReason == "leaked in a CI log")
            let shown = try await client.execute(uri: "/admin/keys/\(key.key.id)?done=revoked", method: .get, headers: h.browser(.userAdmin))
            #expect(D.html(shown).contains("id=\"notice\""))
            #expect(D.html(shown).contains("leaked in a CI log"))
            #expect(!D.html(shown).contains("id=\"revoke\""))
            let twice = try await client.execute(uri: "/admin/keys/\(key.key.id)/revoke", method: .get, headers: h.browser(.userAdmin))
            #expect(twice.status == .conflict)
        }
    }

    @Test("API Keys: Revoke selected confirms the chosen keys, takes one reason, and revokes them in one transaction")
    func bulkRevocation() async throws {
        let h = try await AdminHarness()
        let carol = try #require(h.users[.user])
        let keys = h.context.keys
        var made: [Int64] = []
        for name in ["exporter, \"eu\"", "old-ci", "gone"] {
            made.append(try await keys.create(for: carol, name: name, lifetime: nil, purpose: .gateway, by: .cli).key.id)
        }
        let ids = made
        _ = try await keys.revoke(id: ids[2], cause: .owner, reason: nil, by: .cli)
        try await h.test { client in
            // The hygiene view lists active keys only, each with a checkbox; "any" lists them all.
            let hygiene = D.html(try await client.execute(uri: "/admin/keys?sort=last_used&order=asc", method: .get, headers: h.browser(.userAdmin)))
            #expect(hygiene.contains("name=\"id\" value=\"\(ids[0])\"") && hygiene.contains("id=\"revoke-selected\""))
            #expect(!hygiene.contains("data-key-id=\"\(ids[2])\""), "a revoked key is noise in the hygiene view")
            #expect(hygiene.contains("<option value=\"active\" selected>"))
            let any = D.html(
                try await client.execute(uri: "/admin/keys?status=any&sort=last_used&order=asc", method: .get, headers: h.browser(.userAdmin))
            )
            #expect(any.contains("data-key-id=\"\(ids[2])\"") && !any.contains("name=\"id\" value=\"\(ids[2])\""))
            #expect(any.contains("status=any&amp;sort=name"), "the sort links keep 'any'")

            let none = try await client.execute(uri: "/admin/keys/revoke", method: .get, headers: h.browser(.userAdmin))
            #expect(none.status == .badRequest && D.html(none).contains("Tick the keys to revoke"))
            let missing = try await client.execute(uri: "/admin/keys/revoke?id=\(ids[0])&id=99999", method: .get, headers: h.browser(.userAdmin))
            #expect(missing.status == .notFound)

            let confirm = try await client.execute(
                uri: "/admin/keys/revoke?id=\(ids[0])&id=\(ids[1])&id=\(ids[2])",
                method: .get,
                headers: h.browser(.userAdmin)
            )
            #expect(confirm.status == .ok)
            let page = D.html(confirm)
            #expect(page.contains("Revoke 2 keys") && page.contains("exporter, &quot;eu&quot;") && page.contains("old-ci"))
            #expect(page.contains("id=\"left-out\"") && page.contains("Left out, already revoked: gone"))
            #expect(!page.contains("name=\"id\" value=\"\(ids[2])\""))
            let token = try D.formToken(confirm)

            let chosen = [("id", "\(ids[0])"), ("id", "\(ids[1])")]
            let (noReasonHeaders, noReason) = D.form(h, .userAdmin, [("csrf_token", token), ("reason", " ")] + chosen)
            let refused = try await client.execute(uri: "/admin/keys/revoke", method: .post, headers: noReasonHeaders, body: noReason)
            #expect(refused.status == .unprocessableContent && D.html(refused).contains("Give a reason"))
            let (staleHeaders, staleBody) = D.form(h, .userAdmin, [("csrf_token", token), ("reason", "unused"), ("id", "\(ids[2])")] + chosen)
            let conflict = try await client.execute(uri: "/admin/keys/revoke", method: .post, headers: staleHeaders, body: staleBody)
            #expect(conflict.status == .conflict && D.html(conflict).contains("Nothing was revoked"))
            #expect(try await keys.key(id: ids[0]).key.revokedAt == nil, "a refused batch revokes none")

            let (headers, body) = D.form(h, .userAdmin, [("csrf_token", token), ("reason", "no legitimate consumer")] + chosen)
            let revoked = try await client.execute(uri: "/admin/keys/revoke", method: .post, headers: headers, body: body)
            #expect(revoked.status == .seeOther)
            let location = try #require(revoked.headers[.location])
            #expect(location.contains("done=revoked&count=2"))
            let shown = D.html(try await client.execute(uri: location, method: .get, headers: h.browser(.userAdmin)))
            #expect(shown.contains("2 keys revoked: they no longer work anywhere"))
        }
        for id in ids.prefix(2) {
            let key = try await keys.key(id: id).key
            #expect(key.revocationReason == "no legitimate consumer" && key.revokedBy == .user(h.users[.userAdmin]!))
        }
        let events = try await h.store.auditEvents(matching: AuditQuery(action: .keyRevoked)).events.filter { $0.details[.cause] == "admin" }
        #expect(events.count == 2)
    }

    @Test("Audit filters by email, action and time; a bad time keeps the form and says what is wrong")
    func audit() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let byEmail = try await client.execute(
                uri: "/admin/audit?user=model_admin%40example.com&action=user.created&actor=&since=2000-01-01&until=",
                method: .get,
                headers: h.browser(.superAdmin)
            )
            #expect(byEmail.status == .ok)
            let page = D.html(byEmail)
            #expect(page.components(separatedBy: "<code>user.created</code>").count == 2)
            #expect(page.contains("href=\"/admin/users/\(try #require(h.users[.modelAdmin]))\""))

            let bad = try await client.execute(uri: "/admin/audit?since=yesterday", method: .get, headers: h.browser(.superAdmin))
            #expect(bad.status == .badRequest)
            #expect(D.html(bad).contains("id=\"error\">since: &#39;since&#39; is an RFC 3339 time"))
            #expect(D.html(bad).contains("value=\"yesterday\""))

            let unknown = try await client.execute(uri: "/admin/audit?user=nobody%40example.com", method: .get, headers: h.browser(.superAdmin))
            #expect(unknown.status == .notFound)
            #expect(D.html(unknown).contains("No events match."))
        }
    }

    @Test("Audit reads as sentences: people by name and email with a link, keys by name and prefix, the JSON one click away")
    func auditSentences() async throws {
        let h = try await AdminHarness()
        let root = try #require(h.users[.superAdmin])
        let owner = try #require(h.users[.modelAdmin])
        let keys = KeyService(store: h.store)
        let key = try await keys.create(for: owner, name: "grafana-exporter-11", lifetime: nil, purpose: .gateway, by: .user(owner))
        _ = try await keys.revoke(id: key.key.id, cause: .admin, reason: "found in a public repository", by: .user(root))
        try await h.test { client in
            let response = try await client.execute(uri: "/admin/audit?action=key.revoked", method: .get, headers: h.browser(.superAdmin))
            #expect(response.status == .ok)
            let page = D.html(response)
            let sentence =
                "<a href=\"/admin/users/\(root)\" title=\"super_admin@example.com\">The super_admin</a> revoked "
                + "<code>grafana-exporter-11</code> (<code>\(key.key.prefix)</code>) of "
                + "<a href=\"/admin/users/\(owner)\" title=\"model_admin@example.com\">The model_admin</a>: found in a public repository"
            #expect(page.contains(sentence), "\(page)")
            #expect(page.contains("<details class=\"raw\"><summary>Details</summary><p><code>key.revoked</code> by <code>user:\(root)</code>"))
            #expect(page.contains("&quot;reason&quot;:&quot;found in a public repository&quot;"))

            // The search: the key by its name finds its two events; a person finds what they did.
            let byKey = D.html(try await client.execute(uri: "/admin/audit?q=grafana-exporter", method: .get, headers: h.browser(.superAdmin)))
            #expect(byKey.components(separatedBy: "<tr id=\"event-").count - 1 == 2, "\(byKey)")
            #expect(byKey.contains("value=\"grafana-exporter\""))
            let byRoot = D.html(
                try await client.execute(
                    uri: "/admin/audit?q=super_admin%40example.com&action=key.revoked",
                    method: .get,
                    headers: h.browser(.superAdmin)
                )
            )
            #expect(byRoot.contains("data-action=\"key.revoked\"") && byRoot.contains("found in a public repository"))
            let none = try await client.execute(uri: "/admin/audit?q=nobody-at-all", method: .get, headers: h.browser(.superAdmin))
            #expect(none.status == .ok)
            #expect(D.html(none).contains("No events match."))

            // The API takes the same q; too broad a one is a 400 naming it.
            let api = try await client.execute(uri: "/api/admin/audit?q=grafana-exporter", method: .get, headers: h.auth(.superAdmin))
            #expect(api.status == .ok)
            let events = try #require(try AdminHarness.json(api)["events"]?.arrayValue)
            #expect(events.compactMap { $0.objectValue?["action"]?.stringValue } == ["key.revoked", "key.created"])
        }
    }

    @Test("A search matching more people than it takes is a 400 that names q, on the page and over the API")
    func auditSearchTooBroad() async throws {
        let h = try await AdminHarness()
        for index in 0...SyncService.auditSearchLimit {
            let claims = Claims([
                "sub": .string("tenant-\(index)"), "email": .string("tenant-\(index)@example.com"), "groups": .array([.string("staff")]),
            ])
            _ = try await h.context.sync.signIn(issuer: AdminHarness.issuer, claims: claims)
        }
        try await h.test { client in
            let page = try await client.execute(uri: "/admin/audit?q=tenant", method: .get, headers: h.browser(.superAdmin))
            #expect(page.status == .badRequest)
            #expect(D.html(page).contains("q: more than 200 people or keys match &#39;tenant&#39;"))
            let api = try await client.execute(uri: "/api/admin/audit?q=tenant", method: .get, headers: h.auth(.superAdmin))
            #expect(api.status == .badRequest)
            #expect(try AdminHarness.json(api)["field"] == "q")
        }
    }

    @Test("Mapping shows the loaded rules, refuses an invalid candidate with its line and column, and dry-runs a valid one")
    func mapping() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let loaded = try await client.execute(uri: "/admin/mapping", method: .get, headers: h.browser(.userAdmin))
            #expect(D.html(loaded).contains("<code>platform-admins</code>"))
            let token = try D.formToken(loaded)

            let (badHeaders, badBody) = D.form(h, .userAdmin, [("csrf_token", token), ("mapping", "version: 1\nissuer: 3\nroles: nope\n")])
            let invalid = try await client.execute(uri: "/admin/mapping", method: .post, headers: badHeaders, body: badBody)
            #expect(invalid.status == .unprocessableContent)
            #expect(D.html(invalid).contains("id=\"mapping-problems\""))
            #expect(D.html(invalid).contains("line 2, column") || D.html(invalid).contains("line 3, column"))
            #expect(D.html(invalid).contains("roles: nope"), "the candidate stays in the form")

            let candidate = AdminHarness.mapping.replacingOccurrences(of: "contains: ml }", with: "contains: staff }")
            let (headers, body) = D.form(h, .userAdmin, [("csrf_token", token), ("mapping", candidate)])
            let result = try await client.execute(uri: "/admin/mapping", method: .post, headers: headers, body: body)
            #expect(result.status == .ok)
            let page = D.html(result)
            #expect(page.contains("id=\"dry-run-result\""))
            #expect(page.contains("user@example.com"), "staff would now be covered by rule ml")
            #expect(page.contains("rule ‘ml’ in request"))
            #expect(try await h.store.user(id: try #require(h.users[.user]))?.role == .user, "a dry run writes nothing")
        }
    }

    @Test("a user's page sums their keys' requests and lists each key's")
    func userKeyUsage() async throws {
        let h = try await AdminHarness()
        let owner = try #require(h.users[.user])
        let busy = try await h.context.keys.create(for: owner, name: "busy", lifetime: nil, purpose: .gateway, by: .cli)
        let quiet = try await h.context.keys.create(for: owner, name: "quiet", lifetime: nil, purpose: .gateway, by: .cli)
        for _ in 0..<7 { _ = try await h.context.keys.introspect(busy.value) }
        _ = try await h.context.keys.introspect(quiet.value)
        try await h.context.keys.usage.flush(to: h.store)
        try await h.test { client in
            let page = D.html(try await client.execute(uri: "/admin/users/\(owner)", method: .get, headers: h.browser(.superAdmin)))
            #expect(page.contains("<span class=\"value\">8</span> <span class=\"label\">key requests, 90 days</span>"))
            #expect(page.contains("<span class=\"value\">2 of 2</span>"))
            #expect(page.contains(">busy</a></td>"))
            #expect(page.contains("<td class=\"num\">7</td>"))
            #expect(page.contains("<td class=\"num\">1</td>"))
        }
    }

    @Test("an unknown dashboard page is a 404 page; a non-numeric id too")
    func notFound() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            for path in ["/admin/users/999999", "/admin/users/abc", "/admin/keys/77777", "/admin/nothing-here"] {
                let response = try await client.execute(uri: path, method: .get, headers: h.browser(.superAdmin))
                #expect(response.status == .notFound, "\(path)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
            }
        }
    }

    @Test("a Users page of 50 long rows weighs under 100 KB")
    func pageWeight() async throws {
        let h = try await AdminHarness()
        for index in 0..<60 {
            _ = try await h.context.sync.signIn(
                issuer: AdminHarness.issuer,
                claims: Claims([
                    "sub": .string("bulk-\(index)"), "email": .string("a.rather.long.address.number.\(index)@departments.example.com"),
                    "name": .string("Person With A Fairly Long Name Number \(index)"), "groups": .array([.string("staff")]),
                ])
            )
        }
        try await h.test { client in
            let response = try await client.execute(uri: "/admin/users", method: .get, headers: h.browser(.superAdmin))
            #expect(D.html(response).components(separatedBy: "data-user-id=").count == 51)
            #expect(response.body.readableBytes < 100_000, "\(response.body.readableBytes) bytes")
            let css = try await client.execute(uri: "/assets/app.css", method: .get)
            let js = try await client.execute(uri: "/assets/app.js", method: .get)
            #expect(response.body.readableBytes + css.body.readableBytes + js.body.readableBytes < 100_000)
        }
    }

    // MARK: View models

    @Test("PageURL keeps filters in order, drops empty ones, and escapes + so a form decoder reads it back")
    func pageURL() {
        let url = PageURL("/admin/users", [("q", "a+b c"), ("role", nil), ("status", ""), ("sort", "name")])
        #expect(url.string == "/admin/users?q=a%2Bb%20c&sort=name")
        #expect(url.with([("cursor", "xyz"), ("sort", nil)]) == "/admin/users?q=a%2Bb%20c&cursor=xyz")
        #expect(PageURL("/admin/keys", []).string == "/admin/keys")
    }

    @Test("a sortable column sorts ascending first and toggles on the current column")
    func sortColumns() {
        let url = PageURL("/admin/users", [("q", "x"), ("sort", "name"), ("order", "asc"), ("cursor", "c")])
        let current = sortColumn("Name", sort: UsersQuery.Sort.name, current: .name, order: .ascending, url: url)
        #expect(current.ariaSort == "ascending")
        #expect(current.href == "/admin/users?q=x&sort=name&order=desc")
        let other = sortColumn("Email", sort: UsersQuery.Sort.email, current: .name, order: .ascending, url: url)
        #expect(other.ariaSort == nil)
        #expect(other.href == "/admin/users?q=x&sort=email&order=asc")
        #expect(sortColumn("Status", sort: UsersQuery.Sort?.none, current: .name, order: .ascending, url: url).href == nil)
    }

    @Test("the usage chart scales to the busiest day and never hides a day with requests")
    func usageChart() {
        let usage = (0..<90).map { KeyUsageDay(day: 20_000 + $0, requests: $0 == 89 ? 1_000 : ($0 == 10 ? 1 : 0)) }
        let chart = UsageChart(usage)
        #expect(chart.bars.count == 90)
        #expect(chart.total == 1_001)
        #expect(chart.max == 1_000)
        #expect(chart.bars[89].height == chart.plotBottom - chart.plotTop)
        #expect(chart.bars[10].height == 1, "one request out of a thousand is still drawn")
        #expect(chart.bars[0].height == 0)
        #expect(chart.bars.allSatisfy { $0.x + $0.width <= chart.width && $0.y + $0.height == chart.plotBottom })
        #expect(chart.busyDays.map(\.requests) == [1_000, 1])
        #expect(UsageChart([]).bars.isEmpty)
    }

    @Test("who manages a role, and the lock sentence for covered users only")
    func roleManagement() async throws {
        let h = try await AdminHarness()
        let coveredID = try #require(h.users[.superAdmin])
        let covered = try #require(try await h.store.user(id: coveredID))
        let management = RoleManagement(covered, h.context.sync.eligibility(of: covered))
        #expect(management.sentence == "Role managed by the identity provider: rule ‘platform-admins’ in idp.yaml.")
        #expect(management.lock?.contains("gives super_admin") == true)
        #expect(management.lock?.contains("change the user's groups in the identity provider") == true)
        let manualID = try #require(h.users[.userAdmin])
        let manual = try #require(try await h.store.user(id: manualID))
        let unlocked = RoleManagement(manual, h.context.sync.eligibility(of: manual))
        #expect(unlocked.lock == nil)
        #expect(unlocked.sentence == "Role managed manually: set by an administrator; no rule of the mapping covers this user.")
    }

    @Test("the form token is bound to its session and compared whole")
    func formTokens() {
        let a = FormToken.derive(fromSession: "session-a")
        #expect(a == FormToken.derive(fromSession: "session-a"))
        #expect(a != FormToken.derive(fromSession: "session-b"))
        #expect(a.count == 43)
        #expect(FormToken.matches(a, a))
        #expect(!FormToken.matches(String(a.dropLast()), a))
        #expect(!FormToken.matches("", a))
    }
}
