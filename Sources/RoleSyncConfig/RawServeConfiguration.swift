import Foundation
import RoleSyncJSON
import RoleSyncYAML

/// The configuration file as written: its keys and their YAML types, with positions.
/// ``validate(_:)`` checks the values and builds a ``ServeConfiguration``.
struct RawServeConfiguration: Decodable {
    var listen: Located<String>?
    var publicURL: Located<String>?
    var database: Located<String>?
    var databasePasswordEnv: Located<String>?
    var mappings: Located<String>?
    var shadow: Located<String>?
    var shadowRetention: Located<ClaimValue>?
    var override: Override?
    var session: Located<Session>?
    var keys: Located<Keys>?
    var idps: Located<[Located<RawIdentityProvider>]>?
    var gateways: [Located<RawGateway>]?
    var webhooks: [Located<RawWebhook>]?

    enum CodingKeys: String, CodingKey, CaseIterable, RequiredKeys {
        case listen
        case publicURL = "public_url"
        case database
        case databasePasswordEnv = "database_password_env"
        case mappings, shadow
        case shadowRetention = "shadow_retention"
        case override, session, keys, idps, gateways, webhooks

        static let required: [Self] = [.listen, .publicURL, .idps]
    }

    /// `override: { max_duration: 8h }`: how long a break-glass override may last.
    struct Override: Decodable {
        var maxDuration: Located<ClaimValue>?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxDuration = "max_duration"
        }
    }

    /// `session: { idle_timeout: 8h, absolute_lifetime: 7d, cookie_domain: …, allowed_return_hosts: […] }`.
    struct Session: Decodable {
        var idleTimeout: Located<ClaimValue>?
        var absoluteLifetime: Located<ClaimValue>?
        var cookieDomain: Located<String>?
        var allowedReturnHosts: Located<[Located<String>]>?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case idleTimeout = "idle_timeout"
            case absoluteLifetime = "absolute_lifetime"
            case cookieDomain = "cookie_domain"
            case allowedReturnHosts = "allowed_return_hosts"
        }
    }

    /// `keys: { max_lifetime: 90d, stale_after: 90d, revoke_stale_after: 180d }`.
    struct Keys: Decodable {
        var maxLifetime: Located<ClaimValue>?
        var staleAfter: Located<ClaimValue>?
        var revokeStaleAfter: Located<ClaimValue>?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxLifetime = "max_lifetime"
            case staleAfter = "stale_after"
            case revokeStaleAfter = "revoke_stale_after"
        }
    }

    /// The configuration, or `nil` when what it needs is unusable; every problem is reported.
    func validate(_ validation: inout Validation) -> ServeConfiguration? {
        let listen = listen.flatMap { Self.address($0, &validation) }
        let publicURL = publicURL.flatMap { Self.publicURL($0, &validation) }
        let (database, postgres) = validateDatabase(&validation)
        let mappings = mappings.flatMap { validation.path($0, "mappings") } ?? "mappings"
        let shadow = shadow.flatMap { validation.path($0, "shadow") }
        var shadowRetention: TimeInterval = 14 * 24 * 3600
        if let retention = self.shadowRetention, let seconds = validation.duration(retention, "shadow_retention") {
            if seconds < 3600 {
                validation.error(retention.location, "shadow_retention: keep differences at least 1h")
            } else {
                shadowRetention = seconds
            }
        }
        var overrideMaxDuration: TimeInterval = 8 * 3600
        if let maxDuration = override?.maxDuration, let seconds = validation.duration(maxDuration, "override.max_duration") {
            if seconds >= 60, seconds <= 7 * 24 * 3600 {
                overrideMaxDuration = seconds
            } else {
                validation.error(maxDuration.location, "override.max_duration: between 1m and 7d (break-glass is bounded)")
            }
        }
        let session = self.session.map { $0.value.validate(at: $0.location, publicURL: publicURL, &validation) } ?? SessionSettings()
        let keys = self.keys.map { $0.value.validate(at: $0.location, &validation) } ?? KeySettings()
        let idps = self.idps.map { RawIdentityProvider.validate($0, &validation) } ?? []
        let gateways = self.gateways.map { RawGateway.validate($0, &validation) } ?? []
        let webhooks = self.webhooks.map { RawWebhook.validate($0, &validation) } ?? []
        guard let listen, let publicURL else { return nil }
        var configuration = ServeConfiguration(
            file: validation.file,
            listen: listen,
            publicURL: publicURL,
            database: database,
            postgres: postgres,
            databasePasswordEnv: databasePasswordEnv?.value,
            mappings: mappings,
            shadow: shadow,
            shadowRetention: shadowRetention,
            overrideMaxDuration: overrideMaxDuration,
            session: session,
            idps: idps,
            gateways: gateways
        )
        configuration.keys = keys
        configuration.webhooks = webhooks
        return configuration
    }

    static func address(_ listen: Located<String>, _ validation: inout Validation) -> ListenAddress? {
        let text = listen.value
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            validation.error(listen.location, "listen: '\(text)' is not HOST:PORT (for example 127.0.0.1:8080)")
            return nil
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            validation.error(listen.location, "listen: '\(portText)' is not a port number (0–65535)")
            return nil
        }
        if host.isEmpty { host = "0.0.0.0" }
        return ListenAddress(host: String(host), port: port)
    }

    static func publicURL(_ text: Located<String>, _ validation: inout Validation) -> URL? {
        let trimmed = text.value.hasSuffix("/") ? String(text.value.dropLast()) : text.value
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false, url.query == nil, url.fragment == nil
        else {
            validation.error(
                text.location,
                "public_url: '\(text.value)' is not an http or https URL without query (for example https://rolesync.example.com)"
            )
            return nil
        }
        return url
    }
}

extension RawServeConfiguration.Session {
    func validate(at location: SourceLocation, publicURL: URL?, _ validation: inout Validation) -> SessionSettings {
        var settings = SessionSettings()
        if let idleTimeout, let seconds = validation.duration(idleTimeout, "session.idle_timeout") {
            settings.idleTimeout = seconds
        }
        if let absoluteLifetime, let seconds = validation.duration(absoluteLifetime, "session.absolute_lifetime") {
            settings.absoluteLifetime = seconds
        }
        if settings.idleTimeout > settings.absoluteLifetime {
            validation.error(location, "session: idle_timeout is longer than absolute_lifetime")
        }
        if let cookieDomain {
            settings.cookieDomain = Self.cookieDomain(cookieDomain, publicURL: publicURL, &validation)
        }
        if let hosts = allowedReturnHosts {
            if cookieDomain == nil {
                validation.error(
                    hosts.location,
                    "session.allowed_return_hosts needs session.cookie_domain: without it the session cookie never reaches those hosts"
                )
            }
            for host in hosts.value {
                guard let pattern = Self.returnHost(host, &validation) else { continue }
                if let domain = settings.cookieDomain, !Self.within(pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern, domain) {
                    validation.error(host.location, "session.allowed_return_hosts: '\(host.value)' is outside session.cookie_domain '\(domain)'")
                    continue
                }
                settings.allowedReturnHosts.append(pattern)
            }
        }
        return settings
    }

    /// `.example.com` or `example.com` (stored without the dot): a domain of at least two labels
    /// that the public URL's host is in, so the browser accepts the cookie RoleSync sets.
    static func cookieDomain(_ text: Located<String>, publicURL: URL?, _ validation: inout Validation) -> String? {
        let domain = (text.value.hasPrefix(".") ? String(text.value.dropFirst()) : text.value).lowercased()
        guard isHostName(domain), domain.contains(".") else {
            validation.error(text.location, "session.cookie_domain: '\(text.value)' is not a domain such as .example.com")
            return nil
        }
        if let host = publicURL?.host?.lowercased(), !within(host, domain) {
            validation.error(
                text.location,
                "session.cookie_domain: public_url's host '\(host)' is not in '\(domain)'; the browser would refuse the cookie"
            )
            return nil
        }
        return domain
    }

    /// `grafana.example.com` or `*.tools.example.com` (a wildcard is one whole first label).
    static func returnHost(_ text: Located<String>, _ validation: inout Validation) -> String? {
        let pattern = text.value.lowercased()
        let host = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
        guard isHostName(host), host.contains(".") else {
            validation.error(
                text.location,
                "session.allowed_return_hosts: '\(text.value)' is not a host name such as grafana.example.com or *.tools.example.com"
            )
            return nil
        }
        return pattern
    }

    /// Letters, digits and hyphens in dot-separated labels, none empty.
    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253
            && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63
                    && label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
            }
    }

    /// Whether `host` is `domain` or under it.
    static func within(_ host: String, _ domain: String) -> Bool {
        host == domain || host.hasSuffix("." + domain)
    }
}

extension RawServeConfiguration.Keys {
    /// Each duration between its bounds: a lifetime of 1 day to 3650 days; staleness after 1 day;
    /// revocation after 7 days at the soonest, and never before a key is stale.
    func validate(at location: SourceLocation, _ validation: inout Validation) -> KeySettings {
        var settings = KeySettings()
        func bounded(_ value: Located<ClaimValue>?, _ name: String, least: TimeInterval, leastText: String) -> TimeInterval? {
            guard let value, let seconds = validation.duration(value, "keys.\(name)") else { return nil }
            guard seconds >= least, seconds <= 3650 * 86_400 else {
                validation.error(value.location, "keys.\(name): between \(leastText) and 3650d")
                return nil
            }
            return seconds
        }
        settings.maxLifetime = bounded(maxLifetime, "max_lifetime", least: 86_400, leastText: "1d")
        settings.staleAfter = bounded(staleAfter, "stale_after", least: 86_400, leastText: "1d")
        // A mistyped `revoke_stale_after: 180` (seconds) would revoke nearly every key at once.
        settings.revokeStaleAfter = bounded(revokeStaleAfter, "revoke_stale_after", least: 7 * 86_400, leastText: "7d")
        if let revoke = settings.revokeStaleAfter, let stale = settings.staleAfter, revoke < stale, let at = revokeStaleAfter?.location {
            validation.error(at, "keys.revoke_stale_after: at least keys.stale_after (a key is revoked only once it is stale)")
        }
        if settings.revokeStaleAfter != nil, settings.staleAfter == nil { settings.staleAfter = settings.revokeStaleAfter }
        return settings
    }
}
