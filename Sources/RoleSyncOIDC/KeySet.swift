package import Foundation
import RoleSyncJSON
import RoleSyncMapping

/// A provider's keys as of one fetch of its JWKS: immutable, rebuilt whole on every fetch, so a
/// key removed at the provider is gone from RoleSync with the next fetch.
package struct KeySet: Sendable {
    /// The usable keys, by id (`kid`, or the RFC 7638 thumbprint of a key without one).
    package let keys: [String: VerificationKey]
    /// The keys left out, with why; logged when the set is fetched.
    package let skipped: [SkippedKey]
    /// When the set was fetched.
    package let fetchedAt: Date

    /// The empty set, before the first fetch.
    package static let empty = KeySet(keys: [:], skipped: [], fetchedAt: .distantPast)

    init(keys: [String: VerificationKey], skipped: [SkippedKey], fetchedAt: Date) {
        self.keys = keys
        self.skipped = skipped
        self.fetchedAt = fetchedAt
    }

    /// Parses a JWKS document key by key: a key RoleSync cannot use (unknown `kty`, `alg` or
    /// `crv`, `use` other than `sig`, no allowed algorithm, bad key material, a duplicate `kid`)
    /// is skipped with a reason and the rest still load.
    /// - Parameters:
    ///   - data: the JWKS JSON (`{"keys": [...]}`).
    ///   - allowed: the algorithms the provider may sign ID tokens with.
    ///   - hmacSecret: the client secret, when HMAC-signed ID tokens are explicitly allowed.
    ///   - fetchedAt: the fetch time.
    /// - Throws: ``OIDCError/keySetFailed(_:)`` when the document is not a JWKS at all.
    package static func parse(
        _ data: Data,
        allowed: Set<JWSAlgorithm>,
        hmacSecret: String? = nil,
        fetchedAt: Date
    ) async throws(OIDCError) -> KeySet {
        let document: ClaimValue
        do {
            document = try ClaimValue(json: data)
        } catch {
            throw .keySetFailed("not JSON: \(error.description)")
        }
        guard case .object(let members) = document, case .array(let entries)? = members["keys"] else {
            throw .keySetFailed("the document has no 'keys' list")
        }
        var keys: [String: VerificationKey] = [:]
        var skipped: [SkippedKey] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let object) = entry else {
                skipped.append(SkippedKey(index: index, keyID: nil, reason: "not an object"))
                continue
            }
            let kid = object["kid"]?.stringValue
            do {
                let key = try await VerificationKey.parse(object, allowed: allowed)
                if keys[key.id] != nil {
                    skipped.append(SkippedKey(index: index, keyID: kid, reason: "another key has the same id"))
                    continue
                }
                keys[key.id] = key
            } catch {
                skipped.append(SkippedKey(index: index, keyID: kid, reason: error.reason))
            }
        }
        if let hmacSecret, let key = await VerificationKey.hmac(secret: hmacSecret, algorithms: allowed) {
            keys[key.id] = key
        }
        return KeySet(keys: keys, skipped: skipped, fetchedAt: fetchedAt)
    }

    /// The key that verifies a token with this header, decided before any signature check.
    /// - Parameters:
    ///   - keyID: the header's `kid`.
    ///   - algorithm: the header's `alg`, already checked against the allow-list.
    /// - Throws: ``OIDCError/unknownKey(keyID:)`` when no key fits (a refetch may help),
    ///   ``OIDCError/algorithmKeyMismatch(algorithm:keyID:)`` when the named key does not do
    ///   `algorithm`, ``OIDCError/ambiguousKey`` when no `kid` is given and several keys fit.
    package func key(id keyID: String?, algorithm: JWSAlgorithm) throws(OIDCError) -> VerificationKey {
        if JWSAlgorithm.hmac.contains(algorithm) {
            // HMAC is keyed with the client secret, never with anything the header names.
            guard let key = keys["client_secret"], key.type == .octet else {
                throw .algorithmNotAllowed(algorithm.rawValue)
            }
            return key
        }
        if let keyID {
            guard let key = keys[keyID], key.type != .octet else { throw .unknownKey(keyID: keyID) }
            guard key.algorithms.contains(algorithm) else {
                throw .algorithmKeyMismatch(algorithm: algorithm.rawValue, keyID: keyID)
            }
            return key
        }
        let candidates = keys.values.filter { $0.type != .octet && $0.algorithms.contains(algorithm) }
        switch candidates.count {
        case 0: throw .unknownKey(keyID: nil)
        case 1: return candidates[0]
        default: throw .ambiguousKey
        }
    }
}
