import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncTestSupport
import Testing

/// The Events page and `/api/admin/webhooks` over a ledger with one endpoint, `siem`, disabled by
/// a 410 and holding one failed message (``AdminHarness/seedWebhooks()``).
@Suite("Events page and the webhook API")
struct EventsPageTests {
    @Test("The page shows the endpoint, its messages and tries; only a super_admin gets the acts")
    func page() async throws {
        let h = try await AdminHarness()
        let (failed, _) = try await h.seedWebhooks()
        try await h.test { client in
            let page = try await client.execute(uri: "/admin/events", method: .get, headers: h.browser(.superAdmin))
            #expect(page.status == .ok)
            let html = DashboardTests.html(page)
            #expect(html.contains("id=\"endpoint-siem\"") && html.contains(">disabled</span>"))
            #expect(html.contains("because it answered 410 Gone"))
            #expect(html.contains("<code>msg_\(failed)</code>") && html.contains(">failed</span>"), "the failed message is listed")
            #expect(html.contains(">503</span> 20 ms <code>busy</code>"), "its try: status, duration, the answer's start")
            #expect(html.contains("action=\"/admin/events/siem/enable\"") && html.contains("action=\"/admin/events/siem/messages/\(failed)/retry\""))

            let reader = DashboardTests.html(try await client.execute(uri: "/admin/events", method: .get, headers: h.browser(.userAdmin)))
            #expect(
                reader.contains("id=\"endpoint-siem\"") && !reader.contains("/enable\"") && !reader.contains("Retry now"),
                "user_admin reads, without the acts"
            )
            let filtered = DashboardTests.html(
                try await client.execute(uri: "/admin/events?state=delivered", method: .get, headers: h.browser(.superAdmin))
            )
            #expect(!filtered.contains("<code>msg_\(failed)</code>"))
            let bad = DashboardTests.html(
                try await client.execute(uri: "/admin/events?state=lost&endpoint=nope", method: .get, headers: h.browser(.superAdmin))
            )
            #expect(bad.contains("No webhook endpoint is named &#39;nope&#39;.") && bad.contains("&#39;lost&#39; is not a message state."))
        }
    }

    @Test("The page's acts: retry, re-enable and replay are audited; a user_admin is refused; a bad time is a 422 page")
    func acts() async throws {
        let h = try await AdminHarness()
        let (failed, _) = try await h.seedWebhooks()
        try await h.test { client in
            let token = try DashboardTests.formToken(try await client.execute(uri: "/admin/events", method: .get, headers: h.browser(.superAdmin)))
            let (headers, body) = DashboardTests.form(h, .superAdmin, [("csrf_token", token)])
            let retried = try await client.execute(uri: "/admin/events/siem/messages/\(failed)/retry", method: .post, headers: headers, body: body)
            #expect(retried.status == .seeOther && retried.headers[.location] == "/admin/events?done=retry&endpoint=siem")
            #expect(try await h.store.webhookFailures(endpoint: "siem", retryRequested: true, limit: 5).map(\.eventID) == [failed])

            let enabled = try await client.execute(uri: "/admin/events/siem/enable", method: .post, headers: headers, body: body)
            #expect(enabled.status == .seeOther)
            #expect(try await h.store.webhookEndpoints().first?.state == .healthy)
            let again = try await client.execute(uri: "/admin/events/siem/enable", method: .post, headers: headers, body: body)
            #expect(again.status == .conflict && DashboardTests.html(again).contains("is healthy, not disabled"))

            let (badHeaders, badBody) = DashboardTests.form(h, .superAdmin, [("csrf_token", token), ("since", "last tuesday")])
            let bad = try await client.execute(uri: "/admin/events/siem/replay", method: .post, headers: badHeaders, body: badBody)
            #expect(bad.status == .unprocessableContent && DashboardTests.html(bad).contains("give the time to replay from"))
            let (replayHeaders, replayBody) = DashboardTests.form(h, .superAdmin, [("csrf_token", token), ("since", "2000-01-01")])
            let replayed = try await client.execute(uri: "/admin/events/siem/replay", method: .post, headers: replayHeaders, body: replayBody)
            #expect(replayed.status == .seeOther)
            #expect(try await h.store.webhookEndpoints().first?.cursor.eventID == 0, "the cursor is back before the first event")
            let actions = try await h.store.auditEvents(matching: AuditQuery(limit: 10)).events.map(\.action)
            #expect(actions.contains(.webhookRetryRequested) && actions.contains(.webhookEnabled) && actions.contains(.webhookReplayed))

            let adminToken = try DashboardTests.formToken(
                try await client.execute(uri: "/admin/events", method: .get, headers: h.browser(.userAdmin))
            )
            let (adminHeaders, adminBody) = DashboardTests.form(h, .userAdmin, [("csrf_token", adminToken), ("since", "2000-01-01")])
            let refused = try await client.execute(uri: "/admin/events/siem/replay", method: .post, headers: adminHeaders, body: adminBody)
            #expect(refused.status == .forbidden)

            // The test ping reaches the configured endpoint's receiver, signed.
            let ping = try await client.execute(uri: "/admin/events/siem/test", method: .post, headers: headers, body: body)
            #expect(ping.status == .ok && DashboardTests.html(ping).contains("Test ping to siem: answered 204"))
            #expect(h.receiver.webhookIDs.last?.hasPrefix("ping_") == true)
            #expect(h.receiver.requests.last?.header("webhook-signature")?.hasPrefix("v1,") == true)
        }
    }

    @Test("The API: endpoints with their backlog, messages with their tries, and refusals as problems")
    func api() async throws {
        let h = try await AdminHarness()
        let (failed, _) = try await h.seedWebhooks()
        try await h.test { client in
            let list = try await client.execute(uri: "/api/admin/webhooks", method: .get, headers: h.auth(.userAdmin))
            #expect(list.status == .ok)
            let endpoint = try #require(try AdminHarness.json(list)["endpoints"]?.arrayValue?.first?.objectValue)
            #expect(endpoint["name"] == .string("siem") && endpoint["state"] == .string("disabled") && endpoint["disabled_reason"] == .string("gone"))
            #expect(endpoint["failed"] == .number(1) && endpoint["configured"] == .bool(true))
            guard case .number(let backlog)? = endpoint["backlog"] else { throw AdminHarness.HarnessError.notAnObject("backlog") }
            #expect(backlog >= 1, "the events after the cursor wait")

            let messages = try await client.execute(uri: "/api/admin/webhooks/messages?state=failed", method: .get, headers: h.auth(.userAdmin))
            #expect(messages.status == .ok)
            let message = try #require(try AdminHarness.json(messages)["messages"]?.arrayValue?.first?.objectValue)
            #expect(message["webhook_id"] == .string("msg_\(failed)") && message["state"] == .string("failed"))
            #expect(message["attempts"]?.arrayValue?.first?.objectValue?["status"] == .number(503))
            #expect(message["event"]?.objectValue?["id"] == .number(Double(failed)))

            for (uri, status, field) in [
                ("/api/admin/webhooks/messages?endpoint=nope", 404, "endpoint"), ("/api/admin/webhooks/messages?state=lost", 400, "state"),
                ("/api/admin/webhooks/messages?limit=0", 400, "limit"),
            ] {
                let refused = try await client.execute(uri: uri, method: .get, headers: h.auth(.superAdmin))
                #expect(refused.status.code == status, "\(uri)")
                #expect(try AdminHarness.json(refused)["field"] == .string(field), "\(uri)")
            }
            var headers = h.auth(.superAdmin)
            headers[.contentType] = "application/json"
            let missing = try await client.execute(uri: "/api/admin/webhooks/siem/messages/999999/retry", method: .post, headers: h.auth(.superAdmin))
            #expect(missing.status == .notFound)
            #expect(try AdminHarness.json(missing)["code"] == .string("webhook_failure_not_found"))
            let badSince = try await client.execute(
                uri: "/api/admin/webhooks/siem/replay",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"since":"soon"}"#)
            )
            #expect(badSince.status == .unprocessableContent)
            #expect(try AdminHarness.json(badSince)["field"] == .string("since"))
            let unknown = try await client.execute(uri: "/api/admin/webhooks/nope/enable", method: .post, headers: h.auth(.superAdmin))
            #expect(unknown.status == .notFound)
            #expect(try AdminHarness.json(unknown)["code"] == .string("webhook_not_found"))
            let test = try await client.execute(uri: "/api/admin/webhooks/siem/test", method: .post, headers: h.auth(.superAdmin))
            #expect(test.status == .ok)
            #expect(try AdminHarness.json(test)["delivered"] == .bool(true))
        }
    }
}
