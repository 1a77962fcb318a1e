import Foundation
import RoleSyncOIDC
import RoleSyncTestSupport
import Testing

/// The JWKS is parsed key by key: what RoleSync cannot use is skipped with a reason, and the rest
/// still load (jwt-kit 5.8 fails the whole set on one such key).
@Suite("JWKS parsing")
struct KeySetTests {
    let allowed = JWSAlgorithm.asymmetric
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func parse(_ keys: [String], allowed: Set<JWSAlgorithm>? = nil) async throws -> KeySet {
        try await KeySet.parse(
            Data("{\"keys\":[\(keys.joined(separator: ","))]}".utf8),
            allowed: allowed ?? self.allowed,
            fetchedAt: now
        )
    }

    @Test("RSA, EC and OKP keys load with the algorithms of their type")
    func keyTypes() async throws {
        let set = try await parse([
            TestSigningKey.rsa.publicJWK(), TestSigningKey.p256.publicJWK(), TestSigningKey.p384.publicJWK(),
            TestSigningKey.ed25519.publicJWK(),
        ])
        #expect(set.skipped.isEmpty)
        #expect(set.keys["rsa-1"]?.algorithms == [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512])
        #expect(set.keys["ec-1"]?.algorithms == [.es256])
        #expect(set.keys["ec-384"]?.algorithms == [.es384])
        #expect(set.keys["ed-1"]?.algorithms == [.edDSA])
    }

    @Test("A key's own alg limits it to that algorithm")
    func declaredAlgorithm() async throws {
        let set = try await parse([TestSigningKey.rsa.publicJWK(alg: "RS256")])
        #expect(set.keys["rsa-1"]?.algorithms == [.rs256])
    }

    @Test("An alg-less key gets only the allowed algorithms of its type")
    func allowListedAlgorithms() async throws {
        let set = try await parse([TestSigningKey.rsa.publicJWK()], allowed: [.rs256, .es256])
        #expect(set.keys["rsa-1"]?.algorithms == [.rs256])
    }

    @Test("A key without kid is known by its RFC 7638 thumbprint")
    func thumbprint() async throws {
        // The example of RFC 7638 §3.1.
        let jwk = """
            {"kty":"RSA","e":"AQAB","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
            """
        let set = try await parse([jwk])
        let key = try #require(set.keys["NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"])
        #expect(key.hasImplicitID)
    }

    @Test(
        "A key RoleSync cannot use is skipped; the others still load",
        arguments: [
            ("{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}", "key type 'oct'"),
            ("{\"kty\":\"RSA\",\"kid\":\"x\",\"alg\":\"RSA-OAEP\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", "'alg' 'RSA-OAEP'"),
            ("{\"kty\":\"EC\",\"kid\":\"x\",\"crv\":\"secp256k1\",\"x\":\"AQAB\",\"y\":\"AQAB\"}", "curve 'secp256k1'"),
            ("{\"kty\":\"OKP\",\"kid\":\"x\",\"crv\":\"X25519\",\"x\":\"AQAB\"}", "curve 'X25519'"),
            ("{\"kty\":\"EC\",\"kid\":\"x\",\"crv\":\"P-256\",\"x\":\"AQAB\",\"y\":\"AQAB\"}", "key material"),
            ("{\"kty\":\"RSA\",\"kid\":\"x\"}", "'n' is missing"),
            ("{\"kid\":\"x\"}", "'kty' is missing"),
            ("42", "not an object"),
        ]
    )
    func skipped(jwk: String, reason: String) async throws {
        let set = try await parse([jwk, TestSigningKey.p256.publicJWK()])
        #expect(set.keys.keys.sorted() == ["ec-1"])
        #expect(set.skipped.count == 1)
        #expect(set.skipped.first?.reason.contains(reason) == true, "\(set.skipped)")
    }

    @Test("Encryption keys are never used for signatures")
    func encryptionKey() async throws {
        let set = try await parse([
            TestSigningKey.rsa.publicJWK(use: "enc"), TestSigningKey.rsa2.publicJWK(use: nil),
        ])
        #expect(set.keys.keys.sorted() == ["rsa-2"])
        #expect(set.skipped.first?.reason == "'use' is 'enc', not 'sig'")
    }

    @Test("key_ops without verify is skipped")
    func keyOperations() async throws {
        let jwk = TestSigningKey.p256.publicJWK().dropLast() + ",\"key_ops\":[\"encrypt\"]}"
        let set = try await parse([String(jwk), TestSigningKey.rsa.publicJWK()], allowed: allowed)
        #expect(set.keys.keys.sorted() == ["rsa-1"])
        #expect(set.skipped.map(\.reason) == ["'key_ops' does not include 'verify'"])
    }

    @Test("An RSA key shorter than 2048 bits is skipped")
    func shortRSAKey() async throws {
        // A 512-bit modulus.
        let jwk = """
            {"kty":"RSA","kid":"weak","e":"AQAB","n":"wBnUR5wO-pDwNK7pl1F41RTbLfjoGz-uG8lYv4VbT4Vl3Ldy1vKGRErzQK9JwwOLRT0PbffcJQf0A_MDFLP-Ww"}
            """
        let set = try await parse([jwk, TestSigningKey.p256.publicJWK()])
        #expect(set.keys.keys.sorted() == ["ec-1"])
        #expect(set.skipped.map(\.keyID) == ["weak"])
        #expect(set.skipped.first?.reason.contains("key material is invalid") == true, "\(set.skipped)")
    }

    @Test("A second key with the same kid is skipped, not merged")
    func duplicateKeyID() async throws {
        let set = try await parse([TestSigningKey.rsa.publicJWK(), TestSigningKey.rsa2.with(kid: "rsa-1").publicJWK()])
        #expect(set.keys.count == 1)
        #expect(set.skipped.first?.reason == "another key has the same id")
    }

    @Test("A document that is no JWKS fails as a whole", arguments: ["[]", "{\"keys\":{}}", "not json", "{}"])
    func notAKeySet(text: String) async throws {
        await #expect(throws: OIDCError.self) {
            try await KeySet.parse(Data(text.utf8), allowed: allowed, fetchedAt: now)
        }
    }
}
