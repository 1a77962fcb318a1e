import RoleSyncConfig
import Testing

/// `follow_claim_sources` and `claim_source_hosts`: opt-in, and hosts only.
@Suite("serve configuration: claim sources")
struct ClaimSourceConfigurationTests {
    /// The directory tests' configuration: one IdP, `lines` added to its entry.
    let configuration = DirectoryConfigurationTests()

    func hosts(_ lines: String) throws -> Set<String> { try configuration.parse(lines).claimSourceHosts }

    func errors(_ lines: String) -> [String] { configuration.errors(lines) }

    @Test("Off unless asked; asked, Microsoft Graph; or the hosts listed, lower-cased")
    func hosts() throws {
        #expect(try hosts("").isEmpty)
        #expect(try hosts("follow_claim_sources: false").isEmpty)
        #expect(try hosts("follow_claim_sources: true") == ["graph.microsoft.com"])
        #expect(
            try hosts("follow_claim_sources: true\nclaim_source_hosts: [Graph.Microsoft.com, graph.example-tenant.test]")
                == ["graph.microsoft.com", "graph.example-tenant.test"]
        )
    }

    @Test(
        "Errors name the key",
        arguments: [
            ("claim_source_hosts: [graph.microsoft.com]", "7:25: error: idps[0].claim_source_hosts goes with 'follow_claim_sources: true'"),
            ("follow_claim_sources: yes", "7:27: error: idps[0].follow_claim_sources must be true or false, found a string"),
            ("follow_claim_sources: true\nclaim_source_hosts: []", "8:25: error: idps[0].claim_source_hosts: list at least one host"),
            (
                "follow_claim_sources: true\nclaim_source_hosts: [\"https://graph.microsoft.com\"]",
                "8:26: error: idps[0].claim_source_hosts: 'https://graph.microsoft.com' is not a host name"
            ),
            ("follow_claim_sources: true\nclaim_source_hosts: [\"*.microsoft.com\"]", "is not a host name"),
            ("follow_claim_sources: true\nclaim_source_hosts: [\"graph.microsoft.com:443\"]", "is not a host name"),
            ("follow_claim_sources: true\nclaim_source_hosts: [localhost]", "'localhost' is not a host name"),
        ]
    )
    func errors(lines: String, expected: String) {
        let found = errors(lines)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
    }
}
