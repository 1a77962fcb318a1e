import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RoleSyncTestSupport
import Testing

/// `rolesync reconcile` and `rolesync serve`'s schedule (the built binary) against the Okta fake
/// (scripts/peers/okta-fake.py, a real HTTP server speaking Okta's management API, which Okta's own
/// SDK reads in `.ci/run`). `.ci/run` starts it with `scripts/peers/okta-fake start` and sets
/// ROLESYNC_OKTA_FAKE; without it the suite is skipped.
@Suite(
    "rolesync reconcile and serve against the Okta fake",
    .enabled(if: OktaFake.url != nil, "set ROLESYNC_OKTA_FAKE (see .ci/run)"),
    .serialized
)
struct OktaDirectoryIntegrationTests {
    static let issuer = "https://okta.example.test/oauth2/default"
    static let mapping = """
        version: 1
        issuer: \(issuer)
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: Platform Admins } }
          - { id: ml, role: model_admin, when: { claim: group_ids, contains: 00gML } }
          - { id: staff, role: user, when: { claim: groups, contains: Everyone } }
        unmatched: manual
        """
    static let people = ["ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo"]

    /// The org's users; `changed` ones stamped now (their `lastUpdated`), the others long ago.
    static func users(
        except gone: Set<String> = [],
        suspended: Set<String> = [],
        deprovisioned: Set<String> = [],
        changed: Set<String> = []
    ) -> [[String: Any]] {
        let now = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        return people.filter { !gone.contains($0) }.map { name in
            let status = suspended.contains(name) ? "SUSPENDED" : deprovisioned.contains(name) ? "DEPROVISIONED" : "ACTIVE"
            var user: [String: Any] = ["id": "00u\(name)", "login": "\(name)@example.org", "status": status]
            if changed.contains(name) { user["lastUpdated"] = now }
            return user
        }
    }

    static func groups() -> [[String: Any]] {
        [
            ["id": "00gADMIN", "name": "Platform Admins", "members": ["00uada"]],
            ["id": "00gML", "name": "ML Engineers", "members": ["00ubob", "00ucy"]],
            ["id": "00gEVERY", "name": "Everyone", "type": "BUILT_IN", "members": people.map { "00u\($0)" }],
        ]
    }

    @Test(
        "Okta's users and groups reconciled: roles from names and ids, a suspended user cut off keys first, a 429 waited out, a foreign next link refused"
    )
    func reconcile() async throws {
        let okta = OktaFake()
        let scratch = try ScratchFolder("okta-reconcile")
        let config = try Self.configuration(scratch.url, url: try #require(OktaFake.url), name: "config.yaml")
        try await okta.seed(["users": Self.users(), "groups": Self.groups()])
        try Self.signIn(Self.people, config: config, folder: scratch.url)
        let key = try Rolesync.run(["keys", "create", "--config", config, "--user", "eve@example.org", "--name", "ci"])
        #expect(key.status == 0, "\(key.stderr)")

        // 1. Everyone matched by the Okta user id (the ID token's sub); ada by group name, bob and cy
        //    by the ML group's Okta id.
        let first = try Self.reconcile(config)
        #expect(first.status == 0, "\(first.stderr)")
        let plan = try Self.object(first.stdout)
        #expect(plan["kind"] as? String == "okta" && plan["mode"] as? String == "full")
        #expect(plan["matched"] as? Int == 10 && plan["missing"] as? Int == 0 && plan["applied"] as? Bool == true)
        // The cursor's groups 3 (1 page), users 10 by 4 (3), groups 3 (1), members 1 + 2 + 10 by 4
        // (1 + 1 + 3): 10 requests.
        #expect(plan["requests"] as? Int == 10 && plan["throttled_seconds"] as? Double == 0)
        #expect((plan["full_reason"] as? String)?.hasPrefix("no cursor yet") == true)
        #expect(try Self.user("ada@example.org", config)["role"] as? String == "super_admin")
        #expect(try Self.user("cy@example.org", config)["role"] as? String == "model_admin")

        // 2. Eve suspended at Okta (stamped now): the next run reads the changes since the first
        //    (users by lastUpdated, then hers groups), and cuts her off: inactive, reason idp, her key
        //    revoked before her status changed.
        try await okta.seed(["users": Self.users(suspended: ["eve"], changed: ["eve"])])
        let increment = try Self.reconcile(config)
        #expect(increment.status == 0, "\(increment.stderr)")
        let read = try Self.object(increment.stdout)
        #expect(read["mode"] as? String == "incremental" && read["directory_users"] as? Int == 1 && read["full_reason"] is NSNull)
        // groups 3 (1 page: the digest and the changes), eve by lastUpdated (1), her groups (1): 3 requests.
        #expect(read["requests"] as? Int == 3, "\(read)")
        let eve = try Self.user("eve@example.org", config)
        #expect(eve["status"] as? String == "inactive" && eve["deactivation_reason"] as? String == "idp")
        let audit = try Rolesync.run(["audit", "--config", config, "--user", "eve@example.org", "--format", "json"])
        let events = try #require(try Self.object(audit.stdout)["events"] as? [[String: Any]]).reversed().map { $0 }
        let actions = events.filter { $0["actor"] as? String == "reconciler" }.map { $0["action"] as? String ?? "" }
        #expect(actions.suffix(2) == ["user.sessions_ended", "user.status_changed"], "\(actions)")

        // 3. Two 429s in a row: waited out until X-Rate-Limit-Reset (a 2-second window here), then the run completes.
        try await okta.seed(["users": Self.users(suspended: ["eve"]), "too_many_requests": 2, "window_seconds": 2])
        let throttled = try Self.reconcile(config, full: true)
        #expect(throttled.status == 0, "\(throttled.stderr)")
        let waited = try #require(try Self.object(throttled.stdout)["throttled_seconds"] as? Double)
        #expect(waited > 0 && waited <= 8, "\(waited)")
        #expect(try Self.object(throttled.stdout)["requests"] as? Int == 12)
        #expect(try Self.object(throttled.stdout)["full_reason"] as? String == "asked for (--full)")

        // 4. A next link to another host: refused, nothing changes, and the token went nowhere else.
        try await okta.seed(["users": Self.users(except: ["fay"], suspended: ["eve"]), "next_origin": "http://127.0.0.2:1"])
        let before = try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout
        let refused = try Self.reconcile(config, full: true)
        #expect(refused.status == 1 && refused.stderr.contains("which is not the configured org; refused"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(OktaFake.token))
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)
        #expect(try Self.user("fay@example.org", config)["status"] as? String == "active")

        // 5. A page failing mid-listing: the run says which, and nothing changes.
        try await okta.seed(["users": Self.users(except: ["fay"], suspended: ["eve"]), "failing": ["text": "after=00udee", "status": 500]])
        let failed = try Self.reconcile(config, full: true)
        #expect(failed.status == 1 && failed.stderr.contains("/api/v1/users?after=00udee&limit=4 with HTTP 500"), "\(failed.stderr)")
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)
    }

    @Test(
        "A service app instead of an API token: private_key_jwt, DPoP with Okta's nonce, roles as with a token; a key the app does not hold changes nothing"
    )
    func serviceApp() async throws {
        let okta = OktaFake()
        let scratch = try ScratchFolder("okta-service-app")
        let config = try Self.configuration(scratch.url, url: try #require(OktaFake.url), name: "config.yaml", serviceAppKey: OktaFake.serviceAppKey)
        try await okta.seed(["users": Self.users(), "groups": Self.groups(), "require_dpop": true, "dpop_nonce": "nonce-ci"])
        try Self.signIn(Self.people, config: config, folder: scratch.url)

        let first = try Rolesync.run(["reconcile", "--config", config, "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try Self.object(first.stdout)["matched"] as? Int == 10)
        #expect(try Self.user("ada@example.org", config)["role"] as? String == "super_admin")
        let served = try await okta.requests()
        // Refused without a proof, then without the nonce, then a DPoP-bound token for every page.
        #expect(served.filter { $0 == "POST /oauth2/v1/token" }.count == 3, "\(served)")

        let other = scratch.url.appendingPathComponent("other-key.pem")
        try Data(
            try Rolesync.run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], program: URL(fileURLWithPath: "/usr/bin/openssl"))
                .stdout.utf8
        )
        .write(to: other)
        let wrong = try Self.configuration(scratch.url, url: try #require(OktaFake.url), name: "wrong.yaml", serviceAppKey: other.path)
        let before = try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout
        try await okta.seed(["users": Self.users(suspended: ["eve"]), "require_dpop": true])
        let refused = try Rolesync.run(["reconcile", "--config", wrong, "--format", "json"])
        #expect(refused.status == 1 && refused.stderr.contains("invalid_client") && refused.stderr.contains("okta.users.read"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("PRIVATE KEY"))
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)
    }

    @Test("serve's schedule cuts off a leaver removed at Okta: keys revoked, then deactivated")
    func scheduled() async throws {
        let okta = OktaFake()
        try await okta.seed(["users": Self.users(), "groups": Self.groups()])
        let url = try #require(OktaFake.url)
        let server = try await ServeProcess.start(environment: ["OKTA_API_TOKEN": OktaFake.token]) { port, folder in
            let config = try Self.configuration(folder, url: url, name: "rolesync.yaml", port: port)
            try Self.signIn(Self.people, config: config, folder: folder)
            let key = try Rolesync.run(["keys", "create", "--config", config, "--user", "hal@example.org", "--name", "notebook"])
            #expect(key.status == 0, "\(key.stderr)")
            return try String(contentsOfFile: config, encoding: .utf8)
        }
        let config = server.folder.appendingPathComponent("rolesync.yaml").path
        defer { Task { await server.stop() } }
        // Hal leaves: Okta deprovisions him (and stamps him), which a full listing and an incremental
        // one both see; the next run (the first comes within 10% of the 1-minute interval) cuts him off.
        try await okta.seed(["users": Self.users(deprovisioned: ["hal"], changed: ["hal"])])
        let hal = try await OktaDirectoryIntegrationTests.untilInactive { try Self.user("hal@example.org", config) }
        #expect(hal["status"] as? String == "inactive" && hal["deactivation_reason"] as? String == "idp", "\(hal)\n\(server.log)")
        let keys = try Self.object(try Rolesync.run(["keys", "list", "--config", config, "--owner", "hal@example.org", "--format", "json"]).stdout)
        let listed = try #require(keys["keys"] as? [[String: Any]])
        #expect(!listed.isEmpty && listed.allSatisfy { $0["status"] as? String == "revoked" }, "\(listed)")
        #expect(server.log.contains("reconciliation finished") && server.log.contains("kind=okta"), "\(server.log)")
        await server.stop()
    }

    static func signIn(_ names: [String], config: String, folder: URL) throws {
        for name in names {
            let claims: [String: Any] = ["sub": "00u\(name)", "email": "\(name)@example.org", "name": name.capitalized, "groups": ["Everyone"]]
            let file = folder.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: claims).write(to: file)
            let signIn = try Rolesync.run(["users", "sign-in", "--config", config, "--issuer", issuer, "--claims", file.path])
            #expect(signIn.status == 0, "\(signIn.stderr)")
        }
    }

    static func configuration(_ folder: URL, url: String, name: String, port: Int = 18098, serviceAppKey: String? = nil) throws -> String {
        let credential =
            serviceAppKey.map { "client_id: \(OktaFake.serviceAppClientID)\n      private_key_file: \($0)" } ?? "token_env: OKTA_API_TOKEN"
        try mapping.write(to: folder.appendingPathComponent("okta.yaml"), atomically: true, encoding: .utf8)
        let yaml = """
            listen: 127.0.0.1:\(port)
            public_url: http://127.0.0.1:\(port)
            database: ledger.sqlite
            mappings: okta.yaml
            idps:
              - name: okta
                issuer: \(issuer)
                client_id: rolesync
                client_secret: unused
                directory:
                  kind: okta
                  url: \(url)
                  \(credential)
                  interval: 1m
                  page_size: 4
                  claims: { groups: groups, group_ids: group_ids, email: email, name: name, active: active }
            """
        let file = folder.appendingPathComponent(name)
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func reconcile(_ config: String, full: Bool = false) throws -> Rolesync.Run {
        try Rolesync.run(
            ["reconcile", "--config", config, "--format", "json"] + (full ? ["--full"] : []),
            environment: ["OKTA_API_TOKEN": OktaFake.token]
        )
    }

    /// Signs each person in (`rolesync users sign-in`) with their claims.
    static func signIn(_ people: [(name: String, claims: [String: Any])], issuer: String, config: String, folder: URL) throws {
        for person in people {
            let file = folder.appendingPathComponent("\(person.name).json")
            try JSONSerialization.data(withJSONObject: person.claims).write(to: file)
            let signIn = try Rolesync.run(["users", "sign-in", "--config", config, "--issuer", issuer, "--claims", file.path])
            #expect(signIn.status == 0, "\(signIn.stderr)")
        }
    }

    /// A user as `read` shows them once they are inactive, or as last shown after 15 seconds
    /// (serve's schedule runs every few seconds in these tests).
    static func untilInactive(_ read: () throws -> [String: Any]) async throws -> [String: Any] {
        var user: [String: Any] = [:]
        for _ in 0..<150 {
            user = try read()
            if user["status"] as? String == "inactive" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return user
    }

    static func user(_ email: String, _ config: String) throws -> [String: Any] {
        let shown = try Rolesync.run(["users", "show", email, "--config", config, "--format", "json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        return try #require(try object(shown.stdout)["user"] as? [String: Any])
    }

    static func object(_ text: String) throws -> [String: Any] {
        try SCIMDirectoryIntegrationTests.object(text)
    }
}

/// The running Okta fake, from the environment `.ci/run` sets.
struct OktaFake {
    static var url: String? { ProcessInfo.processInfo.environment["ROLESYNC_OKTA_FAKE"] }
    static let token = "local-okta-api-token"
    /// The fake's service app, and the private key it wrote for it (scripts/peers/okta-fake).
    static let serviceAppClientID = "0oa-rolesync-local"
    static var serviceAppKey: String { Rolesync.packageRoot.appendingPathComponent(".local/okta-fake/service-app-key.pem").path }

    let client = HTTPClient.shared

    /// The requests served since the last seed, as `METHOD path?query`.
    func requests() async throws -> [String] {
        var request = HTTPClientRequest(url: "\(try #require(Self.url))/__fake/requests")
        request.headers.add(name: "Authorization", value: "SSWS \(Self.token)")
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        let body = try await response.body.collect(upTo: 1 << 22)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String])
    }

    /// Sets what the fake holds (`PUT /__fake/state`): users and groups left out keep what they
    /// were; every scenario left out is off again (no 429s, no failing page, the org's own next
    /// links, a one-minute window of 600 requests), and the counters start again.
    func seed(_ given: [String: Any]) async throws {
        let quiet: [String: Any] = [
            "too_many_requests": 0, "failing": NSNull(), "next_origin": NSNull(), "window_seconds": 60, "rate_limit": 600,
            "require_dpop": false, "dpop_nonce": NSNull(),
        ]
        let state = quiet.merging(given) { $1 }
        var request = HTTPClientRequest(url: "\(try #require(Self.url))/__fake/state")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "SSWS \(Self.token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: state)))
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        _ = try await response.body.collect(upTo: 1 << 16)
    }
}
