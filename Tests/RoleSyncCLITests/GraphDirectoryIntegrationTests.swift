import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RoleSyncTestSupport
import Testing

/// `rolesync reconcile` and `rolesync serve`'s schedule (the built binary) against the Microsoft
/// Graph fake (scripts/peers/graph-fake.py, a real HTTP server speaking Graph and a tenant's token
/// endpoint, which Microsoft's own SDK reads in `.ci/run`). `.ci/run` starts it with
/// `scripts/peers/graph-fake start` and sets ROLESYNC_GRAPH_FAKE; without it the suite is skipped.
@Suite(
    "rolesync reconcile and serve against the Microsoft Graph fake",
    .enabled(if: GraphFake.url != nil, "set ROLESYNC_GRAPH_FAKE (see .ci/run)"),
    .serialized
)
struct GraphDirectoryIntegrationTests {
    static let issuer = "https://login.microsoftonline.com/fake-tenant/v2.0"
    static let mapping = """
        version: 1
        issuer: \(issuer)
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: g-admins } }
          - { id: ml, role: model_admin, when: { claim: groups, contains: g-ml } }
          - { id: staff, role: user, when: { claim: groups, contains: g-all } }
        unmatched: manual
        """
    static let people = ["ada", "bob", "cy", "dee", "eve", "fay"]

    static func users(disabled: Set<String> = [], except gone: Set<String> = []) -> [[String: Any]] {
        people.filter { !gone.contains($0) }.map {
            ["id": "oid-\($0)", "userPrincipalName": "\($0)@contoso.example", "accountEnabled": !disabled.contains($0)]
        }
    }

    /// Admins holds ada; ML holds ML Research, which holds bob and cy; All holds every team.
    static var groups: [[String: Any]] {
        [
            ["id": "g-admins", "displayName": "Platform Admins", "members": ["oid-ada"]],
            ["id": "g-ml", "displayName": "ML", "members": ["g-ml-research"]],
            ["id": "g-ml-research", "displayName": "ML Research", "members": ["oid-bob", "oid-cy"]],
            ["id": "g-all", "displayName": "All Staff", "members": ["g-admins", "g-ml", "oid-dee", "oid-eve", "oid-fay"]],
        ]
    }

    @Test(
        "Entra's users and nested groups reconciled through Graph: roles by group id, a disabled account cut off, throttling waited out, a wrong secret and a foreign link refused"
    )
    func reconcile() async throws {
        let graph = GraphFake()
        let scratch = try ScratchFolder("graph-reconcile")
        let url = try #require(GraphFake.url)
        let config = try Self.configuration(scratch.url, url: url, name: "config.yaml")
        try await graph.seed(["users": Self.users(), "groups": Self.groups])
        try Self.signIn(Self.people, config: config, folder: scratch.url)

        // 1. ada by Admins, bob and cy through ML Research nested in ML, the rest by All Staff.
        let first = try Self.reconcile(config)
        #expect(first.status == 0, "\(first.stderr)")
        let plan = try Self.object(first.stdout)
        #expect(plan["kind"] as? String == "microsoft_graph" && plan["matched"] as? Int == 6 && plan["applied"] as? Bool == true)
        #expect(try Self.user("ada", config)["role"] as? String == "super_admin")
        #expect(try Self.user("cy", config)["role"] as? String == "model_admin")

        #expect(plan["mode"] as? String == "full" && (plan["full_reason"] as? String)?.hasPrefix("no cursor yet") == true)

        // 2. Eve's account disabled: the delta queries name her, she is read whole, and cut off
        //    (inactive, reason idp) without a full listing.
        try await graph.seed(["users": Self.users(disabled: ["eve"])])
        let increment = try Self.reconcile(config)
        #expect(increment.status == 0, "\(increment.stderr)")
        let read = try Self.object(increment.stdout)
        #expect(read["mode"] as? String == "incremental" && read["directory_users"] as? Int == 1, "\(read)")
        let eve = try Self.user("eve", config)
        #expect(eve["status"] as? String == "inactive" && eve["deactivation_reason"] as? String == "idp")

        // 3. Two 429s with Retry-After: 1 are waited out.
        try await graph.seed(["throttle": 2, "retry_after": "1"])
        let throttled = try Self.reconcile(config)
        #expect(throttled.status == 0, "\(throttled.stderr)")
        #expect(try Self.object(throttled.stdout)["throttled_seconds"] as? Double == 2)

        // 4. A wrong secret: the AADSTS code and what to check, never the secret; nothing changes.
        let before = try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout
        let wrong = try Rolesync.run(["reconcile", "--config", config, "--format", "json"], environment: ["GRAPH_SECRET": "not-the-secret-value"])
        #expect(wrong.status == 1 && wrong.stderr.contains("AADSTS7000215") && wrong.stderr.contains("client_secret_env"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("not-the-secret-value"))

        // 5. A next link to another host, in a full listing: refused; fay's removal is not applied.
        try await graph.seed(["users": Self.users(disabled: ["eve"], except: ["fay"]), "next_origin": "http://127.0.0.2:1"])
        let refused = try Self.reconcile(config, full: true)
        #expect(refused.status == 1 && refused.stderr.contains("which is not the configured Graph root; refused"), "\(refused.stderr)")
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)
        #expect(try Self.user("fay", config)["status"] as? String == "active")

        // 6. Graph forgot the delta tokens (410 syncStateNotFound): the run lists everything
        //    instead, and fay, deleted, is cut off.
        try await graph.seed(["forget_delta_tokens": true])
        let relisted = try Self.reconcile(config)
        #expect(relisted.status == 0, "\(relisted.stderr)")
        let full = try Self.object(relisted.stdout)
        #expect(full["mode"] as? String == "full" && (full["full_reason"] as? String)?.contains("syncStateNotFound") == true, "\(full)")
        #expect(try Self.user("fay", config)["status"] as? String == "inactive")
    }

    @Test(
        "A certificate credential instead of a secret: the signed assertion accepted, roles as with a secret; a certificate the app does not hold changes nothing"
    )
    func certificate() async throws {
        let graph = GraphFake()
        let scratch = try ScratchFolder("graph-certificate")
        let url = try #require(GraphFake.url)
        let config = try Self.configuration(
            scratch.url,
            url: url,
            name: "config.yaml",
            certificate: (GraphFake.certificateFile, GraphFake.privateKeyFile)
        )
        try await graph.seed(["users": Self.users(), "groups": Self.groups])
        try Self.signIn(Self.people, config: config, folder: scratch.url)
        let first = try Rolesync.run(["reconcile", "--config", config, "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try Self.user("ada", config)["role"] as? String == "super_admin")

        // Another certificate: Entra's AADSTS700027, what to check, never the key; nothing changes.
        let other = scratch.url.appendingPathComponent("other")
        let made = try Rolesync.run(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other", "-keyout", other.path + ".key", "-out",
                other.path + ".crt",
            ],
            program: URL(fileURLWithPath: "/usr/bin/openssl")
        )
        #expect(made.status == 0, "\(made.stderr)")
        let wrong = try Self.configuration(scratch.url, url: url, name: "wrong.yaml", certificate: (other.path + ".crt", other.path + ".key"))
        let before = try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout
        try await graph.seed(["users": Self.users(disabled: ["eve"])])
        let refused = try Rolesync.run(["reconcile", "--config", wrong, "--format", "json"])
        #expect(refused.status == 1 && refused.stderr.contains("AADSTS700027"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("PRIVATE KEY"))
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)
    }

    @Test("serve's schedule cuts off a leaver deleted from Entra ID")
    func scheduled() async throws {
        let graph = GraphFake()
        try await graph.seed(["users": Self.users(), "groups": Self.groups])
        let url = try #require(GraphFake.url)
        let server = try await ServeProcess.start(environment: ["GRAPH_SECRET": GraphFake.secret]) { port, folder in
            let config = try Self.configuration(folder, url: url, name: "rolesync.yaml", port: port)
            try Self.signIn(Self.people, config: config, folder: folder)
            return try String(contentsOfFile: config, encoding: .utf8)
        }
        let config = server.folder.appendingPathComponent("rolesync.yaml").path
        try await graph.seed(["users": Self.users(except: ["dee"])])
        let dee = try await OktaDirectoryIntegrationTests.untilInactive { try Self.user("dee", config) }
        #expect(dee["status"] as? String == "inactive" && dee["deactivation_reason"] as? String == "idp", "\(dee)\n\(server.log)")
        #expect(server.log.contains("kind=microsoft_graph"), "\(server.log)")
        await server.stop()
    }

    static func signIn(_ names: [String], config: String, folder: URL) throws {
        for name in names {
            // Entra's sub is pairwise; oid is the object id Graph lists.
            let claims: [String: Any] = [
                "sub": "pairwise-\(name)", "oid": "oid-\(name)", "email": "\(name)@contoso.example", "name": name.capitalized,
            ]
            let file = folder.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: claims).write(to: file)
            let signIn = try Rolesync.run(["users", "sign-in", "--config", config, "--issuer", issuer, "--claims", file.path])
            #expect(signIn.status == 0, "\(signIn.stderr)")
        }
    }

    static func configuration(
        _ folder: URL,
        url: String,
        name: String,
        port: Int = 18097,
        certificate: (file: String, key: String)? = nil
    ) throws -> String {
        let credential =
            certificate.map { "certificate_file: \($0.file)\n      private_key_file: \($0.key)" } ?? "client_secret_env: GRAPH_SECRET"
        try mapping.write(to: folder.appendingPathComponent("entra.yaml"), atomically: true, encoding: .utf8)
        let yaml = """
            listen: 127.0.0.1:\(port)
            public_url: http://127.0.0.1:\(port)
            database: ledger.sqlite
            mappings: entra.yaml
            idps:
              - name: entra
                issuer: \(issuer)
                client_id: rolesync
                client_secret: unused
                directory:
                  kind: microsoft_graph
                  url: \(url)
                  token_url: \(url)/fake-tenant/oauth2/v2.0/token
                  tenant_id: fake-tenant
                  client_id: local-graph-app
                  \(credential)
                  interval: 1m
                  page_size: 4
                  claims: { groups: group_ids, email: email, name: name, active: active }
            """
        let file = folder.appendingPathComponent(name)
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func reconcile(_ config: String, full: Bool = false) throws -> Rolesync.Run {
        try Rolesync.run(
            ["reconcile", "--config", config, "--format", "json"] + (full ? ["--full"] : []),
            environment: ["GRAPH_SECRET": GraphFake.secret]
        )
    }

    static func user(_ name: String, _ config: String) throws -> [String: Any] {
        try OktaDirectoryIntegrationTests.user("\(name)@contoso.example", config)
    }

    static func object(_ text: String) throws -> [String: Any] {
        try SCIMDirectoryIntegrationTests.object(text)
    }
}

/// The running Microsoft Graph fake, from the environment `.ci/run` sets.
struct GraphFake {
    static var url: String? { ProcessInfo.processInfo.environment["ROLESYNC_GRAPH_FAKE"] }
    static let secret = "local-graph-secret"
    /// The app registration's certificate and its key (scripts/peers/graph-fake makes them).
    static var certificateFile: String { Rolesync.packageRoot.appendingPathComponent(".local/graph-fake/app.crt").path }
    static var privateKeyFile: String { Rolesync.packageRoot.appendingPathComponent(".local/graph-fake/app.key").path }

    /// Sets what the fake holds (`PUT /__fake/state`); every scenario left out is off again.
    func seed(_ given: [String: Any]) async throws {
        let quiet: [String: Any] = ["throttle": 0, "failing": NSNull(), "next_origin": NSNull()]
        var request = HTTPClientRequest(url: "\(try #require(Self.url))/__fake/state")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(Self.secret)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: quiet.merging(given) { $1 })))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        _ = try await response.body.collect(upTo: 1 << 16)
    }
}
