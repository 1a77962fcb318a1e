import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import RoleSyncConfig
import RoleSyncPostgres
import RoleSyncTestSupport
import Synchronization
import Testing

/// Two `rolesync serve` replicas (the built binary) on one PostgreSQL database, behind an imagined
/// load balancer that sends each request to either: a sign-in starts on one and comes back to the
/// other, sessions and keys made on one hold (or stop holding) on the other at once. `.ci/run`
/// sets ROLESYNC_POSTGRES_URL, ROLESYNC_NANOIDP_ISSUER and ROLESYNC_NANOIDP_CA.
@Suite(
    "Two replicas on one PostgreSQL database, signing in through nanoidp",
    .enabled(if: ScratchPostgres.isConfigured && NanoIDP.issuer != nil, "set ROLESYNC_POSTGRES_URL and ROLESYNC_NANOIDP_ISSUER (see .ci/run)"),
    .serialized
)
struct ReplicaSignInTests {
    static let gatewaySecret = "replica-test-gateway-secret-of-32-bytes"
    static let forwardSecret = "replica-test-forward-auth-secret-of-32-bytes"

    @Test(
        "Sign-ins alternate replicas; a session and a key made on one work on the other; a revocation on one is seen by the other's next introspection and gateway check; 10 concurrent first sign-ins of one subject over both make one user"
    )
    func alternating() async throws {
        let idp = try NanoIDP()
        let scratch = try ScratchPostgres()
        try await scratch.create()
        var replicas: [ServeProcess] = []
        do {
            let database = ReplicaDatabase.url(scratch.settings)
            let ports = ReplicaDatabase.ports()
            // Both answer to one public URL, as behind a load balancer: the first replica's.
            let publicURL = "http://127.0.0.1:\(ports[0])"
            for port in ports {
                replicas.append(
                    try await ServeProcess.start(
                        caFile: idp.caFile,
                        environment: ["ROLESYNC_TEST_GATEWAY_SECRET": Self.gatewaySecret, "ROLESYNC_TEST_FORWARD_SECRET": Self.forwardSecret],
                        port: port
                    ) {
                        port,
                        folder in
                        try ServeProcess.nanoidpConfiguration(
                            issuer: idp.issuer,
                            caFile: idp.caFile,
                            port: port,
                            publicURL: publicURL,
                            database: database,
                            folder: folder
                        ) + """

                            gateways:
                              - name: replica-gateway
                                client_id: replica-gateway
                                client_secret_env: ROLESYNC_TEST_GATEWAY_SECRET
                                forward_auth: { secret_env: ROLESYNC_TEST_FORWARD_SECRET }
                            """
                    }
                )
            }
            try await scenario(idp, replicas[0], replicas[1], publicURL: publicURL, database: database)
        } catch {
            for replica in replicas { Issue.record("replica \(replica.base) log:\n\(replica.log.suffix(3000))") }
            for replica in replicas { await replica.stop() }
            try await idp.client.shutdown()
            try? await scratch.drop()
            throw error
        }
        for replica in replicas {
            #expect(await replica.terminate() == 0)
            await replica.stop()
        }
        try await idp.client.shutdown()
        try await scratch.drop()
    }

    func scenario(_ idp: NanoIDP, _ a: ServeProcess, _ b: ServeProcess, publicURL: String, database: String) async throws {
        let username = "rep-\(UInt32.random(in: 0...UInt32.max))"
        try await idp.createUser(username, groups: ["ml-engineers", "staff"])

        // 1. Started on A, finished on B; then the other way round. Each session works on both.
        let first = try await Self.signIn(username, idp, start: a, finish: b, publicURL: publicURL)
        let second = try await Self.signIn(username, idp, start: b, finish: a, publicURL: publicURL)
        for (session, replica) in [(first, a), (first, b), (second, a), (second, b)] {
            let me = try await replica.me(session)
            #expect(me["role"] as? String == "model_admin", "\(replica.base)")
            #expect(me["email"] as? String == "\(username)@example.org")
        }

        // 2. A key made on A is active at B's introspection; revoked on A, inactive at B's next one.
        let origin = [("Origin", publicURL), ("Content-Type", "application/json")]
        let created = try await a.send(a.base + "/api/keys", method: .POST, cookie: first, body: #"{"name":"replica test"}"#, headers: origin)
        #expect(created.status == 201, "\(created.body)")
        let key = try Self.object(created.body)
        let value = try #require(key["key"] as? String)
        let id = try #require(key["id"] as? Int)
        #expect(try await Self.introspect(value, on: b)["active"] as? Bool == true)
        let passed = try await Self.check(value, on: b)
        #expect(passed.status == 200 && passed.header("x-rolesync-key-id") == String(id), "\(passed.status) \(passed.body)")
        let revoked = try await a.send(
            a.base + "/api/keys/\(id)/revoke",
            method: .POST,
            cookie: first,
            body: #"{"reason":"replica test"}"#,
            headers: origin
        )
        #expect(revoked.status == 200, "\(revoked.body)")
        #expect(try await Self.introspect(value, on: b) == ["active": false] as NSDictionary)
        #expect(try await Self.check(value, on: b).status == 401)

        // 3. Signed out on B: the session is gone on A too.
        let signOut = try await b.send(b.base + "/auth/logout", method: .POST, cookie: second, headers: [("Origin", publicURL)])
        #expect(signOut.status == 303 || signOut.status == 204, "\(signOut.status) \(signOut.body.prefix(300))")
        #expect(try await a.get("/api/me", cookie: second).status == 401)

        // 4. A new subject signs in 10 times at once, half the sign-ins started on each replica and
        //    finished on the other: one user, one `user.created`. The provider's part goes first,
        //    then all the callbacks arrive together. (nanoidp, a small Python server on a busy CI
        //    machine, failed code exchanges at 20 at once; the ledger's test of 100 over two
        //    replicas' pools is LedgerStoreConformanceTests.concurrentFirstSignInsOverReplicas.)
        let newcomer = username + "-new"
        try await idp.createUser(newcomer, groups: ["staff"])
        let callbacks = try await withThrowingTaskGroup(of: (url: String, cookie: String, finish: ServeProcess).self) { group in
            for index in 0..<10 {
                let (start, finish) = index.isMultiple(of: 2) ? (a, b) : (b, a)
                group.addTask {
                    let (url, cookie) = try await Self.authorize(newcomer, idp, start: start, finish: finish, publicURL: publicURL)
                    return (url, cookie, finish)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let sessions = try await withThrowingTaskGroup(of: String.self) { group in
            for callback in callbacks {
                group.addTask { try await Self.finishSignIn(callback.url, cookie: callback.cookie, on: callback.finish) }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(sessions).count == 10, "every sign-in has a session of its own")
        let listed = try Rolesync.run(["users", "list", "--database", database, "--search", newcomer, "--format", "json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let users = try #require(try Self.object(listed.stdout)["users"] as? [[String: Any]])
        #expect(users.count == 1, "\(listed.stdout.prefix(1000))")
        let audit = try Rolesync.run([
            "audit", "--database", database, "--user", "\(newcomer)@example.org", "--action", "user.created", "--format", "json",
        ])
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect((try Self.object(audit.stdout)["events"] as? [Any])?.count == 1, "\(audit.stdout.prefix(1000))")
    }

    /// The browser's part, over two replicas: RoleSync's login on `start` → nanoidp → the callback,
    /// which the load balancer sends to `finish`. Returns the session cookie.
    static func signIn(_ user: String, _ idp: NanoIDP, start: ServeProcess, finish: ServeProcess, publicURL: String) async throws -> String {
        let (callback, cookie) = try await authorize(user, idp, start: start, finish: finish, publicURL: publicURL)
        return try await finishSignIn(callback, cookie: cookie, on: finish)
    }

    /// RoleSync's login on `start`, then the provider's form: the callback URL, rewritten to reach
    /// `finish`, and the login cookie.
    static func authorize(
        _ user: String,
        _ idp: NanoIDP,
        start: ServeProcess,
        finish: ServeProcess,
        publicURL: String
    ) async throws -> (String, String) {
        let login = try await start.get("/auth/login")
        #expect(login.status == 302)
        let authorize = try #require(login.header("location"))
        let loginCookie = try #require(login.cookies().first { $0.hasPrefix("rolesync_login=") })
        let consent = try await start.send(authorize, method: .POST, form: "username=\(user)&password=erin-pw")
        #expect(consent.status == 302, "\(consent.body.prefix(500))")
        let callback = try #require(consent.header("location"))
        #expect(callback.hasPrefix(publicURL + "/auth/callback?"), "\(callback)")
        return (finish.base + callback.dropFirst(publicURL.count), loginCookie)
    }

    /// The callback, on the replica the load balancer chose: the session cookie.
    static func finishSignIn(_ callback: String, cookie: String, on replica: ServeProcess) async throws -> String {
        let answer = try await replica.send(callback, cookie: cookie)
        #expect(answer.status == 302, "\(answer.status) \(answer.body.prefix(500))")
        return try #require(answer.cookies().first { $0.hasPrefix("rolesync_session=") })
    }

    static func introspect(_ key: String, on replica: ServeProcess) async throws -> NSDictionary {
        let basic = Data("replica-gateway:\(gatewaySecret)".utf8).base64EncodedString()
        let answer = try await replica.send(
            replica.base + "/oauth/introspect",
            method: .POST,
            form: "token=\(key)",
            headers: [("Authorization", "Basic \(basic)")]
        )
        #expect(answer.status == 200, "\(answer.body)")
        return try object(answer.body) as NSDictionary
    }

    /// `/gateway/check` as a gateway asks it about `key`.
    static func check(_ key: String, on replica: ServeProcess) async throws -> ServeProcess.Answer {
        try await replica.send(
            replica.base + "/gateway/check",
            headers: [("X-RoleSync-Gateway-Token", forwardSecret), ("Authorization", "Bearer \(key)")]
        )
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(500))")
    }
}

/// Two `rolesync serve` replicas reconciling one SCIM directory (scim2-server) into one PostgreSQL
/// ledger: one leads; killed with SIGKILL in the middle of applying its plan, it leaves nothing
/// applied, and the other takes over and applies the plan exactly once. `.ci/run` sets
/// ROLESYNC_POSTGRES_URL and ROLESYNC_SCIM_DIRECTORY.
@Suite(
    "The scheduled reconciliation's leader killed mid-apply",
    .enabled(if: ScratchPostgres.isConfigured && SCIMDirectory.url != nil, "set ROLESYNC_POSTGRES_URL and ROLESYNC_SCIM_DIRECTORY (see .ci/run)"),
    .serialized
)
struct ReplicaElectionTests {
    static let issuer = SCIMDirectoryIntegrationTests.issuer
    static let people = 4

    @Test("SIGKILL during the leader's apply: nothing half-applied; the follower takes over within its poll and applies each change once")
    func leaderKilledMidApply() async throws {
        let directory = try SCIMDirectory()
        let scratch = try ScratchPostgres()
        try await scratch.create()
        let folder = try ScratchFolder("election")
        let replicas = Replicas()
        do {
            try await scenario(directory, scratch, folder.url, replicas: replicas)
        } catch {
            for replica in replicas.all { Issue.record("replica \(replica.base) log:\n\(replica.log.suffix(3000))") }
            for replica in replicas.all { await replica.stop() }
            try await directory.client.shutdown()
            try? await scratch.drop()
            throw error
        }
        for replica in replicas.all { await replica.stop() }
        try await directory.client.shutdown()
        try await scratch.drop()
    }

    /// The replicas started so far, for the clean-up.
    final class Replicas: Sendable {
        private let started = Mutex<[ServeProcess]>([])
        var all: [ServeProcess] { started.withLock { $0 } }
        func add(_ replica: ServeProcess) { started.withLock { $0.append(replica) } }
    }

    func scenario(_ directory: SCIMDirectory, _ scratch: ScratchPostgres, _ folder: URL, replicas: Replicas) async throws {
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let group = "Replicas-\(run)"
        let database = ReplicaDatabase.url(scratch.settings)
        try """
        version: 1
        issuer: \(Self.issuer)
        profile: { email: email, name: name }
        roles:
          - { id: replicas, role: model_admin, when: { claim: groups, contains: "\(group)" } }
        unmatched: manual
        """.write(to: folder.appendingPathComponent("idp.yaml"), atomically: true, encoding: .utf8)
        @Sendable func configuration(port: Int) -> String {
            """
            listen: 127.0.0.1:\(port)
            public_url: http://127.0.0.1:\(port)
            database: \(database)
            mappings: \(folder.appendingPathComponent("idp.yaml").path)
            idps:
              - name: directory-test
                issuer: \(Self.issuer)
                client_id: rolesync
                client_secret: unused
                directory:
                  scim_url: \(SCIMDirectory.url ?? "")
                  token_env: DIRECTORY_TOKEN
                  page_size: 50
                  interval: 1m
            """
        }
        let cli = folder.appendingPathComponent("cli.yaml")
        try configuration(port: 18_099).write(to: cli, atomically: true, encoding: .utf8)

        // The directory: four people in one group; the ledger: each signed in once, without it.
        var members: [[String: String]] = []
        for index in 0..<Self.people {
            let name = "r\(index)-\(run)"
            members.append([
                "value": try await directory.create(
                    "Users",
                    [
                        "userName": name, "externalId": "ext-\(name)", "displayName": name,
                        "emails": [["value": "\(name)@example.org", "primary": true]], "active": true,
                    ]
                )
            ])
            let claims = folder.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: ["sub": "ext-\(name)", "email": "\(name)@example.org", "name": name, "groups": []])
                .write(to: claims)
            let signIn = try Rolesync.run(["users", "sign-in", "--config", cli.path, "--issuer", Self.issuer, "--claims", claims.path])
            #expect(signIn.status == 0, "\(signIn.stderr)")
        }
        _ = try await directory.create("Groups", ["displayName": group, "members": members])

        let logger = Logger(label: "election-test")
        try await withPostgresClient(scratch.settings, logger: logger) { client in
            // A backend whose client died notices within 200 ms, even while it waits for a lock.
            try await client.query(
                PostgresQuery(unsafeSQL: "ALTER DATABASE \(scratch.settings.database) SET client_connection_check_interval = '200ms'"),
                logger: logger
            )
            try await client.withConnection { hold in
                // Hold the last person's row: the leader's apply changes the others first (users in
                // ledger order), then waits here. A failure lets it go, or the replicas' shutdown
                // would wait on it for ever.
                try await hold.query("BEGIN", logger: logger)
                do {
                    try await hold.query(
                        "SELECT id FROM users WHERE email = \("r\(Self.people - 1)-\(run)@example.org") FOR UPDATE",
                        logger: logger
                    )

                    let environment = ["DIRECTORY_TOKEN": SCIMDirectory.token]
                    let leader = try await ServeProcess.start(environment: environment) { port, _ in configuration(port: port) }
                    replicas.add(leader)
                    try await Self.waitFor("the first replica to lead") { try await Self.leads(leader) == true }
                    let follower = try await ServeProcess.start(environment: environment) { port, _ in configuration(port: port) }
                    replicas.add(follower)
                    try await Task.sleep(for: .seconds(1))
                    #expect(try await Self.leads(follower) == false, "one leader at a time")

                    try await Self.waitFor("the leader's apply to wait for the last row, the others already changed") {
                        try await Self.count(client, Self.blockedWriters) >= 1
                    }
                    leader.kill()
                    try await Self.waitFor("the killed leader's transaction to end") { try await Self.count(client, Self.blockedWriters) == 0 }
                    // Nothing of the killed apply is left: not the three people it had already changed
                    // (the follower's own apply, if it began, waits for the row).
                    #expect(try await Self.count(client, Self.promoted) == 0, "nothing half-applied")
                    #expect(try await Self.count(client, "SELECT count(*) FROM audit_events WHERE actor = 'reconciler'") == 0)
                    try await hold.query("ROLLBACK", logger: logger)

                    // The follower takes over (it asks every 15 s, a quarter of the interval) and applies.
                    try await Self.waitFor("the follower to apply the plan", seconds: 45) {
                        try await Self.count(client, Self.promoted) == Self.people
                    }
                    #expect(try await Self.leads(follower) == true)
                    #expect(
                        try await Self.count(client, "SELECT count(*) FROM audit_events WHERE actor = 'reconciler' AND action = 'user.role_changed'")
                            == Self.people,
                        "each change applied exactly once"
                    )
                    #expect(follower.log.contains("this replica runs the scheduled reconciliation"))
                } catch {
                    _ = try? await hold.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Backends of the database that wrote (hold a transaction id) and wait on a lock.
    static let blockedWriters = """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL
        """
    static let promoted = "SELECT count(*) FROM users WHERE role = 'model_admin'"

    static func count(_ client: PostgresClient, _ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "election-test"))
        for try await value in rows.decode(Int64.self) { return Int(value) }
        return 0
    }

    /// `rolesync_reconcile_leader` for the directory's IdP in the replica's `/metrics`.
    static func leads(_ replica: ServeProcess) async throws -> Bool? {
        let metrics = try await replica.get("/metrics").body
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("rolesync_reconcile_leader{") && $0.contains("idp=\"directory-test\"") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { $0 == 1 }
    }

    static func waitFor(_ what: String, seconds: Int = 30, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<(seconds * 5) {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out after \(seconds) s waiting for \(what)")
        throw CancellationError()
    }
}

/// The replicas' shared database and ports.
enum ReplicaDatabase {
    static func url(_ settings: PostgresSettings) -> String {
        "postgres://\(settings.username):\(settings.password ?? "")@\(settings.host):\(settings.port)/\(settings.database)?sslmode=disable"
    }

    /// Two distinct random ports.
    static func ports() -> [Int] {
        let first = Int.random(in: 20_000..<30_000)
        return [first, first + Int.random(in: 1..<10_000)]
    }
}
