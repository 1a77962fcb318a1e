import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import RoleSyncBuildInfo
import RoleSyncHTTPClient
import RoleSyncTestSupport
import Testing

/// `rolesync serve` (the built binary) against nanoidp 3.4.0, a real OpenID provider over HTTPS
/// with PKCE enforced, RFC 9207 `iss`, and key rotation. `.ci/run` starts the provider with
/// `scripts/peers/nanoidp start` and sets ROLESYNC_NANOIDP_ISSUER and ROLESYNC_NANOIDP_CA; without
/// them the suite is skipped.
@Suite(
    "rolesync serve against nanoidp",
    .enabled(if: NanoIDP.issuer != nil, "set ROLESYNC_NANOIDP_ISSUER and ROLESYNC_NANOIDP_CA (see .ci/run)"),
    .serialized
)
struct NanoIDPIntegrationTests {
    @Test("Browser-less sign-in, a group change, a key rotation, then a graceful stop")
    func fullFlow() async throws {
        let idp = try NanoIDP()
        do {
            let server = try await ServeProcess.start(issuer: idp.issuer, caFile: idp.caFile)
            do {
                try await flow(idp, server)
                await server.stop()
            } catch {
                await server.stop()
                throw error
            }
            try await idp.client.shutdown()
        } catch {
            try await idp.client.shutdown()
            throw error
        }
    }

    func flow(_ idp: NanoIDP, _ server: ServeProcess) async throws {
        let username = "erin-\(UInt32.random(in: 0...UInt32.max))"

        // 1. A user in ML engineering signs in as model_admin.
        try await idp.createUser(username, groups: ["ml-engineers", "staff"])
        var session = try await server.signIn(as: username, password: "erin-pw", through: idp)
        var me = try await server.me(session)
        #expect(me["role"] as? String == "model_admin")
        #expect(me["email"] as? String == "\(username)@example.org")
        #expect(me["role_source"] as? String == "idp")

        // 2. The IdP moves them to the admins group; their next sign-in changes the role.
        try await idp.deleteUser(username)
        try await idp.createUser(username, groups: ["rolesync-admins"])
        session = try await server.signIn(as: username, password: "erin-pw", through: idp)
        me = try await server.me(session)
        #expect(me["role"] as? String == "super_admin")

        // 3. The IdP rotates its signing key; the next sign-in fetches the new key and succeeds.
        try await idp.rotateKeys()
        session = try await server.signIn(as: username, password: "erin-pw", through: idp)
        #expect(try await server.me(session)["role"] as? String == "super_admin")
        let metrics = try await server.get("/metrics").body
        #expect(metrics.contains("rolesync_jwks_refreshes_total{"), "\(metrics.prefix(2000))")
        #expect(metrics.contains("reason=\"unknown_kid\""))
        #expect(metrics.contains("rolesync_sign_ins_total"))
        let buildInfo = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("rolesync_build_info{") }, "\(metrics.prefix(2000))")
        #expect(buildInfo.contains(#"version="\#(BuildInfo.version)""#) && buildInfo.contains(#"commit="\#(BuildInfo.commit)""#))
        // Prometheus' text format writes the gauge's value as a float: 1.0.
        #expect(buildInfo.split(separator: " ").last.flatMap { Double($0) } == 1, "\(buildInfo)")

        // 4. A leaver is refused and nothing of theirs is created.
        try await idp.createUser(username + "-gone", groups: ["leavers"])
        let refused = try await server.attemptSignIn(as: username + "-gone", password: "erin-pw", through: idp)
        #expect(refused.status == 403)
        #expect(refused.body.contains("deactivated"))

        // SIGTERM ends it promptly: no service sleeps through a graceful shutdown (the ledger's
        // clock once held it 15 s).
        #expect(await server.terminate(within: .seconds(10)) == 0)
    }
}

/// The running nanoidp, from the environment `.ci/run` sets.
struct NanoIDP {
    static var issuer: String? { ProcessInfo.processInfo.environment["ROLESYNC_NANOIDP_ISSUER"] }

    let issuer: String
    let caFile: String
    let managementSecret: String
    let client: HTTPClient

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        issuer = try #require(environment["ROLESYNC_NANOIDP_ISSUER"])
        let ca = try #require(environment["ROLESYNC_NANOIDP_CA"])
        caFile = ca.hasPrefix("/") ? ca : Rolesync.packageRoot.appendingPathComponent(ca).path
        managementSecret = environment["ROLESYNC_NANOIDP_MANAGEMENT_SECRET"] ?? "local-management-secret"
        client = try AsyncHTTPClientTransport.makeClient(caFile: caFile)
    }

    func call(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: issuer + path)
        request.method = method
        request.headers.add(name: "X-Management-Secret", value: managementSecret)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }

    func createUser(_ name: String, groups: [String]) async throws {
        let list = groups.map { "\"\($0)\"" }.joined(separator: ",")
        let result = try await call(
            .POST,
            "/api/runtime/users",
            json:
                "{\"username\":\"\(name)\",\"password\":\"erin-pw\",\"email\":\"\(name)@example.org\",\"groups\":[\(list)],\"attributes\":{\"name\":\"Erin \(name)\"}}"
        )
        #expect(result.status == 201, "\(result.body)")
    }

    func deleteUser(_ name: String) async throws {
        let result = try await call(.DELETE, "/api/runtime/users/\(name)")
        #expect(result.status == 200, "\(result.body)")
    }

    func rotateKeys() async throws {
        let result = try await call(.POST, "/api/keys/rotate")
        #expect(result.status == 200, "\(result.body)")
    }
}

/// `rolesync serve` in a child process, with its own configuration, mapping and ledger.
final class ServeProcess: @unchecked Sendable {
    let process: Process
    let base: String
    let folder: URL
    /// Keeps the server's folder (ledger, configuration, log) until the process object goes.
    let scratch: ScratchFolder
    let client: HTTPClient

    private init(process: Process, base: String, scratch: ScratchFolder, client: HTTPClient) {
        self.process = process
        self.base = base
        self.folder = scratch.url
        self.scratch = scratch
        self.client = client
    }

    static func start(issuer: String, caFile: String) async throws -> ServeProcess {
        try await start(caFile: caFile) { port, folder in
            try nanoidpConfiguration(
                issuer: issuer,
                caFile: caFile,
                port: port,
                publicURL: "http://127.0.0.1:\(port)",
                database: "rolesync.sqlite",
                folder: folder
            )
        }
    }

    /// The configuration of a server for nanoidp, its mapping written into `folder`.
    static func nanoidpConfiguration(issuer: String, caFile: String, port: Int, publicURL: String, database: String, folder: URL) throws -> String {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("mappings"), withIntermediateDirectories: true)
        let mapping = try String(
            contentsOf: Rolesync.packageRoot.appendingPathComponent("examples/local/mappings/nanoidp.yaml"),
            encoding: .utf8
        ).replacingOccurrences(of: "issuer: \"https://127.0.0.1:8443\"", with: "issuer: \"\(issuer)\"")
        try mapping.write(to: folder.appendingPathComponent("mappings/nanoidp.yaml"), atomically: true, encoding: .utf8)
        return """
            listen: 127.0.0.1:\(port)
            public_url: \(publicURL)
            database: \(database)
            mappings: mappings/
            idps:
              - name: nanoidp
                issuer: \(issuer)
                client_id: rolesync
                client_secret_env: ROLESYNC_TEST_SECRET
                scopes: [openid, email, profile, groups]
                userinfo: true
                ca_file: \(caFile)
            """
    }

    /// Starts `rolesync serve` on a free port with the configuration `configuration` writes (given
    /// the port and the server's folder), and waits until `/healthz` answers. Without a `port` it
    /// picks one below Linux's ephemeral range (32768–60999, where the tests' own client connections
    /// live), and picks another when the one it picked was taken after all.
    static func start(
        caFile: String? = nil,
        environment extra: [String: String] = [:],
        port: Int? = nil,
        _ configuration: (Int, URL) throws -> String
    ) async throws -> ServeProcess {
        guard port == nil else { return try await start(caFile: caFile, environment: extra, on: port!, configuration) }
        for _ in 0..<5 {
            do {
                return try await start(caFile: caFile, environment: extra, on: Int.random(in: 20_000..<32_000), configuration)
            } catch PortTaken.error {
                continue
            }
        }
        return try await start(caFile: caFile, environment: extra, on: Int.random(in: 20_000..<32_000), configuration)
    }

    /// The port a server was given was in use (it exited saying so).
    enum PortTaken: Error { case error }

    private static func start(
        caFile: String?,
        environment extra: [String: String],
        on port: Int,
        _ configuration: (Int, URL) throws -> String
    ) async throws -> ServeProcess {
        let scratch = try ScratchFolder("serve")
        let folder = scratch.url
        let configFile = folder.appendingPathComponent("rolesync.yaml")
        try configuration(port, folder).write(to: configFile, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = try Rolesync.executable()
        process.arguments = ["serve", "--config", configFile.path]
        var environment = ProcessInfo.processInfo.environment
        environment["ROLESYNC_TEST_SECRET"] = "rolesync-local-secret"
        environment["ROLESYNC_LOG_LEVEL"] = "notice"
        environment.merge(extra) { $1 }
        process.environment = environment
        let log = try FileHandle(
            forWritingTo: {
                let url = folder.appendingPathComponent("serve.log")
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                return url
            }()
        )
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = ServeProcess(
            process: process,
            base: "http://127.0.0.1:\(port)",
            scratch: scratch,
            client: try Self.client(caFile: caFile)
        )
        for _ in 0..<100 {
            if !process.isRunning, server.log.contains("Address already in use") {
                await server.stop()
                throw PortTaken.error
            }
            if let health = try? await server.get("/healthz"), health.status == 200, process.isRunning { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        await server.stop()
        Issue.record("rolesync serve did not start: \(server.log)")
        throw CancellationError()
    }

    /// The test's client: trusts `caFile`, follows no redirects, and opens up to 128 connections to
    /// a host, so a hundred requests can reach the server at once.
    static func client(caFile: String?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caFile))] }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(30)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
        )
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// What the server logged so far.
    var log: String { (try? String(contentsOf: folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "" }

    struct Answer {
        var status: UInt
        var headers: [(String, String)]
        var body: String

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        func cookies() -> [String] {
            headers.filter { $0.0.lowercased() == "set-cookie" }.map { String($0.1.split(separator: ";")[0]) }
        }
    }

    func send(
        _ url: String,
        method: HTTPMethod = .GET,
        cookie: String? = nil,
        form: String? = nil,
        body: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: response.status.code, headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: body))
    }

    func get(_ path: String, cookie: String? = nil) async throws -> Answer {
        try await send(base + path, cookie: cookie)
    }

    /// The browser's part: RoleSync's login → the provider's login form → RoleSync's callback.
    func attemptSignIn(as user: String, password: String, through idp: NanoIDP) async throws -> Answer {
        let login = try await get("/auth/login")
        #expect(login.status == 302)
        let authorize = try #require(login.header("location"))
        #expect(authorize.hasPrefix(idp.issuer + "/authorize?"))
        let loginCookie = try #require(login.cookies().first { $0.hasPrefix("rolesync_login=") })
        // nanoidp accepts the credentials posted straight to the authorization URL.
        let form = "username=\(user)&password=\(password)"
        let consent = try await send(authorize, method: .POST, form: form)
        #expect(consent.status == 302, "\(consent.body.prefix(500))")
        let callback = try #require(consent.header("location"))
        #expect(callback.hasPrefix(base + "/auth/callback?"))
        #expect(callback.contains("iss="), "nanoidp sends the RFC 9207 iss parameter over https")
        return try await send(callback, cookie: loginCookie)
    }

    func signIn(as user: String, password: String, through idp: NanoIDP) async throws -> String {
        let answer = try await attemptSignIn(as: user, password: password, through: idp)
        #expect(answer.status == 302, "\(answer.body.prefix(500))")
        return try #require(answer.cookies().first { $0.hasPrefix("rolesync_session=") })
    }

    func me(_ session: String) async throws -> [String: Any] {
        let answer = try await get("/api/me", cookie: session)
        try #require(answer.status == 200, "\(answer.body)")
        return try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any], "\(answer.body)")
    }

    /// SIGTERM, then the exit status once it has shut down. `serve` ends within its grace period
    /// and cancellation (``ServeApplication/gracePeriod`` + 5 s); one still running after `limit` is
    /// a failure, reported with its log, and is killed so that the test run goes on.
    func terminate(within limit: Duration = .seconds(40)) async -> Int32 {
        process.terminate()
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            Issue.record("rolesync serve was still running \(limit) after SIGTERM; its log:\n\(log.suffix(4000))")
            kill()
        }
        return process.terminationStatus
    }

    /// SIGKILL: the process dies at once, with nothing flushed or closed.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() async {
        if process.isRunning { process.terminate() }
        try? await client.shutdown()
    }
}
