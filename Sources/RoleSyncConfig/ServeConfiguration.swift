package import Foundation
package import RoleSyncMapping
package import RoleSyncYAML
package import RoleSyncEvents
package import RoleSyncLedger

/// The `rolesync serve` configuration file (YAML), validated whole: every error is reported with
/// its file, line, column and key. Paths in it are relative to the file's folder.
///
/// ```yaml
/// listen: 127.0.0.1:8080
/// public_url: http://127.0.0.1:8080
/// database: rolesync.sqlite
/// mappings: mappings/
/// idps:
///   - issuer: https://example.okta.com
///     client_id: rolesync
///     client_secret_env: ROLESYNC_OKTA_SECRET
/// ```
package struct ServeConfiguration: Sendable {
    /// The file it was read from.
    package var file: String
    /// Where the server listens.
    package var listen: ListenAddress
    /// The origin browsers use to reach RoleSync; the redirect URI is `{public_url}/auth/callback`.
    package var publicURL: URL
    /// The SQLite ledger, resolved against the file's folder; for PostgreSQL, ``postgres``'s URL
    /// without its password.
    package var database: String
    /// The PostgreSQL ledger, when `database:` is a `postgres://` URL.
    package var postgres: PostgresSettings?
    /// The environment variable holding the PostgreSQL password (`database_password_env`).
    package var databasePasswordEnv: String?
    /// A mapping file or folder, resolved against the file's folder.
    package var mappings: String
    /// Candidate mappings (`shadow:`, a file or folder) evaluated beside the live ones on every
    /// sign-in, reconciliation and push, with no effect on the ledger; `nil` when there are none.
    package var shadow: String?
    /// How long a recorded shadow difference is kept after it was last seen (default 14 days).
    package var shadowRetention: TimeInterval = 14 * 24 * 3600
    /// The longest break-glass override (`override.max_duration`, default 8 hours).
    package var overrideMaxDuration: TimeInterval = 8 * 3600
    /// Session lifetimes.
    package var session: SessionSettings
    /// The key policy (`keys:`); everything off by default.
    package var keys = KeySettings()
    /// The providers people sign in with.
    package var idps: [IdentityProviderSettings]
    /// The AI gateways allowed to introspect API keys (`POST /oauth/introspect`).
    package var gateways: [GatewaySettings] = []
    /// Where audit events are posted (`webhooks:`).
    package var webhooks: [WebhookSettings] = []

    /// The redirect URI every provider must have registered for RoleSync.
    package var redirectURI: URL { publicURL.appendingPathComponent("auth/callback") }

    /// Whether the public URL is https (cookies are then `Secure` and `__Host-`).
    package var isSecure: Bool { publicURL.scheme?.lowercased() == "https" }
}

/// A webhook endpoint (`webhooks:`): where audit events are posted, signed as Standard Webhooks says.
package struct WebhookSettings: Sendable {
    package var name: String
    package var url: URL
    /// From the variable `secret_env` names: one, or several during a rotation (each request then
    /// carries a signature per secret); empty when not required (commands other than `serve`).
    package var secrets: [WebhookSecret]
    /// The variable the secrets are read from (`secret_env`), for messages.
    package var secretEnv: String
    /// The audit actions it receives (`events:`, default all).
    package var actions: Set<AuditAction>
    /// PEM certificates to trust besides the system's (`ca_file`).
    package var caFile: String?
    /// How long it may fail without a success before it is disabled (`disable_after`, default 3 days).
    package var disableAfter: TimeInterval
    package var location: SourceLocation

    package init(
        name: String,
        url: URL,
        secrets: [WebhookSecret],
        secretEnv: String,
        actions: Set<AuditAction>,
        caFile: String? = nil,
        disableAfter: TimeInterval = WebhookRetryPolicy.defaultDisableAfter,
        location: SourceLocation
    ) {
        self.name = name
        self.url = url
        self.secrets = secrets
        self.secretEnv = secretEnv
        self.actions = actions
        self.caFile = caFile
        self.disableAfter = disableAfter
        self.location = location
    }

    /// As the ledger keeps it.
    package var endpoint: WebhookEndpointSetting { WebhookEndpointSetting(name: name, url: url.absoluteString, actions: actions) }
}

/// A gateway that asks RoleSync whether a request's credential is good: by RFC 7662 introspection
/// (HTTP Basic), by forward authentication (`/gateway/check`, its secret in a header), or both.
package struct GatewaySettings: Sendable {
    /// For logs and metrics.
    package var name: String
    /// The Basic user name of introspection; `nil` when the gateway does not introspect.
    package var clientID: String?
    /// The Basic password, from the variable `client_secret_env` names; `nil` when it was not
    /// required (commands other than `serve`) or the gateway does not introspect.
    package var clientSecret: String?
    /// Forward authentication (`forward_auth:`); `nil` when the gateway does not use it.
    package var forwardAuth: ForwardAuth?
    package var location: SourceLocation

    /// A gateway's forward authentication.
    package struct ForwardAuth: Sendable, Equatable {
        /// What the gateway sends in `X-RoleSync-Gateway-Token`, from the variable `secret_env`
        /// names; `nil` when it was not required (commands other than `serve`).
        package var secret: String?
        /// The roles a check lets through when the check's URL names none (`roles:`); `nil`: every role.
        package var roles: Set<Role>?

        package init(secret: String?, roles: Set<Role>?) {
            self.secret = secret
            self.roles = roles
        }
    }

    package init(name: String, clientID: String?, clientSecret: String?, forwardAuth: ForwardAuth? = nil, location: SourceLocation) {
        self.name = name
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.forwardAuth = forwardAuth
        self.location = location
    }
}

/// A host and port to listen on.
package struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// How long sessions live.
/// `keys: { max_lifetime: 90d, stale_after: 90d, revoke_stale_after: 180d }`: each off when `nil`.
package struct KeySettings: Sendable, Hashable {
    /// Keys may not be created without an expiry, or with a longer one.
    package var maxLifetime: TimeInterval?
    /// A key unused (or never used) this long is stale.
    package var staleAfter: TimeInterval?
    /// A key unused this long is revoked by the server itself.
    package var revokeStaleAfter: TimeInterval?

    package init(maxLifetime: TimeInterval? = nil, staleAfter: TimeInterval? = nil, revokeStaleAfter: TimeInterval? = nil) {
        self.maxLifetime = maxLifetime
        self.staleAfter = staleAfter
        self.revokeStaleAfter = revokeStaleAfter
    }
}

package struct SessionSettings: Sendable, Hashable {
    /// A session unused this long ends (default 8 hours).
    package var idleTimeout: TimeInterval = 8 * 3600
    /// A session ends this long after sign-in, however active (default 7 days).
    package var absoluteLifetime: TimeInterval = 7 * 24 * 3600
    /// The session cookie's domain (`example.com`), so gateways' forward authentication sees it on
    /// the hosts they protect; `nil`: the cookie is this host's only.
    package var cookieDomain: String?
    /// The hosts (`grafana.example.com`, `*.tools.example.com`) whose https pages sign-in may return to.
    package var allowedReturnHosts: [String] = []

    package init() {}
}

/// One OpenID provider in the configuration.
package struct IdentityProviderSettings: Sendable {
    /// `token_endpoint_auth`: how the client authenticates when it redeems a code (OpenID Connect
    /// Core §9). A value outside these is a configuration error, never a fallback.
    package enum TokenEndpointAuth: String, Sendable, Hashable, CaseIterable {
        case clientSecretBasic = "client_secret_basic"
        case clientSecretPost = "client_secret_post"
        /// A public client: PKCE only, no secret.
        case none
    }

    /// A short name for `/auth/login?idp=NAME`; defaults to the issuer's host (and path).
    package var name: String
    package var issuer: String
    package var clientID: String
    /// From `client_secret_env` when that variable is set, else `client_secret`. Never printed.
    package var clientSecret: String?
    package var scopes: [String]
    /// How RoleSync authenticates at the token endpoint.
    package var tokenEndpointAuth: TokenEndpointAuth
    /// Whether to fetch userinfo and merge its claims.
    package var userinfo: Bool
    /// A PEM file of CA certificates to trust for this provider, resolved against the file's folder.
    package var caFile: String?
    /// Whether HMAC-signed ID tokens (keyed with the client secret) are accepted; off by default.
    package var allowHMACIDTokens: Bool
    /// Audiences besides the client id that an ID token may carry.
    package var trustedAudiences: [String]
    /// How far the provider's clock may differ from ours (default 60 s).
    package var clockSkew: TimeInterval
    /// Where the entry's `issuer` key is, for errors found later (no mapping for it).
    package var location: SourceLocation
    /// The directory reconciliation reads, if any.
    package var directory: DirectorySettings?
    /// The bearer token this provider pushes SCIM changes with (`scim_token_env`, else
    /// `scim_token`); `nil` when it does not push. Never printed.
    package var scimToken: String?
    /// The hosts whose `_claim_sources` endpoints a sign-in follows with the access token
    /// (`follow_claim_sources: true`, `claim_source_hosts`); empty: never followed.
    package var claimSourceHosts: Set<String> = []
}

/// Which API reconciliation reads a directory through (`idps[].directory.kind`).
package enum DirectoryKind: String, Sendable, Hashable, CaseIterable {
    /// A SCIM 2.0 server's `/Users` and `/Groups` (`scim_url`, or `url` with this kind).
    case scim
    /// Okta's management API, `/api/v1/users` and `/api/v1/groups` (`url`: the org's address).
    case okta
    /// Microsoft Graph's `/v1.0/users` and `/v1.0/groups` for an Entra ID tenant, with an app's
    /// client credentials (`tenant_id`, `client_id`, `client_secret_env`).
    case microsoftGraph = "microsoft_graph"
    /// Google Workspace's Admin SDK Directory API (`users.list`, `groups.list`, `members.list`),
    /// with a service account impersonating an administrator (domain-wide delegation).
    case googleWorkspace = "google_workspace"
    /// An LDAP server (OpenLDAP, Active Directory): paged searches of `users.base` and
    /// `groups.base`, bound as `bind_dn`.
    case ldap

    /// Whether the kind lists changes since a cursor (Okta's `lastUpdated`, Graph's delta
    /// queries) between full listings; SCIM 2.0 and Google's Directory API have no such listing.
    package var readsIncrements: Bool { self == .okta || self == .microsoftGraph }
}

/// How RoleSync reads an LDAP directory (`kind: ldap`): the bind, where users and groups are, and
/// which attributes mean what. The server's address is the directory's `url`.
package struct LDAPSettings: Sendable, Equatable {
    /// Upgrade `ldap://` with StartTLS before binding (`start_tls: true`).
    package var startTLS: Bool
    /// The DN to bind as (`bind_dn`); `nil` binds anonymously.
    package var bindDN: String?
    /// The variable holding its password (`bind_password_env`).
    package var bindPasswordEnvironmentVariable: String?
    /// The password, when that variable is set. Never printed.
    package var bindPassword: String?
    /// `users.base` and `users.filter`.
    package var userBase: String
    package var userFilter: String
    /// `groups.base` (default `users.base`), `groups.filter` and `groups.member_attribute`.
    package var groupBase: String
    package var groupFilter: String
    package var memberAttribute: String
    /// `match_by`: the attribute whose value identifies a user (`entryUUID`, `objectGUID`, `uid`).
    package var matchAttribute: String
    /// `attributes.email` (default `mail`) and `attributes.name` (default `cn`).
    package var emailAttribute: String
    package var nameAttribute: String
    /// `active_directory: true`: the in-chain rule for nested groups, `userAccountControl` for
    /// disabled accounts.
    package var activeDirectory: Bool

    /// The user filter unless configured. Active Directory's computers are `person`s too, so
    /// there a user is a `person` object of class `user`.
    package static func defaultUserFilter(activeDirectory: Bool) -> String {
        activeDirectory ? "(&(objectCategory=person)(objectClass=user))" : "(objectClass=person)"
    }

    /// The group filter unless configured: OpenLDAP's and Active Directory's group classes.
    package static let defaultGroupFilter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"

    package init(
        startTLS: Bool = false,
        bindDN: String?,
        bindPasswordEnvironmentVariable: String? = nil,
        bindPassword: String?,
        userBase: String,
        userFilter: String? = nil,
        groupBase: String? = nil,
        groupFilter: String? = nil,
        memberAttribute: String = "member",
        matchAttribute: String,
        emailAttribute: String = "mail",
        nameAttribute: String = "cn",
        activeDirectory: Bool = false
    ) {
        self.startTLS = startTLS
        self.bindDN = bindDN
        self.bindPasswordEnvironmentVariable = bindPasswordEnvironmentVariable
        self.bindPassword = bindPassword
        self.userBase = userBase
        self.userFilter = userFilter ?? Self.defaultUserFilter(activeDirectory: activeDirectory)
        self.groupBase = groupBase ?? userBase
        self.groupFilter = groupFilter ?? Self.defaultGroupFilter
        self.memberAttribute = memberAttribute
        self.matchAttribute = matchAttribute
        self.emailAttribute = emailAttribute
        self.nameAttribute = nameAttribute
        self.activeDirectory = activeDirectory
    }
}

/// An Okta API service app RoleSync signs in as instead of an API token (OAuth 2.0 for Okta): its
/// client ID and the private key whose public half the app holds (`private_key_jwt`).
package struct OktaServiceApp: Sendable, Equatable {
    package var clientID: String
    /// The key file, for messages.
    package var privateKeyFile: String
    /// The private key (PEM). Never printed.
    package var privateKey: String
    /// The `kid` of the app's key, when it holds several (`key_id`).
    package var keyID: String?

    package init(clientID: String, privateKeyFile: String, privateKey: String, keyID: String?) {
        self.clientID = clientID
        self.privateKeyFile = privateKeyFile
        self.privateKey = privateKey
        self.keyID = keyID
    }
}

/// How RoleSync signs in to Google Workspace's Directory API: a service account's JSON key, whose
/// signed assertion (RFC 7523) names the administrator it acts as (domain-wide delegation).
package struct GoogleCredentials: Sendable, Equatable {
    /// The key file, for messages.
    package var serviceAccountFile: String
    /// The service account's `client_email`: the assertion's issuer.
    package var clientEmail: String
    /// The key's `private_key` (PEM). Never printed.
    package var privateKey: String
    /// The key's `private_key_id`: the assertion's `kid`.
    package var privateKeyID: String?
    /// The administrator the service account acts as (`subject`).
    package var subject: String
    /// The Workspace account whose users are listed (`customer`, default `my_customer`).
    package var customer: String
    /// Where tokens come from: `token_url`, else the key's `token_uri`.
    package var tokenURL: URL

    package init(
        serviceAccountFile: String,
        clientEmail: String,
        privateKey: String,
        privateKeyID: String?,
        subject: String,
        customer: String,
        tokenURL: URL
    ) {
        self.serviceAccountFile = serviceAccountFile
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.privateKeyID = privateKeyID
        self.subject = subject
        self.customer = customer
        self.tokenURL = tokenURL
    }
}

/// How RoleSync signs in to Microsoft Graph: an app registration's client credentials
/// (OAuth 2.0 client credentials grant, scope `https://graph.microsoft.com/.default`), proved by a
/// client secret or by a certificate (a signed client assertion).
package struct GraphCredentials: Sendable, Equatable {
    package var tenantID: String
    package var clientID: String
    /// The name of the variable holding the client secret (with a secret).
    package var clientSecretEnvironmentVariable: String?
    /// The secret, when that variable is set. Never printed.
    package var clientSecret: String?
    /// The certificate the app registration holds, with its private key (instead of a secret).
    package var certificate: GraphCertificate?
    /// Where tokens come from: `https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token`
    /// unless `token_url` says otherwise (tests).
    package var tokenURL: URL

    package init(
        tenantID: String,
        clientID: String,
        clientSecretEnvironmentVariable: String?,
        clientSecret: String?,
        certificate: GraphCertificate? = nil,
        tokenURL: URL
    ) {
        self.tenantID = tenantID
        self.clientID = clientID
        self.clientSecretEnvironmentVariable = clientSecretEnvironmentVariable
        self.clientSecret = clientSecret
        self.certificate = certificate
        self.tokenURL = tokenURL
    }
}

/// An app registration's certificate credential: the certificate (its DER encoding, whose
/// thumbprint the client assertion names) and the private key that signs the assertion.
package struct GraphCertificate: Sendable, Equatable {
    package var certificateFile: String
    /// The certificate's DER encoding.
    package var der: Data
    /// The private key (PEM). Never printed.
    package var privateKey: String

    package init(certificateFile: String, der: Data, privateKey: String) {
        self.certificateFile = certificateFile
        self.der = der
        self.privateKey = privateKey
    }

    /// The DER bytes of the first `CERTIFICATE` block of a PEM text; `nil` without one.
    package static func der(pem: String) -> Data? {
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex)
        else { return nil }
        return Data(base64Encoded: String(pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }))
    }
}

/// Which attribute of a directory user matches a ledger user.
package enum DirectoryMatchAttribute: String, Sendable, Hashable, CaseIterable {
    /// The directory's own id for the user, compared exactly: Okta's user id (the ID token's
    /// `sub`), the SCIM resource's `id`.
    case id
    /// `externalId`, compared exactly (RFC 7643 makes it case-exact).
    case externalId
    /// `userName`, compared ignoring case (RFC 7643 makes it case-insensitive).
    case userName
}

/// Where a directory claim's value comes from.
package enum DirectoryClaimSource: Sendable, Hashable {
    /// The `displayName` of every group listing the user as a member.
    case groupNames
    /// The `id` of every such group.
    case groupIDs
    /// The `externalId` of every such group (Entra ID pushes its object ids there).
    case groupExternalIDs
    /// The primary email, else the first.
    case email
    /// `displayName`, else `name.formatted`, else given and family name.
    case name
    /// `active` (absent means active).
    case active
    /// Any attribute of the user resource by path: `userName`, `title`, `name.givenName`,
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
    case attribute(String)

    /// Parses a configuration value: `groups`, `group_ids`, `group_external_ids`, `email`, `name`,
    /// `active`, or an attribute path.
    package init(_ text: String) {
        switch text {
        case "groups": self = .groupNames
        case "group_ids": self = .groupIDs
        case "group_external_ids": self = .groupExternalIDs
        case "email": self = .email
        case "name": self = .name
        case "active": self = .active
        default: self = .attribute(text)
        }
    }
}

/// An IdP's directory (`idps[].directory`): how its people match ledger users and which claims it
/// supplies, for pushes to `/scim/v2` and, with `scim_url`, for pulls by reconciliation.
package struct DirectorySettings: Sendable {
    /// The API reconciliation reads this directory through.
    package var kind: DirectoryKind
    /// Where reconciliation reads it: a SCIM base URL (`https://idp.example.com/scim/v2`) or, for
    /// Okta, the org's address (`https://example.okta.com`), for Microsoft Graph its root
    /// (`https://graph.microsoft.com`); `nil` when the IdP only pushes.
    package var url: URL?
    /// The name of the environment variable holding the bearer token (with `scimURL`).
    package var tokenEnvironmentVariable: String?
    /// The token, when that variable is set. Never printed.
    package var token: String?
    /// How often `serve` reconciles (default 15 minutes); each run starts up to 10% later at random.
    package var interval: TimeInterval
    /// For kinds that read increments (``DirectoryKind/readsIncrements``): a run lists everything
    /// when the last full listing is older than this (default 24 hours), whatever the cursor says.
    package var fullEvery: TimeInterval = 24 * 60 * 60
    /// Which directory attribute identifies a ledger user.
    package var matchBy: DirectoryMatchAttribute
    /// The sign-in claim that attribute must equal (default `sub`: the user's subject).
    package var matchClaim: String
    /// The claims the directory supplies, laid over each user's last sign-in claims.
    package var claims: [String: DirectoryClaimSource]
    /// A run that would deactivate more than this share of the provider's active users applies
    /// nothing (default 0.10).
    package var maxDeactivationShare: Double
    /// A run that would deactivate more than this many users applies nothing (default: no limit).
    package var maxDeactivations: Int?
    /// A PEM file of CA certificates to trust for the directory.
    package var caFile: String?
    /// Resources per page (default 100, lowered to the directory's `filter.maxResults`).
    package var pageSize: Int
    /// Microsoft Graph's client credentials (`kind: microsoft_graph` only).
    package var graph: GraphCredentials? = nil
    /// Google's service account (`kind: google_workspace` only).
    package var google: GoogleCredentials? = nil
    /// The bind and the searches (`kind: ldap` only).
    package var ldap: LDAPSettings? = nil
    /// The service app an Okta directory signs in as, instead of `token_env`.
    package var okta: OktaServiceApp? = nil

    /// What an IdP that pushes without a `directory:` gets: `externalId` matched to `sub`, the
    /// default claims.
    package static let pushDefaults = DirectorySettings(
        kind: .scim,
        url: nil,
        tokenEnvironmentVariable: nil,
        token: nil,
        interval: 15 * 60,
        matchBy: .externalId,
        matchClaim: "sub",
        claims: defaultClaims,
        maxDeactivationShare: 0.10,
        maxDeactivations: nil,
        caFile: nil,
        pageSize: 100
    )

    /// The environment variable holding the secret a pull needs, when it is not set: the token,
    /// or Microsoft Graph's client secret; `nil` when nothing is missing.
    package var missingSecret: String? {
        switch kind {
        case .microsoftGraph: graph.flatMap { $0.certificate == nil && $0.clientSecret == nil ? $0.clientSecretEnvironmentVariable : nil }
        case .okta where okta != nil: nil
        case .scim, .okta: url != nil && token == nil ? tokenEnvironmentVariable ?? "" : nil
        case .googleWorkspace: nil
        case .ldap: ldap.flatMap { $0.bindDN != nil && $0.bindPassword == nil ? $0.bindPasswordEnvironmentVariable : nil }
        }
    }

    /// The claims a directory supplies unless configured: group names, email, name and active.
    package static let defaultClaims: [String: DirectoryClaimSource] = [
        "groups": .groupNames, "email": .email, "name": .name, "active": .active,
    ]
}
