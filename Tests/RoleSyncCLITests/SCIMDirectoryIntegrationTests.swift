import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

/// `rolesync reconcile` (the built binary) against scim2-server 0.8.3, a real SCIM directory that
/// pages every listing two resources at a time. `.ci/run` starts it with
/// `scripts/peers/scim2-server start` and sets ROLESYNC_SCIM_DIRECTORY; without it the suite is
/// skipped. A fault-injecting proxy (scripts/peers/fault-proxy.py) fails one page mid-listing.
@Suite(
    "rolesync reconcile against scim2-server",
    .enabled(if: SCIMDirectory.url != nil, "set ROLESYNC_SCIM_DIRECTORY (see .ci/run)"),
    .serialized
)
struct SCIMDirectoryIntegrationTests {
    static let issuer = "https://idp.example.test"
    static let mapping = """
        version: 1
        issuer: \(issuer)
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: Admins } }
          - { id: engineering, role: model_admin, when: { claim: groups, contains: Engineering } }
          - { id: staff, role: user, when: { claim: groups, contains: Staff } }
        unmatched: manual
        """

    @Test("Seeded directory: plan applied, a group removed demotes, a leaver is cut off, the valve trips, a failed page changes nothing")
    func reconcile() async throws {
        let directory = try SCIMDirectory()
        do {
            try await scenario(directory)
            try await directory.client.shutdown()
        } catch {
            try await directory.client.shutdown()
            throw error
        }
    }

    func scenario(_ directory: SCIMDirectory) async throws {
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-scim-\(run)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try Self.mapping.write(to: scratch.appendingPathComponent("idp.yaml"), atomically: true, encoding: .utf8)
        let config = try Self.configuration(scratch, url: try #require(SCIMDirectory.url), name: "config.yaml")
        let environment = ["DIRECTORY_TOKEN": SCIMDirectory.token]

        // The directory: five people, all Staff; alice an admin, bob and carol engineers.
        var ids: [String: String] = [:]
        for name in ["alice", "bob", "carol", "dave", "erin"] {
            ids[name] = try await directory.create(
                "Users",
                [
                    "userName": "\(name)-\(run)", "externalId": "ext-\(name)-\(run)", "displayName": name.capitalized,
                    "emails": [["value": "\(name)-\(run)@example.org", "primary": true]], "active": true,
                ]
            )
        }
        func members(_ names: [String]) -> [[String: String]] { names.map { ["value": ids[$0]!] } }
        _ = try await directory.create("Groups", ["displayName": "Admins", "members": members(["alice"])])
        let engineering = try await directory.create("Groups", ["displayName": "Engineering", "members": members(["bob", "carol"])])
        _ = try await directory.create("Groups", ["displayName": "Staff", "members": members(["alice", "bob", "carol", "dave", "erin"])])

        // The ledger: everyone signed in once; bob's token lacked Engineering, dave's still had it.
        let tokenGroups = [
            "alice": ["Admins", "Staff"], "bob": ["Staff"], "carol": ["Engineering", "Staff"], "dave": ["Engineering", "Staff"], "erin": ["Staff"],
        ]
        for (name, groups) in tokenGroups {
            let claims: [String: Any] = ["sub": "ext-\(name)-\(run)", "email": "\(name)-\(run)@example.org", "name": name, "groups": groups]
            let file = scratch.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: claims).write(to: file)
            let signIn = try Rolesync.run(["users", "sign-in", "--config", config, "--issuer", Self.issuer, "--claims", file.path])
            #expect(signIn.status == 0, "\(signIn.stderr)")
        }
        let erinToken = try Rolesync.run(["keys", "create", "--config", config, "--user", "erin-\(run)@example.org", "--name", "ci"])
        #expect(erinToken.status == 0, "\(erinToken.stderr)")

        // 1. The first reconciliation applies the expected plan: bob gains coverage as model_admin,
        //    dave loses Engineering and is demoted to user by the Staff rule.
        let first = try Self.reconcile(config, environment)
        #expect(first.status == 0, "\(first.stderr)")
        let plan = try Self.object(first.stdout)
        #expect(plan["applied"] as? Bool == true)
        // The directory may hold earlier runs' people too: they have not signed in here, and are never created.
        #expect((plan["directory_users"] as? Int ?? 0) >= 5 && plan["matched"] as? Int == 5 && plan["missing"] as? Int == 0)
        let changes = try #require((plan["plan"] as? [String: Any])?["changes"] as? [[String: Any]])
        let byUser = Dictionary(uniqueKeysWithValues: changes.map { ($0["user"] as? String ?? "", $0) })
        #expect((byUser["bob-\(run)@example.org"]?["role"] as? [String: String]) == ["from": "user", "to": "model_admin"])
        #expect((byUser["dave-\(run)@example.org"]?["role"] as? [String: String]) == ["from": "model_admin", "to": "user"])
        #expect(changes.count == 2, "\(changes)")
        #expect(try Self.user("bob-\(run)@example.org", config)["role"] as? String == "model_admin")

        // 2. Carol leaves Engineering in the directory: the Staff rule demotes her.
        try await directory.patch(
            "Groups/\(engineering)",
            ["op": "remove", "path": "members[value eq \"\(ids["carol"]!)\"]"]
        )
        #expect(try Self.reconcile(config, environment).status == 0)
        #expect(try Self.user("carol-\(run)@example.org", config)["role"] as? String == "user")

        // 3. Erin is deactivated in the directory: inactive (reason idp), her API key revoked first.
        try await directory.patch("Users/\(ids["erin"]!)", ["op": "replace", "path": "active", "value": false])
        #expect(try Self.reconcile(config, environment).status == 0)
        let erin = try Self.user("erin-\(run)@example.org", config)
        #expect(erin["status"] as? String == "inactive" && erin["deactivation_reason"] as? String == "idp")
        let audit = try Rolesync.run(["audit", "--config", config, "--user", "erin-\(run)@example.org", "--format", "json"])
        let events = try #require(try Self.object(audit.stdout)["events"] as? [[String: Any]]).reversed().map { $0 }
        let reconciler = events.filter { $0["actor"] as? String == "reconciler" }.map { $0["action"] as? String ?? "" }
        #expect(reconciler.suffix(2) == ["user.sessions_ended", "user.status_changed"], "\(reconciler)")
        let ended = events.last { $0["action"] as? String == "user.sessions_ended" }?["details"] as? [String: Any]
        #expect(ended?["api_keys_revoked"] as? Int == 1)

        // 4. Three of the four active people vanish: the safety valve trips, nothing changes.
        for name in ["bob", "carol", "dave"] { try await directory.delete("Users/\(ids[name]!)") }
        let tripped = try Self.reconcile(config, environment)
        #expect(tripped.status == 3, "\(tripped.stderr)")
        #expect((try Self.object(tripped.stdout)["safety_valve"] as? [String: Any])?["code"] as? String == "max_share")
        #expect(try Self.user("bob-\(run)@example.org", config)["status"] as? String == "active")

        // 5. Forced, but through a proxy that fails the second page of /Groups (the users were read
        //    whole, the groups not): nothing changes.
        let proxyPort = Int.random(in: 20_000...29_999)
        let proxy = try SCIMDirectory.startFaultProxy(port: proxyPort)
        defer { proxy.terminate() }
        let faulty = try Self.configuration(scratch, url: "http://127.0.0.1:\(proxyPort)", name: "faulty.yaml")
        let before = try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout
        let failed = try Self.reconcile(faulty, environment, force: true)
        #expect(failed.status == 1 && failed.stderr.contains("HTTP 500"), "\(failed.stderr)")
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)

        // 6. Forced against the directory itself: the three are deactivated.
        #expect(try Self.reconcile(config, environment, force: true).status == 0)
        for name in ["bob", "carol", "dave"] {
            #expect(try Self.user("\(name)-\(run)@example.org", config)["status"] as? String == "inactive")
        }
    }

    static func configuration(_ scratch: URL, url: String, name: String) throws -> String {
        let yaml = """
            listen: 127.0.0.1:18099
            public_url: http://127.0.0.1:18099
            database: ledger.sqlite
            mappings: idp.yaml
            idps:
              - name: directory-test
                issuer: \(issuer)
                client_id: rolesync
                client_secret: unused
                directory:
                  scim_url: \(url)
                  token_env: DIRECTORY_TOKEN
                  page_size: 50
            """
        let file = scratch.appendingPathComponent(name)
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func reconcile(_ config: String, _ environment: [String: String], force: Bool = false) throws -> Rolesync.Run {
        try Rolesync.run(["reconcile", "--config", config, "--format", "json"] + (force ? ["--force"] : []), environment: environment)
    }

    /// The user as `users show` prints it (the `user` member of the detail).
    static func user(_ email: String, _ config: String) throws -> [String: Any] {
        let detail = try object(try Rolesync.run(["users", "show", email, "--config", config, "--format", "json"]).stdout)
        return try #require(detail["user"] as? [String: Any], "no user in \(detail.keys.sorted())")
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(500))")
    }
}

/// The running scim2-server, from the environment `.ci/run` sets.
struct SCIMDirectory {
    static var url: String? { ProcessInfo.processInfo.environment["ROLESYNC_SCIM_DIRECTORY"] }
    static let token = "local-directory-token"

    let base: String
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    init() throws {
        base = try #require(Self.url)
    }

    func send(_ method: HTTPMethod, _ path: String, _ body: [String: Any]?) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: "\(base)/\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(Self.token)")
        request.headers.add(name: "Content-Type", value: "application/scim+json")
        if let body { request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Data(buffer: bytes))
    }

    func create(_ endpoint: String, _ body: [String: Any]) async throws -> String {
        let (status, data) = try await send(.POST, endpoint, body)
        #expect(status == 201, "\(String(decoding: data, as: UTF8.self))")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(object["id"] as? String)
    }

    func patch(_ path: String, _ operation: [String: Any]) async throws {
        let body: [String: Any] = ["schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [operation]]
        let (status, data) = try await send(.PATCH, path, body)
        #expect([200, 204].contains(status), "\(String(decoding: data, as: UTF8.self))")
    }

    func delete(_ path: String) async throws {
        let (status, _) = try await send(.DELETE, path, nil)
        #expect(status == 204)
    }

    /// Starts scripts/peers/fault-proxy.py in front of the directory, failing `/Groups?startIndex=3`.
    static func startFaultProxy(port: Int) throws -> Process {
        let process = Process()
        process.executableURL = Rolesync.packageRoot.appendingPathComponent(".venv/bin/python")
        process.arguments = [
            Rolesync.packageRoot.appendingPathComponent("scripts/peers/fault-proxy.py").path, "--upstream", try #require(url),
            "--port", String(port), "--fail-path", "/Groups", "--fail-start", "3",
        ]
        // Its own output must not hold the test runner's pipes open.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until it accepts connections.
        for _ in 0..<50 {
            let probe = Socket.canConnect(port: port)
            if probe { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return process
    }
}

/// A TCP probe for the proxy's port.
enum Socket {
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
