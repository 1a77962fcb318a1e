/// Why a sign-in through an OpenID provider failed. Every case has a stable ``code`` that pages,
/// JSON bodies, audit events and metrics use; ``description`` explains it for operators.
///
/// Neither the code nor the description ever contains a token, an authorization code, a state, a
/// nonce or a secret.
package enum OIDCError: Error, Sendable, Equatable, CustomStringConvertible {
    // The provider's documents.
    /// The discovery document could not be fetched or is not acceptable.
    case discoveryFailed(String)
    /// The JWKS could not be fetched or holds no usable key.
    case keySetFailed(String)

    // The browser's return to the callback.
    /// The callback carries no `state`, or one this server never issued (or already forgot).
    case unknownState
    /// The `state` was issued but has been used already: a replayed callback.
    case reusedState
    /// The `state` was issued too long ago.
    case expiredState
    /// The `state` was issued to another browser (the login cookie does not match).
    case browserMismatch
    /// The IdP answered the authorization request with an error (`error=`).
    case providerError(code: String, description: String?)
    /// The callback's `iss` parameter (RFC 9207) names another issuer.
    case issuerParameterMismatch
    /// The callback has neither `code` nor `error`.
    case missingCode

    // The token endpoint.
    /// The token endpoint refused the code (an OAuth `error` such as `invalid_grant`: replayed or
    /// expired), or its answer cannot sign anyone in (no ID token, not a Bearer token).
    case tokenExchangeFailed(String)
    /// The token endpoint cannot be reached, fails (5xx, or an error status without an OAuth
    /// `error`), or answers with something that is not a JSON object.
    case tokenEndpointUnavailable(String)

    // The ID token.
    /// The token is not a compact JWS with a JSON header and payload.
    case malformedToken(String)
    /// The header's `alg` is not in the allow-list (this includes `none` and, unless configured, HMAC).
    case algorithmNotAllowed(String)
    /// The key named by `kid` does not do the header's `alg` (algorithm confusion).
    case algorithmKeyMismatch(algorithm: String, keyID: String)
    /// The header carries a key or a key reference (`jwk`, `jku`, `x5u`, `x5c`); RoleSync trusts
    /// only the provider's JWKS.
    case headerKeyRefused(String)
    /// The header marks extensions critical (`crit`) that RoleSync does not understand.
    case unsupportedCriticalHeader([String])
    /// The header's `typ` says this is not an ID token.
    case unexpectedTokenType(String)
    /// No key in the provider's JWKS matches, even after refetching it.
    case unknownKey(keyID: String?)
    /// The token names no `kid` and several keys could verify it.
    case ambiguousKey
    /// The signature does not verify.
    case badSignature
    /// `iss` is missing or is not exactly the configured issuer.
    case issuerMismatch
    /// `aud` is missing, does not contain the client id, or contains an untrusted audience.
    case audienceMismatch
    /// `azp` is missing with several audiences, or is not the client id.
    case authorizedPartyMismatch
    /// `exp` is missing or in the past.
    case expired
    /// `iat` is missing.
    case missingIssuedAt
    /// `iat` is in the future beyond the allowed clock skew.
    case issuedInFuture
    /// `nbf` is in the future beyond the allowed clock skew.
    case notYetValid
    /// `nonce` is missing or differs from the one sent with this login.
    case nonceMismatch
    /// `sub` is missing or empty.
    case missingSubject

    // Userinfo.
    /// Userinfo cannot be asked: the provider has no userinfo endpoint, the token response has no
    /// access token, or the answer is signed (not supported).
    case userinfoFailed(String)
    /// The userinfo endpoint cannot be reached, does not answer 200, or answers with something that
    /// is not a JSON object.
    case userinfoUnavailable(String)
    /// The userinfo `sub` differs from the ID token's: the responses are about different people.
    case userinfoSubjectMismatch

    /// A stable, machine-readable code.
    package var code: String {
        switch self {
        case .discoveryFailed: "discovery_failed"
        case .keySetFailed: "jwks_failed"
        case .unknownState: "unknown_state"
        case .reusedState: "reused_state"
        case .expiredState: "expired_state"
        case .browserMismatch: "browser_mismatch"
        case .providerError: "idp_error"
        case .issuerParameterMismatch: "iss_parameter_mismatch"
        case .missingCode: "missing_code"
        case .tokenExchangeFailed: "token_exchange_failed"
        case .tokenEndpointUnavailable: "token_endpoint_unavailable"
        case .malformedToken: "id_token_malformed"
        case .algorithmNotAllowed: "id_token_algorithm_not_allowed"
        case .algorithmKeyMismatch: "id_token_algorithm_key_mismatch"
        case .headerKeyRefused: "id_token_header_key"
        case .unsupportedCriticalHeader: "id_token_unsupported_crit"
        case .unexpectedTokenType: "id_token_type"
        case .unknownKey: "id_token_unknown_key"
        case .ambiguousKey: "id_token_ambiguous_key"
        case .badSignature: "id_token_bad_signature"
        case .issuerMismatch: "id_token_issuer_mismatch"
        case .audienceMismatch: "id_token_audience_mismatch"
        case .authorizedPartyMismatch: "id_token_azp_mismatch"
        case .expired: "id_token_expired"
        case .missingIssuedAt: "id_token_missing_iat"
        case .issuedInFuture: "id_token_issued_in_future"
        case .notYetValid: "id_token_not_yet_valid"
        case .nonceMismatch: "id_token_nonce_mismatch"
        case .missingSubject: "id_token_missing_sub"
        case .userinfoFailed: "userinfo_failed"
        case .userinfoUnavailable: "userinfo_unavailable"
        case .userinfoSubjectMismatch: "userinfo_sub_mismatch"
        }
    }

    /// Whether the failure lies with the provider or the network rather than with the request:
    /// the server answers these with 502 instead of 4xx.
    package var isUpstreamFailure: Bool {
        switch self {
        case .discoveryFailed, .keySetFailed, .tokenEndpointUnavailable, .userinfoUnavailable: true
        default: false
        }
    }

    package var description: String {
        switch self {
        case .discoveryFailed(let reason): "the provider's discovery document is unusable: \(reason)"
        case .keySetFailed(let reason): "the provider's key set (JWKS) is unusable: \(reason)"
        case .unknownState: "this sign-in link is not one RoleSync issued, or it has been forgotten; start again"
        case .reusedState: "this sign-in response was already used; start again"
        case .expiredState: "the sign-in took too long; start again"
        case .browserMismatch: "the sign-in was started in another browser; start again here"
        case .providerError(let code, let description):
            "the identity provider refused the sign-in: \(code)" + (description.map { " (\($0))" } ?? "")
        case .issuerParameterMismatch: "the response names another issuer than the one the sign-in went to (RFC 9207)"
        case .missingCode: "the identity provider's response has neither a code nor an error"
        case .tokenExchangeFailed(let reason): "the code could not be exchanged for tokens: \(reason)"
        case .tokenEndpointUnavailable(let reason): "the provider's token endpoint is unavailable: \(reason)"
        case .malformedToken(let reason): "the ID token is malformed: \(reason)"
        case .algorithmNotAllowed(let alg): "the ID token's algorithm '\(alg)' is not allowed"
        case .algorithmKeyMismatch(let alg, let kid): "the key '\(kid)' is not used with the algorithm '\(alg)'"
        case .headerKeyRefused(let field): "the ID token's header carries '\(field)'; only the provider's JWKS is trusted"
        case .unsupportedCriticalHeader(let names):
            "the ID token's header marks unsupported extensions critical: \(names.joined(separator: ", "))"
        case .unexpectedTokenType(let type): "the token's type '\(type)' is not an ID token"
        case .unknownKey(let kid):
            kid.map { "no key '\($0)' in the provider's key set" } ?? "no key in the provider's key set fits the token"
        case .ambiguousKey: "the ID token names no key and several keys could verify it"
        case .badSignature: "the ID token's signature does not verify"
        case .issuerMismatch: "the ID token's issuer is not the configured issuer"
        case .audienceMismatch: "the ID token is not addressed to this client (aud)"
        case .authorizedPartyMismatch: "the ID token's authorized party (azp) is not this client"
        case .expired: "the ID token has expired"
        case .missingIssuedAt: "the ID token has no issue time (iat)"
        case .issuedInFuture: "the ID token's issue time (iat) is in the future"
        case .notYetValid: "the ID token is not valid yet (nbf)"
        case .nonceMismatch: "the ID token's nonce does not match this sign-in"
        case .missingSubject: "the ID token has no subject (sub)"
        case .userinfoFailed(let reason): "the userinfo request failed: \(reason)"
        case .userinfoUnavailable(let reason): "the provider's userinfo endpoint is unavailable: \(reason)"
        case .userinfoSubjectMismatch: "the userinfo response is about another subject than the ID token"
        }
    }
}
