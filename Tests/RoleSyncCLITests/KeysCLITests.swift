import Foundation
import RoleSyncTestSupport
import Testing

/// `rolesync keys`, `users offboard` and `--config` end to end, on a fresh ledger per test.
@Suite("rolesync keys and --config")
struct KeysCLITests {
    let scratch: ScratchFolder
    var folder: URL { scratch.url }
    var database: String { scratch.path("ledger.sqlite") }

    init() throws {
        scratch = try ScratchFolder("keys")
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> Rolesync.Run {
        try Rolesync.run(arguments + ["--database", database], stdin: stdin)
    }

    func signIn(_ sub: String, groups: [String]) throws {
        let list = groups.map { "\"\($0)\"" }.joined(separator: ",")
        let claims =
            #"{"iss":"https://example.okta.com/oauth2/default","sub":"\#(sub)","email":"\#(sub)@example.com","email_verified":true,"groups":[\#(list)]}"#
        let result = try run(["users", "sign-in", "--issuer", "https://example.okta.com/oauth2/default", "--claims", "-"], stdin: claims)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("roll prints the new key once and keeps the old one working; show tells both; list --stale needs a threshold")
    func rollAndStale() throws {
        try signIn("bob", groups: ["eng-backend"])
        let created = try run(["keys", "create", "--user", "bob@example.com", "--name", "svc", "--format", "json"])
        let old = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let oldID = try #require(old["id"] as? Int)
        let rolled = try run(["keys", "roll", "\(oldID)", "--old-expires-in", "2h"])
        #expect(rolled.status == 0, "\(rolled.stderr)")
        let value = rolled.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(value.hasPrefix("rsk_") && value.count == 46 && value != old["key"] as? String)
        #expect(rolled.stderr.contains("replaces key \(oldID)") && rolled.stderr.contains("shown only now"), "\(rolled.stderr)")
        let shown = try run(["keys", "show", "\(oldID)"])
        #expect(shown.stdout.contains("rolled to key \(oldID + 1)") && shown.stdout.contains("not used since the roll"), "\(shown.stdout)")
        #expect(shown.stdout.contains("active until"), "\(shown.stdout)")
        let again = try run(["keys", "roll", "\(oldID)"])
        #expect(again.status == 1 && again.stderr.contains("rolled already"), "\(again.stderr)")

        let noThreshold = try run(["keys", "list", "--stale"])
        #expect(noThreshold.status != 0 && noThreshold.stderr.contains("--stale-after"), "\(noThreshold.stderr)")
        let none = try run(["keys", "list", "--stale", "--stale-after", "1d"])
        #expect(none.status == 0 && none.stdout.contains("0 keys"), "a key made just now is not stale: \(none.stdout)")
        #expect(try run(["keys", "list", "--stale-after", "1d"]).status == 2, "--stale-after goes with --stale")
    }

    @Test("create prints the key once; list and show never do; revoke is for good; offboard cuts a leaver off; all audited")
    func lifecycle() throws {
        try signIn("ada", groups: ["platform-admins"])
        try signIn("bob", groups: ["eng-backend"])
        let created = try run(["keys", "create", "--user", "ada@example.com", "--name", "ci", "--expires-in", "30d", "--purpose", "admin"])
        #expect(created.status == 0, "\(created.stderr)")
        let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("rsk_") && key.count == 46)
        #expect(created.stderr.contains("shown only now") && created.stderr.contains("(admin)"))
        // `tokens` is the older name of `keys`, `--expires` of `--expires-in`.
        let gateway = try run(["tokens", "create", "--user", "bob@example.com", "--name", "laptop", "--expires", "90d", "--format", "json"])
        #expect(gateway.status == 0, "\(gateway.stderr)")
        let gatewayKey = try #require(try JSONSerialization.jsonObject(with: Data(gateway.stdout.utf8)) as? [String: Any])
        #expect(gatewayKey["purpose"] as? String == "gateway" && (gatewayKey["key"] as? String)?.hasPrefix("rsk_") == true)

        let listed = try run(["keys", "list", "--format", "json", "--sort", "name", "--order", "asc"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let page = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        let records = try #require(page["keys"] as? [[String: Any]])
        #expect(records.map { $0["name"] as? String } == ["ci", "laptop"])
        #expect(records.first?["prefix"] as? String == String(key.prefix(7)) + "…" + String(key.suffix(4)))
        #expect(records.first?["key"] == nil && !listed.stdout.contains(key))
        #expect(records.first?["expires_at"] is String && records.first?["status"] as? String == "active")
        let human = try run(["keys", "list", "--owner", "bob@example.com"])
        #expect(human.status == 0 && human.stdout.contains("laptop") && !human.stdout.contains("ci "), "\(human.stdout)")

        let id = try #require(records.first?["id"] as? Int)
        let shown = try run(["keys", "show", "\(id)"])
        #expect(shown.status == 0 && shown.stdout.contains("requests in the last 90 days: 0") && !shown.stdout.contains(key))
        #expect(try run(["keys", "revoke", "\(id)"]).status == 2)
        #expect(try run(["keys", "revoke", "\(id)", "--reason", "leaked in a CI log"]).status == 0)
        let again = try run(["keys", "revoke", "\(id)", "--reason", "again"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("is already revoked; there is no un-revoke"), "\(again.stderr)")
        let revoked = try run(["keys", "show", "\(id)"])
        #expect(revoked.stdout.contains("revoked") && revoked.stdout.contains("by cli (leaked in a CI log)"), "\(revoked.stdout)")

        let offboarded = try run(["users", "offboard", "bob@example.com", "--reason", "left the company"])
        #expect(offboarded.status == 0, "\(offboarded.stderr)")
        #expect(offboarded.stdout.contains("revoked key") && offboarded.stdout.contains("laptop") && offboarded.stdout.contains("inactive (manual)"))
        let audit = try run(["audit", "--format", "json", "--user", "bob@example.com"]).stdout
        let events = try #require(try JSONSerialization.jsonObject(with: Data(audit.utf8)) as? [String: Any])["events"] as? [[String: Any]]
        let actions = try #require(events).reversed().map { $0["action"] as? String ?? "" }
        #expect(actions.suffix(3) == ["key.revoked", "user.sessions_ended", "user.status_changed"], "\(actions)")
        let all = try run(["audit", "--format", "json"]).stdout
        #expect(all.contains("key.created") && all.contains("leaked in a CI log") && !all.contains(key))
    }

    @Test("revoke takes several ids in one transaction, or --stale-since with a --dry-run first; a refusal revokes none")
    func revokeMany() throws {
        try signIn("bob", groups: ["eng-backend"])
        var ids: [Int] = []
        for name in ["svc-a", "svc-b", "svc-c"] {
            let created = try run(["keys", "create", "--user", "bob@example.com", "--name", name, "--format", "json"])
            let key = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
            ids.append(try #require(key["id"] as? Int))
        }
        #expect(try run(["keys", "revoke", "--reason", "x"]).status == 2, "no ids and no --stale-since")
        #expect(try run(["keys", "revoke", "\(ids[0])", "--stale-since", "1d", "--reason", "x"]).status == 2, "both")
        #expect(try run(["keys", "revoke", "--stale-since", "soon", "--reason", "x"]).status == 2)

        let two = try run(["keys", "revoke", "\(ids[0])", "\(ids[1])", "--reason", "moved to workload identity"])
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stdout.contains("revoked  \(ids[0])") && two.stdout.contains("svc-b"), "\(two.stdout)")
        #expect(two.stdout.contains("2 keys revoked in one transaction"), "\(two.stdout)")
        let refused = try run(["keys", "revoke", "\(ids[2])", "\(ids[0])", "--reason", "again"])
        #expect(refused.status == 1 && refused.stderr.contains("key \(ids[0])") && refused.stderr.contains("already revoked"), "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing was revoked"), "\(refused.stderr)")
        #expect(try run(["keys", "show", "\(ids[2])"]).stdout.contains("status    active"), "the refused batch left svc-c active")

        // svc-c grows stale; a key made after the pause is not.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try run(["keys", "create", "--user", "bob@example.com", "--name", "fresh"]).status == 0)
        let dry = try run(["keys", "revoke", "--stale-since", "1s", "--reason", "unused", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("svc-c") && !dry.stdout.contains("fresh") && !dry.stdout.contains("svc-a"), "\(dry.stdout)")
        #expect(dry.stdout.contains("Dry run: 1 key would be revoked; nothing was changed."), "\(dry.stdout)")
        #expect(try run(["keys", "show", "\(ids[2])"]).stdout.contains("status    active"), "a dry run changes nothing")
        let json = try run(["keys", "revoke", "--stale-since", "1s", "--reason", "unused", "--format", "json"])
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stderr)")
        #expect(answer["revoked"] as? Int == 1)
        #expect((answer["keys"] as? [[String: Any]])?.first?["revocation_reason"] as? String == "unused")
        let nothing = try run(["keys", "revoke", "--stale-since", "1s", "--reason", "unused"])
        #expect(nothing.status == 0 && nothing.stdout.contains("nothing to revoke"), "\(nothing.stdout)")
        let audit = try run(["audit", "--action", "key.revoked", "--format", "json"])
        #expect(audit.stdout.components(separatedBy: "\"key.revoked\"").count - 1 == 3, "one event per key: \(audit.stdout)")
    }

    @Test("Bad requests: an unknown user, a bad lifetime, an empty name, an admin key for a non-admin, a duplicate name")
    func refusals() throws {
        try signIn("ada", groups: ["platform-admins"])
        try signIn("bob", groups: ["eng-backend"])
        let unknown = try run(["keys", "create", "--user", "nobody@example.com", "--name", "ci"])
        #expect(unknown.status == 1)
        let lifetime = try run(["keys", "create", "--user", "ada@example.com", "--name", "ci", "--expires-in", "soon"])
        #expect(lifetime.status == 2)
        #expect(lifetime.stderr.contains("--expires-in: 'soon' is not a duration"), "\(lifetime.stderr)")
        let name = try run(["keys", "create", "--user", "ada@example.com", "--name", " "])
        #expect(name.status == 1)
        #expect(name.stderr.contains("name: a key's name is required"), "\(name.stderr)")
        let admin = try run(["keys", "create", "--user", "bob@example.com", "--name", "ci", "--purpose", "admin"])
        #expect(admin.status == 1)
        #expect(admin.stderr.contains("admin_key_needs_admin_role"), "\(admin.stderr)")
        #expect(try run(["keys", "create", "--user", "ada@example.com", "--name", "ci"]).status == 0)
        let duplicate = try run(["keys", "create", "--user", "ada@example.com", "--name", "CI"])
        #expect(duplicate.status == 1)
        #expect(duplicate.stderr.contains("key_name_taken"), "\(duplicate.stderr)")
        let cursor = try run(["keys", "list", "--cursor", "nonsense"])
        #expect(cursor.status == 1 && cursor.stderr.contains("--cursor"))
    }

    @Test("--config gives every command the configuration's database and mappings")
    func config() throws {
        try signIn("ada", groups: ["platform-admins"])
        let configuration = folder.appendingPathComponent("rolesync.yaml")
        try """
        listen: 127.0.0.1:8080
        public_url: http://127.0.0.1:8080
        database: ledger.sqlite
        mappings: \(Rolesync.packageRoot.appendingPathComponent("mappings").path)
        idps:
          - issuer: https://example.okta.com/oauth2/default
            client_id: rolesync
            client_secret_env: ROLESYNC_NOT_SET_IN_TESTS
        """.write(to: configuration, atomically: true, encoding: .utf8)
        let listed = try Rolesync.run(["users", "list", "--config", configuration.path, "--format", "json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("ada@example.com"))
        // The mapping is named as it is in the configured folder, never by the server's path.
        #expect(listed.stdout.contains("\"okta.yaml\""), "\(listed.stdout)")
        #expect(!listed.stdout.contains(Rolesync.packageRoot.path), "\(listed.stdout)")
        let check = try Rolesync.run(["serve", "--check", "--config", configuration.path])
        #expect(check.status == 1)
        #expect(
            check.stderr.contains(
                "rolesync.yaml:8:24: error: idps[0].client_secret_env: the environment variable ROLESYNC_NOT_SET_IN_TESTS is not set"
            )
        )
        // With the secret, the check passes, reports the ledger, and creates nothing.
        let fresh = folder.appendingPathComponent("fresh.yaml")
        try String(contentsOf: configuration, encoding: .utf8).replacingOccurrences(of: "ledger.sqlite", with: "never-created.sqlite")
            .write(to: fresh, atomically: true, encoding: .utf8)
        let valid = try Rolesync.run(["serve", "--check", "--config", fresh.path], environment: ["ROLESYNC_NOT_SET_IN_TESTS": "a-client-secret"])
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout.contains("never-created.sqlite: does not exist yet; serve creates it"), "\(valid.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("never-created.sqlite").path), "--check creates no file")
        let existing = try Rolesync.run(
            ["serve", "--check", "--config", configuration.path],
            environment: ["ROLESYNC_NOT_SET_IN_TESTS": "a-client-secret"]
        )
        #expect(existing.stdout.contains("ledger.sqlite: 15 of 15 migrations"), "\(existing.stdout)")
    }
}
