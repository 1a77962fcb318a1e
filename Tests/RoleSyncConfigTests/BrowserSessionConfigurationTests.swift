import Foundation
import RoleSyncConfig
import Testing

/// `session.cookie_domain` and `session.allowed_return_hosts`: sign-in in front of other hosts.
@Suite("serve configuration: browser sign-in for gateways")
struct BrowserSessionConfigurationTests {
    let shadow = ShadowConfigurationTests()

    func yaml(_ lines: String) -> String {
        ServeConfigurationTests.valid.replacingOccurrences(of: "  absolute_lifetime: 1d\n", with: "  absolute_lifetime: 1d\n" + lines)
    }

    @Test("Read as written: the domain without its dot, the hosts in lower case")
    func read() throws {
        let session = try shadow.parse(
            yaml("  cookie_domain: .Example.com\n  allowed_return_hosts: [grafana.example.com, \"*.Tools.example.com\"]\n")
        ).session
        #expect(session.cookieDomain == "example.com")
        #expect(session.allowedReturnHosts == ["grafana.example.com", "*.tools.example.com"])
        #expect(try shadow.parse(ServeConfigurationTests.valid).session.cookieDomain == nil)
    }

    @Test(
        "Errors name the key and say why",
        arguments: [
            ("  cookie_domain: com\n", "session.cookie_domain: 'com' is not a domain"),
            ("  cookie_domain: other.test\n", "public_url's host 'rolesync.example.com' is not in 'other.test'"),
            ("  cookie_domain: \"exa mple.com\"\n", "is not a domain"),
            ("  allowed_return_hosts: [grafana.example.com]\n", "allowed_return_hosts needs session.cookie_domain"),
            ("  cookie_domain: example.com\n  allowed_return_hosts: [grafana.other.test]\n", "'grafana.other.test' is outside session.cookie_domain"),
            ("  cookie_domain: example.com\n  allowed_return_hosts: [\"https://grafana.example.com\"]\n", "is not a host name"),
            ("  cookie_domain: example.com\n  allowed_return_hosts: [\"grafana.*.example.com\"]\n", "is not a host name"),
        ]
    )
    func errors(_ lines: String, _ expected: String) {
        let found = shadow.errors(yaml(lines))
        #expect(found.contains { $0.contains(expected) && $0.hasPrefix("/etc/rolesync/rolesync.yaml:") }, "\(found)")
    }
}
