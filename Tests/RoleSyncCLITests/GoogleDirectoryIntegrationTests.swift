import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import RoleSyncTestSupport
import Testing

/// `rolesync reconcile` and `rolesync serve`'s schedule (the built binary) against the Google
/// Workspace fake (scripts/peers/google-fake.py, a real HTTP server speaking the Admin SDK Directory
/// API and Google's token endpoint, which Google's own Python client reads in `.ci/run`). `.ci/run`
/// starts it with `scripts/peers/google-fake start` and sets ROLESYNC_GOOGLE_FAKE and
/// ROLESYNC_GOOGLE_FAKE_KEY (the service account key it wrote); without them the suite is skipped.
@Suite(
    "rolesync reconcile and serve against the Google Workspace fake",
    .enabled(if: GoogleFake.url != nil && GoogleFake.key != nil, "set ROLESYNC_GOOGLE_FAKE and ROLESYNC_GOOGLE_FAKE_KEY (see .ci/run)"),
    .serialized
)
struct GoogleDirectoryIntegrationTests {
    static let issuer = "https://accounts.google.com"
    static let mapping = """
        version: 1
        issuer: \(issuer)
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: platform-admins@example.com } }
          - { id: ml, role: model_admin, when: { claim: groups, contains: ml@example.com } }
          - { id: staff, role: user, when: { claim: groups, contains: everyone@example.com } }
        unmatched: manual
        """
    static let people = ["ada", "bob", "cy", "dee", "eve", "fay"]

    static func users(suspended: Set<String> = [], except gone: Set<String> = []) -> [[String: Any]] {
        people.enumerated().filter { !gone.contains($0.element) }.map { index, name in
            ["id": "1000\(index)", "primaryEmail": "\(name)@example.com", "suspended": suspended.contains(name)]
        }
    }

    /// Admins holds ada; ML holds ML Research, which holds bob and cy; Everyone is the whole account.
    static var groups: [[String: Any]] {
        [
            ["id": "g-admins", "email": "platform-admins@example.com", "name": "Platform Admins", "members": ["10000"]],
            ["id": "g-ml", "email": "ml@example.com", "name": "ML", "members": ["g-ml-research"]],
            ["id": "g-ml-research", "email": "ml-research@example.com", "name": "ML Research", "members": ["10001", "10002"]],
            ["id": "g-every", "email": "everyone@example.com", "name": "Everyone", "members": ["customer"]],
        ]
    }

    @Test(
        "Workspace users and nested groups reconciled with a service account: roles by group email, a suspended user cut off, rate limits waited out, an undelegated administrator and a failing page change nothing"
    )
    func reconcile() async throws {
        let google = GoogleFake()
        let scratch = try ScratchFolder("google-reconcile")
        let config = try Self.configuration(scratch.url, name: "config.yaml")
        try await google.seed(["users": Self.users(), "groups": Self.groups])
        try Self.signIn(Self.people, config: config, folder: scratch.url)

        // 1. ada by Platform Admins, bob and cy through ML Research nested in ML, everyone as staff.
        let first = try Self.reconcile(config)
        #expect(first.status == 0, "\(first.stderr)")
        let plan = try Self.object(first.stdout)
        #expect(plan["kind"] as? String == "google_workspace" && plan["mode"] as? String == "full" && plan["full_reason"] is NSNull)
        #expect(plan["matched"] as? Int == 6 && plan["applied"] as? Bool == true)
        #expect(try Self.user("ada", config)["role"] as? String == "super_admin")
        #expect(try Self.user("cy", config)["role"] as? String == "model_admin")
        #expect(try Self.user("fay", config)["role"] as? String == "user")

        // 2. Eve suspended: inactive, reason idp.
        try await google.seed(["users": Self.users(suspended: ["eve"])])
        #expect(try Self.reconcile(config).status == 0)
        let eve = try Self.user("eve", config)
        #expect(eve["status"] as? String == "inactive" && eve["deactivation_reason"] as? String == "idp")

        // 3. Two 403 rateLimitExceeded answers: backed off, then the run completes.
        try await google.seed(["rate_limited": 2])
        let limited = try Self.reconcile(config)
        #expect(limited.status == 0, "\(limited.stderr)")
        #expect((try Self.object(limited.stdout)["throttled_seconds"] as? Double ?? 0) > 0)

        // 4. The subject is not an administrator the delegation covers: Google's words, what to check,
        //    never the key; nothing changes.
        let before = try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout
        try await google.seed(["users": Self.users(suspended: ["eve"], except: ["fay"]), "administrators": ["someone-else@example.com"]])
        let refused = try Self.reconcile(config)
        #expect(
            refused.status == 1 && refused.stderr.contains("unauthorized_client") && refused.stderr.contains("domain-wide delegation"),
            "\(refused.stderr)"
        )
        #expect(!refused.stderr.contains("PRIVATE KEY"))

        // 5. A group's members failing: the run names the page, and fay's removal is not applied.
        try await google.seed(["failing": ["text": "/groups/g-ml/members", "status": 500]])
        let failed = try Self.reconcile(config)
        #expect(failed.status == 1 && failed.stderr.contains("/admin/directory/v1/groups/g-ml/members"), "\(failed.stderr)")
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)
        #expect(try Self.user("fay", config)["status"] as? String == "active")
    }

    @Test("serve's schedule cuts off a leaver deleted from Google Workspace")
    func scheduled() async throws {
        let google = GoogleFake()
        try await google.seed(["users": Self.users(), "groups": Self.groups])
        let server = try await ServeProcess.start(environment: [:]) { port, folder in
            let config = try Self.configuration(folder, name: "rolesync.yaml", port: port)
            try Self.signIn(Self.people, config: config, folder: folder)
            return try String(contentsOfFile: config, encoding: .utf8)
        }
        let config = server.folder.appendingPathComponent("rolesync.yaml").path
        try await google.seed(["users": Self.users(except: ["dee"])])
        let dee = try await OktaDirectoryIntegrationTests.untilInactive { try Self.user("dee", config) }
        #expect(dee["status"] as? String == "inactive" && dee["deactivation_reason"] as? String == "idp", "\(dee)\n\(server.log)")
        #expect(server.log.contains("kind=google_workspace"), "\(server.log)")
        await server.stop()
    }

    static func signIn(_ names: [String], config: String, folder: URL) throws {
        for (index, name) in names.enumerated() {
            // Google's sub is the user's id, which the Directory API lists.
            let claims: [String: Any] = ["sub": "1000\(index)", "email": "\(name)@example.com", "name": name.capitalized]
            let file = folder.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: claims).write(to: file)
            let signIn = try Rolesync.run(["users", "sign-in", "--config", config, "--issuer", issuer, "--claims", file.path])
            #expect(signIn.status == 0, "\(signIn.stderr)")
        }
    }

    static func configuration(_ folder: URL, name: String, port: Int = 18092) throws -> String {
        try mapping.write(to: folder.appendingPathComponent("google.yaml"), atomically: true, encoding: .utf8)
        let url = try #require(GoogleFake.url)
        let yaml = """
            listen: 127.0.0.1:\(port)
            public_url: http://127.0.0.1:\(port)
            database: ledger.sqlite
            mappings: google.yaml
            idps:
              - name: google
                issuer: \(issuer)
                client_id: rolesync
                client_secret: unused
                directory:
                  kind: google_workspace
                  url: \(url)
                  service_account_file: \(try #require(GoogleFake.key))
                  subject: admin@example.com
                  interval: 1m
                  page_size: 4
                  claims: { groups: group_external_ids, email: email, name: name, active: active }
            """
        let file = folder.appendingPathComponent(name)
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func reconcile(_ config: String) throws -> Rolesync.Run {
        try Rolesync.run(["reconcile", "--config", config, "--format", "json"])
    }

    static func user(_ name: String, _ config: String) throws -> [String: Any] {
        try OktaDirectoryIntegrationTests.user("\(name)@example.com", config)
    }

    static func object(_ text: String) throws -> [String: Any] {
        try SCIMDirectoryIntegrationTests.object(text)
    }
}

/// The running Google Workspace fake, from the environment `.ci/run` sets.
struct GoogleFake {
    static var url: String? { ProcessInfo.processInfo.environment["ROLESYNC_GOOGLE_FAKE"] }
    static var key: String? { ProcessInfo.processInfo.environment["ROLESYNC_GOOGLE_FAKE_KEY"] }

    /// Sets what the fake holds (`PUT /__fake/state`); every scenario left out is off again, and
    /// admin@example.com is the administrator the delegation covers.
    func seed(_ given: [String: Any]) async throws {
        let quiet: [String: Any] = ["rate_limited": 0, "failing": NSNull(), "administrators": ["admin@example.com"]]
        var request = HTTPClientRequest(url: "\(try #require(Self.url))/__fake/state")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer local-google-fake-admin")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: quiet.merging(given) { $1 })))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        _ = try await response.body.collect(upTo: 1 << 16)
    }
}
