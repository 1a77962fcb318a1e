package import Crypto
package import Foundation
import RoleSyncJSON
import RoleSyncOIDC
package import _CryptoExtras

/// A private key the tests sign ID tokens with, and its public half as a JWK.
package struct TestSigningKey: Sendable {
    package enum Material: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    package var kid: String?
    package var material: Material

    package init(kid: String?, material: Material) {
        self.kid = kid
        self.material = material
    }

    /// Shared keys: RSA generation takes a while, so each is made once per test process.
    package static let rsa = TestSigningKey(kid: "rsa-1", material: .rsa(makeRSA()))
    package static let rsa2 = TestSigningKey(kid: "rsa-2", material: .rsa(makeRSA()))
    package static let p256 = TestSigningKey(kid: "ec-1", material: .p256(P256.Signing.PrivateKey()))
    package static let p384 = TestSigningKey(kid: "ec-384", material: .p384(P384.Signing.PrivateKey()))
    package static let ed25519 = TestSigningKey(kid: "ed-1", material: .ed25519(Curve25519.Signing.PrivateKey()))

    private static func makeRSA() -> _RSA.Signing.PrivateKey {
        // 2048 bits is always a valid size; the initializer only throws on unsupported sizes.
        (try? _RSA.Signing.PrivateKey(keySize: .bits2048)) ?? { fatalError("RSA key generation failed") }()
    }

    /// The same key under another id.
    package func with(kid: String?) -> TestSigningKey {
        TestSigningKey(kid: kid, material: material)
    }

    /// The public JWK's members as JSON text (without braces' surroundings).
    /// - Parameters:
    ///   - alg: an `alg` member to include.
    ///   - use: a `use` member to include.
    ///   - includeKid: whether to include `kid`.
    package func publicJWK(alg: String? = nil, use: String? = "sig", includeKid: Bool = true) -> String {
        var members: [(String, String)] = []
        switch material {
        case .rsa(let key):
            let primitives = try? key.publicKey.getKeyPrimitives()
            members += [
                ("kty", "RSA"), ("n", Base64URL.encode(primitives?.modulus ?? Data())),
                ("e", Base64URL.encode(primitives?.publicExponent ?? Data())),
            ]
        case .p256(let key):
            let raw = key.publicKey.rawRepresentation
            members += [
                ("kty", "EC"), ("crv", "P-256"), ("x", Base64URL.encode(raw.prefix(32))),
                ("y", Base64URL.encode(raw.suffix(32))),
            ]
        case .p384(let key):
            let raw = key.publicKey.rawRepresentation
            members += [
                ("kty", "EC"), ("crv", "P-384"), ("x", Base64URL.encode(raw.prefix(48))),
                ("y", Base64URL.encode(raw.suffix(48))),
            ]
        case .ed25519(let key):
            members += [("kty", "OKP"), ("crv", "Ed25519"), ("x", Base64URL.encode(key.publicKey.rawRepresentation))]
        }
        if includeKid, let kid { members.append(("kid", kid)) }
        if let alg { members.append(("alg", alg)) }
        if let use { members.append(("use", use)) }
        return "{" + members.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
    }

    /// The DER SubjectPublicKeyInfo of an RSA key: what an attacker would use as an HMAC secret in
    /// an algorithm-confusion attack.
    package var publicKeyPEM: String {
        switch material {
        case .rsa(let key): key.publicKey.pemRepresentation
        case .p256(let key): key.publicKey.pemRepresentation
        case .p384(let key): key.publicKey.pemRepresentation
        case .ed25519(let key): Base64URL.encode(key.publicKey.rawRepresentation)
        }
    }

    /// Signs the JWS signing input with `alg`, which must fit the key (RS*/PS* for RSA).
    package func sign(_ input: Data, alg: String) -> Data {
        switch material {
        case .rsa(let key):
            let padding: _RSA.Signing.Padding = alg.hasPrefix("PS") ? .PSS : .insecurePKCS1v1_5
            let signature: _RSA.Signing.RSASignature?
            switch alg.suffix(3) {
            case "384": signature = try? key.signature(for: SHA384.hash(data: input), padding: padding)
            case "512": signature = try? key.signature(for: SHA512.hash(data: input), padding: padding)
            default: signature = try? key.signature(for: SHA256.hash(data: input), padding: padding)
            }
            return signature?.rawRepresentation ?? Data()
        case .p256(let key):
            return (try? key.signature(for: SHA256.hash(data: input)).rawRepresentation) ?? Data()
        case .p384(let key):
            return (try? key.signature(for: SHA384.hash(data: input)).rawRepresentation) ?? Data()
        case .ed25519(let key):
            return (try? key.signature(for: input)) ?? Data()
        }
    }
}

/// Builds compact JWS tokens with full control of header and payload, including hostile ones.
package enum TokenMinter {
    /// A token over `headerJSON` and `payloadJSON` (JSON texts, used verbatim), signed by `key`
    /// with the header's algorithm, or with `hmacSecret` for HS*, or unsigned.
    package static func token(
        headerJSON: String,
        payloadJSON: String,
        key: TestSigningKey? = nil,
        alg: String,
        hmacSecret: Data? = nil
    ) -> String {
        let input = Base64URL.encode(Data(headerJSON.utf8)) + "." + Base64URL.encode(Data(payloadJSON.utf8))
        let data = Data(input.utf8)
        let signature: Data
        if let hmacSecret {
            let symmetric = SymmetricKey(data: hmacSecret)
            switch alg {
            case "HS384": signature = Data(HMAC<SHA384>.authenticationCode(for: data, using: symmetric))
            case "HS512": signature = Data(HMAC<SHA512>.authenticationCode(for: data, using: symmetric))
            default: signature = Data(HMAC<SHA256>.authenticationCode(for: data, using: symmetric))
            }
        } else if let key {
            signature = key.sign(data, alg: alg)
        } else {
            signature = Data()
        }
        return input + "." + Base64URL.encode(signature)
    }

    /// A standard ID token: `alg`, `kid` of the key (unless `kid` overrides), and `typ: JWT`.
    package static func idToken(
        key: TestSigningKey,
        alg: String,
        kid: String?? = .none,
        claims: [String: String],
        extraHeader: String = ""
    ) -> String {
        let keyID = kid ?? key.kid
        var header = "{\"alg\":\"\(alg)\",\"typ\":\"JWT\""
        if let keyID { header += ",\"kid\":\"\(keyID)\"" }
        header += extraHeader + "}"
        return token(headerJSON: header, payloadJSON: jsonObject(claims), key: key, alg: alg)
    }

    /// A JSON object from members whose values are JSON texts (`"\"a\""`, `"42"`, `"[1]"`).
    package static func jsonObject(_ members: [String: String]) -> String {
        "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }
}
