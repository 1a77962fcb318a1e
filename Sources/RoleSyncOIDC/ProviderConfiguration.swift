package import Foundation

/// How RoleSync signs people in through one OpenID provider.
package struct ProviderConfiguration: Sendable {
    /// How the client authenticates at the token endpoint (OpenID Connect Core §9).
    package enum ClientAuthentication: String, Sendable, CaseIterable {
        case clientSecretBasic = "client_secret_basic"
        case clientSecretPost = "client_secret_post"
        /// A public client: PKCE only, no secret.
        case none
    }

    /// A short name for links and logs (`/auth/login?idp=NAME`).
    package var name: String
    /// The issuer, exactly as the provider's tokens and discovery document spell it.
    package var issuer: String
    package var clientID: String
    /// Never logged or shown.
    package var clientSecret: String?
    package var scopes: [String]
    package var clientAuthentication: ClientAuthentication
    /// Whether to fetch userinfo and lay its claims over the ID token's.
    package var fetchUserinfo: Bool
    /// Whether ID tokens signed with HMAC (keyed with the client secret) are accepted.
    package var allowsHMAC: Bool
    /// Audiences besides the client id that may appear in `aud`.
    package var trustedAudiences: Set<String>
    /// How far the provider's clock may differ from ours.
    package var clockSkew: TimeInterval
    /// `{public_url}/auth/callback`.
    package var redirectURI: URL
    /// How long a discovery document is used before it is fetched again.
    package var metadataLifetime: TimeInterval
    /// How long a JWKS is used before it is fetched again.
    package var keySetLifetime: TimeInterval
    /// The shortest time between two refetches of the JWKS caused by an unknown `kid`, so a flood
    /// of tokens with made-up ids cannot make RoleSync hammer the provider.
    package var keyRefetchInterval: TimeInterval
    /// The hosts whose `_claim_sources` endpoints a sign-in follows with the access token, for
    /// claims the ID token sends distributed (see ``ClaimSourceFetcher``); empty: never followed.
    package var claimSourceHosts: Set<String>

    package init(
        name: String,
        issuer: String,
        clientID: String,
        clientSecret: String?,
        scopes: [String] = ["openid", "email", "profile"],
        clientAuthentication: ClientAuthentication = .clientSecretBasic,
        fetchUserinfo: Bool = false,
        allowsHMAC: Bool = false,
        trustedAudiences: Set<String> = [],
        clockSkew: TimeInterval = 60,
        redirectURI: URL,
        metadataLifetime: TimeInterval = 3600,
        keySetLifetime: TimeInterval = 3600,
        keyRefetchInterval: TimeInterval = 30,
        claimSourceHosts: Set<String> = []
    ) {
        self.name = name
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.clientAuthentication = clientAuthentication
        self.fetchUserinfo = fetchUserinfo
        self.allowsHMAC = allowsHMAC
        self.trustedAudiences = trustedAudiences
        self.clockSkew = clockSkew
        self.redirectURI = redirectURI
        self.metadataLifetime = metadataLifetime
        self.keySetLifetime = keySetLifetime
        self.keyRefetchInterval = keyRefetchInterval
        self.claimSourceHosts = claimSourceHosts
    }

    /// Whether the issuer may be plain `http://`: only on a loopback host (tests, local trials).
    package var allowsInsecureHTTP: Bool {
        guard let url = URL(string: issuer), url.scheme?.lowercased() == "http" else { return false }
        return Self.isLoopback(host: url.host ?? "")
    }

    /// `localhost`, `127.0.0.0/8` or `::1`.
    package static func isLoopback(host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
