import Crypto
package import Foundation
import RoleSyncJSON
import RoleSyncMapping

/// Every ID-token check of OpenID Connect Core §3.1.3.7, in an order where nothing from the token
/// is trusted before the signature is verified with a key and algorithm RoleSync chose itself.
///
/// 1. The header: `alg` in the allow-list (never `none`; HMAC only when configured), no key or key
///    reference (`jwk`, `jku`, `x5u`, `x5c`), no unknown `crit`, a `typ` (if any) of `JWT`.
/// 2. The key: by `kid` from the provider's JWKS (a `kid`-less token only when exactly one key
///    fits), and it must do `alg`.
/// 3. The signature, with jwt-kit's verifier for exactly that key and algorithm.
/// 4. The claims: `iss` exact; `aud` contains the client id and nothing untrusted; `azp` is the
///    client id when present (and required with several audiences); `exp` in the future and `iat`
///    present and not in the future (both with the allowed skew); `nbf` passed; `nonce` equal
///    (constant time); `sub` present.
package struct IDTokenValidator: Sendable {
    /// What the token must say.
    package struct Expectations: Sendable {
        package var issuer: String
        package var clientID: String
        /// Audiences besides the client id that may appear in `aud`.
        package var trustedAudiences: Set<String>
        /// The algorithms the provider may use (advertised ∩ RoleSync's allow-list).
        package var algorithms: Set<JWSAlgorithm>
        /// How far the token's clock may be ahead of or behind ours.
        package var clockSkew: TimeInterval

        package init(
            issuer: String,
            clientID: String,
            trustedAudiences: Set<String> = [],
            algorithms: Set<JWSAlgorithm>,
            clockSkew: TimeInterval = 60
        ) {
            self.issuer = issuer
            self.clientID = clientID
            self.trustedAudiences = trustedAudiences
            self.algorithms = algorithms
            self.clockSkew = clockSkew
        }
    }

    package var expectations: Expectations

    package init(_ expectations: Expectations) {
        self.expectations = expectations
    }

    /// Header names whose presence means the token brings its own key.
    static let keyBearingHeaders = ["jwk", "jku", "x5u", "x5c"]

    /// Validates a token.
    /// - Parameters:
    ///   - token: the compact JWS from the token response.
    ///   - keys: the provider's current keys.
    ///   - nonce: the nonce sent with this login.
    ///   - now: the current time.
    /// - Returns: the verified token.
    /// - Throws: the ``OIDCError`` of the first failed check; ``OIDCError/unknownKey(keyID:)`` is
    ///   the one case where a fresh key set may help.
    package func validate(_ token: String, keys: KeySet, nonce: String, now: Date) throws(OIDCError) -> VerifiedIDToken {
        let jws = try CompactJWS(token)
        let algorithm = try checkHeader(jws.header)
        let keyID: String?
        switch jws.header["kid"] {
        case nil: keyID = nil
        case .string(let kid)?: keyID = kid
        case let other?: throw .malformedToken("'kid' is a \(other.typeName)")
        }
        let key = try keys.key(id: keyID, algorithm: algorithm)
        guard key.verify(signature: jws.signature, signingInput: jws.signingInput, algorithm: algorithm) else {
            throw .badSignature
        }
        let claims: Claims
        do {
            claims = try Claims(json: jws.payload)
        } catch {
            throw .malformedToken("the payload is not a JSON object")
        }
        let (subject, expiresAt) = try checkClaims(claims.values, nonce: nonce, now: now)
        return VerifiedIDToken(
            claims: claims,
            subject: subject,
            issuer: expectations.issuer,
            keyID: key.id,
            algorithm: algorithm,
            expiresAt: expiresAt
        )
    }

    func checkHeader(_ header: [String: ClaimValue]) throws(OIDCError) -> JWSAlgorithm {
        guard case .string(let name)? = header["alg"] else { throw .malformedToken("the header has no 'alg'") }
        guard let algorithm = JWSAlgorithm(rawValue: name), expectations.algorithms.contains(algorithm) else {
            throw .algorithmNotAllowed(name)
        }
        for field in Self.keyBearingHeaders where header[field] != nil {
            throw .headerKeyRefused(field)
        }
        if let crit = header["crit"] {
            // RoleSync implements no JWS extension, so any critical one is unknown (and an empty
            // or malformed list is invalid, RFC 7515 §4.1.11).
            guard case .array(let names) = crit, !names.isEmpty else {
                throw .unsupportedCriticalHeader(["(invalid 'crit')"])
            }
            throw .unsupportedCriticalHeader(names.map { $0.stringValue ?? $0.jsonText })
        }
        if let typ = header["typ"] {
            guard case .string(let type) = typ,
                ["jwt", "application/jwt"].contains(type.lowercased())
            else {
                throw .unexpectedTokenType(typ.stringValue ?? typ.jsonText)
            }
        }
        return algorithm
    }

    func checkClaims(
        _ claims: [String: ClaimValue],
        nonce: String,
        now: Date
    ) throws(OIDCError) -> (subject: String, expiresAt: Date) {
        guard claims["iss"]?.stringValue == expectations.issuer else { throw .issuerMismatch }

        let audiences: [String]
        switch claims["aud"] {
        case .string(let aud)?: audiences = [aud]
        case .array(let list)?:
            var values: [String] = []
            for item in list {
                guard case .string(let aud) = item else { throw .audienceMismatch }
                values.append(aud)
            }
            audiences = values
        default: throw .audienceMismatch
        }
        guard audiences.contains(expectations.clientID),
            audiences.allSatisfy({ $0 == expectations.clientID || expectations.trustedAudiences.contains($0) })
        else { throw .audienceMismatch }
        switch claims["azp"] {
        case nil:
            guard Set(audiences).count == 1 else { throw .authorizedPartyMismatch }
        case .string(let azp)?:
            guard azp == expectations.clientID else { throw .authorizedPartyMismatch }
        default:
            throw .authorizedPartyMismatch
        }

        let time = now.timeIntervalSince1970
        let skew = expectations.clockSkew
        guard case .number(let exp)? = claims["exp"], exp.isFinite, exp + skew > time else { throw .expired }
        guard case .number(let iat)? = claims["iat"], iat.isFinite else { throw .missingIssuedAt }
        guard iat <= time + skew else { throw .issuedInFuture }
        if let nbf = claims["nbf"] {
            guard case .number(let notBefore) = nbf, notBefore.isFinite, notBefore <= time + skew else {
                throw .notYetValid
            }
        }

        guard case .string(let sent)? = claims["nonce"], ConstantTime.equal(sent.utf8, nonce.utf8) else {
            throw .nonceMismatch
        }
        guard case .string(let subject)? = claims["sub"], !subject.isEmpty else { throw .missingSubject }
        return (subject, Date(timeIntervalSince1970: exp))
    }
}
