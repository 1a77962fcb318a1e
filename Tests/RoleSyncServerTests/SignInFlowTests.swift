import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncBuildInfo
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncTestSupport
import Testing

/// The whole browser flow through a loopback scenario provider: `/auth/login` → provider →
/// `/auth/callback` → `/api/me`, and every refusal on the way.
@Suite("Sign-in flow")
struct SignInFlowTests {
    @Test("A sign-in creates the user with the mapped role and a hardened session cookie")
    func signIn() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let login = try await harness.startLogin(client)
            #expect(login.location.hasPrefix(harness.issuer + "/authorize?"))
            #expect(login.parameters["response_type"] == "code")
            #expect(login.parameters["code_challenge_method"] == "S256")
            #expect(login.parameters["redirect_uri"] == "https://rolesync.example.com/auth/callback")
            #expect(login.cookie.hasPrefix("__Host-rolesync_login="))

            let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            let response = try await harness.callback(client, login: login, idToken: token)
            #expect(response.status == .found)
            #expect(response.headers[.location] == "/")
            let cookies = response.headers[values: .setCookie]
            let session = try #require(cookies.first { $0.hasPrefix("__Host-rolesync_session=") })
            for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=86400"] {
                #expect(session.contains(attribute), "\(session)")
            }
            #expect(!session.contains("Domain"))
            #expect(cookies.contains { $0.hasPrefix("__Host-rolesync_login=;") && $0.contains("Max-Age=0") })

            let me = try await client.execute(
                uri: "/api/me",
                method: .get,
                headers: [.cookie: String(session.split(separator: ";")[0])]
            )
            #expect(me.status == .ok)
            let body = try SignInHarness.json(me)
            #expect(body["role"] == .string("model_admin"))
            #expect(body["role_source"] == .string("idp"))
            #expect(body["email"] == .string("ada@example.com"))
            #expect(body["status"] == .string("active"))
            guard case .object(let eligibility)? = body["eligibility"] else {
                Issue.record("no eligibility")
                return
            }
            #expect(eligibility["covered"] == .bool(true))
            #expect(eligibility["rule"] == .string("engineers"))
            #expect(eligibility["manual_role_editable"] == .bool(false))
        }
        #expect(try await harness.userCount() == 1)
    }

    @Test("With an http public URL the cookies carry no Secure flag and no __Host- prefix")
    func plainHTTP() async throws {
        let harness = try await SignInHarness(publicURL: "http://127.0.0.1:8080")
        try await harness.test { client in
            let login = try await harness.startLogin(client)
            #expect(login.setCookie.hasPrefix("rolesync_login="))
            let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            let response = try await harness.callback(client, login: login, idToken: token)
            #expect(response.status == .found)
            let cookies = response.headers[values: .setCookie]
            let session = try #require(cookies.first { $0.hasPrefix("rolesync_session=") }, "\(cookies)")
            // Whole headers, attributes included: the flag must be absent, not cut off.
            for header in [login.setCookie, session] {
                let attributes = header.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                #expect(attributes.contains("httponly"), "\(header)")
                #expect(!attributes.contains("secure"), "\(header)")
                #expect(!header.contains("__Host-"), "\(header)")
            }
        }
    }

    @Test("return_to sends the browser back to a path on this site, and only there")
    func returnTo() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let login = try await harness.startLogin(client, query: "?return_to=%2Fdashboard%3Ftab%3D2")
            let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            let response = try await harness.callback(client, login: login, idToken: token)
            #expect(response.headers[.location] == "/dashboard?tab=2")
            for hostile in ["https%3A%2F%2Fevil.example.com", "%2F%2Fevil.example.com", "%2F%5Cevil.example.com", "javascript%3Aalert(1)"] {
                let refused = try await client.execute(
                    uri: "/auth/login?return_to=\(hostile)",
                    method: .get,
                    headers: [.accept: "application/json"]
                )
                #expect(refused.status == .badRequest)
                #expect(try SignInHarness.json(refused)["code"] == .string("invalid_return_to"))
            }
        }
    }

    @Test("With a cookie domain and allowed hosts: sign-in returns to the protected page, the session cookie covers the domain")
    func returnToAnotherHost() async throws {
        let harness = try await SignInHarness(cookieDomain: "example.com", allowedReturnHosts: ["*.tools.example.com"])
        try await harness.test { client in
            let page = "https://wiki.tools.example.com/page?id=7&view=full"
            let login = try await harness.startLogin(
                client,
                query: "?return_to=" + (page.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? page)
            )
            let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            let response = try await harness.callback(client, login: login, idToken: token)
            #expect(response.status == .found)
            #expect(response.headers[.location] == page)
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("__Secure-rolesync_session=") })
            #expect(cookie.contains("Domain=example.com") && cookie.contains("Secure") && cookie.contains("HttpOnly"), "\(cookie)")
            for hostile in ["https://evil.test/", "https://wiki.tools.example.com.evil.test/", "http://wiki.tools.example.com/"] {
                let refused = try await client.execute(
                    uri: "/auth/login?return_to=" + (hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? hostile),
                    method: .get,
                    headers: [.accept: "application/json"]
                )
                #expect(refused.status == .badRequest, "\(hostile)")
            }
        }
    }

    @Test("/api/me is 401 without a session; sign-out ends the session server-side")
    func meAndLogout() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let anonymous = try await client.execute(uri: "/api/me", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.contentType] == "application/problem+json")
            let problem = try SignInHarness.json(anonymous)
            #expect(problem["status"] == .number(401))
            #expect(problem["code"] == .string("not_signed_in"))

            let cookie = try await harness.signIn(client)
            let crossSite = try await client.execute(
                uri: "/auth/logout",
                method: .post,
                headers: [.cookie: cookie, .origin: "https://evil.example.com"]
            )
            #expect(crossSite.status == .forbidden)
            #expect(try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]).status == .ok)

            let logout = try await client.execute(
                uri: "/auth/logout",
                method: .post,
                headers: [.cookie: cookie, .origin: "https://rolesync.example.com", .accept: "application/json"]
            )
            #expect(logout.status == .noContent)
            #expect(try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test("A role edited by an admin shows on the user's very next request")
    func roleReadFresh() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let cookie = try await harness.signIn(client, overrides: ["groups": "[\"visitors\"]"])
            let before = try SignInHarness.json(try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]))
            #expect(before["role"] == .string("user"))
            let user = try #require(try await harness.store.user(issuer: harness.issuer, subject: "00u-ada"))
            _ = try await harness.context.sync.setRole(.billingAdmin, of: user.id, by: .cli)
            let after = try SignInHarness.json(try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]))
            #expect(after["role"] == .string("billing_admin"))
            #expect(after["role_source"] == .string("manual"))
        }
    }

    @Test("A key rotated at the provider is picked up without a restart")
    func rotation() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            _ = try await harness.signIn(client)
            harness.scenario.with { $0.keys = [TestSigningKey.p256.with(kid: "2026-12").publicJWK()] }
            let login = try await harness.startLogin(client)
            let token = TokenMinter.idToken(
                key: TestSigningKey.p256.with(kid: "2026-12"),
                alg: "ES256",
                claims: harness.claims(nonce: login.nonce)
            )
            let response = try await harness.callback(client, login: login, idToken: token)
            #expect(response.status == .found, "\(String(buffer: response.body))")
        }
    }

    @Test("/healthz and /metrics answer")
    func operations() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let body = try SignInHarness.json(health)
            #expect(body["status"] == .string("ok"))
            #expect(body["version"] == .string(BuildInfo.version))
            #expect(body["commit"] == .string(BuildInfo.commit))
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(health.headers[.init("X-Request-ID")!] != nil)
        }
    }
}

extension SignInFlowTests {
    /// The browser surface's headers: nothing loads but RoleSync's own style sheet and script (no
    /// inline script or style, so no 'unsafe-inline'), no framing, on error pages as on the rest.
    @Test("Pages and error pages carry a strict Content-Security-Policy and use only first-party files")
    func contentSecurityPolicy() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let home = try await client.execute(uri: "/", method: .get)
            let error = try await client.execute(uri: "/auth/login?idp=nope", method: .get)
            #expect(home.status == .ok)
            #expect(error.status == .badRequest)
            #expect(error.headers[.contentType] == "text/html; charset=utf-8")
            for response in [home, error] {
                let policy = try #require(response.headers[.contentSecurityPolicy], "\(response.status)")
                #expect(policy.contains("default-src 'none'"))
                #expect(policy.contains("script-src 'self'"))
                #expect(policy.contains("style-src 'self'"))
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(!policy.contains("unsafe-eval"))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.init("Referrer-Policy")!] == "same-origin")
                let page = String(buffer: response.body)
                #expect(!page.contains("<style"))
                #expect(!page.contains("style=\""))
                #expect(!page.contains("<script>"))
                #expect(page.contains("<link rel=\"stylesheet\" href=\"/assets/app.css?v="))
            }
            let css = try await client.execute(uri: "/assets/app.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let etag = try #require(css.headers[.eTag])
            let again = try await client.execute(uri: "/assets/app.css", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            let script = try await client.execute(uri: "/assets/app.js", method: .get)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(String(buffer: script.body).contains("data-live-search"))
        }
    }

    @Test("An unknown /api path is a problem-details 404; the API's answers are never cached")
    func apiNotFound() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let missing = try await client.execute(uri: "/api/nothing-here", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
            #expect(try SignInHarness.json(missing)["code"] == "not_found")
            let me = try await client.execute(uri: "/api/me", method: .get)
            #expect(me.status == .unauthorized)
            #expect(me.headers[.cacheControl] == "no-store")
            #expect(try SignInHarness.json(me)["code"] == "not_signed_in")
        }
    }
}
