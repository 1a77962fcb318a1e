package import RoleSyncYAML

/// The mappings of every configured IdP: one per issuer.
package struct MappingSet: Sendable {
    /// The mappings, in the order given.
    package private(set) var mappings: [Mapping]
    private var byIssuer: [String: Int]

    /// Builds a set, refusing a second mapping for an issuer.
    /// - Parameter mappings: validated mappings.
    /// - Returns: the set and an error for each duplicate issuer, placed at the later file's `issuer`
    ///   (that file's mapping is left out).
    package static func build(_ mappings: [Mapping]) -> (set: MappingSet, diagnostics: [Diagnostic]) {
        var set = MappingSet(mappings: [], byIssuer: [:])
        var diagnostics: [Diagnostic] = []
        for mapping in mappings {
            if let first = set.byIssuer[mapping.issuer] {
                diagnostics.append(
                    Diagnostic(
                        .error,
                        at: mapping.issuerLocation,
                        "duplicate issuer '\(mapping.issuer)': \(set.mappings[first].file) already maps it; each IdP has exactly one mapping"
                    )
                )
                continue
            }
            set.byIssuer[mapping.issuer] = set.mappings.count
            set.mappings.append(mapping)
        }
        return (set, diagnostics)
    }

    /// The mapping that governs an issuer (compared exactly).
    package func mapping(forIssuer issuer: String) -> Mapping? {
        byIssuer[issuer].map { mappings[$0] }
    }

    /// These mappings with `other`'s laid over them: a mapping of `other` replaces the one for the
    /// same issuer, the rest stay (what a dry run of a changed file compares against).
    package func replacing(with other: MappingSet) -> MappingSet {
        let replaced = Set(other.mappings.map(\.issuer))
        return MappingSet.build(mappings.filter { !replaced.contains($0.issuer) } + other.mappings).set
    }
}
