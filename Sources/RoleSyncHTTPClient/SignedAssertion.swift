import Crypto
package import Foundation
import _CryptoExtras

/// A JWT a client signs to prove who it is to a token endpoint: Google's service account assertion
/// (RFC 7523, RS256), Microsoft's certificate credential (`private_key_jwt`, PS256 with the
/// certificate's `x5t#S256`). The key is a PEM RSA private key (PKCS #1 or #8); it never appears in
/// an error.
package enum SignedAssertion {
    package enum Algorithm: String, Sendable {
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        case rs256 = "RS256"
        /// RSASSA-PSS with SHA-256.
        case ps256 = "PS256"
    }

    /// Why a key cannot sign: what is wrong with it, never its text.
    package struct KeyError: Error, Sendable, Equatable {
        package var reason: String
    }

    /// The compact JWS of `claims` under `header` (to which `alg`, and `typ: JWT` unless `header`
    /// names another type, are added).
    /// - Throws: ``KeyError`` when `privateKey` is not a usable RSA private key.
    package static func sign(
        header: [String: any Sendable] = [:],
        claims: [String: any Sendable],
        algorithm: Algorithm,
        privateKey: String
    ) throws(KeyError) -> String {
        var header = header
        header["alg"] = algorithm.rawValue
        if header["typ"] == nil { header["typ"] = "JWT" }
        guard let headerJSON = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]),
            let claimsJSON = try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        else { throw KeyError(reason: "the assertion's claims cannot be written as JSON") }
        let input = base64URL(headerJSON) + "." + base64URL(claimsJSON)
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKey)
        } catch {
            throw KeyError(reason: "not an RSA private key in PEM (of at least 2048 bits)")
        }
        do {
            let padding: _RSA.Signing.Padding = algorithm == .ps256 ? .PSS : .insecurePKCS1v1_5
            return input + "." + base64URL(try key.signature(for: Data(input.utf8), padding: padding).rawRepresentation)
        } catch {
            throw KeyError(reason: "signing failed")
        }
    }

    /// The public half of a PEM RSA private key as a JWK (`kty`, `n`, `e`), for a DPoP proof's
    /// header (RFC 9449 §4.2).
    /// - Throws: ``KeyError`` when `privateKey` is not a usable RSA private key.
    package static func publicJWK(of privateKey: String) throws(KeyError) -> [String: String] {
        do {
            let primitives = try _RSA.Signing.PrivateKey(pemRepresentation: privateKey).publicKey.getKeyPrimitives()
            return ["kty": "RSA", "n": base64URL(primitives.modulus), "e": base64URL(primitives.publicExponent)]
        } catch {
            throw KeyError(reason: "not an RSA private key in PEM (of at least 2048 bits)")
        }
    }

    /// A new RSA key of 2,048 bits in PEM, for proofs of possession that live as long as the
    /// process (a DPoP key): never written anywhere.
    package static func ephemeralKey() -> String {
        (try? _RSA.Signing.PrivateKey(keySize: .bits2048))?.pemRepresentation ?? ""
    }

    /// The base64url SHA-256 of a text: a DPoP proof's `ath` for an access token (RFC 9449 §4.2).
    package static func sha256(_ text: String) -> String {
        base64URL(Data(SHA256.hash(data: Data(text.utf8))))
    }

    /// Base64url without padding (RFC 7515 §2).
    package static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `x5t#S256`: the base64url SHA-256 thumbprint of a certificate's DER encoding.
    package static func thumbprintSHA256(_ der: Data) -> String {
        base64URL(Data(SHA256.hash(data: der)))
    }
}
