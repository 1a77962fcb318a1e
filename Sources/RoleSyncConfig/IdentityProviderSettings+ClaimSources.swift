import Foundation
import RoleSyncYAML

extension IdentityProviderSettings {
    /// The hosts a sign-in follows `_claim_sources` to when `follow_claim_sources: true` and no
    /// `claim_source_hosts` are given: Microsoft Graph, where Entra ID points for group overage.
    package static let defaultClaimSourceHosts: Set<String> = ["graph.microsoft.com"]

    /// Checks `follow_claim_sources` and `claim_source_hosts` of an `idps[]` entry.
    ///
    /// ```yaml
    /// follow_claim_sources: true                 # opt-in; off by default
    /// claim_source_hosts: [graph.microsoft.com]  # the default; only with follow_claim_sources
    /// ```
    /// - Parameters:
    ///   - follow: the `follow_claim_sources` value, if given.
    ///   - hosts: the `claim_source_hosts` value, if given.
    ///   - at: the entry's place (`idps[0]`), for messages.
    ///   - validation: where errors are reported.
    /// - Returns: the hosts to follow (empty: none), or `nil` after reporting an error.
    static func claimSourceHosts(
        follow: Bool?,
        hosts: Located<[Located<String>]>?,
        at: String,
        _ validation: inout Validation
    ) -> Set<String>? {
        let isFollowing = follow ?? false
        guard let hosts else { return isFollowing ? defaultClaimSourceHosts : [] }
        guard isFollowing else {
            validation.error(hosts.location, "\(at).claim_source_hosts goes with 'follow_claim_sources: true'")
            return nil
        }
        guard !hosts.value.isEmpty else {
            validation.error(hosts.location, "\(at).claim_source_hosts: list at least one host, or leave it out for graph.microsoft.com")
            return nil
        }
        var allowed = Set<String>()
        var valid = true
        for host in hosts.value {
            guard isHostName(host.value) else {
                validation.error(
                    host.location,
                    "\(at).claim_source_hosts: '\(host.value)' is not a host name (no scheme, port, path or wildcard: graph.microsoft.com)"
                )
                valid = false
                continue
            }
            allowed.insert(host.value.lowercased())
        }
        return valid ? allowed : nil
    }

    /// A DNS name of at least two labels, letters, digits and hyphens only.
    static func isHostName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                    && label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
            }
    }
}
