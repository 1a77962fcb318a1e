import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@testable import RoleSyncServer

/// Browser mode: sign-in in front of any internal page, through a gateway's forward authentication.
@Suite("Gateway check: browsers")
struct BrowserGatewayTests {
    typealias G = GatewayCheckTests

    static let allowed = ReturnAddresses(allowedHosts: ["grafana.example.com", "*.tools.example.com"])

    @Test(
        "Return addresses: a path here, or https on an allowed host; nothing an open redirect could use",
        arguments: [
            ("/admin/users?q=x", true), ("https://grafana.example.com/d/abc?orgId=1&x=%2F", true),
            ("https://GRAFANA.example.com/", true), ("https://grafana.example.com:443/x", true), ("https://grafana.example.com", true),
            ("https://wiki.tools.example.com/page#top", true),
            ("https://evil.test/", false), ("https://grafana.example.com.evil.test/", false), ("https://evil-grafana.example.com/", false),
            ("https://a.b.tools.example.com/", false), ("https://tools.example.com/", false), ("https://.tools.example.com/", false),
            ("http://grafana.example.com/", false), ("https://grafana.example.com@evil.test/", false),
            ("https://evil.test@grafana.example.com/", false), ("https://grafana.example.com:8443/", true), ("https://grafana.example.com:0/", false),
            ("https://grafana.example.com:65536/", false), ("https://grafana.example.com:/", false), ("https://grafana.example.com:+1/", false),
            ("https://grafana.example.com\\@evil.test/", false), ("https:\\\\grafana.example.com/", false), ("/\\evil.test", false),
            ("//evil.test/", false), ("https:%2F%2Fgrafana.example.com/", false), ("https://grafana.example.com%2F@evil.test/", false),
            ("https://grafana%2Eexample.com/", false), ("/%2F%2Fevil.test", true), ("https://grafana.example.com/\u{0}", false),
            ("https://grafana.example.com/ x", false), ("javascript:alert(1)", false), ("https://[::1]/", false), ("", false),
        ] as [(String, Bool)]
    )
    func returnAddresses(_ text: String, _ accepted: Bool) {
        #expect((Self.allowed.validated(text) != nil) == accepted, "\(text)")
        #expect(ReturnAddresses().url(text) == nil, "no allowed host: no URL")
    }

    static func server(_ h: AdminHarness) -> ServerContext {
        var context = G.server(h)
        context.returnAddresses = allowed
        return context
    }

    @Test("A browser without a session: 401 with Location to sign-in returning to the page; not for keys, APIs or other hosts")
    func signInRedirect() async throws {
        let h = try await AdminHarness()
        let key = try await h.context.keys.create(for: h.users[.user]!, name: "app", lifetime: nil, purpose: .gateway, by: .cli)
        let page: HTTPFields = [
            .accept: "text/html,application/xhtml+xml", HTTPFields.Element.Name("X-Forwarded-Proto")!: "https",
            HTTPFields.Element.Name("X-Forwarded-Host")!: "grafana.example.com",
            HTTPFields.Element.Name("X-Forwarded-Uri")!: "/d/abc?orgId=1&from=now+1h",
        ]
        try await Application(router: Self.server(h).makeRouter()).test(.router) { client in
            let redirect = try await G.check(client, page)
            #expect(redirect.status == .unauthorized)
            let location = try #require(redirect.headers[.location])
            #expect(location == "https://rolesync.example.com/auth/login?return_to=https://grafana.example.com/d/abc?orgId%3D1%26from%3Dnow%2B1h")
            let query = try #require(URLComponents(string: location)?.queryItems)
            #expect(query == [URLQueryItem(name: "return_to", value: "https://grafana.example.com/d/abc?orgId=1&from=now+1h")])
            #expect(redirect.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: redirect.body).contains("http-equiv=\"refresh\""), "Traefik passes the page on: it redirects by itself")

            // nginx sends the whole address; Envoy's path prefix with the Host header.
            let nginx = try await G.check(
                client,
                [.accept: "text/html", HTTPFields.Element.Name("X-Original-URL")!: "https://wiki.tools.example.com/x"]
            )
            #expect(nginx.headers[.location]?.hasSuffix("return_to=https://wiki.tools.example.com/x") == true)
            let envoy = try await client.execute(
                uri: "/gateway/check/w/page?a=1",
                method: .get,
                headers: [G.token: G.secret, .accept: "text/html", HTTPFields.Element.Name("X-Forwarded-Proto")!: "https"]
            )
            #expect(envoy.status == .unauthorized)

            var other = page
            other[HTTPFields.Element.Name("X-Forwarded-Host")!] = "grafana.example.com.evil.test"
            var api = page
            api[.accept] = "application/json"
            var withKey = page
            withKey[.authorization] = "Bearer rsk_000000000000000000000000000000000000000000"
            var revokedKey = page
            revokedKey[.authorization] = "Bearer \(key.value)"
            _ = try await h.context.keys.revoke(id: key.key.id, cause: .admin, reason: "test", by: .cli)
            for (headers, why) in [(other, "another host"), (api, "an API client"), (withKey, "a key"), (revokedKey, "a revoked key")] {
                let refused = try await G.check(client, headers)
                #expect(refused.status == .unauthorized, "\(why)")
                #expect(refused.headers[.location] == nil, "\(why)")
                #expect(refused.headers[.contentType] == "application/problem+json", "\(why)")
            }
            #expect(try await G.check(client, gateway: "wrong", page).headers[.location] == nil, "nothing for a caller that is no gateway")
        }
    }

    @Test("A signed-in browser passes with its identity; one whose role is not allowed gets a page saying so")
    func signedIn() async throws {
        let h = try await AdminHarness()
        var browser = h.browser(.billingAdmin)
        browser[.accept] = "text/html"
        let cookie = browser
        try await Application(router: Self.server(h).makeRouter()).test(.router) { client in
            let passed = try await G.check(client, cookie)
            #expect(passed.status == .ok && G.header(passed, "X-RoleSync-Role") == "billing_admin")
            let refused = try await G.check(client, "/gateway/check?roles=super_admin", cookie)
            #expect(refused.status == .forbidden)
            #expect(refused.headers[.contentType]?.hasPrefix("text/html") == true)
            let page = String(buffer: refused.body)
            #expect(page.contains("billing_admin") && page.contains("role_not_allowed"))
            // Shown on the protected host: the style sheet and the way back are at RoleSync's public URL.
            let base = AdminHarness.origin
            #expect(page.contains(#"href="\#(base)/assets/app.css"#), "\(page)")
            #expect(page.contains(#"href="\#(base)/""#), "\(page)")
            #expect(refused.headers[.cacheControl] == "no-store")
        }
    }

    @Test("With a cookie domain the session cookie is __Secure-, carries Domain, and sign-out deletes it there")
    func cookieDomain() {
        let cookies = ServerCookies(isSecure: true, domain: "example.com")
        #expect(cookies.session == "__Secure-rolesync_session" && cookies.login == "__Host-rolesync_login")
        let cookie = cookies.session(value: "t", maxAge: 60)
        #expect(cookie.domain == "example.com" && cookie.secure && cookie.httpOnly && cookie.sameSite == .lax && cookie.path == "/")
        #expect(cookies.expiredSession().domain == "example.com" && cookies.expiredSession().maxAge == 0)
        let hostOnly = ServerCookies(isSecure: true)
        #expect(hostOnly.session == "__Host-rolesync_session" && hostOnly.session(value: "t", maxAge: 60).domain == nil)
    }
}
