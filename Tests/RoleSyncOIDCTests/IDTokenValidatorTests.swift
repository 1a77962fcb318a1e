import Foundation
import RoleSyncJSON
import RoleSyncOIDC
import RoleSyncTestSupport
import Testing

/// Every ID-token check, with tokens the tests sign themselves, including the attacks jwt-kit 5.8
/// alone lets through (measured against 5.8.0, see the issue): unknown kid falling back to a default
/// key, a header alg that differs from the key's, alg caching for alg-less keys.
@Suite("ID-token validation")
struct IDTokenValidatorTests {
    static let issuer = "https://idp.example.com"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    let nonce = "n-0S6_WzA2Mj"

    func keys(
        _ jwks: [String],
        allowed: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric,
        hmac: String? = nil
    ) async throws
        -> KeySet
    {
        try await KeySet.parse(
            Data("{\"keys\":[\(jwks.joined(separator: ","))]}".utf8),
            allowed: allowed,
            hmacSecret: hmac,
            fetchedAt: Self.now
        )
    }

    var standardKeys: [String] {
        [
            TestSigningKey.rsa.publicJWK(), TestSigningKey.p256.publicJWK(), TestSigningKey.ed25519.publicJWK(),
        ]
    }

    func validator(
        algorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric,
        trusted: Set<String> = []
    ) -> IDTokenValidator {
        IDTokenValidator(
            .init(issuer: Self.issuer, clientID: "rolesync", trustedAudiences: trusted, algorithms: algorithms)
        )
    }

    /// Claims that pass, as JSON texts; tests override members.
    func claims(_ overrides: [String: String?] = [:]) -> [String: String] {
        var claims: [String: String] = [
            "iss": "\"\(Self.issuer)\"", "aud": "\"rolesync\"", "sub": "\"00u1\"", "nonce": "\"\(nonce)\"",
            "iat": "\(Int(Self.now.timeIntervalSince1970) - 10)", "exp": "\(Int(Self.now.timeIntervalSince1970) + 300)",
            "email": "\"ada@example.com\"", "groups": "[\"eng\"]",
        ]
        for (name, value) in overrides { claims[name] = value }
        return claims
    }

    func validate(
        _ token: String,
        keys: KeySet,
        validator: IDTokenValidator? = nil
    ) throws(OIDCError)
        -> VerifiedIDToken
    {
        try (validator ?? self.validator()).validate(token, keys: keys, nonce: nonce, now: Self.now)
    }

    // MARK: Good tokens

    @Test(
        "Tokens signed with RS256, PS256, ES256 and EdDSA verify",
        arguments: [("RS256", "rsa"), ("PS256", "rsa"), ("RS512", "rsa"), ("ES256", "ec"), ("EdDSA", "ed")]
    )
    func goodTokens(alg: String, family: String) async throws {
        let key = family == "rsa" ? TestSigningKey.rsa : family == "ec" ? TestSigningKey.p256 : TestSigningKey.ed25519
        let token = TokenMinter.idToken(key: key, alg: alg, claims: claims())
        let verified = try validate(token, keys: try await keys(standardKeys))
        #expect(verified.subject == "00u1")
        #expect(verified.algorithm.rawValue == alg)
        #expect(verified.claims.values["groups"] == .array([.string("eng")]))
    }

    @Test("ES384 verifies with a P-384 key")
    func es384() async throws {
        let token = TokenMinter.idToken(key: .p384, alg: "ES384", claims: claims())
        #expect(try validate(token, keys: try await keys([TestSigningKey.p384.publicJWK()])).keyID == "ec-384")
    }

    // MARK: Claims

    @Test(
        "Each claim check refuses",
        arguments: [
            (["exp": "1799999000"], OIDCError.expired),
            (["exp": nil], .expired),
            (["exp": "\"1900000000\""], .expired),
            (["iat": nil], .missingIssuedAt),
            (["iat": "1800000500"], .issuedInFuture),
            (["nbf": "1800000500"], .notYetValid),
            (["aud": "\"someone-else\""], .audienceMismatch),
            (["aud": nil], .audienceMismatch),
            (["aud": "[\"rolesync\",\"other\"]", "azp": "\"rolesync\""], .audienceMismatch),
            (["aud": "[\"rolesync\",42]"], .audienceMismatch),
            (["azp": "\"other\""], .authorizedPartyMismatch),
            (["iss": "\"https://idp.example.com/\""], .issuerMismatch),
            (["iss": "\"https://evil.example.com\""], .issuerMismatch),
            (["iss": nil], .issuerMismatch),
            (["nonce": "\"other\""], .nonceMismatch),
            (["nonce": nil], .nonceMismatch),
            (["sub": nil], .missingSubject),
            (["sub": "\"\""], .missingSubject),
        ] as [([String: String?], OIDCError)]
    )
    func claimChecks(overrides: [String: String?], expected: OIDCError) async throws {
        let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(overrides))
        let keys = try await keys(standardKeys)
        #expect(throws: expected) { try validate(token, keys: keys) }
    }

    @Test("The clock skew is allowed on exp and iat, and no more")
    func clockSkew() async throws {
        let keys = try await keys(standardKeys)
        let now = Int(Self.now.timeIntervalSince1970)
        let justExpired = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(["exp": "\(now - 30)"]))
        #expect(try validate(justExpired, keys: keys).subject == "00u1")
        let aheadOfUs = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(["iat": "\(now + 59)"]))
        #expect(try validate(aheadOfUs, keys: keys).subject == "00u1")
        let tooFarAhead = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(["iat": "\(now + 61)"]))
        #expect(throws: OIDCError.issuedInFuture) { try validate(tooFarAhead, keys: keys) }
    }

    @Test("Several audiences need azp to be the client id; a trusted extra audience is accepted")
    func severalAudiences() async throws {
        let keys = try await keys(standardKeys)
        let withoutAZP = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims(["aud": "[\"rolesync\",\"api\"]"]))
        #expect(throws: OIDCError.authorizedPartyMismatch) {
            try validate(withoutAZP, keys: keys, validator: validator(trusted: ["api"]))
        }
        let withAZP = TokenMinter.idToken(
            key: .rsa,
            alg: "RS256",
            claims: claims(["aud": "[\"rolesync\",\"api\"]", "azp": "\"rolesync\""])
        )
        #expect(try validate(withAZP, keys: keys, validator: validator(trusted: ["api"])).subject == "00u1")
    }

    // MARK: Header and key choice

    @Test("alg none is refused, with or without a signature part", arguments: ["none", "None"])
    func algNone(alg: String) async throws {
        let keys = try await keys(standardKeys)
        let unsigned = TokenMinter.token(
            headerJSON: "{\"alg\":\"\(alg)\"}",
            payloadJSON: TokenMinter.jsonObject(claims()),
            alg: alg
        )
        #expect(throws: OIDCError.algorithmNotAllowed("none")) {
            try validate(unsigned, keys: keys)
        }
        let withSignature = unsigned + "AAAA"
        #expect(throws: OIDCError.algorithmNotAllowed(alg)) { try validate(withSignature, keys: keys) }
    }

    @Test("Algorithm confusion: HS256 keyed with the RSA public key is refused", .bug("https://www.rfc-editor.org/rfc/rfc8725#section-2.1"))
    func hmacConfusion() async throws {
        let keys = try await keys(standardKeys)
        for secret in [TestSigningKey.rsa.publicKeyPEM, TestSigningKey.rsa.publicJWK()] {
            let forged = TokenMinter.token(
                headerJSON: "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}",
                payloadJSON: TokenMinter.jsonObject(claims()),
                alg: "HS256",
                hmacSecret: Data(secret.utf8)
            )
            #expect(throws: OIDCError.algorithmNotAllowed("HS256")) { try validate(forged, keys: keys) }
        }
    }

    @Test("HMAC, when explicitly allowed, is keyed with the client secret only")
    func hmacOptIn() async throws {
        let algorithms = JWSAlgorithm.asymmetric.union([.hs256])
        let keys = try await keys(standardKeys, allowed: algorithms, hmac: "a-client-secret-of-at-least-32-bytes")
        let validator = validator(algorithms: algorithms)
        let genuine = TokenMinter.token(
            headerJSON: "{\"alg\":\"HS256\"}",
            payloadJSON: TokenMinter.jsonObject(claims()),
            alg: "HS256",
            hmacSecret: Data("a-client-secret-of-at-least-32-bytes".utf8)
        )
        #expect(try validate(genuine, keys: keys, validator: validator).subject == "00u1")
        let confused = TokenMinter.token(
            headerJSON: "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}",
            payloadJSON: TokenMinter.jsonObject(claims()),
            alg: "HS256",
            hmacSecret: Data(TestSigningKey.rsa.publicKeyPEM.utf8)
        )
        #expect(throws: OIDCError.badSignature) { try validate(confused, keys: keys, validator: validator) }
        let short = try await self.keys(standardKeys, allowed: algorithms, hmac: "short")
        #expect(throws: OIDCError.algorithmNotAllowed("HS256")) { try validate(genuine, keys: short, validator: validator) }
    }

    @Test("A header alg that is not the key's is refused (ES256 header over an RS256 key)")
    func headerAlgorithmMustFitTheKey() async throws {
        let keys = try await keys([TestSigningKey.rsa.publicJWK(alg: "RS256"), TestSigningKey.p256.publicJWK()])
        // Signed by the RSA key, but the header claims ES256 and names the RSA key.
        let payload = TokenMinter.jsonObject(claims())
        let rsaSigned = TokenMinter.token(
            headerJSON: "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}",
            payloadJSON: payload,
            key: .rsa,
            alg: "RS256"
        )
        let parts = rsaSigned.split(separator: ".")
        let header = Base64URL.encode(Data("{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}".utf8))
        let confused = "\(header).\(parts[1]).\(parts[2])"
        #expect(throws: OIDCError.algorithmKeyMismatch(algorithm: "ES256", keyID: "rsa-1")) {
            try validate(confused, keys: keys)
        }
        let ps = TokenMinter.idToken(key: .rsa, alg: "PS256", claims: claims())
        #expect(throws: OIDCError.algorithmKeyMismatch(algorithm: "PS256", keyID: "rsa-1")) {
            try validate(ps, keys: keys)
        }
    }

    @Test("A forged token against an alg-less key does not spoil the key for genuine tokens")
    func noAlgorithmCaching() async throws {
        let keys = try await keys([TestSigningKey.rsa.publicJWK()])
        let forged = TokenMinter.idToken(key: .rsa2, alg: "PS384", kid: "rsa-1", claims: claims())
        #expect(throws: OIDCError.badSignature) { try validate(forged, keys: keys) }
        let genuine = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims())
        #expect(try validate(genuine, keys: keys).algorithm == .rs256)
    }

    @Test("An unknown kid is an unknown key, never the default key")
    func unknownKeyID() async throws {
        let keys = try await keys([TestSigningKey.rsa.publicJWK()])
        let token = TokenMinter.idToken(key: .rsa, alg: "RS256", kid: "rotated-away", claims: claims())
        #expect(throws: OIDCError.unknownKey(keyID: "rotated-away")) { try validate(token, keys: keys) }
    }

    @Test("Without kid: the one key that fits, else refused")
    func noKeyID() async throws {
        let one = try await keys([TestSigningKey.rsa.publicJWK(includeKid: false), TestSigningKey.p256.publicJWK()])
        let token = TokenMinter.idToken(key: .rsa, alg: "RS256", kid: .some(nil), claims: claims())
        #expect(try validate(token, keys: one).subject == "00u1")
        let two = try await keys([TestSigningKey.rsa.publicJWK(), TestSigningKey.rsa2.publicJWK()])
        #expect(throws: OIDCError.ambiguousKey) { try validate(token, keys: two) }
    }

    @Test(
        "Keys brought in the header are refused, even when the signature matches them",
        arguments: ["jwk", "jku", "x5u", "x5c"]
    )
    func headerKeys(field: String) async throws {
        let keys = try await keys(standardKeys)
        let value =
            field == "jwk"
            ? TestSigningKey.rsa2.publicJWK() : field == "x5c" ? "[\"MIIB\"]" : "\"https://evil.example.com/k\""
        let token = TokenMinter.idToken(key: .rsa2, alg: "RS256", kid: "rsa-1", claims: claims(), extraHeader: ",\"\(field)\":\(value)")
        #expect(throws: OIDCError.headerKeyRefused(field)) { try validate(token, keys: keys) }
    }

    @Test("Unknown critical header parameters are refused")
    func critical() async throws {
        let keys = try await keys(standardKeys)
        let token = TokenMinter.idToken(
            key: .rsa,
            alg: "RS256",
            claims: claims(),
            extraHeader: ",\"crit\":[\"exp\"],\"exp\":1"
        )
        #expect(throws: OIDCError.unsupportedCriticalHeader(["exp"])) { try validate(token, keys: keys) }
    }

    @Test("A token typed as something else (an access token) is refused")
    func tokenType() async throws {
        let keys = try await keys(standardKeys)
        let token = TokenMinter.token(
            headerJSON: "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":\"at+jwt\"}",
            payloadJSON: TokenMinter.jsonObject(claims()),
            key: .rsa,
            alg: "RS256"
        )
        #expect(throws: OIDCError.unexpectedTokenType("at+jwt")) { try validate(token, keys: keys) }
    }

    @Test("An algorithm the provider does not advertise is refused")
    func notAdvertised() async throws {
        let keys = try await keys(standardKeys, allowed: [.rs256])
        let token = TokenMinter.idToken(key: .p256, alg: "ES256", claims: claims())
        #expect(throws: OIDCError.algorithmNotAllowed("ES256")) {
            try validate(token, keys: keys, validator: validator(algorithms: [.rs256]))
        }
    }

    @Test("A tampered payload or a signature by another key fails the signature check")
    func forged() async throws {
        let keys = try await keys(standardKeys)
        let genuine = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: claims())
        let parts = genuine.split(separator: ".")
        let tampered = TokenMinter.jsonObject(claims(["sub": "\"admin\""]))
        let forged = "\(parts[0]).\(Base64URL.encode(Data(tampered.utf8))).\(parts[2])"
        #expect(throws: OIDCError.badSignature) { try validate(forged, keys: keys) }
        let otherKey = TokenMinter.idToken(key: .rsa2, alg: "RS256", kid: "rsa-1", claims: claims())
        #expect(throws: OIDCError.badSignature) { try validate(otherKey, keys: keys) }
        let ecForged = TokenMinter.idToken(key: TestSigningKey(kid: "ec-1", material: .p256(.init())), alg: "ES256", claims: claims())
        #expect(throws: OIDCError.badSignature) { try validate(ecForged, keys: keys) }
    }

    @Test(
        "Malformed tokens are refused",
        arguments: ["", "a.b", "a.b.c.d.e", "!!.e30.sig", "e30.!!.sig", "eyJhbGciOiJSUzI1NiJ9.e30.!!", "W10.e30.AAAA"]
    )
    func malformed(token: String) async throws {
        let keys = try await keys(standardKeys)
        #expect(throws: OIDCError.self) { try validate(token, keys: keys) }
    }
}
