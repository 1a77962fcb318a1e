public import Foundation
public import RoleSyncMapping

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
public struct ServeConfiguration: Sendable {
    /// The file it was read from.
    public var file: String
    /// Where the server listens.
    public var listen: ListenAddress
    /// The origin browsers use to reach RoleSync; the redirect URI is `{public_url}/auth/callback`.
    public var publicURL: URL
    /// The SQLite ledger, resolved against the file's folder.
    public var database: String
    /// A mapping file or folder, resolved against the file's folder.
    public var mappings: String
    /// Session lifetimes.
    public var session: SessionSettings
    /// The providers people sign in with.
    public var idps: [IdentityProviderSettings]

    /// The redirect URI every provider must have registered for RoleSync.
    public var redirectURI: URL { publicURL.appendingPathComponent("auth/callback") }

    /// Whether the public URL is https (cookies are then `Secure` and `__Host-`).
    public var isSecure: Bool { publicURL.scheme?.lowercased() == "https" }
}

/// A host and port to listen on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// How long sessions live.
public struct SessionSettings: Sendable, Hashable {
    /// A session unused this long ends (default 8 hours).
    public var idleTimeout: TimeInterval = 8 * 3600
    /// A session ends this long after sign-in, however active (default 7 days).
    public var absoluteLifetime: TimeInterval = 7 * 24 * 3600

    public init() {}
}

/// One OpenID provider in the configuration.
public struct IdentityProviderSettings: Sendable {
    /// A short name for `/auth/login?idp=NAME`; defaults to the issuer's host (and path).
    public var name: String
    public var issuer: String
    public var clientID: String
    /// From `client_secret_env` when that variable is set, else `client_secret`. Never printed.
    public var clientSecret: String?
    public var scopes: [String]
    /// `client_secret_basic` (default), `client_secret_post` or `none`.
    public var tokenEndpointAuth: String
    /// Whether to fetch userinfo and merge its claims.
    public var userinfo: Bool
    /// A PEM file of CA certificates to trust for this provider, resolved against the file's folder.
    public var caFile: String?
    /// Whether HMAC-signed ID tokens (keyed with the client secret) are accepted; off by default.
    public var allowHMACIDTokens: Bool
    /// Audiences besides the client id that an ID token may carry.
    public var trustedAudiences: [String]
    /// How far the provider's clock may differ from ours (default 60 s).
    public var clockSkew: TimeInterval
    /// Where the entry's `issuer` key is, for errors found later (no mapping for it).
    public var location: SourceLocation
}
