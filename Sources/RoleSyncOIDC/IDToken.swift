public import Foundation
public import RoleSyncMapping

/// A compact JWS split into its parts, nothing verified yet.
struct CompactJWS {
    var header: [String: ClaimValue]
    var payload: Data
    var signingInput: Data
    var signature: Data

    /// The largest token RoleSync reads; ID tokens with long group lists stay far below it.
    static let maximumLength = 64 * 1024

    init(_ token: String) throws(OIDCError) {
        guard token.utf8.count <= Self.maximumLength else { throw .malformedToken("longer than 64 KiB") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformedToken(parts.count == 5 ? "an encrypted token (JWE) is not supported" : "not three parts")
        }
        guard let headerData = Base64URL.decode(parts[0]) else { throw .malformedToken("the header is not base64url") }
        guard let payload = Base64URL.decode(parts[1]) else { throw .malformedToken("the payload is not base64url") }
        guard !parts[2].isEmpty else { throw .algorithmNotAllowed("none") }
        guard let signature = Base64URL.decode(parts[2]) else {
            throw .malformedToken("the signature is not base64url")
        }
        let header: ClaimValue
        do {
            header = try ClaimValue(json: headerData)
        } catch {
            throw .malformedToken("the header is not JSON")
        }
        guard case .object(let members) = header else { throw .malformedToken("the header is not an object") }
        self.header = members
        self.payload = payload
        self.signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        self.signature = signature
    }
}

/// An ID token that passed every check, with its claims.
public struct VerifiedIDToken: Sendable {
    /// The payload's claims.
    public var claims: Claims
    /// `sub`.
    public var subject: String
    /// `iss`.
    public var issuer: String
    /// The key that verified the signature, and the algorithm.
    public var keyID: String
    public var algorithm: JWSAlgorithm
    /// `exp`.
    public var expiresAt: Date
}
