import Foundation
import RoleSyncTestSupport
import Testing

/// `rolesync mapping shadow-report`, `mapping promote`, `users override` and `users end-override`,
/// end to end on a SQLite ledger.
@Suite("CLI: shadow mappings and break-glass overrides")
struct ShadowCLITests {
    static let issuer = "https://sso.example.com/realms/platform"

    /// A ledger with Greta (keycloak finance-billing → billing_admin) signed in, the live Keycloak
    /// mapping, and a candidate that makes finance-billing user_admin.
    static func setUp() throws -> (ScratchFolder, [String]) {
        let scratch = try ScratchFolder("shadow")
        try FileManager.default.createDirectory(atPath: scratch.path("live"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.path("shadow"), withIntermediateDirectories: true)
        let live = try String(contentsOf: Rolesync.packageRoot.appendingPathComponent("mappings/keycloak.yaml"), encoding: .utf8)
        try live.write(toFile: scratch.path("live/keycloak.yaml"), atomically: true, encoding: .utf8)
        try live.replacingOccurrences(of: "    role: billing_admin", with: "    role: user_admin")
            .write(toFile: scratch.path("shadow/keycloak.yaml"), atomically: true, encoding: .utf8)
        let options = ["--database", scratch.path("ledger.sqlite"), "--mappings", scratch.path("live"), "--shadow", scratch.path("shadow")]
        let signIn = try Rolesync.run(
            ["users", "sign-in", "--issuer", issuer, "--claims", "examples/claims/keycloak-billing.json"] + options
        )
        #expect(signIn.status == 0, "\(signIn.stderr)")
        return (scratch, options)
    }

    @Test("A sign-in's difference is reported; promote shows the dry run, asks, replaces the file and audits both names")
    func reportAndPromote() throws {
        let (scratch, options) = try Self.setUp()
        let report = try Rolesync.run(["mapping", "shadow-report"] + options)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("greta.lund@example.com  sign_in  role billing_admin → user_admin"), "\(report.stdout)")
        #expect(report.stdout.contains("1 user would change (1 role, 0 coverage, 0 status, 0 access)"))
        let json = try Rolesync.run(["mapping", "shadow-report", "--format", "json", "--kind", "access"] + options)
        #expect(json.status == 0 && json.stdout.contains("\"total\" : 0"), "\(json.stdout)")

        // Without a terminal and without --yes nothing happens.
        let refused = try Rolesync.run(["mapping", "promote"] + options)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("pass --yes"))
        #expect(refused.stdout.contains("greta.lund@example.com  role_change  billing_admin → user_admin"), "\(refused.stdout)")
        let liveText = try String(contentsOfFile: scratch.path("live/keycloak.yaml"), encoding: .utf8)
        #expect(liveText.contains("role: billing_admin"))

        let promoted = try Rolesync.run(["mapping", "promote", "--yes"] + options)
        #expect(promoted.status == 0, "\(promoted.stderr)")
        #expect(promoted.stdout.contains("Recorded 1 mapping.promoted event; cleared 1 shadow difference."))
        #expect(try String(contentsOfFile: scratch.path("live/keycloak.yaml"), encoding: .utf8).contains("role: user_admin"))
        #expect(try String(contentsOfFile: scratch.path("live/keycloak.yaml.previous"), encoding: .utf8) == liveText)
        let audit = try Rolesync.run(["audit", "--action", "mapping.promoted", "--format", "json"] + options.prefix(4))
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(
            audit.stdout.contains("\"candidate\" : \"shadow/keycloak.yaml\"") && audit.stdout.contains("\"live\" : \"keycloak.yaml\""),
            "\(audit.stdout)"
        )
        #expect(audit.stdout.contains("\"actor\" : \"cli\""))

        // The candidate now agrees with the live mapping: a new sign-in records nothing.
        let again = try Rolesync.run(
            ["users", "sign-in", "--issuer", Self.issuer, "--claims", "examples/claims/keycloak-billing.json"] + options
        )
        #expect(again.stdout.contains("user_admin"), "\(again.stdout)")
        #expect(try Rolesync.run(["mapping", "shadow-report"] + options).stdout.contains("No difference recorded."))
    }

    @Test("users override and end-override: the deadline is bounded, the list shows it, the mapped role returns")
    func override() throws {
        let (scratch, options) = try Self.setUp()
        defer { withExtendedLifetime(scratch) {} }
        let tooLong = try Rolesync.run(
            ["users", "override", "greta.lund@example.com", "--role", "model_admin", "--for", "9h", "--reason", "x"] + options
        )
        #expect(tooLong.status == 1 && tooLong.stderr.contains("refused (override_refused): for: at most 8h"), "\(tooLong.stderr)")
        let both = try Rolesync.run(
            ["users", "override", "1", "--role", "model_admin", "--for", "1h", "--until", "2099-01-01", "--reason", "x"] + options
        )
        #expect(both.status != 0 && both.stderr.contains("give --for or --until, not both"))

        let granted = try Rolesync.run(
            ["users", "override", "greta.lund@example.com", "--role", "model_admin", "--for", "2h", "--reason", "month-end close"] + options
        )
        #expect(granted.status == 0, "\(granted.stderr)")
        #expect(granted.stdout.contains("role billing_admin → model_admin until"))
        let list = try Rolesync.run(["users", "list"] + options)
        #expect(list.stdout.contains("model_admin (override until "), "\(list.stdout)")
        // A dry run says whose role an override holds, and until when.
        let dry = try Rolesync.run([
            "mapping", "dry-run", scratch.path("live"), "--database", scratch.path("ledger.sqlite"), "--mappings", scratch.path("live"),
        ])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("greta.lund@example.com: keeps model_admin under a break-glass override until "), "\(dry.stdout)")
        let dryJSON = try Rolesync.run(
            [
                "mapping", "dry-run", scratch.path("live"), "--database", scratch.path("ledger.sqlite"), "--mappings", scratch.path("live"),
                "--format", "json",
            ]
        )
        #expect(dryJSON.stdout.contains("\"mapped_role\" : \"billing_admin\""), "\(dryJSON.stdout)")
        let show = try Rolesync.run(["users", "show", "1"] + options)
        #expect(show.stdout.contains("break-glass override until") && show.stdout.contains("month-end close; then billing_admin"))

        let ended = try Rolesync.run(["users", "end-override", "1", "--reason", "closed"] + options)
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(ended.stdout.contains("override ended; role model_admin → billing_admin"))
        let none = try Rolesync.run(["users", "end-override", "1"] + options)
        #expect(none.status == 1 && none.stderr.contains("refused (no_override)"))
    }
}
