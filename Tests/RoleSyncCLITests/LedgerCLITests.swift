import Foundation
import RoleSyncTestSupport
import Synchronization
import Testing

/// End-to-end tests of the ledger commands on a fresh SQLite file per test.
@Suite("rolesync users, audit, demo, dry-run over a ledger")
struct LedgerCLITests {
    let scratch: ScratchFolder
    let database: String

    init() throws {
        scratch = try ScratchFolder("cli")
        database = scratch.path("ledger.sqlite")
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> Rolesync.Run {
        try Rolesync.run(arguments + ["--database", database], stdin: stdin)
    }

    func json(_ run: Rolesync.Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    func signIn(_ claims: String) throws -> Rolesync.Run {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(claims.utf8)) as? [String: Any])
        return try run(["users", "sign-in", "--issuer", object["iss"] as? String ?? "", "--claims", "-", "--format", "json"], stdin: claims)
    }

    static let okta = "https://example.okta.com/oauth2/default"

    func oktaClaims(_ sub: String, groups: [String]) -> String {
        let list = groups.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"iss":"\#(Self.okta)","sub":"\#(sub)","email":"\#(sub)@example.com","email_verified":true,"name":"\#(sub)","groups":[\#(list)]}"#
    }

    @Test("ROLESYNC_LOG_LEVEL=info: swift-log's stream format on stderr, the event's metadata sorted, nothing on stdout")
    func logLines() throws {
        let claims = oktaClaims("lee", groups: ["staff"])
        let signedIn = try Rolesync.run(
            ["users", "sign-in", "--issuer", Self.okta, "--claims", "-", "--database", database, "--format", "json"],
            stdin: claims,
            environment: ["ROLESYNC_LOG_LEVEL": "info"]
        )
        #expect(signedIn.status == 0, "\(signedIn.stderr)")
        let line = try #require(signedIn.stderr.split(separator: "\n").first { $0.hasSuffix("[RoleSyncLedger] signed in") })
        let pattern =
            #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4} info rolesync\.ledger: created=true issuer=(\S+) role=user user_id=1 \[RoleSyncLedger\] signed in$/#
        let match = try #require(try pattern.wholeMatch(in: String(line)), "\(line)")
        #expect(match.1 == Self.okta)
        // stdout is the command's JSON answer alone.
        #expect(try json(signedIn)["created"] as? Bool == true)
        // The default for every command but serve: quiet.
        let quiet = try Rolesync.run(["users", "list", "--database", database])
        #expect(quiet.status == 0 && !quiet.stderr.contains("info"), "\(quiet.stderr)")
    }

    @Test("A user whose issuer has no loaded mapping is shown as unknown, never editable; --config shows the truth")
    func unloadedIssuer() throws {
        // The local example's user, signed in under its own mapping (as `serve` with its configuration does).
        let claims = #"{"iss":"https://127.0.0.1:8443","sub":"alice","email":"alice@example.org","email_verified":true,"groups":["rolesync-admins"]}"#
        let created = try run(
            ["users", "sign-in", "--issuer", "https://127.0.0.1:8443", "--claims", "-", "--mappings", "examples/local/mappings/"],
            stdin: claims
        )
        #expect(created.status == 0, "\(created.stderr)")

        // Without the configuration the command loads mappings/, which has no mapping for that issuer.
        let list = try run(["users", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        let row = try #require(list.stdout.split(separator: "\n").first { $0.contains("alice@example.org") }, "\(list.stdout)")
        #expect(row.contains("unknown"), "\(row)")
        #expect(!row.contains(" yes "), "\(row)")
        #expect(list.stdout.contains("no mapping for https://127.0.0.1:8443 is loaded"), "\(list.stdout)")
        let shown = try json(try run(["users", "show", "alice@example.org", "--format", "json"]))
        let user = try #require(shown["user"] as? [String: Any])
        #expect(user["manual_role_editable"] as? Bool == false)
        let managedBy = try #require(user["role_managed_by"] as? [String: Any])
        #expect(managedBy["kind"] as? String == "unknown")
        #expect(managedBy["no_mapping_loaded_for"] as? String == "https://127.0.0.1:8443")
        let edit = try run(["users", "set-role", "alice@example.org", "user"])
        #expect(edit.status == 1)
        #expect(edit.stderr.contains("refused (mapping_not_loaded)"), "\(edit.stderr)")

        // The same ledger under the local example's configuration: the IdP owns alice's role.
        let config = scratch.path("rolesync.yaml")
        try """
        listen: 127.0.0.1:8080
        public_url: http://127.0.0.1:8080
        database: \(database)
        mappings: \(Rolesync.packageRoot.path)/examples/local/mappings/
        idps:
          - issuer: https://127.0.0.1:8443
            client_id: rolesync
            client_secret_env: ROLESYNC_NOT_SET_IN_TESTS
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let truth = try Rolesync.run(["users", "list", "--config", config])
        #expect(truth.status == 0, "\(truth.stderr)")
        let governed = try #require(truth.stdout.split(separator: "\n").first { $0.contains("alice@example.org") }, "\(truth.stdout)")
        #expect(governed.contains("nanoidp.yaml#"), "\(governed)")
        #expect(!truth.stdout.contains("unknown"), "\(truth.stdout)")
    }

    @Test func signInShowAndEdit() throws {
        let created = try signIn(oktaClaims("ann", groups: ["finance-ops"]))
        #expect(created.status == 0, "\(created.stderr)")
        let outcome = try json(created)
        #expect(outcome["created"] as? Bool == true)
        #expect(outcome["allowed"] as? Bool == true)
        let user = try #require(outcome["user"] as? [String: Any])
        #expect(user["role"] as? String == "billing_admin")
        #expect(user["role_source"] as? String == "idp")
        #expect(user["manual_role_editable"] as? Bool == false)

        // The admin API's user shape: the same keys in `users sign-in`, `users list` and `users show`.
        let show = try json(try run(["users", "show", "ann@example.com", "--format", "json"]))
        #expect(Set(show.keys) == ["user", "activity", "recent_activity"])
        let shown = try #require(show["user"] as? [String: Any])
        #expect(Set(shown.keys) == Set(user.keys))
        for key in [
            "id", "issuer", "subject", "email", "name", "organization_unit", "role", "role_source", "role_managed_by", "manual_role_editable",
            "status", "deactivation_reason", "deactivation_source", "registered_at", "last_sign_in_at", "sign_in_count",
        ] {
            #expect(shown.keys.contains(key), "users show lacks \(key)")
        }
        #expect(shown["status"] as? String == "active")
        #expect(shown["deactivation_reason"] is NSNull)
        let managedBy = try #require(shown["role_managed_by"] as? [String: Any])
        #expect(managedBy["kind"] as? String == "idp")
        #expect(managedBy["rule"] as? String == "finance")
        #expect((show["activity"] as? [String: Any])?["sign_ins"] as? Int == 1)

        let refused = try run(["users", "set-role", "ann@example.com", "user"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refused (role_managed_by_idp)"))
        #expect(refused.stderr.contains("rule 'finance'"))

        _ = try signIn(oktaClaims("bob", groups: ["marketing"]))
        let edited = try run(["users", "set-role", "bob@example.com", "mcp_admin"])
        #expect(edited.status == 0, "\(edited.stderr)")
        #expect(edited.stdout.contains("role user → mcp_admin (manual)"))
        _ = try signIn(oktaClaims("bob", groups: ["marketing"]))
        #expect(
            (try json(try run(["users", "show", "bob@example.com", "--format", "json"]))["user"] as? [String: Any])?["role"] as? String == "mcp_admin"
        )

        let list = try json(try run(["users", "list", "--role", "mcp_admin", "--format", "json"]))
        let users = try #require(list["users"] as? [[String: Any]])
        #expect(users.map { $0["email"] as? String } == ["bob@example.com"])
        #expect(list["next_cursor"] is NSNull)
    }

    @Test func refusalsExitOne() throws {
        let leaver = try signIn(oktaClaims("leo", groups: ["offboarded"]))
        #expect(leaver.status == 1)
        #expect(leaver.stderr.contains("rolesync: sign-in refused (deactivated)"))
        let unknownIssuer = try run(["users", "sign-in", "--issuer", "https://nope.example.com", "--claims", "-"], stdin: #"{"sub":"x"}"#)
        #expect(unknownIssuer.status == 1)
        #expect(unknownIssuer.stderr.contains("no_mapping"))
        let missing = try run(["users", "show", "nobody@example.com"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "rolesync: error: no user with id or email 'nobody@example.com'\n")
        let badRole = try run(["users", "set-role", "1", "admin"])
        #expect(badRole.status == 2)
        let audit = try json(try run(["audit", "--action", "signin.refused", "--format", "json"]))
        #expect((audit["events"] as? [Any])?.count == 2)
    }

    @Test func deactivateReactivateAndAudit() throws {
        _ = try signIn(oktaClaims("root", groups: ["platform-admins"]))
        _ = try signIn(oktaClaims("bob", groups: ["marketing"]))
        #expect(try run(["users", "deactivate", "bob@example.com"]).status == 0)
        let again = try signIn(oktaClaims("bob", groups: ["marketing"]))
        #expect(again.status == 1)
        #expect(again.stderr.contains("manually_deactivated"))
        #expect(try run(["users", "reactivate", "bob@example.com"]).status == 0)
        #expect(try signIn(oktaClaims("bob", groups: ["marketing"])).status == 0)
        let lastAdmin = try run(["users", "deactivate", "root@example.com"])
        #expect(lastAdmin.status == 1)
        #expect(lastAdmin.stderr.contains("last active super_admin"))
        let events = try #require(try json(try run(["audit", "--user", "bob@example.com", "--format", "json"]))["events"] as? [[String: Any]])
        #expect(events.compactMap { $0["action"] as? String }.contains("user.sessions_ended"))
        #expect(events.allSatisfy { $0["user_id"] as? Int != nil })
    }

    @Test("audit --after prints committed events oldest first as JSON lines; --follow prints each new one as it commits")
    func auditStream() async throws {
        #expect(try run(["demo"]).status == 0)
        let page = try #require(try json(try run(["audit", "--format", "json", "--limit", "1000"]))["events"] as? [[String: Any]])
        let ids = page.compactMap { $0["id"] as? Int }.sorted()
        #expect(ids.count == page.count && ids.count > 5)

        // The whole log, one JSON object a line, oldest first, with the page's fields.
        let whole = try run(["audit", "--after", "0", "--format", "jsonl"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let lines = whole.stdout.split(separator: "\n").map(String.init)
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.compactMap { $0["id"] as? Int } == ids)
        #expect(objects.allSatisfy { Set($0.keys) == ["id", "time", "actor", "action", "user_id", "issuer", "subject", "details"] })
        #expect(lines.allSatisfy { !$0.contains("\\/") }, "slashes are not escaped")

        // Resuming after an id; a filter keeps the stream's order.
        let resumed = try run(["audit", "--after", "\(ids[2])", "--format", "jsonl"])
        #expect(resumed.stdout.split(separator: "\n").count == ids.count - 3)
        let created = try run(["audit", "--after", "0", "--format", "jsonl", "--action", "user.created"])
        #expect(created.stdout.split(separator: "\n").allSatisfy { $0.contains(#""action":"user.created""#) })
        #expect(created.stdout.split(separator: "\n").count == 4)

        // Mistakes say what to do instead.
        let pretty = try run(["audit", "--follow", "--format", "json"])
        #expect(pretty.status == 2)
        #expect(pretty.stderr.contains("--follow prints a stream: use --format jsonl"))
        let paged = try run(["audit", "--after", "0", "--since", "2026-01-01"])
        #expect(paged.status == 2)
        #expect(paged.stderr.contains("resume a stream with --after ID"))
        let limited = try run(["audit", "--follow", "--limit", "5"])
        #expect(limited.status == 2)
        #expect(limited.stderr.contains("--follow prints every event it reads: --limit sizes a page"))
        let unknown = try run(["audit", "--after", "999999", "--format", "jsonl"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("--after: there is no audit event 999999"))

        // --follow: a change made by another process arrives as a line while the stream runs.
        let follower = Process()
        follower.executableURL = try Rolesync.executable()
        follower.arguments = ["audit", "--follow", "--after", "\(ids.last ?? 0)", "--format", "jsonl", "--poll", "0.1", "--database", database]
        let out = Pipe()
        follower.standardOutput = out
        follower.standardError = FileHandle.nullDevice
        let received = Mutex("")
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            received.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try follower.run()
        defer {
            if follower.isRunning { follower.terminate() }
            out.fileHandleForReading.readabilityHandler = nil
        }
        #expect(try run(["users", "deactivate", "ivy.nguyen@example.com"]).status == 0)
        let deadline = ContinuousClock.now + .seconds(20)
        while !received.withLock({ $0.contains(#""action":"user.status_changed""#) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let streamed = received.withLock { $0 }
        #expect(streamed.contains(#""action":"user.status_changed""#), "\(streamed)")
        #expect(follower.isRunning, "--follow keeps running after it has caught up")
        #expect(!streamed.contains(#""action":"user.created""#), "nothing before --after is printed again")
    }

    @Test func dryRunOverTheLedger() throws {
        _ = try signIn(oktaClaims("root", groups: ["platform-admins"]))
        _ = try signIn(oktaClaims("ann", groups: ["finance-ops"]))
        _ = try signIn(oktaClaims("eng", groups: ["eng-web"]))
        let changed = scratch.path("okta.yaml")
        let okta = try String(contentsOf: Rolesync.packageRoot.appendingPathComponent("mappings/okta.yaml"), encoding: .utf8)
        try okta.replacingOccurrences(of: "role: billing_admin", with: "role: user_admin").write(toFile: changed, atomically: true, encoding: .utf8)
        let plan = try Rolesync.run(["mapping", "dry-run", changed, "--database", database, "--format", "json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let report = try json(plan)
        #expect(report["users_evaluated"] as? Int == 3)
        let changes = try #require(report["changes"] as? [[String: Any]])
        #expect(changes.count == 1)
        #expect(changes.first?["user"] as? String == "ann@example.com")
        #expect((changes.first?["role"] as? [String: String]) == ["from": "billing_admin", "to": "user_admin"])
        #expect((report["summary"] as? [String: Int])?["role_change"] == 1)
        // Nothing was written.
        #expect(
            (try json(try run(["users", "show", "ann@example.com", "--format", "json"]))["user"] as? [String: Any])?["role"] as? String
                == "billing_admin"
        )
        let human = try Rolesync.run(["mapping", "dry-run", changed, "--database", database])
        #expect(human.stdout.contains("Summary: 1 role_change, 0 coverage_gained, 0 coverage_lost, 0 deactivation, 0 reactivation"))
    }

    @Test func demoRunsTwice() throws {
        let first = try run(["demo"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("refused (role_managed_by_idp)"))
        #expect(first.stdout.contains("still billing_admin (manual)"))
        let second = try run(["demo"])
        #expect(second.status == 0)
        let list = try json(try run(["users", "list", "--format", "json"]))
        #expect((list["users"] as? [Any])?.count == 4)
    }
}

@Suite struct MigrateCLITests {
    @Test("rolesync migrate on SQLite: a dry run lists every migration and creates nothing; then applies them once")
    func sqlite() throws {
        let scratch = try ScratchFolder("migrate")
        let database = scratch.path("ledger.sqlite")
        let dry = try Rolesync.run(["migrate", "--database", database, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("0 of 15 migrations"))
        #expect(dry.stdout.contains("would apply v9: a row the readiness check writes"))
        #expect(dry.stdout.contains("would apply v10: key names in the introspection index"))
        #expect(dry.stdout.contains("would apply v11: key rolls, stale keys revoked by policy"))
        #expect(dry.stdout.contains("would apply v12: where each directory's reading stands"))
        #expect(dry.stdout.contains("would apply v14: the audit log searched by actor"))
        #expect(dry.stdout.contains("would apply v15: completed access reviews"))
        #expect(dry.stdout.hasSuffix("dry run: nothing was changed\n"))
        #expect(!FileManager.default.fileExists(atPath: database))
        let applied = try Rolesync.run(["migrate", "--database", database])
        #expect(applied.stdout.hasSuffix("migrated: 15 applied\n"))
        let again = try Rolesync.run(["migrate", "--database", database])
        #expect(again.stdout == "\(database): 15 of 15 migrations\nup to date: nothing to apply\n")
    }

    @Test("a bad PostgreSQL URL is a usage error naming the option; an unreachable one says so, without the password")
    func postgresRefusals() throws {
        let bad = try Rolesync.run(["migrate", "--database", "postgres://u:secret-pw@h/db?sslmode=prefer"])
        #expect(bad.status == 2, "a usage error, as for every bad option")
        #expect(bad.stderr.contains("--database: sslmode 'prefer' is not supported"))
        #expect(!bad.stderr.contains("secret-pw"))
        let users = try Rolesync.run(["users", "list", "--database", "postgres://u:secret-pw@127.0.0.1:1/db"])
        #expect(users.status == 1)
        #expect(users.stderr.contains("cannot reach the PostgreSQL database postgres://u@127.0.0.1:1/db"))
        #expect(!users.stderr.contains("secret-pw"))
    }
}

@Suite(.enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL (scripts/peers/postgres start; .ci/run does)"))
struct PostgresCLITests {
    @Test("the ledger commands work on PostgreSQL: the demo, users, keys and the audit log, never printing the password")
    func ledgerCommands() async throws {
        try await ScratchPostgres.with { scratch in
            var url = scratch.settings
            url.poolSize = 2
            let text = "postgres://\(url.username):\(url.password ?? "")@\(url.host):\(url.port)/\(url.database)"
            let demo = try Rolesync.run(["demo", "--database", text])
            #expect(demo.status == 0, "\(demo.stderr)")
            #expect(!demo.stdout.contains(url.password ?? "\u{0}"), "the password never shows")
            let users = try Rolesync.run(["users", "list", "--database", text, "--format", "json"])
            #expect(users.status == 0)
            #expect(users.stdout.contains("priya.raman@example.com"))
            let key = try Rolesync.run(["keys", "create", "--database", text, "--user", "priya.raman@example.com", "--name", "ci"])
            #expect(key.status == 0, "\(key.stderr)")
            #expect(key.stdout.hasPrefix("rsk_"))
            let audit = try Rolesync.run(["audit", "--database", text, "--action", "key.created"])
            #expect(audit.stdout.contains("key.created"))
        }
    }
}
