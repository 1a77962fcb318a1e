import Foundation
import RoleSyncTestSupport
import Testing

/// `rolesync reconcile` and `rolesync serve`'s schedule (the built binary) against real LDAP
/// servers: OpenLDAP's slapd (scripts/peers/slapd, its scenario from scripts/peers/ldap-seed.py)
/// and Samba's Active Directory domain controller (scripts/peers/samba-ad). `.ci/run` starts them
/// and sets ROLESYNC_SLAPD_PORT and ROLESYNC_SAMBA_AD; without them the suites are skipped.
@Suite(
    "rolesync reconcile and serve against OpenLDAP",
    .enabled(if: SlapdPeer.port != nil, "set ROLESYNC_SLAPD_PORT (see .ci/run)"),
    .serialized
)
struct OpenLDAPIntegrationTests {
    static let issuer = "https://sso.example.com"
    static let mapping = """
        version: 1
        issuer: \(issuer)
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: admins } }
          - { id: ops, role: model_admin, when: { claim: groups, contains: ops } }
          - { id: staff, role: user, when: { claim: email, glob: "*@example.com" } }
        unmatched: manual
        """
    static let people = ["ada", "bob", "cy", "dee", "eve"]

    @Test(
        "slapd over LDAPS and StartTLS: nested groups (with a cycle) give roles, an administrator's lock cuts off, a lock after failed binds does not; a wrong password or base changes nothing",
        arguments: ["ldaps", "starttls"]
    )
    func reconcile(transport: String) throws {
        let scratch = try ScratchFolder("ldap-reconcile-\(transport)")
        let config = try Self.configuration(scratch.url, name: "config.yaml", transport: transport)
        try Self.signIn(Self.people, config: config, folder: scratch.url)

        // 1. ada in platform, which admins holds; dee in ops, which platform holds (and ops holds
        //    platform): both admins. bob is locked by an administrator; cy only after failed binds.
        let first = try Self.reconcile(config)
        #expect(first.status == 0, "\(first.stderr)")
        let plan = try SCIMDirectoryIntegrationTests.object(first.stdout)
        #expect(plan["kind"] as? String == "ldap" && plan["mode"] as? String == "full" && plan["applied"] as? Bool == true)
        #expect(plan["matched"] as? Int == 5, "\(plan)")
        #expect((plan["requests"] as? Int ?? 0) >= 3)
        #expect(try Self.user("ada", config)["role"] as? String == "super_admin")
        #expect(try Self.user("dee", config)["role"] as? String == "super_admin")
        #expect(try Self.user("eve", config)["role"] as? String == "user")
        let bob = try Self.user("bob", config)
        #expect(bob["status"] as? String == "inactive" && bob["deactivation_reason"] as? String == "idp", "\(bob)")
        #expect(try Self.user("cy", config)["status"] as? String == "active")

        // 2. The bind password is wrong: the server's refusal, what to check, never the password.
        let before = try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout
        let refused = try Rolesync.run(["reconcile", "--config", config, "--format", "json"], environment: ["ROLESYNC_LDAP_PW": "not-the-password"])
        #expect(refused.status == 1 && refused.stderr.contains("result 49") && refused.stderr.contains("bind_password_env"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("not-the-password"))

        // 3. No password in the environment; a CA that does not sign the server's certificate.
        let unset = try Rolesync.run(["reconcile", "--config", config, "--format", "json"])
        #expect(unset.status == 1 && unset.stderr.contains("ROLESYNC_LDAP_PW (directory.bind_password_env"), "\(unset.stderr)")
        let untrusted = try Self.configuration(
            scratch.url,
            name: "untrusted.yaml",
            transport: transport,
            caFile: "/etc/ssl/certs/ca-certificates.crt"
        )
        let refusedTLS = try Self.reconcile(untrusted)
        #expect(refusedTLS.status == 1 && refusedTLS.stderr.contains("check directory.ca_file"), "\(refusedTLS.stderr)")

        // 4. A base that does not exist: the search and the hint; nothing changes.
        let wrongBase = try Self.configuration(scratch.url, name: "wrong-base.yaml", transport: transport, userBase: "ou=nobody,dc=example,dc=com")
        let missing = try Self.reconcile(wrongBase)
        #expect(
            missing.status == 1 && missing.stderr.contains("ou=nobody,dc=example,dc=com") && missing.stderr.contains("result 32"),
            "\(missing.stderr)"
        )
        #expect(try Rolesync.run(["audit", "--config", config, "--format", "json", "--limit", "1000"]).stdout == before)
    }

    @Test("serve's schedule cuts off a leaver deleted from the directory")
    func scheduled() async throws {
        let server = try await ServeProcess.start(environment: ["ROLESYNC_LDAP_PW": SlapdPeer.password]) { port, folder in
            let config = try Self.configuration(folder, name: "rolesync.yaml", transport: "ldaps", port: port)
            try Self.signIn(Self.people, config: config, folder: folder)
            return try String(contentsOfFile: config, encoding: .utf8)
        }
        let config = server.folder.appendingPathComponent("rolesync.yaml").path
        try SlapdPeer.modify("dn: uid=eve,ou=people,dc=example,dc=com\nchangetype: delete\n")
        defer {
            // Back for the next run (with a new entryUUID, which the tests read afresh).
            try? SlapdPeer.modify(
                "dn: uid=eve,ou=people,dc=example,dc=com\nchangetype: add\nobjectClass: inetOrgPerson\nuid: eve\ncn: Eve Adams\nsn: Adams\nmail: eve@example.com\n"
            )
        }
        let eve = try await OktaDirectoryIntegrationTests.untilInactive { try Self.user("eve", config) }
        #expect(eve["status"] as? String == "inactive" && eve["deactivation_reason"] as? String == "idp", "\(eve)\n\(server.log)")
        #expect(server.log.contains("kind=ldap"), "\(server.log)")
        await server.stop()
    }

    static func signIn(_ names: [String], config: String, folder: URL) throws {
        // The IdP in front of the directory sends the entry's entryUUID (Keycloak's LDAP_ID).
        let claims = try names.map { name in
            (
                name,
                ["sub": "kc-\(name)", "ldap_id": try SlapdPeer.entryUUID(name), "email": "\(name)@example.com", "name": name.capitalized]
                    as [String: Any]
            )
        }
        try OktaDirectoryIntegrationTests.signIn(claims, issuer: issuer, config: config, folder: folder)
    }

    static func configuration(
        _ folder: URL,
        name: String,
        transport: String,
        port: Int = 18094,
        userBase: String = "ou=people,dc=example,dc=com",
        caFile: String? = nil
    ) throws -> String {
        try mapping.write(to: folder.appendingPathComponent("ldap.yaml"), atomically: true, encoding: .utf8)
        let ldapPort = try #require(SlapdPeer.port)
        let address = transport == "ldaps" ? "ldaps://127.0.0.1:\(ldapPort + 1)" : "ldap://127.0.0.1:\(ldapPort)\n      start_tls: true"
        let yaml = """
            listen: 127.0.0.1:\(port)
            public_url: http://127.0.0.1:\(port)
            database: ledger.sqlite
            mappings: ldap.yaml
            idps:
              - name: corp-ldap
                issuer: \(issuer)
                client_id: rolesync
                client_secret: unused
                directory:
                  kind: ldap
                  url: \(address)
                  ca_file: \(try caFile ?? SlapdPeer.caFile())
                  bind_dn: cn=rolesync,ou=services,dc=example,dc=com
                  bind_password_env: ROLESYNC_LDAP_PW
                  users: { base: "\(userBase)" }
                  groups: { base: "ou=groups,dc=example,dc=com" }
                  match_by: entryUUID
                  match_claim: ldap_id
                  safety_valve: { max_share: 50% }
                  interval: 1m
                  page_size: 2
            """
        let file = folder.appendingPathComponent(name)
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func reconcile(_ config: String) throws -> Rolesync.Run {
        try Rolesync.run(["reconcile", "--config", config, "--format", "json"], environment: ["ROLESYNC_LDAP_PW": SlapdPeer.password])
    }

    static func user(_ name: String, _ config: String) throws -> [String: Any] {
        try OktaDirectoryIntegrationTests.user("\(name)@example.com", config)
    }
}

@Suite(
    "rolesync reconcile and serve against Samba's Active Directory",
    .enabled(if: SambaPeer.enabled, "set ROLESYNC_SAMBA_AD=1 (see .ci/run)"),
    .serialized
)
struct ActiveDirectoryIntegrationTests {
    static let issuer = "https://adfs.corp.example.test/adfs"
    static let mapping = """
        version: 1
        issuer: \(issuer)
        profile: { email: email, name: name }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: Admins } }
          - { id: staff, role: user, when: { claim: email, glob: "*@corp.example.test" } }
        unmatched: manual
        """
    static let people = ["ada", "bob", "dee"]

    @Test(
        "Samba AD DC: the in-chain rule resolves nested groups, a disabled account is cut off, objectGUID matches as Windows writes it; serve's schedule cuts off an account disabled later"
    )
    func reconcileAndSchedule() async throws {
        let scratch = try ScratchFolder("ad-reconcile")
        let config = try Self.configuration(scratch.url, name: "config.yaml")
        try Self.signIn(Self.people, config: config, folder: scratch.url)

        let first = try Rolesync.run(["reconcile", "--config", config, "--format", "json"], environment: ["ROLESYNC_AD_PW": SambaPeer.password])
        #expect(first.status == 0, "\(first.stderr)")
        let plan = try SCIMDirectoryIntegrationTests.object(first.stdout)
        #expect(plan["kind"] as? String == "ldap" && plan["matched"] as? Int == 3, "\(plan)")
        // ada is in Platform, dee in Ops inside Platform; Platform is in Admins.
        #expect(try Self.user("ada", config)["role"] as? String == "super_admin")
        #expect(try Self.user("dee", config)["role"] as? String == "super_admin")
        let bob = try Self.user("bob", config)
        #expect(bob["status"] as? String == "inactive" && bob["deactivation_reason"] as? String == "idp", "\(bob)")

        // serve's schedule: dee's account, disabled at the domain controller after that run, is cut
        // off. Disabled before serve starts: serve's first scheduled run may come at once, and one
        // that came before the disable waited a whole interval (1m) for the next (a failed CI run).
        try SambaPeer.tool(["user", "disable", "dee"])
        defer { _ = try? SambaPeer.tool(["user", "enable", "dee"]) }
        let server = try await ServeProcess.start(environment: ["ROLESYNC_AD_PW": SambaPeer.password]) { port, folder in
            let config = try Self.configuration(folder, name: "rolesync.yaml", port: port)
            try Self.signIn(Self.people, config: config, folder: folder)
            return try String(contentsOfFile: config, encoding: .utf8)
        }
        let served = server.folder.appendingPathComponent("rolesync.yaml").path
        let dee = try await OktaDirectoryIntegrationTests.untilInactive { try Self.user("dee", served) }
        #expect(dee["status"] as? String == "inactive" && dee["deactivation_reason"] as? String == "idp", "\(dee)\n\(server.log)")
        await server.stop()
    }

    static func signIn(_ names: [String], config: String, folder: URL) throws {
        // AD FS can send the account's objectGUID; Samba's tool writes it as Windows does.
        let claims = try names.map { name in
            (
                name,
                [
                    "sub": "adfs-\(name)", "object_guid": try SambaPeer.objectGUID(name), "email": "\(name)@corp.example.test",
                    "name": name.capitalized,
                ]
                    as [String: Any]
            )
        }
        try OktaDirectoryIntegrationTests.signIn(claims, issuer: issuer, config: config, folder: folder)
    }

    static func configuration(_ folder: URL, name: String, port: Int = 18097) throws -> String {
        try mapping.write(to: folder.appendingPathComponent("ad.yaml"), atomically: true, encoding: .utf8)
        let yaml = """
            listen: 127.0.0.1:\(port)
            public_url: http://127.0.0.1:\(port)
            database: ledger.sqlite
            mappings: ad.yaml
            idps:
              - name: corp-ad
                issuer: \(issuer)
                client_id: rolesync
                client_secret: unused
                directory:
                  kind: ldap
                  active_directory: true
                  url: ldaps://127.0.0.1:636
                  ca_file: \(SambaPeer.caFile)
                  bind_dn: CN=rolesync,CN=Users,DC=corp,DC=example,DC=test
                  bind_password_env: ROLESYNC_AD_PW
                  users: { base: "CN=Users,DC=corp,DC=example,DC=test" }
                  match_by: objectGUID
                  match_claim: object_guid
                  safety_valve: { max_share: 70% }
                  interval: 1m
                  page_size: 2
            """
        let file = folder.appendingPathComponent(name)
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func user(_ name: String, _ config: String) throws -> [String: Any] {
        try OktaDirectoryIntegrationTests.user("\(name)@corp.example.test", config)
    }
}

/// The slapd that `.ci/run` starts (scripts/peers/slapd), read and changed through its own tools.
enum SlapdPeer {
    static let password = "rolesync-ldap-pw"
    static var port: Int? { ProcessInfo.processInfo.environment["ROLESYNC_SLAPD_PORT"].flatMap(Int.init) }

    static func caFile() throws -> String {
        try script(["ca", String(try #require(port))]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An entry's entryUUID, as the administrator reads it.
    static func entryUUID(_ uid: String) throws -> String {
        let found = try Rolesync.run(
            [
                "-x", "-H", "ldap://127.0.0.1:\(try #require(port))", "-D", "cn=admin,dc=example,dc=com", "-w", "local-ldap-admin", "-LLL",
                "-b", "ou=people,dc=example,dc=com", "(uid=\(uid))", "entryUUID",
            ],
            program: URL(fileURLWithPath: "/usr/bin/ldapsearch")
        )
        #expect(found.status == 0, "\(found.stderr)")
        let line = try #require(found.stdout.split(separator: "\n").first { $0.hasPrefix("entryUUID: ") })
        return String(line.dropFirst("entryUUID: ".count))
    }

    /// Applies LDIF changes as the administrator.
    static func modify(_ ldif: String) throws {
        _ = try script(["modify", String(try #require(port))], stdin: ldif)
    }

    static func script(_ arguments: [String], stdin: String? = nil) throws -> String {
        let run = try Rolesync.run(arguments, stdin: stdin, program: Rolesync.packageRoot.appendingPathComponent("scripts/peers/slapd"))
        guard run.status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "scripts/peers/slapd \(arguments): \(run.stderr)"])
        }
        return run.stdout
    }
}

/// The Samba domain controller that `.ci/run` starts (scripts/peers/samba-ad).
enum SambaPeer {
    static let password = "Rolesync-Ldap-Pw1"
    static var enabled: Bool { ProcessInfo.processInfo.environment["ROLESYNC_SAMBA_AD"] == "1" }
    static var caFile: String { Rolesync.packageRoot.appendingPathComponent(".local/samba-ad/tls/ca.pem").path }

    /// An account's objectGUID as Samba's own tool writes it.
    static func objectGUID(_ account: String) throws -> String {
        let shown = try tool(["user", "show", account, "--attributes=objectGUID"])
        let line = try #require(shown.split(separator: "\n").first { $0.hasPrefix("objectGUID: ") })
        return String(line.dropFirst("objectGUID: ".count))
    }

    @discardableResult
    static func tool(_ arguments: [String]) throws -> String {
        let run = try Rolesync.run(["tool"] + arguments, program: Rolesync.packageRoot.appendingPathComponent("scripts/peers/samba-ad"))
        guard run.status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "samba-tool \(arguments): \(run.stderr)"])
        }
        return run.stdout
    }
}
