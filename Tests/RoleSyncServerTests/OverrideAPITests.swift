import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncServer
import Testing

/// Break-glass overrides and the shadow report over HTTP.
@Suite("Admin API: overrides and shadow mappings")
struct OverrideAPITests {
    static func post(
        _ client: some TestClientProtocol,
        _ harness: AdminHarness,
        _ id: UserID,
        _ body: String,
        as role: Role = .superAdmin
    )
        async throws -> TestResponse
    {
        var headers = harness.auth(role)
        headers[.contentType] = "application/json"
        return try await client.execute(uri: "/api/admin/users/\(id)/override", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// The problem's status, code and field.
    static func problem(_ response: TestResponse) throws -> (HTTPResponse.Status, String?, String?) {
        let members = try AdminHarness.json(response)
        return (response.status, members["code"]?.stringValue, members["field"]?.stringValue)
    }

    @Test("An override is given, shown and ended over HTTP; bad input names its field")
    func grantAndEnd() async throws {
        let harness = try await AdminHarness()
        let covered = harness.users[.modelAdmin]!
        try await harness.test { client in
            // Each refusal names what is wrong.
            let cases: [(String, HTTPResponse.Status, String, String?)] = [
                (#"{"for":"1h","reason":"x"}"#, .unprocessableContent, "invalid_value", "role"),
                (#"{"role":"emperor","for":"1h","reason":"x"}"#, .unprocessableContent, "invalid_value", "role"),
                (#"{"role":"user","reason":"x"}"#, .unprocessableContent, "invalid_value", "until"),
                (#"{"role":"user","for":"1h","until":"2099-01-01T00:00:00Z","reason":"x"}"#, .unprocessableContent, "invalid_value", "for"),
                (#"{"role":"user","for":"soon","reason":"x"}"#, .unprocessableContent, "invalid_value", "for"),
                (#"{"role":"user","for":"9h","reason":"x"}"#, .conflict, "override_refused", "for"),
                // Past what an Int holds in seconds (schemathesis found the server trapping on it).
                (#"{"role":"user","for":"886213629703717429204.3m","reason":"x"}"#, .conflict, "override_refused", "for"),
                (#"{"role":"user","for":1e300,"reason":"x"}"#, .conflict, "override_refused", "for"),
                (#"{"role":"user","for":"0","reason":"x"}"#, .conflict, "override_refused", "for"),
                (#"{"role":"model_admin","for":"1h","reason":"x"}"#, .conflict, "override_refused", "role"),
                (#"{"role":"user","until":"2000-01-01T00:00:00Z","reason":"x"}"#, .conflict, "override_refused", "until"),
                (#"{"role":"user","for":"1h"}"#, .unprocessableContent, "invalid_value", "reason"),
                (#"{"role":"user","for":"1h","reason":" "}"#, .unprocessableContent, "invalid_override", "reason"),
                (#"{"role":"user","for":"1h","reason":"x","extra":1}"#, .badRequest, "invalid_request", "extra"),
            ]
            for (body, status, code, field) in cases {
                let response = try await Self.post(client, harness, covered, body)
                let (got, gotCode, gotField) = try Self.problem(response)
                #expect(got == status && gotCode == code && gotField == field, "\(body): \(String(buffer: response.body))")
            }
            // A user_admin may not; an uncovered user's role is edited by hand instead.
            #expect(
                try Self.problem(try await Self.post(client, harness, covered, #"{"role":"user","for":"1h","reason":"x"}"#, as: .userAdmin)).0
                    == .forbidden
            )
            let uncovered = try Self.problem(
                try await Self.post(client, harness, harness.users[.billingAdmin]!, #"{"role":"user","for":"1h","reason":"x"}"#)
            )
            #expect(uncovered.0 == .conflict && uncovered.1 == "override_not_needed")
            #expect(try await harness.store.user(id: covered)?.override == nil)

            let granted = try await Self.post(client, harness, covered, #"{"role":"user_admin","for":"90m","reason":"incident 4711"}"#)
            #expect(granted.status == .ok, "\(String(buffer: granted.body))")
            guard case .object(let user)? = try AdminHarness.json(granted)["user"], case .object(let override)? = user["override"] else {
                Issue.record("no override in \(String(buffer: granted.body))")
                return
            }
            #expect(user["role"] == "user_admin" && override["role"] == "user_admin" && override["reason"] == "incident 4711")
            #expect(override["previous_role"] == "model_admin" && override["until"]?.stringValue != nil)

            // The list shows it; the user now holds user_admin (their key works on admin routes).
            let list = try await client.execute(uri: "/api/admin/users?q=model_admin", method: .get, headers: harness.auth(.superAdmin))
            #expect(list.status == .ok)
            #expect(String(buffer: list.body).contains("\"previous_role\":\"model_admin\""))

            var headers = harness.auth(.superAdmin)
            headers[.contentType] = "application/json"
            let ended = try await client.execute(
                uri: "/api/admin/users/\(covered)/override",
                method: .delete,
                headers: headers,
                body: ByteBuffer(string: #"{"reason":"resolved"}"#)
            )
            #expect(ended.status == .ok, "\(String(buffer: ended.body))")
            guard case .object(let after)? = try AdminHarness.json(ended)["user"] else {
                Issue.record("no user")
                return
            }
            #expect(after["role"] == "model_admin" && after["override"] == .null)
            let again = try await client.execute(uri: "/api/admin/users/\(covered)/override", method: .delete, headers: harness.auth(.superAdmin))
            let noOverride = try Self.problem(again)
            #expect(noOverride.0 == .notFound && noOverride.1 == "no_override")
        }
        let actions = try await harness.store.auditEvents(matching: AuditQuery(userID: covered, limit: 100)).events.map(\.action)
        #expect(actions.contains(.overrideGranted) && actions.contains(.overrideEnded))
    }

    @Test("The shadow report lists who the candidate would change, by kind and since; a bad kind is a 400")
    func shadowReport() async throws {
        let harness = try await AdminHarness()
        try await harness.context.sync.shadow?.flush()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/admin/mapping/shadow?kind=role", method: .get, headers: harness.auth(.userAdmin))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let report = try AdminHarness.json(response)
            #expect(report["total"] == 1)
            guard case .array(let differences)? = report["differences"], case .object(let first)? = differences.first,
                case .object(let live)? = first["live"], case .object(let candidate)? = first["candidate"]
            else {
                Issue.record("no differences in \(String(buffer: response.body))")
                return
            }
            #expect(first["user"] == "model_admin@example.com" && first["via"] == "sign_in" && first["kinds"] == .array(["role"]))
            #expect(live["role"] == "model_admin" && live["rule"] == "ml" && live["file"] == "idp.yaml")
            #expect(candidate["role"] == "mcp_admin" && candidate["file"] == "shadow/idp.yaml")
            #expect(report["candidates"] == .array([.object(["issuer": .string(AdminHarness.issuer), "file": "shadow/idp.yaml"])]))

            let later = try await client.execute(uri: "/api/admin/mapping/shadow?since=2999-01-01", method: .get, headers: harness.auth(.userAdmin))
            #expect(later.status == .ok)
            #expect(try AdminHarness.json(later)["total"] == 0)
            let bad = try await client.execute(uri: "/api/admin/mapping/shadow?kind=colour", method: .get, headers: harness.auth(.userAdmin))
            let badKind = try Self.problem(bad)
            #expect(badKind.0 == .badRequest && badKind.2 == "kind")
        }
        // The candidate wrote nothing to users.
        #expect(try await harness.store.user(id: harness.users[.modelAdmin]!)?.role == .modelAdmin)
    }
}
