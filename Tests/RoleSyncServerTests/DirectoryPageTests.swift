import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReconciler
import RoleSyncTestSupport
import Testing

@testable import RoleSyncServer

/// The Directory page and `/api/admin/directory`: how each IdP's directory is read, its last run,
/// and a dry run that writes nothing.
@Suite struct DirectoryPageTests {
    /// The harness's `corp` reconciler.
    static func reconciler(_ h: AdminHarness) throws -> Reconciler {
        try #require(h.context.directories?.reconciler(named: "corp"))
    }

    @Test("The API lists each directory; after a run, its outcome, counts, cursor and next run")
    func status() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let before = try await client.execute(uri: "/api/admin/directory", method: .get, headers: h.auth(.userAdmin))
            #expect(before.status == .ok)
            guard case .array(let entries)? = try AdminHarness.json(before)["directories"], case .object(let corp)? = entries.first else {
                Issue.record("no directories: \(String(buffer: before.body))")
                return
            }
            #expect(entries.count == 1 && corp["idp"] == .string("corp") && corp["kind"] == .string("okta"))
            #expect(corp["url"] == .string("https://example.okta.com") && corp["interval_seconds"] == .number(900))
            #expect(corp["full_every_seconds"] == .number(86_400) && corp["has_cursor"] == .bool(false))
            #expect(corp["last_run"] == .null && corp["next_run_at"] == .null && corp["full_listing_due"] == .bool(true))

            h.okta.with { $0.users.removeAll { $0.id == "sub-billing_admin" } }
            _ = try await Self.reconciler(h).run(dryRun: false)
            let after = try await client.execute(uri: "/api/admin/directory", method: .get, headers: h.auth(.superAdmin))
            guard case .array(let entries)? = try AdminHarness.json(after)["directories"], case .object(let ran)? = entries.first,
                case .object(let run)? = ran["last_run"]
            else {
                Issue.record("no last run: \(String(buffer: after.body))")
                return
            }
            #expect(ran["has_cursor"] == .bool(true) && ran["full_listing_due"] == .bool(false) && ran["next_run_at"] != .null)
            #expect(run["outcome"] == .string("applied") && run["mode"] == .string("full") && run["deactivated"] == .number(1))
            #expect(run["full_reason"]?.stringValue?.hasPrefix("no cursor yet") == true)
            #expect(ran["safety_valve"] == .null && ran["last_error"] == .null)
        }
    }

    @Test("A dry run over the API reads from the cursor and plans; nothing is written, no run recorded")
    func apiDryRun() async throws {
        let h = try await AdminHarness()
        _ = try await Self.reconciler(h).run(dryRun: false)
        let state = try await h.store.directorySyncState(issuer: AdminHarness.issuer)
        h.okta.with { state in
            let index = state.users.firstIndex { $0.id == "sub-mcp_admin" }!
            state.users[index].status = "SUSPENDED"
            state.users[index].lastUpdated = Date()
        }
        try await h.test { client in
            let response = try await client.execute(uri: "/api/admin/directory/corp/dry-run", method: .post, headers: h.auth(.userAdmin))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let body = try AdminHarness.json(response)
            #expect(body["dry_run"] == .bool(true) && body["applied"] == .bool(false) && body["mode"] == .string("incremental"))
            #expect(body["directory_users"] == .number(1) && body["deactivations"] == .number(1))
        }
        let user = try #require(try await h.store.user(issuer: AdminHarness.issuer, subject: "sub-mcp_admin"))
        #expect(user.status == .active)
        #expect(try await h.store.directorySyncState(issuer: AdminHarness.issuer) == state)
    }

    @Test("A dry run of an unknown IdP is 404 naming the field; a directory that fails is 502 with its code, never the token")
    func apiDryRunErrors() async throws {
        let h = try await AdminHarness()
        h.okta.with { $0.failing = (text: "/api/v1/groups", status: 403) }
        try await h.test { client in
            let unknown = try await client.execute(uri: "/api/admin/directory/nope/dry-run", method: .post, headers: h.auth(.superAdmin))
            #expect(unknown.status == .notFound)
            let problem = try AdminHarness.json(unknown)
            #expect(problem["code"] == .string("directory_not_found") && problem["field"] == .string("idp"))
            let failed = try await client.execute(uri: "/api/admin/directory/corp/dry-run", method: .post, headers: h.auth(.superAdmin))
            #expect(failed.status == .badGateway)
            #expect(failed.headers[.contentType] == "application/problem+json")
            let body = String(buffer: failed.body)
            #expect(try AdminHarness.json(failed)["code"] == .string("okta_status"))
            #expect(body.contains("HTTP 403") && !body.contains("okta-api-token"))
        }
        #expect(try await h.store.directorySyncState(issuer: AdminHarness.issuer) == nil, "a dry run records nothing, failed or not")
    }

    @Test("The page: the source, the schedule, the last run with its counts, and a dry run's plan with the leaver")
    func page() async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let empty = try await client.execute(uri: "/admin/directory", method: .get, headers: h.browser(.userAdmin))
            #expect(empty.status == .ok)
            var page = DashboardTests.html(empty)
            #expect(page.contains("href=\"/admin/directory\" aria-current=\"page\""))
            #expect(page.contains("Okta at https://example.okta.com") && page.contains("No run recorded yet."))
            #expect(page.contains("action=\"/admin/directory/corp/dry-run\""))

            _ = try await Self.reconciler(h).run(dryRun: false)
            h.okta.with { state in
                let index = state.users.firstIndex { $0.id == "sub-billing_admin" }!
                state.users[index].status = "DEPROVISIONED"
                state.users[index].lastUpdated = Date()
            }
            let token = try DashboardTests.formToken(empty)
            let (headers, body) = DashboardTests.form(h, .userAdmin, [("csrf_token", token)])
            let dry = try await client.execute(uri: "/admin/directory/corp/dry-run", method: .post, headers: headers, body: body)
            #expect(dry.status == .ok)
            page = DashboardTests.html(dry)
            #expect(page.contains("A full listing at"), "the last run, recorded")
            #expect(page.contains("Read through Okta: an incremental listing; 3 requests."), "the dry run read from the cursor")
            #expect(page.contains("billing_admin@example.com") && page.contains("inactive in directory"), "\(page)")
            #expect(page.contains("1 user changed in the directory since the last run; 1 is a ledger user. Nothing was written."))
            let user = try #require(try await h.store.user(issuer: AdminHarness.issuer, subject: "sub-billing_admin"))
            #expect(user.status == .active)
        }
    }

    @Test("Users without directory:read get neither the page nor the API", arguments: [Role.modelAdmin, .billingAdmin])
    func refused(_ role: Role) async throws {
        let h = try await AdminHarness()
        try await h.test { client in
            let page = try await client.execute(uri: "/admin/directory", method: .get, headers: h.browser(role))
            #expect(page.status == .forbidden)
            let api = try await client.execute(uri: "/api/admin/directory", method: .get, headers: h.auth(role))
            #expect(api.status == .forbidden)
        }
    }
}
