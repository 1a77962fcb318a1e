import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncTestSupport
import Testing

/// Every refusal on the callback, end to end: a 4xx with a stable code, an audit event with the
/// reason, nothing created, and no code, token or nonce in the answer.
@Suite("Sign-in refusals")
struct SignInRefusalTests {
    /// One way to spoil a callback.
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var status: HTTPResponse.Status
        var code: String
        /// Builds the ID token (or nil: the provider issues none) for a login.
        var token: @Sendable (SignInHarness, SignInHarness.LoginStart) -> String?
        var query: String = ""
        /// Whether the ID token is good, so userinfo is (rightly) called before the refusal.
        var reachesUserinfo = false
    }

    static func token(
        _ harness: SignInHarness,
        _ login: SignInHarness.LoginStart,
        _ overrides: [String: String?] = [:],
        key: TestSigningKey = .rsa,
        alg: String = "RS256",
        kid: String?? = .none,
        extraHeader: String = ""
    ) -> String {
        TokenMinter.idToken(
            key: key,
            alg: alg,
            kid: kid,
            claims: harness.claims(nonce: login.nonce, overrides),
            extraHeader: extraHeader
        )
    }

    static let cases: [Case] = [
        Case(
            description: "the IdP answers error=access_denied",
            status: .badRequest,
            code: "idp_error",
            token: { _, _ in nil },
            query: "&error=access_denied&error_description=User+cancelled"
        ),
        Case(
            description: "the iss parameter names another issuer",
            status: .badRequest,
            code: "iss_parameter_mismatch",
            token: { h, l in token(h, l) },
            query: "&iss=https%3A%2F%2Fevil.example.com"
        ),
        Case(
            description: "the token endpoint refuses the code",
            status: .badRequest,
            code: "token_exchange_failed",
            token: { _, _ in nil }
        ),
        Case(
            description: "an expired ID token",
            status: .unauthorized,
            code: "id_token_expired",
            token: { h, l in token(h, l, ["exp": "\(Int(h.now.timeIntervalSince1970) - 3600)"]) }
        ),
        Case(
            description: "an ID token for another client",
            status: .unauthorized,
            code: "id_token_audience_mismatch",
            token: { h, l in token(h, l, ["aud": "\"other-client\""]) }
        ),
        Case(
            description: "an ID token from another issuer",
            status: .unauthorized,
            code: "id_token_issuer_mismatch",
            token: { h, l in token(h, l, ["iss": "\"https://evil.example.com\""]) }
        ),
        Case(
            description: "a nonce from another login",
            status: .unauthorized,
            code: "id_token_nonce_mismatch",
            token: { h, l in token(h, l, ["nonce": "\"replayed\""]) }
        ),
        Case(
            description: "a token signed by a key not the provider's",
            status: .unauthorized,
            code: "id_token_bad_signature",
            token: { h, l in token(h, l, key: .rsa2, kid: "rsa-1") }
        ),
        Case(
            description: "an unsigned token (alg none)",
            status: .unauthorized,
            code: "id_token_algorithm_not_allowed",
            token: { h, l in
                TokenMinter.token(headerJSON: "{\"alg\":\"none\"}", payloadJSON: TokenMinter.jsonObject(h.claims(nonce: l.nonce)), alg: "none")
            }
        ),
        Case(
            description: "HS256 keyed with the provider's RSA public key",
            status: .unauthorized,
            code: "id_token_algorithm_not_allowed",
            token: { h, l in
                TokenMinter.token(
                    headerJSON: "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}",
                    payloadJSON: TokenMinter.jsonObject(h.claims(nonce: l.nonce)),
                    alg: "HS256",
                    hmacSecret: Data(TestSigningKey.rsa.publicKeyPEM.utf8)
                )
            }
        ),
        Case(
            description: "a key embedded in the header",
            status: .unauthorized,
            code: "id_token_header_key",
            token: { h, l in token(h, l, key: .rsa2, kid: "rsa-1", extraHeader: ",\"jwk\":\(TestSigningKey.rsa2.publicJWK())") }
        ),
        Case(
            description: "a kid the provider never published",
            status: .unauthorized,
            code: "id_token_unknown_key",
            token: { h, l in token(h, l, key: .rsa2, kid: "made-up") }
        ),
        Case(
            description: "a failing require rule",
            status: .forbidden,
            code: "requirement_failed",
            token: { h, l in token(h, l, ["email_verified": "false"]) },
            reachesUserinfo: true
        ),
    ]

    @Test("Each spoiled callback is refused, audited, creates nothing, and calls no userinfo", arguments: cases)
    func refused(_ spoiled: Case) async throws {
        let harness = try await SignInHarness(userinfo: true)
        harness.scenario.with { $0.userinfo = (200, "{\"sub\":\"00u-ada\",\"groups\":[\"engineers\"]}") }
        try await harness.test { client in
            let login = try await harness.startLogin(client)
            let token = spoiled.token(harness, login)
            let response = try await harness.callback(client, login: login, idToken: token, query: spoiled.query)
            #expect(response.status == spoiled.status)
            let body = try SignInHarness.json(response)
            #expect(body["code"] == .string(spoiled.code), "\(body)")
            for text in [String(buffer: response.body), harness.logText] {
                #expect(!text.contains(login.nonce))
                #expect(!text.contains(login.state))
                if let token { #expect(!text.contains(token.prefix(40))) }
                #expect(!text.contains("code-"))
                #expect(!text.contains("rolesync-secret"))
            }
            #expect(harness.logText.contains("sign-in refused"))
        }
        #expect(try await harness.userCount() == 0)
        let refusals = try await harness.refusals()
        #expect(refusals.count == 1)
        #expect(refusals.first?.details[.reason] == .string(spoiled.code))
        #expect(harness.scenario.requests(to: "/userinfo").count == (spoiled.reachesUserinfo ? 1 : 0))
    }

    /// The README promises 502 when the provider fails; a refused code (an OAuth `error`) stays 400.
    @Test(
        "A failing token or userinfo endpoint is 502 with its own code",
        arguments: [
            ("token endpoint 503", (503, "{\"error\":\"temporarily_unavailable\"}"), nil, "token_endpoint_unavailable"),
            ("token endpoint 404 without an OAuth error", (404, "<html>not here</html>"), nil, "token_endpoint_unavailable"),
            ("token endpoint 200 with HTML", (200, "<html>maintenance</html>"), nil, "token_endpoint_unavailable"),
            ("userinfo 500", nil, (500, "{}"), "userinfo_unavailable"),
            ("userinfo 200 with HTML", nil, (200, "<html>maintenance</html>"), "userinfo_unavailable"),
        ] as [(String, (Int, String)?, (Int, String)?, String)]
    )
    func upstreamFailure(_ name: String, token: (Int, String)?, userinfo: (Int, String)?, code: String) async throws {
        let harness = try await SignInHarness(userinfo: true)
        harness.scenario.with {
            $0.tokenFailure = token.map { (status: $0.0, body: $0.1) }
            $0.userinfo = userinfo.map { (status: $0.0, body: $0.1) } ?? (200, "{\"sub\":\"00u-ada\"}")
        }
        try await harness.test { client in
            let login = try await harness.startLogin(client)
            let idToken = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            let response = try await harness.callback(client, login: login, idToken: idToken)
            #expect(response.status == .badGateway, "\(name)")
            #expect(try SignInHarness.json(response)["code"] == .string(code), "\(name)")
            let page = try await harness.callback(client, login: try await harness.startLogin(client), idToken: nil, json: false)
            if token != nil {
                #expect(page.status == .badGateway, "\(name): the browser's page")
            }
        }
        #expect(try await harness.userCount() == 0)
        // Newest first: the browser's attempt, then the JSON one.
        let reasons = try await harness.refusals().compactMap { $0.details[.reason]?.stringValue }
        #expect(reasons.last == code, "\(reasons)")
    }

    @Test("An unknown state, a replay, an expired login and another browser's callback are refused")
    func states() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            var forged = try await harness.startLogin(client)
            forged.state = "bm90LWEtc3RhdGUtcm9sZXN5bmMtZXZlci1pc3N1ZWQ"
            #expect(try SignInHarness.json(try await harness.callback(client, login: forged, idToken: nil))["code"] == .string("unknown_state"))

            let login = try await harness.startLogin(client)
            let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            #expect(try await harness.callback(client, login: login, idToken: token).status == .found)
            let replay = try await harness.callback(client, login: login, idToken: token)
            #expect(replay.status == .badRequest)
            #expect(try SignInHarness.json(replay)["code"] == .string("reused_state"))

            let slow = try await harness.startLogin(client)
            harness.advance(601)
            let late = try await harness.callback(client, login: slow, idToken: nil)
            #expect(try SignInHarness.json(late)["code"] == .string("expired_state"))

            let started = try await harness.startLogin(client)
            let elsewhere = try await harness.callback(
                client,
                login: started,
                idToken: nil,
                cookie: "__Host-rolesync_login=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            )
            #expect(try SignInHarness.json(elsewhere)["code"] == .string("browser_mismatch"))
        }
        #expect(try await harness.userCount() == 1)
        let reasons = try await harness.refusals().compactMap { $0.details[.reason]?.stringValue }.sorted()
        #expect(reasons == ["browser_mismatch", "expired_state", "reused_state", "unknown_state"])
    }

    @Test("A browser sees a plain error page with the code, and no secrets")
    func errorPage() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let login = try await harness.startLogin(client)
            let response = try await harness.callback(
                client,
                login: login,
                idToken: nil,
                query: "&error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                json: false
            )
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let page = String(buffer: response.body)
            #expect(page.contains("<code>idp_error</code>"))
            #expect(page.contains("&lt;script&gt;"))
            #expect(!page.contains("<script>"))
        }
    }

    @Test("A deactivate rule refuses, deactivates the user and ends their sessions")
    func deactivateRule() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let cookie = try await harness.signIn(client)
            let login = try await harness.startLogin(client)
            let token = TokenMinter.idToken(
                key: .rsa,
                alg: "RS256",
                claims: harness.claims(nonce: login.nonce, ["groups": "[\"engineers\",\"leavers\"]"])
            )
            let response = try await harness.callback(client, login: login, idToken: token)
            #expect(response.status == .forbidden)
            #expect(try SignInHarness.json(response)["code"] == .string("deactivated"))
            #expect(try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
        let user = try #require(try await harness.store.user(issuer: harness.issuer, subject: "00u-ada"))
        #expect(user.status == .inactive)
        #expect(user.deactivationReason == .idp)
    }

    @Test("userinfo: a response about another subject is refused; nothing is created")
    func userinfoSubject() async throws {
        let harness = try await SignInHarness(userinfo: true)
        harness.scenario.with { $0.userinfo = (200, "{\"sub\":\"someone-else\",\"groups\":[\"admins\"]}") }
        try await harness.test { client in
            let login = try await harness.startLogin(client)
            let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            let response = try await harness.callback(client, login: login, idToken: token)
            #expect(response.status == .unauthorized)
            #expect(try SignInHarness.json(response)["code"] == .string("userinfo_sub_mismatch"))
        }
        #expect(try await harness.userCount() == 0)
    }

    @Test("userinfo: its groups decide the role when the ID token has none")
    func userinfoGroups() async throws {
        let harness = try await SignInHarness(userinfo: true)
        harness.scenario.with { $0.userinfo = (200, "{\"sub\":\"00u-ada\",\"groups\":[\"admins\"]}") }
        try await harness.test { client in
            let cookie = try await harness.signIn(client, overrides: ["groups": nil])
            let me = try SignInHarness.json(try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]))
            #expect(me["role"] == .string("super_admin"))
        }
    }

    @Test("An unknown provider is a 400 naming the known ones")
    func unknownProvider() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/auth/login?idp=okta",
                method: .get,
                headers: [.accept: "application/json"]
            )
            #expect(response.status == .badRequest)
            #expect(try SignInHarness.json(response)["detail"] == .string("No configured identity provider is called 'okta'. Known: loopback."))
        }
    }
}
