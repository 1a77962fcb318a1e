import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@testable import RoleSyncServer

/// The dashboard's break-glass control, the users list's "override until", and the Mapping page's
/// shadow section.
@Suite struct DashboardOverrideTests {
    @Test("a super_admin gives and ends an override from the user's page; a user_admin sees why they cannot")
    func breakGlass() async throws {
        let h = try await AdminHarness()
        let covered = try #require(h.users[.modelAdmin])
        try await h.test { client in
            let asUserAdmin = try await client.execute(uri: "/admin/users/\(covered)", method: .get, headers: h.browser(.userAdmin))
            let userAdminPage = DashboardTests.html(asUserAdmin)
            #expect(userAdminPage.contains("id=\"break-glass\"") && !userAdminPage.contains("id=\"grant-override\""))
            #expect(userAdminPage.contains("Only a super_admin may give or end a break-glass override."))

            let page = try await client.execute(uri: "/admin/users/\(covered)", method: .get, headers: h.browser(.superAdmin))
            let html = DashboardTests.html(page)
            #expect(html.contains("id=\"grant-override\"") && html.contains("<option value=\"28800\">8 hours</option>"))
            #expect(!html.contains("<option value=\"86400\">"), "no choice past override.max_duration")
            let token = try DashboardTests.formToken(page)

            // A user_admin's forged post is refused before it reaches the ledger.
            let (forgedHeaders, forged) = DashboardTests.form(
                h,
                .userAdmin,
                [("csrf_token", token), ("role", "user"), ("for", "3600"), ("reason", "x")]
            )
            let refused = try await client.execute(uri: "/admin/users/\(covered)/override", method: .post, headers: forgedHeaders, body: forged)
            #expect(refused.status == .forbidden)

            // No reason: the page says what is missing, nothing changes.
            let (noReasonHeaders, noReason) = DashboardTests.form(
                h,
                .superAdmin,
                [("csrf_token", token), ("role", "user"), ("for", "3600"), ("reason", " ")]
            )
            let missing = try await client.execute(uri: "/admin/users/\(covered)/override", method: .post, headers: noReasonHeaders, body: noReason)
            #expect(missing.status == .unprocessableContent)
            #expect(DashboardTests.html(missing).contains("a reason is required"))
            #expect(try await h.store.user(id: covered)?.override == nil)

            let (headers, body) = DashboardTests.form(
                h,
                .superAdmin,
                [("csrf_token", token), ("role", "user_admin"), ("for", "7200"), ("reason", "incident <4711>")]
            )
            let given = try await client.execute(uri: "/admin/users/\(covered)/override", method: .post, headers: headers, body: body)
            #expect(given.status == .seeOther && given.headers[.location] == "/admin/users/\(covered)?done=override")
            let user = try #require(try await h.store.user(id: covered))
            #expect(user.role == .userAdmin && user.override?.reason == "incident <4711>")

            let after = DashboardTests.html(
                try await client.execute(uri: "/admin/users/\(covered)?done=override", method: .get, headers: h.browser(.superAdmin))
            )
            #expect(after.contains("Break-glass override given: user_admin until"))
            #expect(after.contains("incident &lt;4711&gt;") && !after.contains("incident <4711>"))
            #expect(after.contains("id=\"end-override\"") && after.contains("Then <span class=\"role\">model_admin</span> returns"))

            let list = DashboardTests.html(try await client.execute(uri: "/admin/users", method: .get, headers: h.browser(.superAdmin)))
            #expect(list.contains("override until <time datetime="))

            let (endHeaders, endBody) = DashboardTests.form(h, .superAdmin, [("csrf_token", token), ("reason", "resolved")])
            let ended = try await client.execute(uri: "/admin/users/\(covered)/override/end", method: .post, headers: endHeaders, body: endBody)
            #expect(ended.status == .seeOther && ended.headers[.location] == "/admin/users/\(covered)?done=override-ended")
            #expect(try await h.store.user(id: covered)?.role == .modelAdmin)
            #expect(try await h.store.user(id: covered)?.override == nil)
        }
    }

    @Test("the Mapping page shows who the shadow mapping would change, from real sign-ins")
    func shadowSection() async throws {
        let h = try await AdminHarness()
        try await h.context.sync.shadow?.flush()
        try await h.test { client in
            let page = try await client.execute(uri: "/admin/mapping", method: .get, headers: h.browser(.userAdmin))
            #expect(page.status == .ok)
            let html = DashboardTests.html(page)
            #expect(html.contains("id=\"shadow-title\">Shadow mapping<"))
            #expect(html.contains("<code>shadow/idp.yaml for \(AdminHarness.issuer)</code>"))
            #expect(html.contains("1 user would change, from real traffic"))
            #expect(html.contains("role model_admin → mcp_admin") && html.contains("‘ml’ in shadow/idp.yaml"))
            #expect(html.contains("in a sign-in, 1 time"))
        }
    }
}
