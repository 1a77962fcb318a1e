import Foundation
import RoleSyncConfig
import RoleSyncMapping
import Testing

/// The serve configuration: every error names file, line, column and key.
@Suite("serve configuration")
struct ServeConfigurationTests {
    static let valid = """
        listen: 127.0.0.1:8080
        public_url: https://rolesync.example.com/
        database: data/rolesync.sqlite
        mappings: mappings/
        session:
          idle_timeout: 30m
          absolute_lifetime: 1d
        idps:
          - issuer: https://example.okta.com
            client_id: rolesync
            client_secret_env: ROLESYNC_OKTA_SECRET
            scopes: [openid, email, profile, groups]
            token_endpoint_auth: client_secret_post
            userinfo: true
          - name: local
            issuer: http://127.0.0.1:9400
            client_id: rolesync-local
            client_secret: local-secret
            clock_skew: 30
        """

    func parse(
        _ yaml: String,
        environment: [String: String] = ["ROLESYNC_OKTA_SECRET": "from-env"]
    ) throws(ConfigError)
        -> ServeConfiguration
    {
        try ServeConfiguration.parse(yaml: yaml, file: "/etc/rolesync/rolesync.yaml", environment: environment)
    }

    func errors(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try parse(yaml, environment: environment)
            return []
        } catch {
            return error.lines
        }
    }

    @Test("A full configuration reads as written, with paths relative to the file")
    func valid() throws {
        let configuration = try parse(Self.valid)
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(configuration.publicURL.absoluteString == "https://rolesync.example.com")
        #expect(configuration.redirectURI.absoluteString == "https://rolesync.example.com/auth/callback")
        #expect(configuration.isSecure)
        #expect(configuration.database == "/etc/rolesync/data/rolesync.sqlite")
        #expect(configuration.mappings == "/etc/rolesync/mappings/")
        #expect(configuration.session.idleTimeout == 1800)
        #expect(configuration.session.absoluteLifetime == 86400)
        let okta = configuration.idps[0]
        #expect(okta.name == "example.okta.com")
        #expect(okta.clientSecret == "from-env")
        #expect(okta.tokenEndpointAuth == .clientSecretPost)
        #expect(okta.userinfo)
        #expect(okta.location.line == 9)
        let local = configuration.idps[1]
        #expect(local.name == "local")
        #expect(local.clientSecret == "local-secret")
        #expect(local.clockSkew == 30)
        #expect(local.scopes == ["openid", "email", "profile"])
    }

    @Test("The environment variable wins over client_secret")
    func environmentWins() throws {
        let yaml = Self.valid.replacingOccurrences(of: "client_secret: local-secret", with: "client_secret: file\n    client_secret_env: LOCAL")
        let configuration = try parse(yaml, environment: ["ROLESYNC_OKTA_SECRET": "x", "LOCAL": "env"])
        #expect(configuration.idps[1].clientSecret == "env")
    }

    @Test(
        "Errors name the place and the key",
        arguments: [
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: http://idp.example.com\n    client_id: a\n    client_secret: b\n",
                "rolesync.yaml:4:13: error: idps[0].issuer: 'http://idp.example.com' is plain http"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://idp.example.com\n    client_id: a\n    client_secert: b\n",
                "rolesync.yaml:6:5: error: unknown key 'client_secert' in idps[0]; did you mean 'client_secret'?"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://idp.example.com\n    client_id: a\n    client_secret_env: NOPE\n",
                "rolesync.yaml:6:24: error: idps[0].client_secret_env: the environment variable NOPE is not set"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://idp.example.com\n    client_id: a\n",
                "rolesync.yaml:4:5: error: idps[0] needs 'client_secret' or 'client_secret_env' for client_secret_basic"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://idp.example.com\n    client_id: a\n    token_endpoint_auth: private_key_jwt\n",
                "rolesync.yaml:6:26: error: idps[0].token_endpoint_auth: 'private_key_jwt' is not supported"
            ),
            (
                "listen: localhost\npublic_url: https://r.example.com\nidps: []\n",
                "rolesync.yaml:1:9: error: listen: 'localhost' is not HOST:PORT"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: ftp://r.example.com\nidps: []\n",
                "rolesync.yaml:2:13: error: public_url: 'ftp://r.example.com' is not an http or https URL"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nsession:\n  idle_timeout: soon\nidps: []\n",
                "rolesync.yaml:4:17: error: session.idle_timeout: 'soon' is not a duration"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\n",
                "rolesync.yaml:1:1: error: the configuration lacks 'idps'"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://a.example.com\n    client_id: a\n    token_endpoint_auth: none\n  - issuer: https://a.example.com\n    client_id: b\n    token_endpoint_auth: none\n",
                "rolesync.yaml:7:5: error: idps[1].issuer: 'https://a.example.com' is already configured by idps[0]"
            ),
            (
                "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://a.example.com\n    client_id: a\n    token_endpoint_auth: none\n    scopes: [email]\n",
                "rolesync.yaml:7:13: error: idps[0].scopes must include 'openid'"
            ),
            ("listen: [127.0.0.1:8080\n", "rolesync.yaml:2:1: error: YAML syntax error"),
        ]
    )
    func errors(yaml: String, expected: String) {
        let lines = errors(yaml)
        #expect(lines.contains { $0.hasPrefix("/etc/rolesync/" + expected) }, "\(lines)")
    }

    static let gatewayBase =
        "listen: 127.0.0.1:8080\npublic_url: https://r.example.com\nidps:\n  - issuer: https://a.example.com\n    client_id: a\n    token_endpoint_auth: none\n"
    static let gatewaySecret = String(repeating: "s", count: 32)

    @Test("gateways: each with a name, a client id and a secret from the environment")
    func gateways() throws {
        let yaml = Self.gatewayBase + "gateways:\n  - name: ai-gateway\n    client_id: gateway-prod\n    client_secret_env: GW_SECRET\n"
        let configuration = try parse(yaml, environment: ["GW_SECRET": Self.gatewaySecret])
        #expect(configuration.gateways.count == 1)
        let gateway = try #require(configuration.gateways.first)
        #expect(gateway.name == "ai-gateway" && gateway.clientID == "gateway-prod" && gateway.clientSecret == Self.gatewaySecret)
        #expect(gateway.location.line == 8)
        #expect(try parse(Self.gatewayBase).gateways.isEmpty)
    }

    @Test(
        "gateways and forward_auth errors name the place and the key",
        arguments: [
            (
                "gateways:\n  - name: g\n    client_id: gw\n    client_secret_env: UNSET\n",
                "rolesync.yaml:10:24: error: gateways[0].client_secret_env: the environment variable UNSET is not set"
            ),
            (
                "gateways:\n  - name: g\n    client_id: gw\n    client_secret_env: SHORT\n",
                "rolesync.yaml:10:24: error: gateways[0].client_secret_env: the secret in SHORT is shorter than 32 bytes"
            ),
            ("gateways:\n  - name: g\n    client_secret_env: GW_SECRET\n", "rolesync.yaml:8:5: error: gateways[0] lacks 'client_id'"),
            (
                "gateways:\n  - name: g\n    client_id: a:b\n    client_secret_env: GW_SECRET\n",
                "rolesync.yaml:9:16: error: gateways[0].client_id: 'a:b' must be printable ASCII without spaces or ':'"
            ),
            (
                "gateways:\n  - { name: g, client_id: gw, client_secret_env: GW_SECRET }\n  - { name: h, client_id: gw, client_secret_env: GW_SECRET }\n",
                "rolesync.yaml:9:27: error: gateways[1].client_id: 'gw' is already used by gateways[0]"
            ),
            (
                "gateways:\n  - name: g\n    client_id: gw\n    client_secret: inline\n    client_secret_env: GW_SECRET\n",
                "rolesync.yaml:10:5: error: unknown key 'client_secret' in gateways[0]"
            ),
            (
                "gateways:\n  - name: g\n",
                "rolesync.yaml:8:5: error: gateways[0] needs 'client_id' and 'client_secret_env' (RFC 7662 introspection), 'forward_auth'"
            ),
            (
                "gateways:\n  - name: g\n    client_id: gw\n",
                "rolesync.yaml:8:5: error: gateways[0] lacks 'client_secret_env'"
            ),
            ("gateways:\n  - name: g\n    forward_auth: {}\n", "rolesync.yaml:9:19: error: gateways[0].forward_auth lacks 'secret_env'"),
            (
                "gateways:\n  - name: g\n    forward_auth: { secret_env: UNSET }\n",
                "rolesync.yaml:9:33: error: gateways[0].forward_auth.secret_env: the environment variable UNSET is not set"
            ),
            (
                "gateways:\n  - name: g\n    forward_auth: { secret_env: SHORT }\n",
                "rolesync.yaml:9:33: error: gateways[0].forward_auth.secret_env: the secret in SHORT is shorter than 32 bytes"
            ),
            (
                "gateways:\n  - { name: g, forward_auth: { secret_env: GW_SECRET } }\n  - { name: h, forward_auth: { secret_env: GW_SECRET } }\n",
                "rolesync.yaml:9:44: error: gateways[1].forward_auth.secret_env: gateways[0] has the same secret"
            ),
            (
                "gateways:\n  - name: g\n    forward_auth: { secret_env: GW_SECRET }\n    roles: [model_admin, admin]\n",
                "rolesync.yaml:10:26: error: gateways[0].roles[1]: 'admin' is not a role"
            ),
            (
                "gateways:\n  - name: g\n    forward_auth: { secret_env: GW_SECRET }\n    roles: []\n",
                "rolesync.yaml:10:12: error: gateways[0].roles: name at least one role"
            ),
            (
                "gateways:\n  - name: g\n    client_id: gw\n    client_secret_env: GW_SECRET\n    roles: [user]\n",
                "rolesync.yaml:11:12: error: gateways[0].roles: only forward authentication checks roles"
            ),
        ]
    )
    func gatewayErrors(yaml: String, expected: String) {
        let lines = errors(Self.gatewayBase + yaml, environment: ["GW_SECRET": Self.gatewaySecret, "SHORT": "short"])
        #expect(lines.contains { $0.hasPrefix("/etc/rolesync/" + expected) }, "\(lines)")
    }

    @Test("gateways: forward authentication with its own secret and default roles, with or without introspection")
    func forwardAuthGateways() throws {
        let yaml =
            Self.gatewayBase
            + "gateways:\n  - name: nginx\n    forward_auth: { secret_env: FA_SECRET }\n    roles: [model_admin, super_admin]\n"
            + "  - name: both\n    client_id: gw\n    client_secret_env: GW_SECRET\n    forward_auth:\n      secret_env: FA_OTHER\n"
        let environment = [
            "GW_SECRET": Self.gatewaySecret, "FA_SECRET": String(repeating: "f", count: 40), "FA_OTHER": String(repeating: "o", count: 32),
        ]
        let configuration = try parse(yaml, environment: environment)
        #expect(configuration.gateways.count == 2)
        let nginx = try #require(configuration.gateways.first)
        #expect(nginx.clientID == nil && nginx.clientSecret == nil)
        #expect(nginx.forwardAuth == GatewaySettings.ForwardAuth(secret: String(repeating: "f", count: 40), roles: [.modelAdmin, .superAdmin]))
        let both = try #require(configuration.gateways.last)
        #expect(both.clientID == "gw" && both.clientSecret == Self.gatewaySecret)
        #expect(both.forwardAuth == GatewaySettings.ForwardAuth(secret: String(repeating: "o", count: 32), roles: nil))
    }

    @Test("Every error is reported, not just the first")
    func allErrors() {
        let lines = errors("listen: x\npublic_url: y\nidps:\n  - client_id: a\n")
        #expect(lines.count == 3, "\(lines)")
    }

    @Test("Loopback http issuers are allowed, for tests", arguments: ["http://127.0.0.1:9400", "http://localhost:9400", "http://[::1]:9400"])
    func loopback(issuer: String) throws {
        let yaml =
            "listen: 127.0.0.1:8080\npublic_url: http://127.0.0.1:8080\nidps:\n  - issuer: \(issuer)\n    client_id: a\n    token_endpoint_auth: none\n"
        #expect(try parse(yaml).idps[0].issuer == issuer)
    }

    @Test("A provider without a mapping is an error at its issuer")
    func providerWithoutMapping() throws {
        let configuration = try parse(Self.valid)
        let mapping = try #require(
            MappingParser.parse(
                yaml: "version: 1\nissuer: https://example.okta.com\nroles:\n  - id: x\n    role: user\n    when: {claim: sub, exists: true}\n",
                file: "okta.yaml"
            ).mapping
        )
        let diagnostics = configuration.providersWithoutMapping(in: MappingSet.build([mapping]).set)
        #expect(
            diagnostics.map(\.description) == [
                "/etc/rolesync/rolesync.yaml:16:13: error: idps: no mapping in /etc/rolesync/mappings/ has issuer 'http://127.0.0.1:9400'; add one (see docs/mapping.md)"
            ]
        )
    }

    @Test("Other commands read the database and mappings without the secrets at hand")
    func withoutSecrets() throws {
        let configuration = try ServeConfiguration.parse(
            yaml: Self.valid,
            file: "/etc/rolesync/rolesync.yaml",
            environment: [:],
            requiringSecrets: false
        )
        #expect(configuration.database == "/etc/rolesync/data/rolesync.sqlite")
    }
}
