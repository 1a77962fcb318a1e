package import RoleSyncJSON

extension Claims {
    /// These claims with values found elsewhere for distributed ones, each noted with its source:
    /// the claims named are no longer unknown, and the trace says where their values came from.
    ///
    /// ```swift
    /// let claims = Claims(token).resolving(["groups": ["finance"]], from: source)
    /// claims.unknownNames  // []
    /// ```
    /// - Parameters:
    ///   - resolved: values by top-level claim name; a `null` value resolves nothing.
    ///   - source: where they came from.
    /// - Returns: the claims, with the values laid over and ``sources`` noting them.
    package func resolving(_ resolved: [String: ClaimValue], from source: ClaimSource) -> Claims {
        var claims = self
        for (name, value) in resolved where value != .null {
            claims.values[name] = value
            claims.unknownNames.remove(name)
            claims.sources[name] = source
        }
        return claims
    }

    /// The claims without their source notes: what the ledger stores as a user's last claims
    /// (values resolved from elsewhere stay, as if the token had carried them).
    package var withoutSources: Claims {
        var claims = self
        claims.sources = [:]
        return claims
    }
}
