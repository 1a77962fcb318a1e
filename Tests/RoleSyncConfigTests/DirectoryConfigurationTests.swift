import Foundation
import RoleSyncConfig
import RoleSyncMapping
import Testing

/// `idps[].directory` and the SCIM push token.
@Suite("serve configuration: directories")
struct DirectoryConfigurationTests {
    static func yaml(_ idp: String) -> String {
        """
        listen: 127.0.0.1:8080
        public_url: https://rolesync.example.com
        idps:
          - issuer: https://example.okta.com
            client_id: rolesync
            client_secret: s
        \(idp.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    static let environment = ["OKTA_SCIM": "directory-token", "OKTA_PUSH": String(repeating: "p", count: 40)]

    func parse(_ idp: String, environment: [String: String] = environment) throws(ConfigError) -> IdentityProviderSettings {
        try ServeConfiguration.parse(yaml: Self.yaml(idp), file: "/etc/rolesync/rolesync.yaml", environment: environment).idps[0]
    }

    func errors(_ idp: String, environment: [String: String] = environment) -> [String] {
        do {
            _ = try parse(idp, environment: environment)
            return []
        } catch {
            return error.lines
        }
    }

    @Test("A full directory reads as written; defaults fill the rest")
    func full() throws {
        let idp = try parse(
            """
            scim_token_env: OKTA_PUSH
            directory:
              scim_url: https://example.okta.com/scim/v2/
              token_env: OKTA_SCIM
              interval: 5m
              match_by: userName
              match_claim: preferred_username
              claims: { groups: group_external_ids, department: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" }
              safety_valve: { max_share: 5%, max_count: 50 }
              page_size: 200
            """
        )
        let directory = try #require(idp.directory)
        #expect(directory.url?.absoluteString == "https://example.okta.com/scim/v2")
        #expect(directory.token == "directory-token")
        #expect(directory.interval == 300)
        #expect(directory.matchBy == .userName && directory.matchClaim == "preferred_username")
        #expect(directory.claims["groups"] == .groupExternalIDs)
        #expect(directory.claims["department"] == .attribute("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"))
        #expect(directory.maxDeactivationShare == 0.05 && directory.maxDeactivations == 50 && directory.pageSize == 200)
        #expect(idp.scimToken == Self.environment["OKTA_PUSH"])

        let defaults = try #require(try parse("directory: { scim_url: https://example.okta.com/scim/v2, token_env: OKTA_SCIM }").directory)
        #expect(defaults.interval == 900 && defaults.matchBy == .externalId && defaults.matchClaim == "sub")
        #expect(defaults.claims == DirectorySettings.defaultClaims && defaults.maxDeactivationShare == 0.10 && defaults.maxDeactivations == nil)
    }

    @Test(
        "Directory errors name the key, with file, line and column",
        arguments: [
            (
                "directory: { scim_url: http://scim.example.com, token_env: OKTA_SCIM }",
                "directory.scim_url: 'http://scim.example.com' is not an https URL"
            ),
            ("directory: { scim_url: https://x.example.com }", "has 'scim_url' but lacks 'token_env'"),
            ("directory: { scim_url: https://x.example.com, token_env: NOPE }", "directory.token_env: the environment variable NOPE is not set"),
            (
                "directory: { scim_url: https://x.example.com, token_env: OKTA_SCIM, match_by: username }",
                "'username' is not externalId or userName; did you mean 'userName'?"
            ),
            ("directory: { scim_url: https://x.example.com, token_env: OKTA_SCIM, interval: 10s }", "reconcile at most once a minute"),
            ("directory: { scim_url: https://x.example.com, token_env: OKTA_SCIM, safety_valve: { max_share: 2 } }", "max_share: '2' is not a share"),
            ("directory: { scim_url: https://x.example.com, token_env: OKTA_SCIM, sheduel: 1 }", "unknown key 'sheduel' in idps[0].directory"),
            ("directory: { token_env: OKTA_SCIM }", "directory.token_env goes with 'url' or 'scim_url'"),
            (
                "directory: { kind: octa, url: https://example.okta.com, token_env: OKTA_SCIM }",
                "'octa' is not a directory kind (scim, okta, microsoft_graph, google_workspace, ldap); did you mean 'okta'?"
            ),
            ("directory: { kind: okta, scim_url: https://example.okta.com, token_env: OKTA_SCIM }", "scim_url is for kind scim"),
            ("directory: { kind: okta, token_env: OKTA_SCIM }", "of kind okta lacks 'url'"),
            ("directory: { kind: okta, url: https://example.okta.com/scim/v2, token_env: OKTA_SCIM }", "has a path; give the org's address alone"),
            ("directory: { kind: okta, url: https://example.okta.com }", "lacks 'token_env' (the environment variable holding an Okta API token"),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, match_by: externalId }",
                "'externalId' is not id or userName (an Okta user's id or login)"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, page_size: 500 }",
                "page_size: give a whole number from 1 to 200"
            ),
            (
                "directory: { url: https://a.example.com, scim_url: https://b.example.com, token_env: OKTA_SCIM }",
                "give 'url' or 'scim_url', not both"
            ),
            ("directory: { scim_url: https://x.example.com, token_env: OKTA_SCIM, match_by: id }", "'id' is not externalId or userName"),
            ("directory: { kind: microsoft_graph, tenant_id: contoso.example }", "of kind microsoft_graph lacks 'client_id', 'client_secret_env'"),
            (
                "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, client_secret_env: OKTA_SCIM, certificate_file: /etc/hostname, private_key_file: /etc/hostname }",
                "give client_secret_env or certificate_file and private_key_file, not both"
            ),
            (
                "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, certificate_file: /etc/hostname }",
                "certificate_file and private_key_file go together"
            ),
            (
                "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, certificate_file: /etc/hostname, private_key_file: /etc/hostname }",
                "certificate_file: '/etc/hostname' holds no PEM certificate"
            ),
            (
                "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, client_secret_env: OKTA_SCIM, token_env: OKTA_SCIM }",
                "token_env: a microsoft_graph directory signs in with tenant_id, client_id and client_secret_env"
            ),
            (
                "directory: { kind: microsoft_graph, tenant_id: 'a/b', client_id: c, client_secret_env: OKTA_SCIM }",
                "tenant_id: 'a/b' is not a tenant id"
            ),
            (
                "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, client_secret_env: NOPE }",
                "client_secret_env: the environment variable NOPE is not set"
            ),
            (
                "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, client_secret_env: OKTA_SCIM, token_url: 'http://login.example.com/t' }",
                "token_url: 'http://login.example.com/t' is not an https URL"
            ),
            ("directory: { kind: microsoft_graph, tenant_id: t, client_id: c, client_secret_env: OKTA_SCIM, page_size: 1000 }", "from 1 to 999"),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, tenant_id: t }",
                "tenant_id goes with kind microsoft_graph"
            ),
            (
                "directory: { kind: google_workspace, customer: my_customer }",
                "of kind google_workspace lacks 'service_account_file', 'subject'"
            ),
            (
                "directory: { kind: google_workspace, service_account_file: /nonexistent/key.json, subject: admin@example.com }",
                "service_account_file: '/nonexistent/key.json' cannot be read"
            ),
            (
                "directory: { kind: google_workspace, service_account_file: /etc/hostname, subject: admin }",
                "subject: 'admin' is not an administrator's email address"
            ),
            (
                "directory: { kind: google_workspace, service_account_file: /etc/hostname, subject: admin@example.com, token_env: OKTA_SCIM }",
                "token_env: a google_workspace directory signs in with service_account_file and subject"
            ),
            (
                "directory: { kind: google_workspace, service_account_file: /etc/hostname, subject: admin@example.com, full_every: 24h }",
                "full_every goes with kinds that read increments (okta, microsoft_graph)"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, subject: a@b.c }",
                "subject goes with kind google_workspace"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, token_url: 'https://x.example.com' }",
                "token_url goes with kind microsoft_graph or google_workspace"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, full_every: 1m, interval: 15m }",
                "full_every: list everything at most as often as 'interval'"
            ),
            ("directory: { kind: ldap, match_by: uid, users: { base: 'ou=people,dc=x' } }", "of kind ldap lacks 'url' (the server's address"),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', users: { base: 'ou=people,dc=x' } }",
                "of kind ldap lacks 'match_by' (where users are, and the attribute that identifies one"
            ),
            (
                "directory: { kind: ldap, url: 'ldap://ldap.example.com', match_by: uid, users: { base: 'ou=people,dc=x' } }",
                "url: 'ldap://ldap.example.com' would send the bind password in the clear: use ldaps://, or start_tls: true"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', start_tls: true, match_by: uid, users: { base: 'ou=people,dc=x' } }",
                "ldaps:// is TLS from the start; start_tls: true goes with ldap://"
            ),
            (
                "directory: { kind: ldap, url: 'https://ldap.example.com', match_by: uid, users: { base: 'ou=people,dc=x' } }",
                "'https://ldap.example.com' is not an LDAP server's address"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com/dc=x', match_by: uid, users: { base: 'ou=people,dc=x' } }",
                "is not an LDAP server's address"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: 'entry uuid', users: { base: 'ou=people,dc=x' } }",
                "match_by: 'entry uuid' is not an LDAP attribute name"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, bind_dn: 'cn=r,dc=x', users: { base: 'ou=people,dc=x' } }",
                "bind_dn goes with bind_password_env"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, bind_dn: rolesync@x.com, bind_password_env: OKTA_SCIM, users: { base: 'ou=people,dc=x' } }",
                "bind_dn: 'rolesync@x.com' is not a DN (cn=rolesync,ou=services,dc=example,dc=com)"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, bind_dn: 'cn=r,dc=x', bind_password_env: NOPE, users: { base: 'ou=people,dc=x' } }",
                "bind_password_env: the environment variable NOPE is not set"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, users: { base: people } }",
                "users.base: 'people' is not a DN"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, users: { base: 'ou=p,dc=x', filter: 'objectClass=person' } }",
                "users.filter: 'objectClass=person' is not an LDAP filter: a filter is written in parentheses"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, users: { base: 'ou=p,dc=x' }, groups: { filter: '(&(cn=a)' } }",
                "groups.filter: '(&(cn=a)' is not an LDAP filter: a '(' is never closed"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, users: { base: 'ou=p,dc=x', filter: '(cn=a\\\\zz)' } }",
                "is not an LDAP filter: '\\' is followed by two hex digits"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: objectGUID, active_directory: true, users: { base: 'ou=p,dc=x' }, groups: { member_attribute: member } }",
                "with active_directory, membership comes from the in-chain rule"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, token_env: OKTA_SCIM, users: { base: 'ou=p,dc=x' } }",
                "token_env: an ldap directory binds with bind_dn and bind_password_env"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, users: { base: 'ou=p,dc=x' }, full_every: 24h }",
                "full_every goes with kinds that read increments"
            ),
            (
                "directory: { kind: ldap, url: 'ldaps://ldap.example.com', match_by: uid, users: { base: 'ou=p,dc=x' }, page_size: 1001 }",
                "from 1 to 1000"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, bind_dn: 'cn=x' }",
                "bind_dn goes with kind ldap"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, users: { base: 'ou=p' } }",
                "users goes with kind ldap"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, client_id: 0oa1 }",
                "an Okta service app needs both client_id and private_key_file"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, client_id: 0oa1, private_key_file: /etc/hostname }",
                "private_key_file: '/etc/hostname' holds no PEM private key"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, client_id: 0oa1, private_key_file: /etc/hostname, token_env: OKTA_SCIM }",
                "give token_env (an API token) or client_id and private_key_file (a service app), not both"
            ),
            (
                "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, key_id: k1 }",
                "key_id goes with client_id and private_key_file"
            ),
            (
                "directory: { kind: google_workspace, service_account_file: /etc/hostname, subject: a@b.c, client_id: x }",
                "client_id goes with kind microsoft_graph or okta"
            ),
            ("directory: { kind: okta, url: https://example.okta.com }", "lacks 'token_env' (the environment variable holding an Okta API token"),
            ("scim_token: short", "the SCIM push token is 5 characters long; use at least 32"),
            ("scim_token_env: NOPE", "scim_token_env: the environment variable NOPE is not set"),
        ]
    )
    func invalid(idp: String, message: String) {
        let lines = errors(idp)
        #expect(lines.contains { $0.contains(message) && $0.hasPrefix("/etc/rolesync/rolesync.yaml:") }, "\(lines)")
    }

    @Test("An ldap directory reads as written; defaults differ for Active Directory")
    func ldap() throws {
        let written = try #require(
            try parse(
                """
                directory:
                  kind: ldap
                  url: ldap://ldap.example.com:389
                  start_tls: true
                  ca_file: /etc/hostname
                  bind_dn: cn=rolesync,ou=services,dc=example,dc=com
                  bind_password_env: OKTA_SCIM
                  users: { base: "ou=people,dc=example,dc=com", filter: "(&(objectClass=inetOrgPerson)(!(employeeType=contractor)))" }
                  groups: { base: "ou=groups,dc=example,dc=com", member_attribute: uniqueMember }
                  attributes: { email: mail, name: displayName }
                  match_by: entryUUID
                  match_claim: ldap_id
                  claims: { groups: group_ids, department: departmentNumber }
                """
            ).directory
        )
        let ldap = try #require(written.ldap)
        #expect(written.kind == .ldap && written.url?.absoluteString == "ldap://ldap.example.com:389" && written.pageSize == 500)
        #expect(ldap.startTLS && ldap.bindDN == "cn=rolesync,ou=services,dc=example,dc=com" && ldap.bindPassword == "directory-token")
        #expect(ldap.userFilter == "(&(objectClass=inetOrgPerson)(!(employeeType=contractor)))" && ldap.groupBase == "ou=groups,dc=example,dc=com")
        #expect(ldap.memberAttribute == "uniqueMember" && ldap.nameAttribute == "displayName" && ldap.matchAttribute == "entryUUID")
        #expect(written.matchBy == .id && written.matchClaim == "ldap_id" && written.claims["department"] == .attribute("departmentNumber"))
        #expect(written.missingSecret == nil)

        let ad = try #require(
            try parse(
                "directory: { kind: ldap, active_directory: true, url: 'ldaps://dc1.corp.example.com', bind_dn: rolesync@corp.example.com, bind_password_env: OKTA_SCIM, users: { base: 'DC=corp,DC=example,DC=com' }, match_by: objectGUID }"
            ).directory?.ldap
        )
        #expect(ad.userFilter == "(&(objectCategory=person)(objectClass=user))" && ad.groupBase == "DC=corp,DC=example,DC=com")
        #expect(
            ad.groupFilter == "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))" && ad.memberAttribute == "member"
        )
        #expect(ad.emailAttribute == "mail" && ad.nameAttribute == "cn" && ad.activeDirectory)

        // Loopback may go without TLS (tests); anonymous binds have no password to miss.
        let local = try #require(
            try parse("directory: { kind: ldap, url: 'ldap://127.0.0.1:3890', users: { base: 'dc=x' }, match_by: uid }").directory
        )
        #expect(local.ldap?.bindDN == nil && local.missingSecret == nil)
        let unset = try ServeConfiguration.parse(
            yaml: Self.yaml(
                "directory: { kind: ldap, url: 'ldaps://l.example.com', bind_dn: 'cn=r,dc=x', bind_password_env: LDAP_PW, users: { base: 'dc=x' }, match_by: uid }"
            ),
            file: "/etc/rolesync/rolesync.yaml",
            environment: [:],
            requiringSecrets: false
        )
        #expect(unset.idps[0].directory?.missingSecret == "LDAP_PW")
    }

    @Test("An Okta directory may sign in as a service app: client ID, the key read at load (never shown), an optional key id")
    func oktaServiceApp() throws {
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-okta-\(UUID().uuidString).pem")
        try "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n".write(to: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: key) }
        let directory = try #require(
            try parse("directory: { kind: okta, url: https://example.okta.com, client_id: 0oa1rolesync, private_key_file: \(key.path), key_id: k1 }")
                .directory
        )
        #expect(
            directory.okta
                == OktaServiceApp(
                    clientID: "0oa1rolesync",
                    privateKeyFile: key.path,
                    privateKey: try String(contentsOf: key, encoding: .utf8),
                    keyID: "k1"
                )
        )
        #expect(directory.token == nil && directory.missingSecret == nil)
    }

    @Test("A microsoft_graph directory given token_env hears one error about it, not two")
    func graphTokenEnvOnce() {
        let lines = errors("directory: { kind: microsoft_graph, tenant_id: t, client_id: c, client_secret_env: OKTA_SCIM, token_env: OKTA_SCIM }")
        #expect(lines.filter { $0.contains("token_env") }.count == 1, "\(lines)")
    }

    @Test("A push-only IdP needs no scim_url")
    func pushOnly() throws {
        let idp = try parse("scim_token_env: OKTA_PUSH\ndirectory: { match_by: userName }")
        #expect(idp.directory?.url == nil && idp.directory?.matchBy == .userName)
    }

    @Test("Two IdPs cannot push with one token")
    func sharedPushToken() {
        let yaml = """
            listen: 127.0.0.1:8080
            public_url: https://rolesync.example.com
            idps:
              - { issuer: https://a.example.com, client_id: a, client_secret: s, scim_token_env: OKTA_PUSH }
              - { issuer: https://b.example.com, client_id: b, client_secret: s, scim_token_env: OKTA_PUSH }
            """
        do {
            _ = try ServeConfiguration.parse(yaml: yaml, file: "/etc/rolesync/rolesync.yaml", environment: Self.environment)
            Issue.record("a shared push token was accepted")
        } catch {
            #expect(error.lines.contains { $0.contains("idps[1]: its SCIM push token is the same as idps[0]'s") }, "\(error.lines)")
        }
    }

    @Test("An Okta directory: the org's address, its user id matched to sub, 200 a page")
    func okta() throws {
        let idp = try parse("directory: { kind: okta, url: 'https://example.okta.com/', token_env: OKTA_SCIM }")
        let directory = try #require(idp.directory)
        #expect(directory.kind == .okta && directory.url?.absoluteString == "https://example.okta.com")
        #expect(directory.matchBy == .id && directory.matchClaim == "sub" && directory.pageSize == 200)
        #expect(directory.token == "directory-token")
        let login = try parse(
            "directory: { kind: okta, url: https://example.okta.com, token_env: OKTA_SCIM, match_by: userName, match_claim: email }"
        )
        #expect(login.directory?.matchBy == .userName && login.directory?.matchClaim == "email")
    }

    @Test("scim_url keeps meaning a SCIM directory; url with kind scim is the same")
    func scimKinds() throws {
        let old = try parse("directory: { scim_url: https://idp.example.com/scim/v2, token_env: OKTA_SCIM }")
        let new = try parse("directory: { kind: scim, url: https://idp.example.com/scim/v2, token_env: OKTA_SCIM }")
        #expect(old.directory?.kind == .scim && new.directory?.kind == .scim)
        #expect(old.directory?.url == new.directory?.url && old.directory?.matchBy == .externalId && new.directory?.pageSize == 100)
    }

    @Test("A Microsoft Graph directory: Graph's root and the tenant's token endpoint by default, the object id matched to oid")
    func graph() throws {
        let idp = try parse(
            "directory: { kind: microsoft_graph, tenant_id: 11111111-2222-3333-4444-555555555555, client_id: app-id, client_secret_env: OKTA_SCIM }"
        )
        let directory = try #require(idp.directory)
        #expect(directory.kind == .microsoftGraph && directory.url?.absoluteString == "https://graph.microsoft.com")
        #expect(directory.matchBy == .id && directory.matchClaim == "oid" && directory.pageSize == 999 && directory.missingSecret == nil)
        let graph = try #require(directory.graph)
        #expect(graph.clientID == "app-id" && graph.clientSecret == "directory-token" && graph.clientSecretEnvironmentVariable == "OKTA_SCIM")
        #expect(graph.tokenURL.absoluteString == "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token")
        let local = try parse(
            "directory: { kind: microsoft_graph, url: 'http://127.0.0.1:9000', token_url: 'http://127.0.0.1:9000/t/token', tenant_id: t, client_id: c, client_secret_env: OKTA_SCIM, match_by: userName, match_claim: preferred_username }"
        )
        #expect(
            local.directory?.url?.absoluteString == "http://127.0.0.1:9000"
                && local.directory?.graph?.tokenURL.absoluteString == "http://127.0.0.1:9000/t/token"
        )
        #expect(local.directory?.matchBy == .userName && local.directory?.matchClaim == "preferred_username")
    }

    @Test(
        "A Google Workspace directory: the Admin SDK's root, the key's token endpoint, the user id matched to sub; a file that is not a service account key is named, never shown"
    )
    func google() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-google-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("key.json")
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n"
        let file: [String: Any] = [
            "type": "service_account", "client_email": "rolesync@p.iam.gserviceaccount.com", "private_key": pem,
            "private_key_id": "kid", "token_uri": "https://oauth2.googleapis.com/token",
        ]
        try JSONSerialization.data(withJSONObject: file).write(to: key)
        let idp = try parse("directory: { kind: google_workspace, service_account_file: \(key.path), subject: admin@example.com }")
        let directory = try #require(idp.directory)
        #expect(directory.kind == .googleWorkspace && directory.url?.absoluteString == "https://admin.googleapis.com")
        #expect(directory.matchBy == .id && directory.matchClaim == "sub" && directory.pageSize == 500 && directory.missingSecret == nil)
        let google = try #require(directory.google)
        #expect(google.clientEmail == "rolesync@p.iam.gserviceaccount.com" && google.privateKey == pem && google.privateKeyID == "kid")
        #expect(google.subject == "admin@example.com" && google.customer == "my_customer")
        #expect(google.tokenURL.absoluteString == "https://oauth2.googleapis.com/token")

        let wrong = folder.appendingPathComponent("wrong.json")
        try JSONSerialization.data(withJSONObject: ["type": "authorized_user", "private_key": pem]).write(to: wrong)
        let lines = errors("directory: { kind: google_workspace, service_account_file: \(wrong.path), subject: admin@example.com }")
        #expect(lines.contains { $0.contains("is not a service account key") }, "\(lines)")
        #expect(!lines.joined().contains("MIIsecret"))
    }

    @Test("A Microsoft Graph directory may sign in with a certificate: its DER kept for the thumbprint, its key never shown")
    func graphCertificate() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificate = folder.appendingPathComponent("app.crt")
        let key = folder.appendingPathComponent("app.key")
        try "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n".write(to: certificate, atomically: true, encoding: .utf8)
        try "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n".write(to: key, atomically: true, encoding: .utf8)
        let idp = try parse(
            "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, certificate_file: \(certificate.path), private_key_file: \(key.path) }"
        )
        let graph = try #require(idp.directory?.graph)
        #expect(graph.certificate?.der == Data([0, 1, 2, 3, 4, 5]) && graph.clientSecret == nil && graph.clientSecretEnvironmentVariable == nil)
        #expect(idp.directory?.missingSecret == nil)
        try "not a key".write(to: key, atomically: true, encoding: .utf8)
        let lines = errors(
            "directory: { kind: microsoft_graph, tenant_id: t, client_id: c, certificate_file: \(certificate.path), private_key_file: \(key.path) }"
        )
        #expect(lines.contains { $0.contains("private_key_file: '\(key.path)' holds no PEM private key") }, "\(lines)")
    }
}
