package import Foundation
import RoleSyncJSON
package import RoleSyncMapping

/// A compact JWS split into its parts, nothing verified yet.
struct CompactJWS {
    var header: [String: ClaimValue]
    var payload: Data
    var signingInput: Data
    var signature: Data

    /// The largest token RoleSync reads; ID tokens with long group lists stay far below it.
    static let maximumLength = 64 * 1024

    init(_ token: String) throws(OIDCError) {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumLength else { throw .malformedToken("longer than 64 KiB") }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else {
            throw .malformedToken(dots.count == 4 ? "an encrypted token (JWE) is not supported" : "not three parts")
        }
        let headerPart = bytes[..<dots[0]]
        let payloadPart = bytes[(dots[0] + 1)..<dots[1]]
        let signaturePart = bytes[(dots[1] + 1)...]
        guard let headerBytes = Base64URL.decode(bytes: headerPart) else {
            throw .malformedToken("the header is not base64url")
        }
        guard let payload = Base64URL.decode(bytes: payloadPart) else {
            throw .malformedToken("the payload is not base64url")
        }
        guard !signaturePart.isEmpty else { throw .algorithmNotAllowed("none") }
        guard let signature = Base64URL.decode(bytes: signaturePart) else {
            throw .malformedToken("the signature is not base64url")
        }
        let header: ClaimValue
        do {
            header = try ClaimValue(json: Data(headerBytes))
        } catch {
            throw .malformedToken("the header is not JSON")
        }
        guard case .object(let members) = header else { throw .malformedToken("the header is not an object") }
        self.header = members
        self.payload = Data(payload)
        self.signingInput = Data(bytes[..<dots[1]])
        self.signature = Data(signature)
    }
}

/// An ID token that passed every check, with its claims.
package struct VerifiedIDToken: Sendable {
    /// The payload's claims.
    package var claims: Claims
    /// `sub`.
    package var subject: String
    /// `iss`.
    package var issuer: String
    /// The key that verified the signature, and the algorithm.
    package var keyID: String
    package var algorithm: JWSAlgorithm
    /// `exp`.
    package var expiresAt: Date
}
