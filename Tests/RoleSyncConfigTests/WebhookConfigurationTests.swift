import Foundation
import RoleSyncConfig
import RoleSyncLedger
import Testing

/// `webhooks:`: each endpoint's address, secret, events and limits, every error with file, line,
/// column and key, and never a secret's value.
@Suite("webhooks configuration")
struct WebhookConfigurationTests {
    static let base =
        "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://a.example.com\n    client_id: a\n    token_endpoint_auth: none\n"
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let other = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()

    func parse(_ yaml: String, environment: [String: String]) throws(ConfigError) -> ServeConfiguration {
        try ServeConfiguration.parse(yaml: Self.base + yaml, file: "/etc/rolesync/rolesync.yaml", environment: environment)
    }

    @Test("An endpoint with its events, secrets (two during a rotation), CA file and disable_after")
    func valid() throws {
        let yaml = """
            webhooks:
              - name: siem
                url: https://siem.example.com/hooks/rolesync
                secret_env: SIEM_SECRET
                events: [user.*, key.revoked, key.rolled]
                disable_after: 12h
              - name: local-test
                url: http://127.0.0.1:9000/hooks
                secret_env: LOCAL_SECRET

            """
        let configuration = try parse(yaml, environment: ["SIEM_SECRET": "\(Self.other) \(Self.secret)", "LOCAL_SECRET": Self.secret])
        let siem = try #require(configuration.webhooks.first)
        #expect(siem.name == "siem" && siem.url.absoluteString == "https://siem.example.com/hooks/rolesync" && siem.secretEnv == "SIEM_SECRET")
        #expect(siem.secrets.count == 2 && siem.secrets[1].key.count == 24, "the new secret first, the old one second")
        #expect(siem.actions.contains(.roleChanged) && siem.actions.contains(.keyRevoked) && !siem.actions.contains(.keyCreated))
        #expect(siem.disableAfter == 12 * 3600 && siem.location.line == 8)
        let local = try #require(configuration.webhooks.last)
        #expect(local.actions == Set(AuditAction.allCases), "no events: every one")
        #expect(local.disableAfter == WebhookRetryPolicy.defaultDisableAfter)
        #expect(local.endpoint == WebhookEndpointSetting(name: "local-test", url: "http://127.0.0.1:9000/hooks", actions: Set(AuditAction.allCases)))
    }

    @Test("Commands other than serve read endpoints without their secrets")
    func withoutSecrets() throws {
        let yaml = "webhooks:\n  - { name: siem, url: 'https://siem.example.com/h', secret_env: UNSET }\n"
        let configuration = try ServeConfiguration.parse(
            yaml: Self.base + yaml,
            file: "/etc/rolesync/rolesync.yaml",
            environment: [:],
            requiringSecrets: false
        )
        #expect(configuration.webhooks.first?.secrets.isEmpty == true)
    }

    @Test(
        "Errors name the place and the key, never the secret",
        arguments: [
            (
                "webhooks:\n  - { name: a, url: 'http://siem.example.com/h', secret_env: S }\n",
                "rolesync.yaml:8:21: error: webhooks[0].url: 'http://siem.example.com/h' is not an https URL"
            ),
            (
                "webhooks:\n  - { name: a, url: 'https://u:p@siem.example.com/h', secret_env: S }\n",
                "rolesync.yaml:8:21: error: webhooks[0].url: 'https://u:p@siem.example.com/h' is not an https URL without credentials"
            ),
            ("webhooks:\n  - { name: a, url: 'https://siem.example.com/h?t=1', secret_env: S }\n", "rolesync.yaml:8:21: error: webhooks[0].url:"),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: UNSET }\n",
                "rolesync.yaml:8:60: error: webhooks[0].secret_env: the environment variable UNSET is not set"
            ),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: RAW }\n",
                "rolesync.yaml:8:60: error: webhooks[0].secret_env: the secret in RAW does not start with whsec_ (make one with: rolesync events secret)"
            ),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: SHORT }\n",
                "rolesync.yaml:8:60: error: webhooks[0].secret_env: the secret in SHORT holds a 3-byte key"
            ),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: S, events: [user.*, key.deleted] }\n",
                "rolesync.yaml:8:80: error: webhooks[0].events: 'key.deleted' matches no audit action"
            ),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: S, events: [] }\n",
                "rolesync.yaml:8:71: error: webhooks[0].events: name at least one event"
            ),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: S, disable_after: 5m }\n",
                "rolesync.yaml:8:78: error: webhooks[0].disable_after: at least 1h"
            ),
            (
                "webhooks:\n  - { name: 'a b', url: 'https://s.example.com/h', secret_env: S }\n",
                "rolesync.yaml:8:13: error: webhooks[0].name: 'a b' must be 1 to 64 letters"
            ),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: S }\n  - { name: a, url: 'https://t.example.com/h', secret_env: S }\n",
                "rolesync.yaml:9:13: error: webhooks[1].name: 'a' is already the name of webhooks[0]"
            ),
            ("webhooks:\n  - { name: a, url: 'https://s.example.com/h' }\n", "rolesync.yaml:8:5: error: webhooks[0] lacks 'secret_env'"),
            (
                "webhooks:\n  - { name: a, url: 'https://s.example.com/h', secret_env: S, retries: 3 }\n",
                "rolesync.yaml:8:63: error: unknown key 'retries' in webhooks[0]"
            ),
        ]
    )
    func errors(yaml: String, expected: String) {
        let environment = ["S": Self.secret, "RAW": "not-a-whsec-secret-value", "SHORT": "whsec_YWJj"]
        do {
            _ = try parse(yaml, environment: environment)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.lines.contains { $0.hasPrefix("/etc/rolesync/" + expected) }, "\(error.lines)")
            #expect(!error.lines.joined().contains("not-a-whsec-secret-value") && !error.lines.joined().contains("YWJj"), "no secret in an error")
        }
    }
}
