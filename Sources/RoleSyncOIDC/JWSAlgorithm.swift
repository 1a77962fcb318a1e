/// A JWS signature algorithm (RFC 7518 §3, RFC 8037) that an ID token may be signed with.
///
/// `none` has no case: an unsigned token can never be represented, let alone accepted.
package enum JWSAlgorithm: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
    case ps256 = "PS256"
    case ps384 = "PS384"
    case ps512 = "PS512"
    case es256 = "ES256"
    case es384 = "ES384"
    case es512 = "ES512"
    case edDSA = "EdDSA"
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"

    /// The algorithms RoleSync accepts from an IdP's keys: RSA (PKCS#1 v1.5 and PSS), ECDSA and
    /// EdDSA. HMAC is excluded; it needs an explicit opt-in per IdP.
    package static let asymmetric: Set<JWSAlgorithm> = [
        .rs256, .rs384, .rs512, .ps256, .ps384, .ps512, .es256, .es384, .es512, .edDSA,
    ]

    /// The HMAC algorithms, keyed with the client secret (OpenID Connect Core §10.1).
    package static let hmac: Set<JWSAlgorithm> = [.hs256, .hs384, .hs512]

    /// The kind of key that verifies this algorithm.
    package var keyType: VerificationKey.KeyType {
        switch self {
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512: .rsa
        case .es256: .ec(.p256)
        case .es384: .ec(.p384)
        case .es512: .ec(.p521)
        case .edDSA: .okp(.ed25519)
        case .hs256, .hs384, .hs512: .octet
        }
    }

    package static func < (lhs: JWSAlgorithm, rhs: JWSAlgorithm) -> Bool {
        lhs.order < rhs.order
    }

    private var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}
