import Crypto
package import Foundation
import JWTKit
import RoleSyncJSON
import RoleSyncMapping
import _CryptoExtras

/// One verification key from a provider's JWKS, parsed by RoleSync itself (RFC 7517, RFC 7518 §6,
/// RFC 8037) rather than by jwt-kit, so that one key RoleSync cannot use never spoils the others.
///
/// A key knows exactly which algorithms it verifies: its own `alg` when it names one, otherwise the
/// allow-listed algorithms of its type. The verifiers are jwt-kit's, built for that key and
/// algorithm alone, so the token's header can never choose the algorithm a key is used with.
package struct VerificationKey: Sendable {
    /// Key types and curves RoleSync understands.
    package enum KeyType: Sendable, Hashable, CustomStringConvertible {
        case rsa
        case ec(Curve)
        case okp(Curve)
        /// A symmetric key; only the client secret is ever one (HMAC opt-in).
        case octet

        package enum Curve: String, Sendable, Hashable {
            case p256 = "P-256"
            case p384 = "P-384"
            case p521 = "P-521"
            case ed25519 = "Ed25519"
        }

        package var description: String {
            switch self {
            case .rsa: "RSA"
            case .ec(let curve): "EC \(curve.rawValue)"
            case .okp(let curve): "OKP \(curve.rawValue)"
            case .octet: "oct"
            }
        }
    }

    /// The key id: the JWK's `kid`, or its RFC 7638 thumbprint when it has none.
    package let id: String
    /// Whether ``id`` is a thumbprint because the JWK had no `kid`.
    package let hasImplicitID: Bool
    package let type: KeyType
    /// The algorithms this key verifies, each with the verifier bound to it.
    let verifiers: [JWSAlgorithm: any JWTAlgorithm]

    /// The algorithms this key verifies.
    package var algorithms: Set<JWSAlgorithm> { Set(verifiers.keys) }

    /// Checks a signature over the JWS signing input with the verifier for `algorithm`.
    /// - Returns: `false` when the key does not do `algorithm` or the signature is wrong.
    package func verify(signature: Data, signingInput: Data, algorithm: JWSAlgorithm) -> Bool {
        guard let verifier = verifiers[algorithm] else { return false }
        return (try? verifier.verify(signature, signs: signingInput)) ?? false
    }
}

/// Why a JWK in a set was left out. The set still loads with the keys that remain.
package struct SkippedKey: Sendable, Hashable, CustomStringConvertible {
    /// The key's position in `keys`.
    package var index: Int
    /// Its `kid`, when it has one.
    package var keyID: String?
    package var reason: String

    package var description: String {
        "keys[\(index)]" + (keyID.map { " (kid '\($0)')" } ?? "") + ": \(reason)"
    }
}

/// The members of a JWK (RFC 7517 §4, RFC 7518 §6) RoleSync reads, each of its JSON type: a member
/// of another type skips the key with a reason that names it.
struct JWKMembers: Decodable {
    var kty: String?
    var kid: String?
    var use: String?
    var keyOperations: [String]?
    var alg: String?
    var crv: String?
    var n: String?
    var e: String?
    var x: String?
    var y: String?

    enum CodingKeys: String, CodingKey {
        case kty, kid, use, alg, crv, n, e, x, y
        case keyOperations = "key_ops"
    }
}

extension VerificationKey {
    struct Skip: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Parses one JWK object.
    /// - Parameters:
    ///   - object: the key's members.
    ///   - allowed: the algorithms the provider may use; a key gets only algorithms from it.
    /// - Throws: ``Skip`` with the reason when the key cannot be used for ID-token signatures.
    static func parse(_ object: [String: ClaimValue], allowed: Set<JWSAlgorithm>) async throws(Skip) -> VerificationKey {
        let jwk: JWKMembers
        do {
            jwk = try ClaimValue.object(object).decode(JWKMembers.self)
        } catch {
            throw Skip(JSONDecodeFailure(error).description)
        }
        func string(_ name: String) -> String? {
            switch name {
            case "n": jwk.n
            case "e": jwk.e
            case "x": jwk.x
            case "y": jwk.y
            case "kid": jwk.kid
            default: nil
            }
        }
        func bytes(_ name: String) throws(Skip) -> Data {
            guard let text = string(name) else { throw Skip("'\(name)' is missing") }
            guard let data = Base64URL.decode(text), !data.isEmpty else { throw Skip("'\(name)' is not base64url") }
            return data
        }

        guard let kty = jwk.kty else { throw Skip("'kty' is missing") }
        if let use = jwk.use, use != "sig" { throw Skip("'use' is '\(use)', not 'sig'") }
        if let ops = jwk.keyOperations, !ops.contains("verify") {
            throw Skip("'key_ops' does not include 'verify'")
        }
        let declared: JWSAlgorithm?
        if let alg = jwk.alg {
            guard let known = JWSAlgorithm(rawValue: alg), JWSAlgorithm.asymmetric.contains(known) else {
                throw Skip("'alg' '\(alg)' is not supported for ID tokens")
            }
            declared = known
        } else {
            declared = nil
        }

        let type: KeyType
        switch kty {
        case "RSA": type = .rsa
        case "EC", "OKP":
            guard let crv = jwk.crv else { throw Skip("'crv' is missing") }
            guard let curve = KeyType.Curve(rawValue: crv), (kty == "OKP") == (curve == .ed25519) else {
                throw Skip("curve '\(crv)' is not supported for \(kty) keys")
            }
            type = kty == "EC" ? .ec(curve) : .okp(curve)
        default:
            throw Skip("key type '\(kty)' is not supported")
        }
        if let declared, declared.keyType != type {
            throw Skip("'alg' '\(declared.rawValue)' does not fit a \(type) key")
        }
        let algorithms = (declared.map { [$0] } ?? JWSAlgorithm.asymmetric.filter { $0.keyType == type })
            .filter(allowed.contains)
        guard !algorithms.isEmpty else {
            throw Skip("none of its algorithms is allowed (\(declared?.rawValue ?? "\(type)"))")
        }

        let thumbprintMembers: [(String, String)]
        var verifiers: [JWSAlgorithm: any JWTAlgorithm] = [:]
        do {
            switch type {
            case .rsa:
                let n = try bytes("n")
                let e = try bytes("e")
                let backing = try _RSA.Signing.PublicKey(n: n, e: e)
                let key = try JWTKit.Insecure.RSA.PublicKey(backing: backing)
                for alg in algorithms { verifiers[alg] = try await Self.rsaVerifier(key, alg) }
                thumbprintMembers = [("e", string("e") ?? ""), ("kty", "RSA"), ("n", string("n") ?? "")]
            case .ec(let curve):
                let x = try bytes("x")
                let y = try bytes("y")
                let raw = x + y
                let verifier: any JWTAlgorithm
                switch curve {
                case .p256:
                    let key = try ES256PublicKey(backing: try P256.Signing.PublicKey(rawRepresentation: raw))
                    verifier = try await Self.extract { await $0.add(ecdsa: key) }
                case .p384:
                    let key = try ES384PublicKey(backing: try P384.Signing.PublicKey(rawRepresentation: raw))
                    verifier = try await Self.extract { await $0.add(ecdsa: key) }
                case .p521:
                    let key = try ES512PublicKey(backing: try P521.Signing.PublicKey(rawRepresentation: raw))
                    verifier = try await Self.extract { await $0.add(ecdsa: key) }
                case .ed25519:
                    throw Skip("curve Ed25519 is not an EC curve")
                }
                for alg in algorithms { verifiers[alg] = verifier }
                thumbprintMembers = [
                    ("crv", curve.rawValue), ("kty", "EC"), ("x", string("x") ?? ""), ("y", string("y") ?? ""),
                ]
            case .okp:
                let x = try bytes("x")
                let key = EdDSA.PublicKey(backing: try Curve25519.Signing.PublicKey(rawRepresentation: x))
                let verifier = try await Self.extract { await $0.add(eddsa: key) }
                for alg in algorithms { verifiers[alg] = verifier }
                thumbprintMembers = [("crv", "Ed25519"), ("kty", "OKP"), ("x", string("x") ?? "")]
            case .octet:
                throw Skip("symmetric keys are never taken from a JWKS")
            }
        } catch let skip as Skip {
            throw skip
        } catch {
            throw Skip("the key material is invalid (\(Self.describe(error)))")
        }

        if let kid = string("kid") {
            return VerificationKey(id: kid, hasImplicitID: false, type: type, verifiers: verifiers)
        }
        return VerificationKey(id: Self.thumbprint(thumbprintMembers), hasImplicitID: true, type: type, verifiers: verifiers)
    }

    /// The verifier for the HMAC algorithms keyed with the client secret (opt-in only); an algorithm
    /// whose hash is longer than the secret is left out (RFC 7518 §3.2).
    static func hmac(secret: String, algorithms: Set<JWSAlgorithm>) async -> VerificationKey? {
        var verifiers: [JWSAlgorithm: any JWTAlgorithm] = [:]
        for alg in algorithms.intersection(JWSAlgorithm.hmac) {
            let (digest, minimumLength): (DigestAlgorithm, Int) =
                switch alg {
                case .hs384: (.sha384, 48)
                case .hs512: (.sha512, 64)
                default: (.sha256, 32)
                }
            // RFC 7518 §3.2: the key must be at least as long as the hash output.
            guard secret.utf8.count >= minimumLength else { continue }
            let key = HMACKey(from: secret)
            if let verifier = try? await extract({ await $0.add(hmac: key, digestAlgorithm: digest) }) {
                verifiers[alg] = verifier
            }
        }
        guard !verifiers.isEmpty else { return nil }
        return VerificationKey(id: "client_secret", hasImplicitID: true, type: .octet, verifiers: verifiers)
    }

    private static func rsaVerifier(_ key: JWTKit.Insecure.RSA.PublicKey, _ alg: JWSAlgorithm) async throws -> any JWTAlgorithm {
        switch alg {
        case .rs256: try await extract { await $0.add(rsa: key, digestAlgorithm: .sha256) }
        case .rs384: try await extract { await $0.add(rsa: key, digestAlgorithm: .sha384) }
        case .rs512: try await extract { await $0.add(rsa: key, digestAlgorithm: .sha512) }
        case .ps256: try await extract { await $0.add(pss: key, digestAlgorithm: .sha256) }
        case .ps384: try await extract { await $0.add(pss: key, digestAlgorithm: .sha384) }
        case .ps512: try await extract { await $0.add(pss: key, digestAlgorithm: .sha512) }
        default: throw Skip("'\(alg.rawValue)' is not an RSA algorithm")
        }
    }

    /// Builds jwt-kit's verifier for one key and one algorithm: a fresh collection holding only
    /// that key as its default, from which the algorithm object is taken. The collection is then
    /// dropped; RoleSync looks keys up itself.
    private static func extract(
        _ add: @Sendable (JWTKeyCollection) async -> Void
    ) async throws -> any JWTAlgorithm {
        let collection = JWTKeyCollection()
        await add(collection)
        return try await collection.getKey()
    }

    /// The RFC 7638 thumbprint: SHA-256 over the required members in lexical order, base64url.
    static func thumbprint(_ members: [(String, String)]) -> String {
        let json = "{" + members.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
        return Base64URL.encode(SHA256.hash(data: Data(json.utf8)))
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? JWTError { return "\(error.errorType)" }
        return String(describing: Swift.type(of: error))
    }
}
