import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports
import RoleSyncTestSupport
import Testing

/// Users, API Keys and Audit leave RoleSync whole: `?format=csv|jsonl` on the admin listings, read
/// back as a spreadsheet or a script would (Python's `csv` module).
@Suite("Exports")
struct ExportTests {
    /// Names a careless CSV writer breaks: a comma, quotes, a line break, and cells a spreadsheet
    /// would run as formulas.
    static let awkward: [(sub: String, name: String)] = [
        ("comma", "Novak, Chen \"CJ\""),
        ("lines", "First line\nsecond line"),
        ("formula", "=HYPERLINK(\"http://evil.example\",\"click\")"),
        ("plus", "+1 555 0100"),
        ("at", "@SUM(A1:A9)"),
        ("minus", "-2+3"),
        ("accents", "Zoë Ünal-Yılmaz"),
    ]

    static func seed(_ h: AdminHarness) async throws {
        for (sub, name) in awkward {
            let claims = Claims([
                "sub": .string("export-\(sub)"), "email": .string("\(sub)@example.com"), "name": .string(name),
                "groups": .array([.string("staff")]),
            ])
            _ = try #require(try await h.context.sync.signIn(issuer: AdminHarness.issuer, claims: claims).user)
        }
    }

    func download(_ client: some TestClientProtocol, _ h: AdminHarness, _ uri: String) async throws -> (TestResponse, Data) {
        let response = try await client.execute(uri: uri, method: .get, headers: h.auth(.userAdmin))
        #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
        return (response, Data(buffer: response.body))
    }

    @Test("Users as CSV: RFC 4180 read back by Python's csv module, formulas neutralised, every row and no page")
    func usersCSV() async throws {
        let h = try await AdminHarness()
        try await Self.seed(h)
        try await h.test { client in
            let (response, body) = try await download(client, h, "/api/admin/users?format=csv&sort=email&order=asc")
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8; header=present")
            let disposition = try #require(response.headers[.contentDisposition])
            #expect(disposition.hasPrefix("attachment; filename=\"rolesync-users-") && disposition.hasSuffix(".csv\""))
            #expect(response.headers[.cacheControl] == "no-store")
            let text = String(decoding: body, as: UTF8.self)
            #expect(text.hasSuffix("\r\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\r"))

            let rows = try PythonCSV.rows(of: body)
            let header = try #require(rows.first)
            #expect(header.prefix(5) == ["id", "name", "email", "role", "role_managed_by"])
            let records = rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
            #expect(records.count == Role.allCases.count + Self.awkward.count, "every user, not a page")
            #expect(records.allSatisfy { $0.count == header.count })
            let byEmail = Dictionary(uniqueKeysWithValues: records.map { ($0["email"] ?? "", $0) })
            #expect(byEmail["comma@example.com"]?["name"] == "Novak, Chen \"CJ\"")
            #expect(byEmail["lines@example.com"]?["name"] == "First line\nsecond line")
            #expect(byEmail["formula@example.com"]?["name"] == "'=HYPERLINK(\"http://evil.example\",\"click\")")
            #expect(byEmail["plus@example.com"]?["name"] == "'+1 555 0100")
            #expect(byEmail["at@example.com"]?["name"] == "'@SUM(A1:A9)")
            #expect(byEmail["minus@example.com"]?["name"] == "'-2+3")
            #expect(byEmail["accents@example.com"]?["name"] == "Zoë Ünal-Yılmaz")
            #expect(byEmail["super_admin@example.com"]?["role_managed_by"] == "idp")
            #expect(byEmail["super_admin@example.com"]?["mapping_file"] == "idp.yaml")
            #expect(records.map { $0["email"] ?? "" } == records.map { $0["email"] ?? "" }.sorted(), "in the listing's order")

            // The filters of the listing select the rows; JSON lines carry the API's item shape.
            let (lines, jsonl) = try await download(client, h, "/api/admin/users?format=jsonl&q=example.com&role=super_admin")
            #expect(lines.headers[.contentType] == "application/jsonl; charset=utf-8")
            let objects = try String(decoding: jsonl, as: UTF8.self).split(separator: "\n").map {
                try ClaimValue(json: Data($0.utf8)).objectValue ?? [:]
            }
            #expect(objects.count == 1 && objects.first?["email"] == "super_admin@example.com")
            #expect(objects.first?["role_managed_by"]?.objectValue?["kind"] == "idp")

            for bad in ["format=xml", "format=csv&limit=10", "format=csv&cursor=abc"] {
                let refused = try await client.execute(uri: "/api/admin/users?" + bad, method: .get, headers: h.auth(.userAdmin))
                #expect(refused.status == .badRequest, "\(bad)")
            }
            let forbidden = try await client.execute(uri: "/api/admin/users?format=csv", method: .get, headers: h.auth(.user))
            #expect(forbidden.status == .forbidden)
        }
    }

    @Test("Keys and the audit log as CSV and JSON lines: names with commas and formulas, the sentence beside the JSON")
    func keysAndAudit() async throws {
        let h = try await AdminHarness()
        try await Self.seed(h)
        let carol = try #require(h.users[.user])
        let keys = h.context.keys
        let exporter = try await keys.create(for: carol, name: "exporter, \"eu\"", lifetime: nil, purpose: .gateway, by: .cli)
        _ = try await keys.create(for: carol, name: "-rm -rf", lifetime: nil, purpose: .gateway, by: .cli)
        _ = try await keys.revoke(id: exporter.key.id, cause: .admin, reason: "=1+1, \"quoted\"\nsecond line", by: .cli)
        try await h.test { client in
            let (_, body) = try await download(client, h, "/api/admin/keys?format=csv&owner=\(carol.rawValue)&sort=name&order=asc")
            let rows = try PythonCSV.rows(of: body)
            let header = try #require(rows.first)
            let records = rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
            #expect(records.map { $0["name"] } == ["'-rm -rf", "exporter, \"eu\""])
            #expect(records.last?["revocation_reason"] == "'=1+1, \"quoted\"\nsecond line")
            #expect(records.last?["status"] == "revoked" && records.last?["owner_email"] == "user@example.com")
            #expect(records.last?["prefix"] == exporter.key.prefix)
            #expect(!String(decoding: body, as: UTF8.self).contains(exporter.value), "never a key's value")

            let (_, audit) = try await download(client, h, "/api/admin/audit?format=csv&action=key.revoked")
            let events = try PythonCSV.rows(of: audit)
            #expect(events.first == ["id", "time", "action", "actor", "user_id", "sentence", "details"])
            #expect(events.count == 2)
            let revoked = try #require(events.last)
            #expect(revoked[2] == "key.revoked" && revoked[3] == "cli")
            #expect(revoked[5].contains("revoked") && revoked[5].contains("exporter, \"eu\"") && revoked[5].contains("The user"))
            let details = try ClaimValue(json: Data(revoked[6].utf8)).objectValue ?? [:]
            #expect(details["reason"] == "=1+1, \"quoted\"\nsecond line", "the JSON cell starts with { and is kept as it is")

            let (_, lines) = try await download(client, h, "/api/admin/audit?format=jsonl&action=key.revoked")
            let object = try ClaimValue(json: Data(String(decoding: lines, as: UTF8.self).split(separator: "\n")[0].utf8)).objectValue ?? [:]
            #expect(object["action"] == "key.revoked" && object["sentence"]?.stringValue?.contains("exporter") == true)
        }
    }

    @Test("Each dashboard listing links its view as CSV and JSON lines; the link exports every row its filters select")
    func dashboardLinks() async throws {
        let h = try await AdminHarness()
        try await Self.seed(h)
        let carol = try #require(h.users[.user])
        let keys = h.context.keys
        let old = try await keys.create(for: carol, name: "old", lifetime: nil, purpose: .gateway, by: .cli)
        _ = try await keys.create(for: carol, name: "live", lifetime: nil, purpose: .gateway, by: .cli)
        _ = try await keys.revoke(id: old.key.id, cause: .admin, reason: "gone", by: .cli)
        try await h.test { client in
            func page(_ uri: String) async throws -> String {
                let response = try await client.execute(uri: uri, method: .get, headers: h.browser(.userAdmin))
                #expect(response.status == .ok, "\(uri)")
                return String(buffer: response.body)
            }
            func rows(_ uri: String) async throws -> [[String]] {
                let response = try await client.execute(uri: uri, method: .get, headers: h.browser(.userAdmin))
                #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true, "\(uri)")
                return try PythonCSV.rows(of: Data(buffer: response.body))
            }
            #expect(
                try await page("/admin/users?role=user").contains(
                    "href=\"/admin/users?role=user&amp;sort=name&amp;order=asc&amp;format=csv\" download"
                )
            )
            #expect(try await rows("/admin/users?role=user&format=csv").dropFirst().allSatisfy { $0[3] == "user" })
            // The hygiene view exports what it shows: the active keys.
            #expect(try await page("/admin/keys?sort=last_used&order=asc").contains("status=active&amp;sort=last_used&amp;order=asc&amp;format=csv"))
            let hygiene = try await rows("/admin/keys?status=active&owner=\(carol.rawValue)&sort=last_used&order=asc&format=csv")
            #expect(hygiene.dropFirst().map { $0[1] } == ["live"])
            // The Audit page's user filter takes an email, as its form does.
            #expect(try await page("/admin/audit?user=user%40example.com").contains("format=jsonl"))
            let events = try await rows("/admin/audit?user=user%40example.com&action=key.revoked&format=csv")
            #expect(events.count == 2 && events.last?[5].contains("old") == true)
            let bad = try await client.execute(uri: "/admin/users?format=pdf", method: .get, headers: h.browser(.userAdmin))
            #expect(bad.status == .badRequest)
            let denied = try await client.execute(uri: "/admin/users?format=csv", method: .get, headers: h.browser(.user))
            #expect(denied.status == .forbidden)
        }
    }

    @Test("CSV fields: quoted only when they must be, quotes doubled, formula starts prefixed")
    func fields() {
        #expect(CSV.record(["a", "b c", ""]) == "a,b c,\r\n")
        #expect(CSV.record(["x,y", "say \"hi\"", "two\nlines", "cr\r"]) == "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\r\n")
        #expect(CSV.field("=1+1") == "'=1+1" && CSV.field("+1") == "'+1" && CSV.field("-1") == "'-1" && CSV.field("@x") == "'@x")
        #expect(CSV.field("\tx") == "'\tx" && CSV.field("\rx") == "\"'\rx\"")
        #expect(CSV.field("=a,b") == "\"'=a,b\"")
        #expect(CSV.field("a=b") == "a=b" && CSV.field("2026-12-07T16:00:00Z") == "2026-12-07T16:00:00Z")
    }
}
