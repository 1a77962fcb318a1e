import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncServer
import Testing

/// `/gateway/check`, forward authentication, as nginx, Caddy, Traefik and Envoy ask it.
@Suite("Gateway check")
struct GatewayCheckTests {
    static let secret = "a-forward-auth-secret-of-32-bytes-or-more"
    static let otherSecret = "another-gateway-secret-of-32-bytes-or-more"
    static let token = HTTPFields.Element.Name("X-RoleSync-Gateway-Token")!

    /// The harness's server with two forward-auth gateways: `nginx` (every role) and `models`
    /// (`model_admin` and `super_admin` by default).
    static func server(_ h: AdminHarness) -> ServerContext {
        var context = h.context
        context.forwardAuthGateways = [
            ForwardAuthGateway(name: "nginx", secret: secret, roles: nil),
            ForwardAuthGateway(name: "models", secret: otherSecret, roles: [.modelAdmin, .superAdmin]),
        ]
        return context
    }

    static func check(
        _ client: some TestClientProtocol,
        _ uri: String,
        method: HTTPRequest.Method = .get,
        gateway: String? = secret,
        _ extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let gateway { headers[token] = gateway }
        return try await client.execute(uri: uri, method: method, headers: headers)
    }

    static func check(_ client: some TestClientProtocol, gateway: String? = secret, _ extra: HTTPFields = [:]) async throws -> TestResponse {
        try await check(client, "/gateway/check", gateway: gateway, extra)
    }

    static func header(_ response: TestResponse, _ name: String) -> String? {
        response.headers[HTTPFields.Element.Name(name)!]
    }

    @Test("Without the gateway's secret: 401 and nothing about the key")
    func gatewayAuthentication() async throws {
        let h = try await AdminHarness()
        let key = try await h.context.keys.create(for: h.users[.user]!, name: "app", lifetime: nil, purpose: .gateway, by: .cli)
        try await Application(router: Self.server(h).makeRouter()).test(.router) { client in
            for gateway in [nil, "", "wrong", Self.secret + "x", String(Self.secret.dropLast())] as [String?] {
                let refused = try await Self.check(client, gateway: gateway, [.authorization: "Bearer \(key.value)"])
                #expect(refused.status == .unauthorized, "\(gateway ?? "none")")
                #expect(try AdminHarness.json(refused)["code"] == "gateway_not_authenticated")
                #expect(Self.header(refused, "X-RoleSync-User-Id") == nil)
                #expect(!String(buffer: refused.body).contains(key.value))
            }
            // A gateway configured for introspection only cannot ask: RoleSync without forward-auth gateways.
            let none = try await Application(router: h.context.makeRouter()).test(.router) { bare in
                try await Self.check(bare, [.authorization: "Bearer \(key.value)"]).status
            }
            #expect(none == .unauthorized)
        }
    }

    @Test("A good gateway key passes with the identity headers, by Authorization or X-API-Key, on every method and under the prefix")
    func keyPasses() async throws {
        let h = try await AdminHarness()
        let owner = h.users[.modelAdmin]!
        let key = try await h.context.keys.create(for: owner, name: "inference-app", lifetime: 3_600, purpose: .gateway, by: .cli)
        try await Application(router: Self.server(h).makeRouter()).test(.router) { client in
            let requests: [(String, HTTPRequest.Method, HTTPFields)] = [
                ("/gateway/check", .get, [.authorization: "Bearer \(key.value)"]),
                ("/gateway/check", .post, [.authorization: "bearer \(key.value)"]),
                ("/gateway/check", .delete, [HTTPFields.Element.Name("X-API-Key")!: key.value]),
                // The scheme in any case, spaces and tabs around the credential (a Unicode space too).
                ("/gateway/check", .get, [.authorization: "BEARER   \(key.value)\t "]),
                ("/gateway/check", .get, [HTTPFields.Element.Name("X-API-Key")!: "\t\(key.value)\u{2009}"]),
                ("/gateway/check", .head, [.authorization: "Bearer \(key.value)"]),
                // Envoy: the original path appended to the check's prefix, with its query.
                ("/gateway/check/v1/chat/completions?roles=user", .post, [.authorization: "Bearer \(key.value)"]),
                (
                    "/gateway/check", .get,
                    [
                        .authorization: "Bearer \(key.value)", HTTPFields.Element.Name("X-Forwarded-Method")!: "PUT",
                        HTTPFields.Element.Name("X-Forwarded-Uri")!: "/v1/models?x=1",
                    ]
                ),
            ]
            for (uri, method, headers) in requests {
                let passed = try await Self.check(client, uri, method: method, headers)
                #expect(passed.status == .ok, "\(method) \(uri)")
                #expect(Self.header(passed, "X-RoleSync-User-Id") == String(owner.rawValue))
                #expect(Self.header(passed, "X-RoleSync-Email") == "model_admin@example.com")
                #expect(Self.header(passed, "X-RoleSync-Role") == "model_admin")
                #expect(Self.header(passed, "X-RoleSync-Key-Id") == String(key.key.id))
                #expect(Self.header(passed, "X-RoleSync-Key-Name") == "inference-app")
                #expect(passed.headers[.cacheControl] == "no-store")
            }
        }
        // Every check counted as the key's use.
        try await h.context.keys.usage.flush(to: h.store)
        let used = try #require(try await h.store.key(id: key.key.id))
        #expect(used.key.lastUsedAt != nil)
    }

    @Test("No, a malformed, an unknown, an admin, a revoked or an expired key, or an inactive owner: 401 with a Bearer challenge")
    func refusals() async throws {
        let h = try await AdminHarness()
        let owner = h.users[.user]!
        let key = try await h.context.keys.create(for: owner, name: "app", lifetime: nil, purpose: .gateway, by: .cli)
        let admin = try await h.context.keys.create(for: h.users[.superAdmin]!, name: "ops", lifetime: nil, purpose: .admin, by: .cli)
        let shortLived = try await h.context.keys.create(for: owner, name: "short", lifetime: 1, purpose: .gateway, by: .cli)
        try await Application(router: Self.server(h).makeRouter()).test(.router) { client in
            let none = try await Self.check(client)
            #expect(none.status == .unauthorized && none.headers[.wwwAuthenticate] == #"Bearer realm="rolesync""#)
            #expect(try AdminHarness.json(none)["code"] == "no_credential")
            var typo = Array(key.value)
            typo[12] = typo[12] == "A" ? "B" : "A"
            for presented in [
                [.authorization: "Bearer \(String(typo))"], [.authorization: "Bearer garbage"], [.authorization: "Bearer \(admin.value)"],
                [.authorization: "Bearer \(APIKeyFormat.generate())"], [.authorization: "Basic dXNlcjpwYXNz"],
                [HTTPFields.Element.Name("X-API-Key")!: "rsk_short"],
                // A good key under another scheme, or a scheme that only looks like Bearer.
                [.authorization: "Bearers \(key.value)"], [.authorization: "Bearez \(key.value)"], [.authorization: "Bear \(key.value)"],
                [.authorization: "B\u{E9}arer \(key.value)"], [.authorization: "Bearer\t\(key.value)"],
                // A key the request carries is never replaced by a session cookie.
                [.authorization: "Bearer garbage", .cookie: "\(h.context.cookies.session)=\(h.browserSessions[.user]!)"],
            ] as [HTTPFields] {
                let refused = try await Self.check(client, presented)
                #expect(refused.status == .unauthorized, "\(presented)")
                #expect(try AdminHarness.json(refused)["code"] == "invalid_credential")
                #expect(refused.headers[.wwwAuthenticate] == #"Bearer realm="rolesync""#)
                #expect(Self.header(refused, "X-RoleSync-User-Id") == nil)
                #expect(!String(buffer: refused.body).contains("rsk_"))
            }
            // Revocation, expiry and deactivation take effect on the very next check.
            #expect(try await Self.check(client, [.authorization: "Bearer \(key.value)"]).status == .ok)
            _ = try await h.context.keys.revoke(id: key.key.id, cause: .admin, reason: "leaked", by: .cli)
            #expect(try await Self.check(client, [.authorization: "Bearer \(key.value)"]).status == .unauthorized)
            try await Task.sleep(for: .seconds(1.1))
            #expect(try await Self.check(client, [.authorization: "Bearer \(shortLived.value)"]).status == .unauthorized)
            let other = try await h.context.keys.create(for: owner, name: "second", lifetime: nil, purpose: .gateway, by: .cli)
            #expect(try await Self.check(client, [.authorization: "Bearer \(other.value)"]).status == .ok)
            try await h.context.sync.setStatus(.inactive, of: owner, by: .cli)
            #expect(try await Self.check(client, [.authorization: "Bearer \(other.value)"]).status == .unauthorized)
        }
    }

    @Test("Roles: ?roles= on the check's URL, else the gateway's default; 403 for a good credential of another role")
    func roles() async throws {
        let h = try await AdminHarness()
        let billing = try await h.context.keys.create(for: h.users[.billingAdmin]!, name: "b", lifetime: nil, purpose: .gateway, by: .cli)
        let models = try await h.context.keys.create(for: h.users[.modelAdmin]!, name: "m", lifetime: nil, purpose: .gateway, by: .cli)
        try await Application(router: Self.server(h).makeRouter()).test(.router) { client in
            let asBilling: HTTPFields = [.authorization: "Bearer \(billing.value)"]
            let asModels: HTTPFields = [.authorization: "Bearer \(models.value)"]
            #expect(try await Self.check(client, "/gateway/check?roles=billing_admin,super_admin", asBilling).status == .ok)
            let forbidden = try await Self.check(client, "/gateway/check?roles=model_admin,super_admin", asBilling)
            #expect(forbidden.status == .forbidden)
            #expect(try AdminHarness.json(forbidden)["code"] == "role_not_allowed")
            #expect(Self.header(forbidden, "X-RoleSync-User-Id") == nil)
            // The gateway's default, and the query overriding it.
            #expect(try await Self.check(client, gateway: Self.otherSecret, asModels).status == .ok)
            #expect(try await Self.check(client, gateway: Self.otherSecret, asBilling).status == .forbidden)
            #expect(try await Self.check(client, "/gateway/check?roles=billing_admin", gateway: Self.otherSecret, asBilling).status == .ok)
            // Under the prefix the query is the original request's: the default applies, also for
            // Envoy's `/gateway/check/` (the original `/`), which the router routes as the check itself.
            #expect(try await Self.check(client, "/gateway/check/?roles=billing_admin", gateway: Self.otherSecret, asBilling).status == .forbidden)
            #expect(try await Self.check(client, "/gateway/check/x?roles=billing_admin", gateway: Self.otherSecret, asBilling).status == .forbidden)
            // A role change is seen by the next check.
            try await h.context.sync.setRole(.modelAdmin, of: h.users[.billingAdmin]!, by: .cli)
            #expect(try await Self.check(client, gateway: Self.otherSecret, asBilling).status == .ok)
            for bad in ["nobody", "", ",", "user,admin"] {
                let invalid = try await Self.check(client, "/gateway/check?roles=\(bad)", asModels)
                #expect(invalid.status == .badRequest, "\(bad)")
                #expect(try AdminHarness.json(invalid)["field"] == "roles")
            }
        }
    }

    @Test("A browser's session cookie passes as its user, without key headers; an ended session does not")
    func session() async throws {
        let h = try await AdminHarness()
        try await Application(router: Self.server(h).makeRouter()).test(.router) { client in
            let cookie: HTTPFields = [.cookie: "\(h.context.cookies.session)=\(h.browserSessions[.mcpAdmin]!)"]
            let passed = try await Self.check(client, cookie)
            #expect(passed.status == .ok)
            #expect(Self.header(passed, "X-RoleSync-User-Id") == String(h.users[.mcpAdmin]!.rawValue))
            #expect(Self.header(passed, "X-RoleSync-Role") == "mcp_admin")
            #expect(Self.header(passed, "X-RoleSync-Key-Id") == nil && Self.header(passed, "X-RoleSync-Key-Name") == nil)
            #expect(try await Self.check(client, "/gateway/check?roles=super_admin", cookie).status == .forbidden)
            _ = try await h.context.sessions.end(token: h.browserSessions[.mcpAdmin]!)
            let ended = try await Self.check(client, cookie)
            #expect(try ended.status == .unauthorized && AdminHarness.json(ended)["code"] == "invalid_credential")
        }
    }
}
