import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncTestSupport
import Testing

/// Access reviews over the admin API and on the dashboard (issue 27, part 5).
@Suite("Access reviews over HTTP")
struct ReviewRoutesTests {
    typealias D = DashboardTests

    @Test("API: the holders with a fingerprint; a review needs every decision for those holders; completed reviews read back, as CSV too")
    func api() async throws {
        let h = try await AdminHarness()
        let auth = h.auth(.superAdmin)
        try await h.test { client in
            let current = try await client.execute(uri: "/api/admin/reviews/current", method: .get, headers: auth)
            #expect(current.status == .ok)
            let body = try AdminHarness.json(current)
            let fingerprint = try #require(body["fingerprint"]?.stringValue)
            let holders = try #require(body["holders"]?.arrayValue).compactMap(\.objectValue)
            #expect(holders.count == Role.allCases.count - 1, "every role but user, one holder each")
            let superAdmin = try #require(holders.first)
            #expect(superAdmin["role"] == "super_admin" && superAdmin["basis"] == "idp" && superAdmin["rule"] == "platform-admins")
            let billing = try #require(holders.first { $0["role"] == "billing_admin" })
            #expect(billing["basis"] == "manual" && billing["changed_by"] == "cli")
            let ids = holders.compactMap { holder -> Int64? in
                guard case .number(let id)? = holder["user_id"] else { return nil }
                return Int64(id)
            }

            func complete(_ body: String) async throws -> TestResponse {
                var headers = auth
                headers[.contentType] = "application/json"
                return try await client.execute(uri: "/api/admin/reviews", method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            let some = ids.dropFirst().map { "\"\($0)\": \"keep\"" }.joined(separator: ", ")
            let incomplete = try await complete(#"{"fingerprint": "\#(fingerprint)", "decisions": {\#(some)}}"#)
            #expect(try incomplete.status == .unprocessableContent && AdminHarness.json(incomplete)["field"] == "decisions")
            let all =
                "\"\(ids[0])\": \"keep\", "
                + ids.dropFirst().enumerated().map { "\"\($1)\": \"\($0 == 0 ? "revoke" : "keep")\"" }.joined(separator: ", ")
            let stale = try await complete(#"{"fingerprint": "0000", "decisions": {\#(all)}}"#)
            #expect(stale.status == .conflict && String(buffer: stale.body).contains("holders changed"))
            let bad = try await complete(#"{"fingerprint": "\#(fingerprint)", "decisions": {"\#(ids[0])": "maybe"}}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(try await complete(#"{"decisions": {}}"#).status == .unprocessableContent)

            let done = try await complete(#"{"fingerprint": "\#(fingerprint)", "decisions": {\#(all)}}"#)
            #expect(done.status == .created, "\(String(buffer: done.body))")
            let review = try AdminHarness.json(done)
            guard case .number(let number)? = review["id"] else { throw PythonCSV.Failure(description: "no review id") }
            let id = Int64(number)
            #expect(review["holders"] == .number(Double(ids.count)) && review["revoked"] == .number(1))
            #expect(review["reviewer"] == .string("user:\(h.users[.superAdmin]!.rawValue)"))
            #expect(review["digest"]?.stringValue?.hasPrefix("sha256:") == true)

            let listed = try AdminHarness.json(try await client.execute(uri: "/api/admin/reviews", method: .get, headers: auth))
            #expect(listed["reviews"]?.arrayValue?.count == 1)
            let csv = try await client.execute(uri: "/api/admin/reviews/\(id)?format=csv", method: .get, headers: auth)
            #expect(csv.status == .ok)
            let rows = try PythonCSV.rows(of: Data(buffer: csv.body))
            #expect(rows.first?.first == "role" && rows.count == ids.count + 1)
            #expect(rows.dropFirst().filter { $0.last == "revoke" }.count == 1)
            #expect(try await client.execute(uri: "/api/admin/reviews/999", method: .get, headers: auth).status == .notFound)
            #expect(try await client.execute(uri: "/api/admin/reviews/current", method: .get, headers: h.auth(.user)).status == .forbidden)
        }
        let event = try #require(try await h.store.auditEvents(matching: AuditQuery(action: .reviewCompleted)).events.first)
        #expect(event.details[.holders] == .number(Double(Role.allCases.count - 1)) && event.details[.revoked] == .number(1))
    }

    @Test("Dashboard: holders grouped by role with keep/revoke; a missing decision keeps the choices; Complete review shows what to revoke")
    func dashboard() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let page = try await client.execute(uri: "/admin/reviews", method: .get, headers: h.browser(.userAdmin))
            #expect(page.status == .ok)
            let html = D.html(page)
            #expect(html.contains("data-role=\"super_admin\"") && html.contains("IdP rule platform-admins in idp.yaml"))
            #expect(html.contains("manual: set by cli on ") && html.contains("Edit role…"))
            #expect(html.contains(">Access review</a>"), "the sidebar links the page")
            #expect(html.contains("No review completed yet."))
            let token = try D.formToken(page)
            let fingerprint = try #require(html.firstMatch(of: #/name="fingerprint" value="([0-9a-f]+)"/#)?.1)
            let ids = html.matches(of: #/name="decision-(\d+)" value="keep"/#).map { String($0.1) }
            #expect(ids.count == Role.allCases.count - 1)

            let partial = [("csrf_token", token), ("fingerprint", String(fingerprint)), ("decision-\(ids[0])", "revoke")]
            let (partialHeaders, partialBody) = D.form(h, .userAdmin, partial)
            let refused = try await client.execute(uri: "/admin/reviews", method: .post, headers: partialHeaders, body: partialBody)
            #expect(refused.status == .unprocessableContent && D.html(refused).contains("have no decision yet"))
            #expect(D.html(refused).contains("name=\"decision-\(ids[0])\" value=\"revoke\" checked"), "the choice made is kept")

            let all = partial + ids.dropFirst().map { ("decision-\($0)", "keep") }
            let (headers, body) = D.form(h, .userAdmin, all)
            let completed = try await client.execute(uri: "/admin/reviews", method: .post, headers: headers, body: body)
            #expect(completed.status == .seeOther)
            let location = try #require(completed.headers[.location])
            let shown = D.html(try await client.execute(uri: location, method: .get, headers: h.browser(.userAdmin)))
            #expect(shown.contains("id=\"notice\"") && shown.contains("kept, 1 to revoke"))
            #expect(shown.contains("id=\"to-revoke\"") && shown.contains("sha256:"))
            let list = D.html(try await client.execute(uri: "/admin/reviews", method: .get, headers: h.browser(.userAdmin)))
            #expect(list.contains("data-review-id=") && !list.contains("No review completed yet."))
            // A user_admin reads and completes; a plain user is refused.
            #expect(try await client.execute(uri: "/admin/reviews", method: .get, headers: h.browser(.user)).status == .forbidden)
        }
    }
}
