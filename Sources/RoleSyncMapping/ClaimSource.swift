package import Foundation

/// Where the value of a claim came from when the token did not carry it: a *distributed* claim
/// (`_claim_names`, Entra ID's group overage) that the ledger looked up elsewhere.
///
/// The mapping never looks anything up: it is handed the values and this note, shows the note in
/// the trace, and passes it on in ``Decision/claimSources``.
///
/// ```swift
/// let source = ClaimSource(via: .scimPush, asOf: pushed, ageSeconds: 240)
/// source.summary  // "the directory (SCIM push), 4 min old"
/// ```
package struct ClaimSource: Sendable, Hashable {
    /// How the value was read.
    package enum Via: Sendable, Hashable {
        /// The entries the IdP pushed to RoleSync's SCIM endpoint (`idps[].scim_token`).
        case scimPush
        /// A live read of the IdP's SCIM directory (`idps[].directory.scim_url`).
        case scimPull
        /// The endpoint the token's `_claim_sources` names, called with the access token; the
        /// value is the endpoint's host (`graph.microsoft.com`).
        case claimSourceEndpoint(host: String)

        /// What the audit log says: `scim` and `directory`, as for the directory's other changes,
        /// or the endpoint's host.
        package var code: String {
            switch self {
            case .scimPush: "scim"
            case .scimPull: "directory"
            case .claimSourceEndpoint(let host): host
            }
        }
    }

    package var via: Via
    /// When the values were last known to be current: the newest write of the pushed entries read,
    /// or the moment of a live read.
    package var asOf: Date
    /// How old the values were when the decision was made, in whole seconds (0 for a live read).
    package var ageSeconds: Int

    /// - Parameters:
    ///   - via: how the value was read.
    ///   - asOf: when it was last known to be current.
    ///   - ageSeconds: its age at the decision; negative ages (a clock step) count as 0.
    package init(via: Via, asOf: Date, ageSeconds: Int) {
        self.via = via
        self.asOf = asOf
        self.ageSeconds = max(0, ageSeconds)
    }

    /// `directory` for both SCIM paths, `claim_source` for the token's own endpoint.
    package var origin: String {
        switch via {
        case .scimPush, .scimPull: "directory"
        case .claimSourceEndpoint: "claim_source"
        }
    }

    /// For people: `the directory (SCIM push), 4 min old`, `the directory (SCIM pull), read now`,
    /// `the token's claim source (graph.microsoft.com), read now`.
    package var summary: String {
        let place: String =
            switch via {
            case .scimPush: "the directory (SCIM push)"
            case .scimPull: "the directory (SCIM pull)"
            case .claimSourceEndpoint(let host): "the token's claim source (\(host))"
            }
        return "\(place), \(Self.age(ageSeconds))"
    }

    /// `read now`, `42 s old`, `4 min old`, `3 h old`, `2 d old`: whole units, rounded down.
    static func age(_ seconds: Int) -> String {
        switch seconds {
        case ...0: "read now"
        case ..<60: "\(seconds) s old"
        case ..<3_600: "\(seconds / 60) min old"
        case ..<86_400: "\(seconds / 3_600) h old"
        default: "\(seconds / 86_400) d old"
        }
    }
}
