package import RoleSyncJSON
package import RoleSyncMapping

/// Finds the values of a token's distributed claims (`_claim_names`, Entra ID's group overage) in
/// the IdP's directory, so that a sign-in decides on them instead of treating them as unknown.
///
/// ``SyncService/signIn(issuer:claims:)`` asks it before the mapping decides, only when the token
/// has unknown claims. An implementation never throws and never fails the sign-in: when it cannot
/// tell (no directory, a person the directory does not know, a directory that does not answer in
/// time) it returns `nil`, and the claims stay unknown.
package protocol DirectoryClaimResolver: Sendable {
    /// The directory's values for some of the unknown claims of one person.
    /// - Parameters:
    ///   - issuer: the token's issuer, which names the IdP and so its directory.
    ///   - claims: the verified claims; the person is found by the directory's match claim in them.
    ///   - unknown: the claims the token marks as distributed and does not carry.
    /// - Returns: values for those of `unknown` that the directory supplies, and where they came
    ///   from; `nil` when the directory has none of them, or the person could not be looked up.
    func resolve(issuer: String, claims: Claims, unknown: Set<String>) async -> ResolvedClaims?
}

/// Values a ``DirectoryClaimResolver`` found for distributed claims, and their source.
package struct ResolvedClaims: Sendable, Hashable {
    /// By top-level claim name: only names that were unknown, never `null`.
    package var values: [String: ClaimValue]
    package var source: ClaimSource

    package init(values: [String: ClaimValue], source: ClaimSource) {
        self.values = values
        self.source = source
    }
}
