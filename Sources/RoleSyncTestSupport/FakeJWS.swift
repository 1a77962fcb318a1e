import Foundation
package import RoleSyncJSON
package import _CryptoExtras

/// A compact JWS as the fake servers read one (an assertion, a DPoP proof): its header and claims,
/// and whether an RSA key signed it. `nil` for anything that is not three base64url parts with
/// JSON objects for header and claims.
package struct FakeJWS {
    package var header: [String: ClaimValue]
    package var claims: [String: ClaimValue]
    let input: Data
    let signature: Data

    package init?(_ compact: String) {
        let parts = compact.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Base64URL.decode(parts[2]),
            case .object(let header)? = Base64URL.decode(parts[0]).flatMap({ try? ClaimValue(json: $0) }),
            case .object(let claims)? = Base64URL.decode(parts[1]).flatMap({ try? ClaimValue(json: $0) })
        else { return nil }
        self.header = header
        self.claims = claims
        self.signature = signature
        input = Data("\(parts[0]).\(parts[1])".utf8)
    }

    /// Whether `key` signed it with `alg` (RS256 or PS256), as the header says.
    package func isSigned(by key: _RSA.Signing.PublicKey, algorithm: String) -> Bool {
        guard header["alg"]?.stringValue == algorithm, algorithm == "RS256" || algorithm == "PS256" else { return false }
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature),
            for: input,
            padding: algorithm == "PS256" ? .PSS : .insecurePKCS1v1_5
        )
    }

    /// The RSA public key in the header's `jwk` (a DPoP proof's), or `nil`.
    package var headerKey: _RSA.Signing.PublicKey? {
        guard case .object(let jwk)? = header["jwk"], jwk["kty"] == "RSA", let n = jwk["n"]?.stringValue.flatMap(Base64URL.decode),
            let e = jwk["e"]?.stringValue.flatMap(Base64URL.decode)
        else { return nil }
        return try? _RSA.Signing.PublicKey(n: n, e: e)
    }
}
