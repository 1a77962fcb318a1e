import Foundation
import RoleSyncTestSupport
import Testing

/// `rolesync tokens` and `--config` end to end, on a fresh ledger per test.
@Suite("rolesync tokens and --config")
struct TokensCLITests {
    let scratch: ScratchFolder
    var folder: URL { scratch.url }
    var database: String { scratch.path("ledger.sqlite") }

    init() throws {
        scratch = try ScratchFolder("tokens")
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

    @Test("create prints the token once; list shows its prefix; revoke deletes it; all audited")
    func lifecycle() throws {
        try signIn("ada", groups: ["platform-admins"])
        let created = try run(["tokens", "create", "--user", "ada@example.com", "--name", "ci", "--expires", "30d"])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("rs_") && token.count == 46)
        #expect(created.stderr.contains("shown only now"))

        let listed = try run(["tokens", "list", "--format", "json"])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(records.count == 1)
        #expect(records.first?["prefix"] as? String == String(token.prefix(11)))
        #expect(records.first?["token"] == nil)
        #expect(!listed.stdout.contains(token))
        #expect(records.first?["expires_at"] is String)

        let id = try #require(records.first?["id"] as? Int)
        #expect(try run(["tokens", "revoke", "\(id)"]).status == 0)
        let again = try run(["tokens", "revoke", "\(id)"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("no token has id \(id)"))
        let audit = try run(["audit", "--format", "json"]).stdout
        #expect(audit.contains("token.created") && audit.contains("token.revoked"))
        #expect(!audit.contains(token))
    }

    @Test("Bad requests: an unknown user, a bad lifetime, an empty name")
    func refusals() throws {
        try signIn("ada", groups: ["platform-admins"])
        let unknown = try run(["tokens", "create", "--user", "nobody@example.com", "--name", "ci"])
        #expect(unknown.status == 1)
        let lifetime = try run(["tokens", "create", "--user", "ada@example.com", "--name", "ci", "--expires", "soon"])
        #expect(lifetime.status == 2)
        #expect(lifetime.stderr.contains("--expires: 'soon' is not a duration"))
        let name = try run(["tokens", "create", "--user", "ada@example.com", "--name", " "])
        #expect(name.status == 1)
        #expect(name.stderr.contains("a token name is 1 to 100 printable characters"))
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
    }
}
