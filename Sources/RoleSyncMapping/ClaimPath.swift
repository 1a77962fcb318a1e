package import RoleSyncJSON

/// A dotted path to a claim: `email`, `realm_access.roles`, `resource_access.rolesync.roles`.
///
/// At each level the whole remaining name is tried first, so a claim whose own name has dots or
/// slashes (`https://example.com/claims/groups`) is found as it is; then the path descends into
/// objects one segment at a time, also trying keys that span several segments.
package struct ClaimPath: Sendable, Hashable, CustomStringConvertible {
    /// The path as written.
    package let raw: String
    /// `keys[i][j]` is segments `i...i+j` joined with dots: precomputed so resolving allocates nothing.
    private let keys: [[String]]
    /// Set for a path without dots (most paths): one dictionary look-up resolves it.
    private let singleKey: String?

    /// Creates a path.
    /// - Parameter raw: the path as written; must be non-empty and have no empty segment.
    /// - Returns: `nil` when the path is empty or has an empty segment (`a..b`, `.a`, `a.`).
    package init?(_ raw: String) {
        guard let first = raw.first, let last = raw.last, !first.isWhitespace, !last.isWhitespace else { return nil }
        let segments = raw.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // A dot inside a URL-style name (`https://example.com/groups`) is not a path separator,
        // so empty segments are only refused when the name is not URL-like.
        if segments.contains(where: \.isEmpty), !raw.contains("/") { return nil }
        self.raw = raw
        var keys: [[String]] = []
        for i in segments.indices {
            var row: [String] = []
            var key = ""
            for j in i..<segments.count {
                key += (j == i ? "" : ".") + segments[j]
                row.append(key)
            }
            keys.append(row)
        }
        self.keys = keys
        self.singleKey = segments.count == 1 ? raw : nil
    }

    package var description: String { raw }

    /// What a path finds in a claims set.
    package enum Resolution: Sendable, Hashable {
        /// No such claim (or JSON `null`).
        case absent
        /// The claim is distributed (`_claim_names`): present at the IdP, value not in this token.
        case unknown(String)
        case value(ClaimValue)
    }

    /// Looks the path up in a claims set.
    /// - Parameter claims: the claims to search.
    /// - Returns: the value, or why there is none.
    package func resolve(in claims: Claims) -> Resolution {
        if let singleKey {
            if let value = claims.values[singleKey], value != .null { return .value(value) }
            return claims.unknownNames.contains(singleKey) ? .unknown(singleKey) : .absent
        }
        if let value = resolve(in: claims.values, from: 0) { return .value(value) }
        if !claims.unknownNames.isEmpty {
            for key in keys[0] where claims.unknownNames.contains(key) {
                return .unknown(key)
            }
        }
        return .absent
    }

    private func resolve(in object: [String: ClaimValue], from start: Int) -> ClaimValue? {
        let row = keys[start]
        let last = row.count - 1
        if let whole = object[row[last]], whole != .null { return whole }
        if last == 0 { return nil }
        for length in 0..<last {
            if case .object(let inner)? = object[row[length]],
                let found = resolve(in: inner, from: start + length + 1)
            {
                return found
            }
        }
        return nil
    }

    /// The top-level claim name this path starts with, as written (for near-miss hints).
    var firstSegment: String { keys[0][0] }

    /// The top-level claim this path starts with that ``Claims/sources`` notes, if any.
    func sourcedName(in claims: Claims) -> String? {
        claims.sources.isEmpty ? nil : keys[0].first { claims.sources[$0] != nil }
    }
}
