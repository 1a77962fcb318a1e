import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncServer
import Synchronization
import Testing

/// API keys over HTTP: the Console's own keys, the admin API's governance, introspection for the
/// gateway, and offboarding.
@Suite("API key routes")
struct KeyRoutesTests {
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func post(_ client: some TestClientProtocol, _ uri: String, _ headers: HTTPFields, _ body: String?) async throws -> TestResponse {
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: body.map(Self.json))
    }

    static func introspect(
        _ client: some TestClientProtocol,
        _ token: String,
        headers: HTTPFields = AdminHarness.gatewayHeaders()
    ) async throws
        -> TestResponse
    {
        let form = "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
        return try await client.execute(uri: "/oauth/introspect", method: .post, headers: headers, body: ByteBuffer(string: form))
    }

    @Test("Every role manages its own keys in the Console; nobody without credentials; a gateway key is no API credential")
    func consoleByRole() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            #expect(try await client.execute(uri: "/api/keys", method: .get).status == .unauthorized)
            #expect(try await post(client, "/api/keys", [:], #"{"name":"x"}"#).status == .unauthorized)
            for role in Role.allCases {
                let created = try await post(client, "/api/keys", h.auth(role), #"{"name":"laptop","expires_in":"90d"}"#)
                #expect(created.status == .created, "\(role): \(String(buffer: created.body))")
                let body = try AdminHarness.json(created)
                guard case .string(let value)? = body["key"], case .number(let id)? = body["id"] else {
                    Issue.record("\(body)")
                    continue
                }
                #expect(value.hasPrefix("rsk_") && body["purpose"] == "gateway" && body["status"] == "active")
                #expect(body["prefix"] == .string(APIKeyFormat.displayPrefix(of: value)) && body["expires_at"] != .null)
                #expect(body["owner"]?.objectValue?["id"] == .number(Double(h.users[role]!.rawValue)))
                let listed = try await client.execute(uri: "/api/keys", method: .get, headers: h.auth(role))
                #expect(listed.status == .ok && !String(buffer: listed.body).contains(value))
                let keys = try AdminHarness.json(listed)["keys"]?.arrayValue ?? []
                #expect(keys.contains { $0.objectValue?["id"] == .number(id) })
                // A gateway key is not accepted by the JSON API, and does not fall back to a cookie.
                var both = h.auth(role)
                both[.authorization] = "Bearer \(value)"
                #expect(try await client.execute(uri: "/api/keys", method: .get, headers: both).status == .unauthorized)
                let revoked = try await post(client, "/api/keys/\(Int(id))/revoke", h.auth(role), nil)
                #expect(try revoked.status == .ok && (AdminHarness.json(revoked))["status"] == "revoked")
            }
        }
    }

    @Test("Console input errors name the field; another's key is a 404; a second revocation is a 409")
    func consoleErrors() async throws {
        let h = try await AdminHarness()
        let mine = h.auth(.user)
        try await h.test { client in
            for (body, status, field) in [
                (#"{"expires_in":"90d"}"#, HTTPResponse.Status.unprocessableContent, "name"),
                (#"{"name":""}"#, .unprocessableContent, "name"),
                (#"{"name":"x","expires_in":"soon"}"#, .unprocessableContent, "expires_in"),
                (#"{"name":"x","expires_in":90}"#, .unprocessableContent, "expires_in"),
                (#"{"name":"x","purpose":"admin"}"#, .badRequest, "purpose"),
                (#"["name"]"#, .badRequest, nil),
                ("not json", .badRequest, nil),
            ] as [(String, HTTPResponse.Status, String?)] {
                let response = try await post(client, "/api/keys", mine, body)
                #expect(response.status == status, "\(body): \(String(buffer: response.body))")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(try AdminHarness.json(response)["field"] == field.map(ClaimValue.string) ?? nil, "\(body)")
            }
            let first = try await post(client, "/api/keys", mine, #"{"name":"ci"}"#)
            #expect(first.status == .created)
            let duplicate = try await post(client, "/api/keys", mine, #"{"name":"CI"}"#)
            #expect(try duplicate.status == .conflict && (AdminHarness.json(duplicate))["code"] == "key_name_taken")
            let id = try #require(try AdminHarness.json(first)["id"]?.scalarText)
            #expect(try await post(client, "/api/keys/\(id)/revoke", h.auth(.billingAdmin), nil).status == .notFound)
            #expect(try await post(client, "/api/keys/\(id)/revoke", mine, #"{"reason":"rotated"}"#).status == .ok)
            let again = try await post(client, "/api/keys/\(id)/revoke", mine, nil)
            #expect(try again.status == .conflict && (AdminHarness.json(again))["code"] == "key_already_revoked")
            #expect(try await post(client, "/api/keys/0/revoke", mine, nil).status == .badRequest)
        }
    }

    @Test("Introspection: 401 without the gateway's credentials; an active key's owner and role; exactly active:false otherwise")
    func introspection() async throws {
        let h = try await AdminHarness()
        let bob = h.users[.billingAdmin]!
        let key = try await h.context.keys.create(for: bob, name: "gateway", lifetime: 3_600, purpose: .gateway, by: .cli)
        let admin = try await h.context.keys.create(for: h.users[.superAdmin]!, name: "ops", lifetime: nil, purpose: .admin, by: .cli)
        try await h.test { client in
            for headers in [
                [.contentType: "application/x-www-form-urlencoded"], AdminHarness.gatewayHeaders(secret: "wrong"),
                AdminHarness.gatewayHeaders(id: "other"),
                AdminHarness.gatewayHeaders(secret: AdminHarness.gatewaySecret + "x"),
            ] as [HTTPFields] {
                let refused = try await Self.introspect(client, key.value, headers: headers)
                #expect(refused.status == .unauthorized)
                #expect(refused.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                #expect(try AdminHarness.json(refused)["error"] == "invalid_client")
                #expect(!String(buffer: refused.body).contains(key.value))
            }
            var json = AdminHarness.gatewayHeaders()
            json[.contentType] = "application/json"
            #expect(try await Self.introspect(client, key.value, headers: json).status == .unsupportedMediaType)
            let missing = try await client.execute(
                uri: "/oauth/introspect",
                method: .post,
                headers: AdminHarness.gatewayHeaders(),
                body: ByteBuffer(string: "token_type_hint=api_key")
            )
            #expect(try missing.status == .badRequest && (AdminHarness.json(missing))["error"] == "invalid_request")

            let active = try await Self.introspect(client, key.value)
            #expect(active.status == .ok && active.headers[.cacheControl] == "no-store")
            let body = try AdminHarness.json(active)
            #expect(body["active"] == .bool(true) && body["sub"] == .string("\(bob.rawValue)"))
            #expect(body["username"] == "billing_admin@example.com" && body["role"] == "billing_admin")
            #expect(body["key_id"] == .number(Double(key.key.id)) && body["scope"] == "gateway")
            #expect(body["iat"] == .number(Double(Int64(key.key.createdAt.timeIntervalSince1970))))
            #expect(body["exp"] == .number(Double(Int64(key.key.expiresAt!.timeIntervalSince1970))))

            var typo = Array(key.value)
            typo[12] = typo[12] == "A" ? "B" : "A"
            #expect(try await Self.introspect(client, "").status == .badRequest)
            for token in [String(typo), "garbage", admin.value, APIKeyFormat.generate()] {
                let inactive = try await Self.introspect(client, token)
                #expect(inactive.status == .ok && String(buffer: inactive.body) == #"{"active":false}"#, "\(token)")
            }
            _ = try await h.context.keys.revoke(id: key.key.id, cause: .admin, reason: "leaked", by: .cli)
            #expect(String(buffer: try await Self.introspect(client, key.value).body) == #"{"active":false}"#)

            // Deactivating the owner: the next introspection is inactive.
            let other = try await h.context.keys.create(for: bob, name: "second", lifetime: nil, purpose: .gateway, by: .cli)
            #expect(try AdminHarness.json(try await Self.introspect(client, other.value))["active"] == .bool(true))
            try await h.context.sync.setStatus(.inactive, of: bob, by: .cli)
            #expect(String(buffer: try await Self.introspect(client, other.value).body) == #"{"active":false}"#)
        }
    }

    /// Introspection reads on the calling thread; an admin key's request also reads asynchronously.
    /// Under load this once left every thread of Swift's pool waiting for a reader that only a task
    /// on that pool could give back. A deadlocked pool cannot fail a test (nothing runs), so a
    /// watchdog on a Dispatch thread stops the run with the reason instead of letting it hang.
    @Test("Many concurrent admin-key requests and introspections all complete")
    func concurrency() async throws {
        let done = Atomic(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) {
            if !done.load(ordering: .relaxed) {
                fatalError("concurrent key requests did not complete in 60 s: the cooperative pool is deadlocked")
            }
        }
        defer { done.store(true, ordering: .relaxed) }
        let h = try await AdminHarness()
        let key = try await h.context.keys.create(for: h.users[.user]!, name: "busy", lifetime: nil, purpose: .gateway, by: .cli)
        try await h.test { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        if index % 2 == 0 {
                            return try await client.execute(uri: "/api/me", method: .get, headers: h.auth(.superAdmin)).status
                        }
                        return try await Self.introspect(client, key.value).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.count == 400 && statuses.allSatisfy { $0 == .ok })
        }
    }

    @Test("Admin: list with filters and sorts, detail with 90 days of usage, revoke with a reason, once")
    func admin() async throws {
        let h = try await AdminHarness()
        let carol = h.users[.user]!
        let keys = h.context.keys
        let stale = try await keys.create(for: carol, name: "stale-experiment", lifetime: nil, purpose: .gateway, by: .cli)
        let busy = try await keys.create(for: carol, name: "checkout-service-prod", lifetime: nil, purpose: .gateway, by: .cli)
        _ = try await keys.introspect(busy.value)
        try await keys.usage.flush(to: h.store)
        let auth = h.auth(.userAdmin)
        try await h.test { client in
            func list(_ query: String) async throws -> [ClaimValue] {
                let response = try await client.execute(uri: "/api/admin/keys?" + query, method: .get, headers: auth)
                #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                return try #require(try AdminHarness.json(response)["keys"]?.arrayValue, "\(query): a keys array")
            }
            func names(_ query: String) async throws -> [String] {
                try await list(query).map { try #require($0.objectValue?["name"]?.stringValue, "every key has a name") }
            }
            #expect(try await names("owner=\(carol.rawValue)&sort=last_used&order=asc") == ["stale-experiment", "checkout-service-prod"])
            // The leaver's step filters by email: the one user with it, ignoring case.
            #expect(try await names("owner=USER%40example.com&sort=last_used&order=asc") == ["stale-experiment", "checkout-service-prod"])
            let nobody = try await client.execute(uri: "/api/admin/keys?owner=nobody%40example.com", method: .get, headers: auth)
            #expect(nobody.status == .badRequest)
            #expect(try AdminHarness.json(nobody)["field"] == "owner")
            #expect(try await names("q=CHECKOUT") == ["checkout-service-prod"])
            #expect(try await names("q=user%40example.com&purpose=gateway").count == 2)
            #expect(try await names("purpose=admin&sort=owner&order=asc").count == 2)
            #expect(try await names("status=revoked").isEmpty)
            let first = try await list("sort=name&order=asc&limit=1")
            #expect(first.count == 1)
            for bad in ["status=gone", "sort=size", "owner=me", "limit=0", "cursor=nope"] {
                let response = try await client.execute(uri: "/api/admin/keys?" + bad, method: .get, headers: auth)
                #expect(response.status == .badRequest, "\(bad)")
            }

            let detail = try await client.execute(uri: "/api/admin/keys/\(busy.key.id)", method: .get, headers: auth)
            #expect(detail.status == .ok)
            let body = try AdminHarness.json(detail)
            let usage = body["usage"]?.arrayValue ?? []
            #expect(usage.count == 90 && usage.last?.objectValue?["requests"] == .number(1))
            #expect(body["last_used_at"] != .null && body["usage_precision_seconds"] == .number(10))
            #expect(!String(buffer: detail.body).contains(busy.value))
            #expect(try await client.execute(uri: "/api/admin/keys/99999", method: .get, headers: auth).status == .notFound)

            let noReason = try await post(client, "/api/admin/keys/\(stale.key.id)/revoke", auth, "{}")
            #expect(try noReason.status == .unprocessableContent && (AdminHarness.json(noReason))["field"] == "reason")
            let revoked = try await post(client, "/api/admin/keys/\(stale.key.id)/revoke", auth, #"{"reason":"unused for 90 days"}"#)
            #expect(revoked.status == .ok)
            let revokedBody = try AdminHarness.json(revoked)
            #expect(revokedBody["status"] == "revoked" && revokedBody["revocation_reason"] == "unused for 90 days")
            #expect(revokedBody["revoked_by"] == .string("user:\(h.users[.userAdmin]!.rawValue)"))
            let again = try await post(client, "/api/admin/keys/\(stale.key.id)/revoke", auth, #"{"reason":"again"}"#)
            #expect(again.status == .conflict)
            #expect(try await names("status=revoked") == ["stale-experiment"])

            // The admin API creates keys for the caller, admin keys included.
            let created = try await post(client, "/api/admin/keys", auth, #"{"name":"automation","purpose":"admin","expires_in":"30d"}"#)
            #expect(created.status == .created)
            let value = try #require(try AdminHarness.json(created)["key"]?.stringValue)
            let me = try await client.execute(uri: "/api/me", method: .get, headers: [.authorization: "Bearer \(value)"])
            #expect(try me.status == .ok && (AdminHarness.json(me))["id"] == .number(Double(h.users[.userAdmin]!.rawValue)))
        }
        let events = try await h.store.auditEvents(matching: AuditQuery(action: .keyRevoked)).events
        #expect(events.count == 1 && events.first?.details[.reason] == "unused for 90 days" && events.first?.details[.cause] == "admin")
    }

    @Test("Admin: revoke chosen keys in one request, all or none, each audited with the one reason; bad bodies name the field")
    func revokeChosen() async throws {
        let h = try await AdminHarness()
        let carol = h.users[.user]!
        let keys = h.context.keys
        var made: [Int64] = []
        for name in ["grafana-exporter", "old-ci", "laptop"] {
            made.append(try await keys.create(for: carol, name: name, lifetime: nil, purpose: .gateway, by: .cli).key.id)
        }
        let ids = made
        _ = try await keys.revoke(id: ids[2], cause: .owner, reason: nil, by: .cli)
        let auth = h.auth(.userAdmin)
        try await h.test { client in
            for (body, field, status) in [
                (#"{"reason":"x"}"#, "ids", HTTPResponse.Status.unprocessableContent),
                (#"{"ids":[],"reason":"x"}"#, "ids", .unprocessableContent),
                (#"{"ids":[1.5],"reason":"x"}"#, "ids", .unprocessableContent),
                (#"{"ids":["1"],"reason":"x"}"#, "ids", .unprocessableContent),
                (#"{"ids":[\#(ids[0])]}"#, "reason", .unprocessableContent),
                (#"{"ids":[\#(ids[0])],"reason":"  "}"#, "reason", .unprocessableContent),
                (#"{"ids":[\#(ids[0])],"reason":"x","force":true}"#, "force", .badRequest),
                (#"{"ids":[\#(ids[0]),99999],"reason":"x"}"#, "ids", .notFound),
                (#"{"ids":[\#(ids[0]),\#(ids[2])],"reason":"x"}"#, "ids", .conflict),
            ] {
                let response = try await post(client, "/api/admin/keys/revoke", auth, body)
                #expect(response.status == status, "\(body)")
                #expect(try AdminHarness.json(response)["field"] == .string(field), "\(body)")
            }
            let tooMany = "{\"ids\":[" + (1...501).map(String.init).joined(separator: ",") + "],\"reason\":\"x\"}"
            let refused = try await post(client, "/api/admin/keys/revoke", auth, tooMany)
            #expect(try refused.status == .unprocessableContent && AdminHarness.json(refused)["field"] == "ids")
            let conflict = try await post(client, "/api/admin/keys/revoke", auth, #"{"ids":[\#(ids[0]),\#(ids[2])],"reason":"x"}"#)
            #expect(String(buffer: conflict.body).contains("nothing was revoked"))
            #expect(try await post(client, "/api/admin/keys/revoke", h.auth(.user), #"{"ids":[\#(ids[0])],"reason":"x"}"#).status == .forbidden)

            let response = try await post(
                client,
                "/api/admin/keys/revoke",
                auth,
                #"{"ids":[\#(ids[1]),\#(ids[0])],"reason":"found in a public repository"}"#
            )
            #expect(response.status == .ok)
            let body = try AdminHarness.json(response)
            #expect(body["revoked"] == .number(2))
            let revoked = try #require(body["keys"]?.arrayValue)
            #expect(revoked.compactMap { $0.objectValue?["name"]?.stringValue } == ["old-ci", "grafana-exporter"])
            #expect(
                revoked.allSatisfy {
                    $0.objectValue?["status"] == "revoked" && $0.objectValue?["revocation_reason"] == "found in a public repository"
                }
            )
        }
        let events = try await h.store.auditEvents(matching: AuditQuery(action: .keyRevoked)).events.filter { $0.details[.cause] == "admin" }
        #expect(events.count == 2, "one event per key; the refused requests wrote none")
        #expect(events.allSatisfy { $0.actor == .user(h.users[.userAdmin]!) && $0.details[.reason] == "found in a public repository" })
    }

    @Test("Offboarding over HTTP: keys revoked, sessions ended, then deactivated, in that audit order; the answer lists them")
    func offboarding() async throws {
        let h = try await AdminHarness()
        let carol = h.users[.user]!
        let keys = try [
            await h.context.keys.create(for: carol, name: "laptop", lifetime: nil, purpose: .gateway, by: .user(carol)),
            await h.context.keys.create(for: carol, name: "ci", lifetime: nil, purpose: .gateway, by: .user(carol)),
        ]
        try await h.test { client in
            let noReason = try await post(client, "/api/admin/users/\(carol.rawValue)/offboard", h.auth(.userAdmin), "{}")
            #expect(noReason.status == .unprocessableContent)
            let response = try await post(client, "/api/admin/users/\(carol.rawValue)/offboard", h.auth(.userAdmin), #"{"reason":"left"}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let body = try AdminHarness.json(response)
            // The harness gives carol an API session and a browser session.
            #expect(body["sessions_ended"] == .number(2))
            #expect(Set((body["revoked_keys"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue }) == ["laptop", "ci"])
            #expect(body["user"]?.objectValue?["user"]?.objectValue?["status"] == "inactive")
            for key in keys {
                #expect(String(buffer: try await Self.introspect(client, key.value).body) == #"{"active":false}"#)
            }
            // Her session ended with it.
            #expect(try await client.execute(uri: "/api/keys", method: .get, headers: h.auth(.user)).status == .unauthorized)
            let last = try await post(client, "/api/admin/users/\(h.users[.superAdmin]!.rawValue)/offboard", h.auth(.superAdmin), #"{"reason":"x"}"#)
            #expect(try last.status == .conflict && (AdminHarness.json(last))["code"] == "last_super_admin")
        }
        let events = try await h.store.auditEvents(matching: AuditQuery(userID: carol, actor: .user(h.users[.userAdmin]!))).events.reversed()
        #expect(events.map(\.action) == [.keyRevoked, .keyRevoked, .sessionsEnded, .statusChanged])
    }
}
