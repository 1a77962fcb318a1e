import Foundation
import Logging
import RoleSyncHTTPClient
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncTestSupport
import Synchronization
import Testing

/// The relying party against a scripted provider: discovery, the key cache and its refetch rules,
/// the code exchange with PKCE and client authentication, userinfo.
@Suite("Relying party")
struct OpenIDProviderTests {
    static let issuer = "https://idp.example.com"

    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    let clock = Clock()
    let scenario = ScenarioProvider(issuer: issuer, keys: [TestSigningKey.rsa.publicJWK()])

    func provider(
        authentication: ProviderConfiguration.ClientAuthentication = .clientSecretBasic,
        userinfo: Bool = false,
        claimSourceHosts: Set<String> = [],
        transport: (any HTTPTransport)? = nil
    ) -> OpenIDProvider {
        let clock = self.clock
        return OpenIDProvider(
            configuration: ProviderConfiguration(
                name: "example",
                issuer: Self.issuer,
                clientID: "rolesync",
                clientSecret: "s3cret+/=",
                scopes: ["openid", "email", "groups"],
                clientAuthentication: authentication,
                fetchUserinfo: userinfo,
                redirectURI: URL(string: "https://rolesync.example.com/auth/callback")!,
                claimSourceHosts: claimSourceHosts
            ),
            transport: transport ?? scenario,
            logger: Logger(label: "test"),
            now: { clock.now }
        )
    }

    func login() async throws -> PendingLogin {
        try await LoginStateStore().begin(issuer: Self.issuer, returnTo: nil, browserToken: nil, now: clock.now).login
    }

    func idToken(
        _ key: TestSigningKey = .rsa,
        nonce: String,
        sub: String = "00u1",
        extra: [String: String] = [:]
    )
        -> String
    {
        var claims: [String: String] = [
            "iss": "\"\(Self.issuer)\"", "aud": "\"rolesync\"", "sub": "\"\(sub)\"", "nonce": "\"\(nonce)\"",
            "iat": "\(Int(clock.now.timeIntervalSince1970))", "exp": "\(Int(clock.now.timeIntervalSince1970) + 300)",
        ]
        claims.merge(extra) { $1 }
        return TokenMinter.idToken(key: key, alg: key.kid?.hasPrefix("ec") == true ? "ES256" : "RS256", claims: claims)
    }

    @Test("The authorization URL carries response_type=code, scopes, state, nonce and an S256 challenge")
    func authorizationURL() async throws {
        let login = try await login()
        let url = try await provider().authorizationURL(for: login)
        let items = Dictionary(
            uniqueKeysWithValues: (URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map {
                ($0.name, $0.value ?? "")
            }
        )
        #expect(url.absoluteString.hasPrefix("\(Self.issuer)/authorize?"))
        #expect(items["response_type"] == "code")
        #expect(items["scope"] == "openid email groups")
        #expect(items["state"] == login.state)
        #expect(items["nonce"] == login.nonce)
        #expect(items["code_challenge_method"] == "S256")
        #expect(items["code_challenge"] == login.codeChallenge)
        #expect(items["redirect_uri"] == "https://rolesync.example.com/auth/callback")
        #expect(login.state.count >= 43 && login.nonce.count >= 43 && login.codeVerifier.count >= 43)
    }

    @Test("Discovery must name exactly the configured issuer")
    func discoveryIssuer() async throws {
        scenario.with { $0.discovery["issuer"] = "\"https://idp.example.com/\"" }
        await #expect(throws: OIDCError.discoveryFailed("'issuer' is 'https://idp.example.com/', not the configured 'https://idp.example.com'")) {
            try await provider().providerMetadata()
        }
    }

    @Test(
        "A discovery member of the wrong JSON type is refused, naming it",
        arguments: [
            ("token_endpoint", "42", "'token_endpoint' must be a string, found number"),
            ("id_token_signing_alg_values_supported", "\"RS256\"", "'id_token_signing_alg_values_supported' must be a list, found string"),
            (
                "authorization_response_iss_parameter_supported", "\"true\"",
                "'authorization_response_iss_parameter_supported' must be a boolean, found string"
            ),
            ("code_challenge_methods_supported", "[\"S256\", 1]", "'code_challenge_methods_supported[1]' must be a string, found number"),
        ]
    )
    func discoveryTypes(member: String, value: String, reason: String) async throws {
        scenario.with { $0.discovery[member] = value }
        await #expect(throws: OIDCError.discoveryFailed(reason)) { try await provider().providerMetadata() }
    }

    @Test("A token response whose id_token is not a string is refused, naming it")
    func tokenResponseTypes() async throws {
        let provider = provider()
        let login = try await login()
        scenario.with { $0.tokenResponses["c1"] = (200, "{\"id_token\":42,\"token_type\":\"Bearer\"}") }
        await #expect(throws: OIDCError.tokenExchangeFailed("the response's 'id_token' must be a string, found number")) {
            try await provider.redeem(code: "c1", login: login)
        }
    }

    @Test("The code is exchanged with the verifier and client_secret_basic")
    func exchangeBasic() async throws {
        let provider = provider()
        let login = try await login()
        scenario.issue(code: "c1", idToken: idToken(nonce: login.nonce))
        let identity = try await provider.redeem(code: "c1", login: login)
        #expect(identity.subject == "00u1")
        let request = try #require(scenario.requests(to: "/token").first)
        let form = ScenarioProvider.form(request.body ?? Data())
        #expect(form["grant_type"] == "authorization_code")
        #expect(form["code_verifier"] == login.codeVerifier)
        #expect(form["client_secret"] == nil)
        // RFC 6749 §2.3.1: form-encoded before Basic.
        #expect(request.header("Authorization") == "Basic " + Data("rolesync:s3cret%2B%2F%3D".utf8).base64EncodedString())
    }

    @Test("client_secret_post sends the secret in the body")
    func exchangePost() async throws {
        let provider = provider(authentication: .clientSecretPost)
        let login = try await login()
        scenario.issue(code: "c1", idToken: idToken(nonce: login.nonce))
        _ = try await provider.redeem(code: "c1", login: login)
        let request = try #require(scenario.requests(to: "/token").first)
        #expect(request.header("Authorization") == nil)
        #expect(ScenarioProvider.form(request.body ?? Data())["client_secret"] == "s3cret+/=")
    }

    @Test("A refused code exchange names the provider's error code, nothing more")
    func exchangeRefused() async throws {
        await #expect(throws: OIDCError.tokenExchangeFailed("HTTP 400, error 'invalid_grant'")) {
            try await provider().redeem(code: "never-issued", login: try await login())
        }
    }

    @Test("An unknown kid refetches the JWKS once and picks up the rotated key")
    func rotation() async throws {
        let provider = provider()
        let first = try await login()
        scenario.issue(code: "c1", idToken: idToken(nonce: first.nonce))
        _ = try await provider.redeem(code: "c1", login: first)
        #expect(scenario.requests(to: "/jwks").count == 1)

        // The provider rotates to a new key.
        scenario.with { $0.keys = [TestSigningKey.rsa2.publicJWK(), TestSigningKey.rsa.publicJWK()] }
        let second = try await login()
        scenario.issue(code: "c2", idToken: idToken(.rsa2, nonce: second.nonce))
        _ = try await provider.redeem(code: "c2", login: second)
        #expect(scenario.requests(to: "/jwks").count == 2)

        // The old key, dropped at the provider, is gone with the next fetch.
        scenario.with { $0.keys = [TestSigningKey.rsa2.publicJWK()] }
        clock.advance(3601)
        let third = try await login()
        scenario.issue(code: "c3", idToken: idToken(.rsa, nonce: third.nonce))
        await #expect(throws: OIDCError.unknownKey(keyID: "rsa-1")) { try await provider.redeem(code: "c3", login: third) }
    }

    @Test("A flood of unknown kids causes at most one refetch per interval")
    func refetchRateLimit() async throws {
        let provider = provider()
        _ = try await provider.keySet()
        for index in 0..<50 {
            let token = TokenMinter.idToken(
                key: .rsa,
                alg: "RS256",
                kid: "bogus-\(index)",
                claims: ["iss": "\"\(Self.issuer)\"", "aud": "\"rolesync\"", "sub": "\"x\"", "nonce": "\"n\""]
            )
            await #expect(throws: OIDCError.unknownKey(keyID: "bogus-\(index)")) {
                try await provider.validate(idToken: token, nonce: "n")
            }
        }
        #expect(scenario.requests(to: "/jwks").count == 2)
        clock.advance(31)
        let token = TokenMinter.idToken(key: .rsa, alg: "RS256", kid: "bogus", claims: ["sub": "\"x\""])
        await #expect(throws: OIDCError.unknownKey(keyID: "bogus")) { try await provider.validate(idToken: token, nonce: "n") }
        #expect(scenario.requests(to: "/jwks").count == 3)
    }

    @Test("Concurrent sign-ins after a rotation share one JWKS fetch")
    func singleFlight() async throws {
        let provider = provider()
        _ = try await provider.keySet()
        scenario.with { $0.keys = [TestSigningKey.rsa2.publicJWK()] }
        let nonce = "n"
        let token = idToken(.rsa2, nonce: nonce)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask { _ = try await provider.validate(idToken: token, nonce: nonce) }
            }
            try await group.waitForAll()
        }
        #expect(scenario.requests(to: "/jwks").count == 2)
    }

    @Test("A JWKS outage keeps the keys already known")
    func keepKeysOnOutage() async throws {
        let provider = provider()
        _ = try await provider.keySet()
        scenario.with { $0.jwksStatus = 503 }
        clock.advance(3601)
        let keys = try await provider.keySet()
        #expect(keys.keys["rsa-1"] != nil)
    }

    @Test("Userinfo claims are laid over the ID token's; protocol claims stay the token's")
    func userinfoMerge() async throws {
        let provider = provider(userinfo: true)
        let login = try await login()
        scenario.issue(code: "c1", idToken: idToken(nonce: login.nonce, extra: ["email": "\"old@example.com\""]))
        scenario.with {
            $0.userinfo = (200, "{\"sub\":\"00u1\",\"email\":\"ada@example.com\",\"groups\":[\"eng\"],\"iss\":\"https://evil\"}")
        }
        let identity = try await provider.redeem(code: "c1", login: login)
        #expect(identity.claims.values["email"] == .string("ada@example.com"))
        #expect(identity.claims.values["groups"] == .array([.string("eng")]))
        #expect(identity.claims.values["iss"] == .string(Self.issuer))
        let call = try #require(scenario.requests(to: "/userinfo").first)
        #expect(call.header("Authorization")?.hasPrefix("Bearer at-") == true)
    }

    @Test("A userinfo response about another subject is refused")
    func userinfoSubject() async throws {
        let provider = provider(userinfo: true)
        let login = try await login()
        scenario.issue(code: "c1", idToken: idToken(nonce: login.nonce))
        scenario.with { $0.userinfo = (200, "{\"sub\":\"someone-else\"}") }
        await #expect(throws: OIDCError.userinfoSubjectMismatch) { try await provider.redeem(code: "c1", login: login) }
    }

    @Test("After a bad ID token, userinfo is never called")
    func noUserinfoAfterBadToken() async throws {
        let provider = provider(userinfo: true)
        let login = try await login()
        scenario.issue(code: "c1", idToken: idToken(nonce: "another-login"))
        await #expect(throws: OIDCError.nonceMismatch) { try await provider.redeem(code: "c1", login: login) }
        #expect(scenario.requests(to: "/userinfo").isEmpty)
    }

    @Test("The RFC 9207 iss parameter must match, and must be present when advertised")
    func issuerParameter() async throws {
        let provider = provider()
        try await provider.checkIssuerParameter(Self.issuer)
        try await provider.checkIssuerParameter(nil)
        await #expect(throws: OIDCError.issuerParameterMismatch) {
            try await provider.checkIssuerParameter("https://evil.example.com")
        }
        scenario.with { $0.discovery["authorization_response_iss_parameter_supported"] = "true" }
        let advertising = self.provider()
        await #expect(throws: OIDCError.issuerParameterMismatch) { try await advertising.checkIssuerParameter(nil) }
    }
}
