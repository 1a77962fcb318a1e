import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncServer
import Testing

/// The admin API: every route against every role, and the edits' guards.
@Suite("Admin API")
struct AdminAPITests {
    /// Who calls: nobody, or a user of each role.
    static let callers: [Role?] = [nil] + Role.allCases.map { $0 }

    @Test("Every route × every role: 401 without credentials, 403 without the permission, else served")
    func permissions() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            let target = harness.users[.billingAdmin]!
            let leaver = try #require(
                try await harness.context.sync.signIn(
                    issuer: AdminHarness.issuer,
                    claims: Claims(["sub": "leaver", "email": "leaver@example.com", "groups": .array([])])
                ).user
            )
            for route in AdminRoute.all {
                for caller in Self.callers {
                    // Each route's own subject and body: a fresh key to show or revoke, a leaver to
                    // offboard (offboarding again answers 200 and changes nothing).
                    var id = target.rawValue
                    var headers = harness.auth(caller)
                    headers[.contentType] = "application/json"
                    var body: ByteBuffer?
                    var served = HTTPResponse.Status.ok
                    switch route {
                    case .editUser: body = ByteBuffer(string: #"{"status":"active"}"#)
                    case .offboardUser:
                        id = leaver.id.rawValue
                        body = ByteBuffer(string: #"{"reason":"permissions test"}"#)
                    case .showKey, .revokeKey, .rollKey:
                        id = try await harness.context.keys.create(
                            for: target,
                            name: "k\(route.path)\(route.method)\(caller?.rawValue ?? "-")",
                            lifetime: nil,
                            purpose: .gateway,
                            by: .cli
                        ).key.id
                        body = route == .revokeKey ? ByteBuffer(string: #"{"reason":"permissions test"}"#) : nil
                        if route == .rollKey { served = .created }
                    case .completeReview:
                        let rows = try await harness.context.sync.accessReviewHolders()
                        let decisions = rows.map { "\"\($0.userID.rawValue)\": \"keep\"" }.joined(separator: ", ")
                        body = ByteBuffer(string: #"{"fingerprint": "\#(AccessReview.fingerprint(of: rows))", "decisions": {\#(decisions)}}"#)
                        served = .created
                    case .review:
                        let rows = try await harness.context.sync.accessReviewHolders()
                        id = try await harness.context.sync.completeAccessReview(
                            decisions: Dictionary(uniqueKeysWithValues: rows.map { ($0.userID, .keep) }),
                            fingerprint: AccessReview.fingerprint(of: rows),
                            by: .cli
                        ).summary.id
                        headers[.contentType] = nil
                    case .revokeKeys:
                        let key = try await harness.context.keys.create(
                            for: target,
                            name: "bulk\(caller?.rawValue ?? "-")",
                            lifetime: nil,
                            purpose: .gateway,
                            by: .cli
                        ).key.id
                        body = ByteBuffer(string: #"{"ids":[\#(key)],"reason":"permissions test"}"#)
                    case .createKey:
                        body = ByteBuffer(string: #"{"name":"created by \#(caller?.rawValue ?? "nobody")"}"#)
                        served = .created
                    case .grantOverride:
                        // The model_admin is covered (rule ml): their role is the IdP's to override.
                        id = harness.users[.modelAdmin]!.rawValue
                        body = ByteBuffer(string: #"{"role":"mcp_admin","for":"1h","reason":"permissions test"}"#)
                    case .endOverride:
                        // Ends the override the super_admin gave just before.
                        id = harness.users[.modelAdmin]!.rawValue
                        headers[.contentType] = nil
                    case .dryRun:
                        headers[.contentType] = "application/yaml"
                        body = ByteBuffer(string: AdminHarness.mapping)
                    case .webhookReplay:
                        _ = try await harness.seedWebhooks()
                        body = ByteBuffer(string: #"{"since":"2026-01-01"}"#)
                    case .webhookEnable:
                        // Disabled again before each caller: only a disabled endpoint is enabled.
                        _ = try await harness.seedWebhooks()
                        headers[.contentType] = nil
                    case .webhookRetry:
                        id = try await harness.seedWebhooks().failedEvent
                        headers[.contentType] = nil
                        served = .accepted
                    default: headers[.contentType] = nil
                    }
                    let path = route.path.replacingOccurrences(of: "{id}", with: "\(id)").replacingOccurrences(of: "{idp}", with: "corp")
                        .replacingOccurrences(of: "{name}", with: "siem").replacingOccurrences(of: "{event_id}", with: "\(id)")
                    let response = try await client.execute(uri: path, method: route.method, headers: headers, body: body)
                    let expected: HTTPResponse.Status =
                        caller == nil ? .unauthorized : route.permission.roles.contains(caller!) ? served : .forbidden
                    #expect(
                        response.status == expected,
                        "\(route.method) \(route.path) as \(caller?.rawValue ?? "nobody"): \(String(buffer: response.body))"
                    )
                    if response.status.code >= 400 {
                        #expect(response.headers[.contentType] == "application/problem+json")
                    }
                }
            }
        }
    }

    @Test("A search with NUL in it is answered, users and keys alike (schemathesis found a 500 on the full-text query)")
    func searchWithNUL() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            for path in [
                "/api/admin/users?q=%28%C2%B9%07M%C3%A7%00&sort=last_sign_in", "/api/admin/users?q=model%00_admin", "/api/admin/keys?q=te%00st",
            ] {
                let response = try await client.execute(uri: path, method: .get, headers: harness.auth(.superAdmin))
                #expect(response.status == .ok, "\(path): \(String(buffer: response.body))")
            }
            let found = try await client.execute(uri: "/api/admin/users?q=model%00_admin", method: .get, headers: harness.auth(.superAdmin))
            #expect(String(buffer: found.body).contains("model_admin@example.com"))
        }
    }

    @Test("A user_admin's edit of an uncovered user shows in that user's /api/me on the next request")
    func editVisibleAtOnce() async throws {
        let harness = try await AdminHarness()
        let carol = try #require(harness.users[.user])
        let session = try await harness.context.sessions.create(for: carol)
        try await harness.test { client in
            let cookie: HTTPFields = [.cookie: "__Host-rolesync_session=\(session)"]
            let before = try AdminHarness.json(try await client.execute(uri: "/api/me", method: .get, headers: cookie))
            #expect(before["role"] == .string("user"))
            var headers = harness.auth(.userAdmin)
            headers[.contentType] = "application/json"
            let edit = try await client.execute(
                uri: "/api/admin/users/\(carol.rawValue)",
                method: .patch,
                headers: headers,
                body: ByteBuffer(string: "{\"role\":\"billing_admin\"}")
            )
            #expect(edit.status == .ok)
            let after = try AdminHarness.json(try await client.execute(uri: "/api/me", method: .get, headers: cookie))
            #expect(after["role"] == .string("billing_admin"))
            #expect(after["role_source"] == .string("manual"))
        }
    }

    @Test("Edit refusals: IdP-managed 409 with the rule, escalation 403, unknown role 422, last super_admin 409")
    func editRefusals() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            func patch(_ id: UserID, _ body: String, as role: Role) async throws -> TestResponse {
                var headers = harness.auth(role)
                headers[.contentType] = "application/json"
                return try await client.execute(
                    uri: "/api/admin/users/\(id.rawValue)",
                    method: .patch,
                    headers: headers,
                    body: ByteBuffer(string: body)
                )
            }
            let covered = try await patch(harness.users[.modelAdmin]!, "{\"role\":\"user\"}", as: .userAdmin)
            #expect(covered.status == .conflict)
            let problem = try AdminHarness.json(covered)
            #expect(problem["code"] == .string("role_managed_by_idp"))
            #expect(problem["rule"] == .string("ml"))

            let escalation = try await patch(harness.users[.user]!, "{\"role\":\"super_admin\"}", as: .userAdmin)
            #expect(escalation.status == .forbidden)
            #expect(try AdminHarness.json(escalation)["code"] == .string("escalation"))

            let unknown = try await patch(harness.users[.user]!, "{\"role\":\"overlord\"}", as: .superAdmin)
            #expect(unknown.status == .unprocessableContent)
            #expect(try AdminHarness.json(unknown)["field"] == .string("role"))

            // The only super_admin is IdP-covered; a manual super_admin made by the CLI can be demoted
            // only while another active super_admin remains.
            let lone = harness.users[.superAdmin]!
            let deactivateLast = try await patch(lone, "{\"status\":\"inactive\"}", as: .superAdmin)
            #expect(deactivateLast.status == .conflict)
            #expect(try AdminHarness.json(deactivateLast)["code"] == .string("last_super_admin"))

            let extra = try await patch(harness.users[.billingAdmin]!, "{\"status\":\"nonsense\"}", as: .superAdmin)
            #expect(extra.status == .unprocessableContent)
            #expect(try AdminHarness.json(extra)["field"] == .string("status"))
            let unknownField = try await patch(harness.users[.billingAdmin]!, "{\"email\":\"x@example.com\"}", as: .superAdmin)
            #expect(unknownField.status == .badRequest)
            #expect(try AdminHarness.json(unknownField)["field"] == .string("email"))
            let notJSON = try await patch(harness.users[.billingAdmin]!, "role=user", as: .superAdmin)
            #expect(notJSON.status == .badRequest)
            let missing = try await patch(UserID(99_999), "{\"role\":\"user\"}", as: .superAdmin)
            #expect(missing.status == .notFound)
        }
        // Every refusal is audited.
        let refused = try await harness.store.auditEvents(matching: AuditQuery(action: .editRefused)).events
        #expect(refused.count == 3)
    }

    @Test("Role and status change together or not at all")
    func atomicEdit() async throws {
        let harness = try await AdminHarness()
        let target = harness.users[.mcpAdmin]!
        try await harness.test { client in
            var headers = harness.auth(.userAdmin)
            headers[.contentType] = "application/json"
            // super_admin is an escalation for a user_admin: the status change must not happen either.
            let refused = try await client.execute(
                uri: "/api/admin/users/\(target.rawValue)",
                method: .patch,
                headers: headers,
                body: ByteBuffer(string: "{\"role\":\"super_admin\",\"status\":\"inactive\"}")
            )
            #expect(refused.status == .forbidden)
            let both = try await client.execute(
                uri: "/api/admin/users/\(target.rawValue)",
                method: .patch,
                headers: headers,
                body: ByteBuffer(string: "{\"role\":\"user\",\"status\":\"inactive\"}")
            )
            #expect(both.status == .ok)
        }
        let user = try #require(try await harness.store.user(id: target))
        #expect(user.role == .user && user.status == .inactive)
        let kinds = try await harness.store.auditEvents(matching: AuditQuery(userID: target, limit: 10)).events.map(\.action)
        #expect(kinds.prefix(3).sorted { $0.rawValue < $1.rawValue } == [.roleChanged, .sessionsEnded, .statusChanged])
    }

    @Test("A token dies with its user's deactivation; one of a user without the permission is 403")
    func tokensDie() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            let admin = harness.users[.userAdmin]!
            #expect(try await client.execute(uri: "/api/admin/users", method: .get, headers: harness.auth(.userAdmin)).status == .ok)
            try await harness.context.sync.setStatus(.inactive, of: admin, by: .cli)
            #expect(try await client.execute(uri: "/api/admin/users", method: .get, headers: harness.auth(.userAdmin)).status == .unauthorized)
            try await harness.context.sync.setStatus(.active, of: admin, by: .cli)
            // Reactivation does not bring the key back: it was revoked with the deactivation.
            #expect(try await client.execute(uri: "/api/admin/users", method: .get, headers: harness.auth(.userAdmin)).status == .unauthorized)
            let garbage: HTTPFields = [.authorization: "Bearer rsk_not-a-key"]
            #expect(try await client.execute(uri: "/api/admin/users", method: .get, headers: garbage).status == .unauthorized)
        }
        let keys = try await harness.store.keys(ownerID: harness.users[.userAdmin]!)
        #expect(!keys.isEmpty && keys.allSatisfy { $0.revokedAt != nil && $0.revocationCause == .deactivation })
    }

    @Test("Cookie-authenticated writes must be same-origin")
    func csrf() async throws {
        let harness = try await AdminHarness()
        let session = try await harness.context.sessions.create(for: harness.users[.superAdmin]!)
        let target = harness.users[.billingAdmin]!
        try await harness.test { client in
            for (origin, expected) in [
                ("https://evil.example.com", HTTPResponse.Status.forbidden), ("https://rolesync.example.com", .ok),
            ] {
                let response = try await client.execute(
                    uri: "/api/admin/users/\(target.rawValue)",
                    method: .patch,
                    headers: [.cookie: "__Host-rolesync_session=\(session)", .origin: origin, .contentType: "application/json"],
                    body: ByteBuffer(string: "{\"role\":\"user\"}")
                )
                #expect(response.status == expected, "\(origin)")
            }
            let noOrigin = try await client.execute(
                uri: "/api/admin/users/\(target.rawValue)",
                method: .patch,
                headers: [.cookie: "__Host-rolesync_session=\(session)", .contentType: "application/json"],
                body: ByteBuffer(string: "{\"role\":\"user\"}")
            )
            #expect(noOrigin.status == .forbidden)
            #expect(try AdminHarness.json(noOrigin)["code"] == .string("cross_site_request"))
        }
    }

    @Test("The users list filters, sorts and pages; bad parameters are 400s naming the parameter")
    func usersList() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            let auth = harness.auth(.superAdmin)
            let all = try AdminHarness.json(try await client.execute(uri: "/api/admin/users?sort=email&limit=3", method: .get, headers: auth))
            guard case .array(let rows)? = all["users"], case .string(let cursor)? = all["next_cursor"] else {
                Issue.record("no page: \(all)")
                return
            }
            #expect(rows.count == 3)
            let first = try #require(rows.first?.objectValue)
            #expect(first["email"] == .string("billing_admin@example.com"))
            #expect(first["role_managed_by"] == .object(["kind": .string("manual")]))
            let next = try AdminHarness.json(
                try await client.execute(uri: "/api/admin/users?sort=email&limit=3&cursor=\(cursor)", method: .get, headers: auth)
            )
            let more = try #require(next["users"]?.arrayValue)
            #expect(more.count == 3)

            let admins = try AdminHarness.json(try await client.execute(uri: "/api/admin/users?role=super_admin", method: .get, headers: auth))
            let supers = try #require(admins["users"]?.arrayValue)
            let admin = try #require(supers.first?.objectValue)
            #expect(supers.count == 1)
            #expect(
                admin["role_managed_by"]
                    == .object(["kind": .string("idp"), "mapping_file": .string("idp.yaml"), "rule": .string("platform-admins")])
            )
            #expect(admin["manual_role_editable"] == .bool(false))

            let search = try AdminHarness.json(try await client.execute(uri: "/api/admin/users?q=MCP_", method: .get, headers: auth))
            let found = try #require(search["users"]?.arrayValue)
            #expect(found.count == 1)

            for (query, field) in [
                ("role=overlord", "role"), ("status=gone", "status"), ("sort=age", "sort"), ("order=up", "order"),
                ("limit=0", "limit"), ("limit=201", "limit"), ("limit=x", "limit"), ("cursor=bogus", "cursor"),
            ] {
                let response = try await client.execute(uri: "/api/admin/users?\(query)", method: .get, headers: auth)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try AdminHarness.json(response)["field"] == .string(field), "\(query)")
            }
        }
    }

    @Test("User detail: profile, activity summary, recent activity")
    func detail() async throws {
        let harness = try await AdminHarness()
        let id = harness.users[.billingAdmin]!
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/api/admin/users/\(id.rawValue)",
                method: .get,
                headers: harness.auth(.userAdmin)
            )
            #expect(response.status == .ok)
            let body = try AdminHarness.json(response)
            guard case .object(let user)? = body["user"], case .object(let activity)? = body["activity"],
                case .array(let recent)? = body["recent_activity"]
            else {
                Issue.record("\(body)")
                return
            }
            #expect(user["registered_at"] != nil && user["subject"] == .string("sub-billing_admin"))
            #expect(activity["sign_ins"] == .number(1))
            #expect(activity["role_changes"] == .number(1))
            #expect(activity["last_refusal"] == .null)
            // Created by the sign-in, then the role set by hand.
            #expect(recent.count >= 2)
        }
    }

    @Test("The audit query filters by user, action, actor and time")
    func audit() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            let auth = harness.auth(.userAdmin)
            let byCLI = try AdminHarness.json(
                try await client.execute(uri: "/api/admin/audit?actor=cli&action=user.role_changed", method: .get, headers: auth)
            )
            let events = try #require(byCLI["events"]?.arrayValue)
            #expect(events.count == 4)  // provider, mcp, user and billing admins were set by hand
            let future = try AdminHarness.json(
                try await client.execute(uri: "/api/admin/audit?since=2100-01-01T00:00:00Z", method: .get, headers: auth)
            )
            #expect(future["events"] == .array([]))
            for (query, field) in [("actor=root", "actor"), ("since=yesterday", "since"), ("user=abc", "user"), ("action=x", "action")] {
                let response = try await client.execute(uri: "/api/admin/audit?\(query)", method: .get, headers: auth)
                #expect(response.status == .badRequest)
                #expect(try AdminHarness.json(response)["field"] == .string(field), "\(query)")
            }
        }
    }

    @Test("The mapping dry run plans without writing; an invalid mapping is a 422 with line and column")
    func dryRun() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            var headers = harness.auth(.superAdmin)
            headers[.contentType] = "application/yaml"
            let changed = AdminHarness.mapping.replacingOccurrences(of: "contains: ml", with: "contains: machine-learning")
            let response = try await client.execute(
                uri: "/api/admin/mapping/dry-run",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: changed)
            )
            #expect(response.status == .ok)
            let plan = try AdminHarness.json(response)
            #expect(plan["users_evaluated"] == .number(7))
            let changes = try #require(plan["changes"]?.arrayValue)
            #expect(changes.count == 1)
            let invalid = try await client.execute(
                uri: "/api/admin/mapping/dry-run",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: "version: 1\nissuer: x\nroles:\n  - id: a\n    role: overlord\n")
            )
            #expect(invalid.status == .unprocessableContent)
            let detail = try AdminHarness.json(invalid)["detail"]?.stringValue ?? ""
            #expect(detail.contains("5:"), "\(detail)")
            let mappings = try AdminHarness.json(try await client.execute(uri: "/api/admin/mapping", method: .get, headers: headers))
            let list = try #require(mappings["mappings"]?.arrayValue)
            #expect(list.count == 1)
        }
        #expect(try await harness.store.user(id: harness.users[.modelAdmin]!)?.role == .modelAdmin)
    }
}
