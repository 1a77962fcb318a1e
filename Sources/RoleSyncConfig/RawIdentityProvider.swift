import Foundation
import RoleSyncJSON
import RoleSyncYAML

/// An `idps:` entry as written. ``validate(at:location:_:)`` checks it and builds an
/// ``IdentityProviderSettings``.
struct RawIdentityProvider: Decodable {
    var name: Located<String>?
    var issuer: Located<String>?
    var clientID: Located<String>?
    var clientSecret: String?
    var clientSecretEnv: Located<String>?
    var scopes: Located<[String]>?
    var tokenEndpointAuth: Located<String>?
    var userinfo: Bool?
    var caFile: Located<String>?
    var allowHMACIDTokens: Located<Bool>?
    var trustedAudiences: [String]?
    var clockSkew: Located<ClaimValue>?
    var directory: Located<RawDirectory>?
    var scimToken: Located<String>?
    var scimTokenEnv: Located<String>?
    var followClaimSources: Bool?
    var claimSourceHosts: Located<[Located<String>]>?

    enum CodingKeys: String, CodingKey, CaseIterable, RequiredKeys {
        case name, issuer
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case clientSecretEnv = "client_secret_env"
        case scopes
        case tokenEndpointAuth = "token_endpoint_auth"
        case userinfo
        case caFile = "ca_file"
        case allowHMACIDTokens = "allow_hmac_id_tokens"
        case trustedAudiences = "trusted_audiences"
        case clockSkew = "clock_skew"
        case directory
        case scimToken = "scim_token"
        case scimTokenEnv = "scim_token_env"
        case followClaimSources = "follow_claim_sources"
        case claimSourceHosts = "claim_source_hosts"

        static let required: [Self] = [.issuer, .clientID]
    }

    /// The usable providers. Issuers, names and SCIM push tokens must differ: a sign-in or a push
    /// names one provider.
    static func validate(_ entries: Located<[Located<RawIdentityProvider>]>, _ validation: inout Validation) -> [IdentityProviderSettings] {
        if entries.value.isEmpty { validation.error(entries.location, "idps: the list is empty; configure at least one provider") }
        var result: [IdentityProviderSettings] = []
        var names: [String: Int] = [:]
        var issuers: [String: Int] = [:]
        var scimTokens: [String: Int] = [:]
        for (index, entry) in entries.value.enumerated() {
            guard let idp = entry.value.validate(at: "idps[\(index)]", location: entry.location, &validation) else { continue }
            if let first = issuers[idp.issuer] {
                validation.error(entry.location, "idps[\(index)].issuer: '\(idp.issuer)' is already configured by idps[\(first)]")
                continue
            }
            if let first = names[idp.name] {
                validation.error(entry.location, "idps[\(index)].name: '\(idp.name)' is already used by idps[\(first)]")
                continue
            }
            if let token = idp.scimToken, let first = scimTokens[token] {
                // The token decides which IdP a push speaks for: it must name one.
                validation.error(entry.location, "idps[\(index)]: its SCIM push token is the same as idps[\(first)]'s; give each IdP its own")
                continue
            }
            issuers[idp.issuer] = index
            names[idp.name] = index
            if let token = idp.scimToken { scimTokens[token] = index }
            result.append(idp)
        }
        return result
    }

    /// The provider, or `nil` after reporting why it cannot be used.
    /// - Parameters:
    ///   - at: the entry's place (`idps[0]`), for messages.
    ///   - location: the entry's position.
    func validate(at: String, location: SourceLocation, _ validation: inout Validation) -> IdentityProviderSettings? {
        // A missing issuer or client id was reported by the decoder.
        guard let issuer else { return nil }
        var valid = validateIssuer(issuer, at: at, &validation)
        if let clientID, clientID.value.isEmpty { validation.error(clientID.location, "\(at).client_id must not be empty") }

        let authName = tokenEndpointAuth?.value ?? IdentityProviderSettings.TokenEndpointAuth.clientSecretBasic.rawValue
        let auth = IdentityProviderSettings.TokenEndpointAuth(rawValue: authName) ?? .clientSecretBasic
        if let tokenEndpointAuth, IdentityProviderSettings.TokenEndpointAuth(rawValue: authName) == nil {
            let methods = IdentityProviderSettings.TokenEndpointAuth.allCases.map(\.rawValue)
            validation.error(
                tokenEndpointAuth.location,
                "\(at).token_endpoint_auth: '\(authName)' is not supported" + Suggestion.hint(for: authName, among: methods)
                    + " (supported: \(methods.joined(separator: ", ")))"
            )
            valid = false
        }
        let secret = validation.secret(clientSecret, environmentKey: clientSecretEnv, "\(at).client_secret_env", &valid)
        if auth != .none, secret?.isEmpty ?? true, clientSecretEnv == nil {
            validation.error(location, "\(at) needs 'client_secret' or 'client_secret_env' for \(authName) (or token_endpoint_auth: none)")
            valid = false
        }
        if let scopes, !scopes.value.contains("openid") {
            validation.error(scopes.location, "\(at).scopes must include 'openid'")
            valid = false
        }
        if let allowHMACIDTokens, allowHMACIDTokens.value, auth == .none {
            validation.error(allowHMACIDTokens.location, "\(at).allow_hmac_id_tokens needs a client secret (HMAC is keyed with it)")
            valid = false
        }
        let caFile = validation.readableFile(caFile, "\(at).ca_file", &valid)
        let clockSkew = clockSkew.flatMap { validation.duration($0, "\(at).clock_skew") } ?? 60
        if let name, name.value.isEmpty { validation.error(name.location, "\(at).name must not be empty") }

        var directory: DirectorySettings?
        if let raw = self.directory {
            directory = raw.value.validate(at: "\(at).directory", location: raw.location, &validation)
            if directory == nil { valid = false }
        }
        let scimToken = validation.secret(self.scimToken?.value, environmentKey: scimTokenEnv, "\(at).scim_token_env", &valid)
        if let scimToken, scimToken.utf8.count < 32 {
            validation.error(
                (scimTokenEnv ?? self.scimToken)?.location ?? location,
                "\(at): the SCIM push token is \(scimToken.utf8.count) characters long; use at least 32 random characters"
            )
            valid = false
        }
        let claimSourceHosts = IdentityProviderSettings.claimSourceHosts(
            follow: followClaimSources,
            hosts: self.claimSourceHosts,
            at: at,
            &validation
        )
        if claimSourceHosts == nil { valid = false }

        guard valid, let clientID = clientID?.value, !clientID.isEmpty else { return nil }
        return IdentityProviderSettings(
            name: name?.value ?? Self.defaultName(issuer.value),
            issuer: issuer.value,
            clientID: clientID,
            clientSecret: auth == .none ? nil : secret,
            scopes: scopes?.value ?? ["openid", "email", "profile"],
            tokenEndpointAuth: auth,
            userinfo: userinfo ?? false,
            caFile: caFile,
            allowHMACIDTokens: allowHMACIDTokens?.value ?? false,
            trustedAudiences: trustedAudiences ?? [],
            clockSkew: clockSkew,
            location: issuer.location,
            directory: directory,
            scimToken: scimToken,
            claimSourceHosts: claimSourceHosts ?? []
        )
    }

    /// An https URL without query or fragment; plain http only on a loopback address, for tests.
    private func validateIssuer(_ issuer: Located<String>, at: String, _ validation: inout Validation) -> Bool {
        guard let url = URL(string: issuer.value), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            url.query == nil, url.fragment == nil, scheme == "https" || scheme == "http"
        else {
            validation.error(issuer.location, "\(at).issuer: '\(issuer.value)' is not an https URL")
            return false
        }
        guard scheme == "https" || Validation.isLoopback(host) else {
            validation.error(
                issuer.location,
                "\(at).issuer: '\(issuer.value)' is plain http; only https issuers are allowed (http only on a loopback address, for tests)"
            )
            return false
        }
        return true
    }

    /// `example.okta.com`, or host and path for issuers that differ by path (Keycloak realms).
    static func defaultName(_ issuer: String) -> String {
        guard let url = URL(string: issuer), let host = url.host else { return issuer }
        let port = url.port.map { ":\($0)" } ?? ""
        let path = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        return host + port + path
    }
}
