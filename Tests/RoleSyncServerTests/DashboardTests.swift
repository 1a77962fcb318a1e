import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncBuildInfo
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@testable import RoleSyncServer

/// The Admin Dashboard and the Console as pages, through the whole router: access, forms and their
/// token, escaping, the listings' fragments, and each action's effect on the ledger.
@Suite struct DashboardTests {
    /// A page's body as text.
    static func html(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// The form token a page carries in its forms; throws when it has none.
    static func formToken(_ response: TestResponse) throws -> String {
        let page = html(response)
        guard let range = page.range(of: "name=\"csrf_token\" value=\"") else { throw DashboardError.noFormToken }
        let rest = page[range.upperBound...]
        guard let end = rest.firstIndex(of: "\""), rest.startIndex < end else { throw DashboardError.noFormToken }
        return String(rest[..<end])
    }

    enum DashboardError: Error { case noFormToken }

    /// A form post from this site with the browser of `role`.
    static func form(_ h: AdminHarness, _ role: Role, _ fields: [(String, String)], origin: String? = AdminHarness.origin) -> (HTTPFields, ByteBuffer)
    {
        var headers = h.browser(role)
        headers[.contentType] = "application/x-www-form-urlencoded"
        if let origin { headers[.origin] = origin }
        let body = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        return (headers, ByteBuffer(string: body))
    }

    // MARK: Access

    @Test("without a session, every page redirects to sign-in and back", arguments: ["/admin/users?q=x", "/admin", "/console/keys", "/admin/keys/1"])
    func signedOutRedirects(_ path: String) async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .found)
            let location = try #require(response.headers[.location])
            let components = try #require(URLComponents(string: location))
            #expect(components.path == "/auth/login")
            #expect(components.queryItems?.first { $0.name == "return_to" }?.value == path)
        }
    }

    @Test("user and model_admin are refused the dashboard with a 403 page, and reach the Console", arguments: [Role.user, .modelAdmin])
    func nonAdminsRefused(_ role: Role) async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            for path in ["/admin/users", "/admin/keys", "/admin/audit", "/admin/mapping", "/admin/users/1"] {
                let response = try await client.execute(uri: path, method: .get, headers: h.browser(role))
                #expect(response.status == .forbidden, "\(path)")
                #expect(Self.html(response).contains("<h1>Not permitted</h1>"))
            }
            let console = try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(role))
            #expect(console.status == .ok)
            #expect(!Self.html(console).contains("href=\"/admin/users\""), "the sidebar offers no admin section")
            let home = try await client.execute(uri: "/", method: .get, headers: h.browser(role))
            #expect(Self.html(home).contains("id=\"open-console\""))
            #expect(!Self.html(home).contains("id=\"open-dashboard\""))
        }
    }

    @Test("admins see the dashboard, with the sections in the sidebar and a strict policy", arguments: [Role.userAdmin, .superAdmin])
    func adminsSeeTheDashboard(_ role: Role) async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let redirect = try await client.execute(uri: "/admin", method: .get, headers: h.browser(role))
            #expect(redirect.status == .found)
            #expect(redirect.headers[.location] == "/admin/users")
            let response = try await client.execute(uri: "/admin/users", method: .get, headers: h.browser(role))
            #expect(response.status == .ok)
            let page = Self.html(response)
            for section in ["/admin/users", "/admin/keys", "/admin/audit", "/admin/mapping", "/console/keys"] {
                #expect(page.contains("href=\"\(section)\""), "\(section)")
            }
            #expect(page.contains("<p class=\"build\">RoleSync \(BuildInfo.version) · \(BuildInfo.commit)</p>"), "the sidebar says what runs")
            #expect(page.contains("<label for=\"q\">Search</label>"))
            #expect(page.contains("<label for=\"role\">Role</label>"))
            #expect(page.contains("<label for=\"status\">Status</label>"))
            for role in Role.allCases { #expect(page.contains("\(role.rawValue)@example.com")) }
            let policy = try #require(response.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'"))
            #expect(policy.contains("style-src 'self'"))
            #expect(!policy.contains("unsafe-inline"))
            #expect(!page.contains("style=\""), "no inline style")
            #expect(!page.contains("<script>"), "no inline script")
            #expect(response.headers[.cacheControl] == "no-store")
            let home = try await client.execute(uri: "/", method: .get, headers: h.browser(role))
            #expect(Self.html(home).contains("id=\"open-dashboard\""))
        }
    }

    // MARK: Listing

    @Test("search, filters, sorting and the results fragment")
    func usersListing() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let search = try await client.execute(uri: "/admin/users?q=model", method: .get, headers: h.browser(.superAdmin))
            let page = Self.html(search)
            #expect(page.contains("model_admin@example.com"))
            #expect(!page.contains("user_admin@example.com"))
            #expect(page.contains("value=\"model\""), "the search box keeps the text")

            let role = try await client.execute(uri: "/admin/users?role=super_admin", method: .get, headers: h.browser(.superAdmin))
            #expect(Self.html(role).components(separatedBy: "data-user-id=").count == 2)
            #expect(Self.html(role).contains("<option value=\"super_admin\" selected>"))

            var headers = h.browser(.superAdmin)
            headers[PageInput.fragmentHeader] = "results"
            let fragment = try await client.execute(uri: "/admin/users?q=user_admin", method: .get, headers: headers)
            #expect(fragment.status == .ok)
            let rows = Self.html(fragment)
            #expect(rows.hasPrefix("<div id=\"results\">"))
            #expect(!rows.contains("<html"))
            #expect(rows.contains("user_admin@example.com"))
            #expect(!rows.contains("super_admin@example.com"))
            #expect(fragment.headers[.vary] == "X-RoleSync-Fragment")

            #expect(search.headers[.vary] == "X-RoleSync-Fragment", "one URL answers a page or a fragment")
            let sorted = try await client.execute(uri: "/admin/users?sort=email&order=desc", method: .get, headers: h.browser(.superAdmin))
            let sortedPage = Self.html(sorted)
            #expect(sortedPage.contains("aria-sort=\"descending\""))
            let emails = Role.allCases.map { "\($0.rawValue)@example.com" }.sorted(by: >)
            // Every user's email must be on the page, in this order: a missing one fails, never drops out.
            let positions = try emails.map { email in try #require(sortedPage.range(of: email)?.lowerBound, "\(email) is listed") }
            #expect(positions == positions.sorted(), "rows in descending email order")

            let bad = try await client.execute(uri: "/admin/users?role=owner", method: .get, headers: h.browser(.superAdmin))
            #expect(bad.status == .badRequest)
            #expect(Self.html(bad).contains("&#39;owner&#39; is not a valid role"))
        }
    }

    @Test("a listing pages with a cursor: next page, then first page")
    func paging() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let first = try await client.execute(uri: "/admin/users?limit=2", method: .get, headers: h.browser(.superAdmin))
            let page = Self.html(first)
            #expect(page.components(separatedBy: "data-user-id=").count == 3)
            #expect(page.contains("rel=\"next\""))
            #expect(!page.contains(">First page<"))
            let beforeNext = try #require(page.components(separatedBy: "\" rel=\"next\"").first)
            let href = try #require(beforeNext.components(separatedBy: "href=\"").last)
            #expect(href.contains("cursor="))
            let nextPage = try await client.execute(
                uri: href.replacingOccurrences(of: "&amp;", with: "&"),
                method: .get,
                headers: h.browser(.superAdmin)
            )
            #expect(nextPage.status == .ok)
            #expect(Self.html(nextPage).contains(">First page<"))
        }
    }

    @Test("names are escaped: a user called <script> renders as text")
    func escaping() async throws {
        let h = try await AdminHarness()
        let result = try await h.context.sync.signIn(
            issuer: AdminHarness.issuer,
            claims: Claims([
                "sub": .string("mallory"), "email": .string("mallory@example.com"),
                "name": .string("<script>alert('x')</script>"), "groups": .array([.string("staff")]),
            ])
        )
        let mallory = try #require(result.user)
        try await h.test { client in
            for path in ["/admin/users", "/admin/users/\(mallory.id)", "/admin/audit"] {
                let page = Self.html(try await client.execute(uri: path, method: .get, headers: h.browser(.superAdmin)))
                #expect(!page.contains("<script>alert"), "\(path)")
                #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "\(path)")
            }
        }
    }

    // MARK: Forms

    @Test("a form without the session's token, with another session's, or from another site changes nothing")
    func formProtection() async throws {
        let h = try await AdminHarness()
        let target = try #require(h.users[.user])
        try await h.test { client in
            let detail = try await client.execute(uri: "/admin/users/\(target)", method: .get, headers: h.browser(.superAdmin))
            let token = try Self.formToken(detail)
            let otherToken = try Self.formToken(try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(.userAdmin)))
            #expect(token != otherToken)
            let attempts: [(String, [(String, String)], String?)] = [
                ("no token", [("role", "model_admin")], AdminHarness.origin),
                ("another session's token", [("csrf_token", otherToken), ("role", "model_admin")], AdminHarness.origin),
                ("another site", [("csrf_token", token), ("role", "model_admin")], "https://evil.example"),
                ("an opaque origin", [("csrf_token", token), ("role", "model_admin")], "null"),
            ]
            for (what, fields, origin) in attempts {
                let (headers, body) = Self.form(h, .superAdmin, fields, origin: origin)
                let response = try await client.execute(uri: "/admin/users/\(target)/role", method: .post, headers: headers, body: body)
                #expect(response.status == .forbidden, "\(what)")
                #expect(Self.html(response).contains("csrf_failed"), "\(what)")
            }
            #expect(try await h.store.user(id: target)?.role == .user)

            let (headers, body) = Self.form(h, .superAdmin, [("csrf_token", token), ("role", "model_admin")])
            let saved = try await client.execute(uri: "/admin/users/\(target)/role", method: .post, headers: headers, body: body)
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/admin/users/\(target)?done=role")
            #expect(try await h.store.user(id: target)?.role == .modelAdmin)
            let after = try await client.execute(uri: "/admin/users/\(target)?done=role", method: .get, headers: h.browser(.superAdmin))
            #expect(Self.html(after).contains("id=\"notice\">Role changed to model_admin.<"))
        }
    }

    @Test("a covered user's role control is disabled, names the rule, and a forged post is refused")
    func coveredUserLocked() async throws {
        let h = try await AdminHarness()
        let covered = try #require(h.users[.superAdmin])
        try await h.test { client in
            let response = try await client.execute(uri: "/admin/users/\(covered)", method: .get, headers: h.browser(.userAdmin))
            let page = Self.html(response)
            #expect(page.contains("<select id=\"role-select\" name=\"role\" disabled"))
            #expect(page.contains("id=\"save-role\" disabled"))
            #expect(page.contains("id=\"role-locked\""))
            #expect(page.contains("rule ‘platform-admins’ in idp.yaml"))
            #expect(page.contains("change the user&#39;s groups in the identity provider"))

            let token = try Self.formToken(try await client.execute(uri: "/admin/users", method: .get, headers: h.browser(.superAdmin)))
            let (headers, body) = Self.form(h, .superAdmin, [("csrf_token", token), ("role", "user")])
            let refused = try await client.execute(uri: "/admin/users/\(covered)/role", method: .post, headers: headers, body: body)
            #expect(refused.status == .conflict)
            #expect(Self.html(refused).contains("id=\"error\""))
            #expect(try await h.store.user(id: covered)?.role == .superAdmin)
        }
    }

    @Test("offboarding asks for a reason, then revokes keys, ends sessions and deactivates")
    func offboarding() async throws {
        let h = try await AdminHarness()
        let leaver = try #require(h.users[.user])
        let key = try await h.context.keys.create(for: leaver, name: "leaver-gateway", lifetime: nil, purpose: .gateway, by: .cli)
        try await h.test { client in
            let confirm = try await client.execute(uri: "/admin/users/\(leaver)/offboard", method: .get, headers: h.browser(.userAdmin))
            #expect(confirm.status == .ok)
            let page = Self.html(confirm)
            #expect(page.contains("leaver-gateway"))
            #expect(page.contains("<textarea id=\"reason\" name=\"reason\""))
            let token = try Self.formToken(confirm)

            let (noReasonHeaders, noReason) = Self.form(h, .userAdmin, [("csrf_token", token), ("reason", "  ")])
            let refused = try await client.execute(uri: "/admin/users/\(leaver)/offboard", method: .post, headers: noReasonHeaders, body: noReason)
            #expect(refused.status == .unprocessableContent)
            #expect(Self.html(refused).contains("Give a reason"))
            #expect(try await h.store.user(id: leaver)?.status == .active)

            let (headers, body) = Self.form(h, .userAdmin, [("csrf_token", token), ("reason", "left the company")])
            let done = try await client.execute(uri: "/admin/users/\(leaver)/offboard", method: .post, headers: headers, body: body)
            #expect(done.status == .seeOther)
            let location = try #require(done.headers[.location])
            #expect(location.hasPrefix("/admin/users/\(leaver)?done=offboarded&keys=1&sessions="))
            #expect(try await h.store.user(id: leaver)?.status == .inactive)
            let revoked = try await h.context.keys.key(id: key.key.id)
            #expect(revoked.key.revokedAt != nil)
            #expect(revoked.key.revocationCause == .offboarding)
            // The leaver's own browser is signed out.
            let theirs = try await client.execute(uri: "/console/keys", method: .get, headers: h.browser(.user))
            #expect(theirs.status == .found)
            let after = try await client.execute(uri: location, method: .get, headers: h.browser(.userAdmin))
            #expect(Self.html(after).contains("Offboarded: 1 API key revoked"))
            #expect(Self.html(after).contains("id=\"reactivate\""))
        }
    }
}
