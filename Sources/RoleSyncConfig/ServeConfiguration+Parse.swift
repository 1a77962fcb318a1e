package import Foundation
package import RoleSyncMapping
import Yams

extension ServeConfiguration {
    /// The keys a configuration may have.
    static let topLevelKeys = [
        "listen", "public_url", "database", "database_password_env", "mappings", "shadow", "shadow_retention", "override", "session",
        "idps", "gateways",
    ]
    static let overrideKeys = ["max_duration"]
    static let gatewayKeys = ["name", "client_id", "client_secret_env"]
    static let sessionKeys = ["idle_timeout", "absolute_lifetime"]
    static let idpKeys = [
        "name", "issuer", "client_id", "client_secret", "client_secret_env", "scopes", "token_endpoint_auth",
        "userinfo", "ca_file", "allow_hmac_id_tokens", "trusted_audiences", "clock_skew", "directory", "scim_token",
        "scim_token_env", "follow_claim_sources", "claim_source_hosts",
    ]
    static let directoryKeys = [
        "scim_url", "token_env", "interval", "match_by", "match_claim", "claims", "safety_valve", "ca_file", "page_size",
    ]
    static let safetyValveKeys = ["max_share", "max_count"]

    /// Reads and validates a configuration file.
    /// - Parameters:
    ///   - path: the file.
    ///   - environment: where `client_secret_env` names are looked up.
    ///   - requiringSecrets: whether a client secret must be at hand (`serve`); other commands
    ///     only need the database and mappings.
    /// - Throws: ``ConfigError/file(_:_:)`` when it cannot be read, ``ConfigError/invalid(_:)``
    ///   with every error found.
    package static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        requiringSecrets: Bool = true
    ) throws(ConfigError) -> ServeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .file(path, "cannot read the configuration (\(describe(error)))")
        }
        return try parse(yaml: text, file: path, environment: environment, requiringSecrets: requiringSecrets)
    }

    /// Parses and validates configuration text.
    /// - Parameters:
    ///   - yaml: the text.
    ///   - file: its path, for messages and to resolve relative paths.
    ///   - environment: where `client_secret_env` names are looked up.
    ///   - requiringSecrets: whether a missing client secret is an error.
    /// - Throws: ``ConfigError/invalid(_:)`` with every error found.
    package static func parse(
        yaml: String,
        file: String,
        environment: [String: String],
        requiringSecrets: Bool = true
    ) throws(ConfigError) -> ServeConfiguration {
        var reader = YAMLNodes(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml, Resolver.basic) else {
                throw ConfigError.invalid([
                    Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "the configuration is empty")
                ])
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw .invalid([MappingParser.syntaxDiagnostic(error, file: file)])
        }
        var parser = Parser(reader: reader, file: file, environment: environment, requiringSecrets: requiringSecrets)
        let configuration = parser.configuration(root)
        reader = parser.reader
        let diagnostics = reader.diagnostics.sorted { $0.location < $1.location }
        guard let configuration, !diagnostics.containsErrors else { throw .invalid(diagnostics) }
        return configuration
    }

    /// A duration as configurations and options write it: seconds (`90`), or a number with `s`, `m`,
    /// `h` or `d` (`90s`, `15m`, `8h`, `7d`); `nil` for anything else or a negative number.
    package static func seconds(_ text: String) -> TimeInterval? {
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        guard let unit = text.last, let number = Double(text.dropLast()), number >= 0, number.isFinite else { return nil }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        case "d": return number * 86400
        default: return nil
        }
    }

    /// Errors for providers that no mapping governs: RoleSync refuses to start with one, since
    /// every sign-in through it would be refused.
    package func providersWithoutMapping(in mappings: MappingSet) -> [Diagnostic] {
        idps.filter { mappings.mapping(forIssuer: $0.issuer) == nil }.map {
            Diagnostic(
                .error,
                at: $0.location,
                "idps: no mapping in \(self.mappings) has issuer '\($0.issuer)'; add one (see docs/mapping.md)"
            )
        }
    }

    /// The folder relative paths in a configuration file are resolved against.
    static func folder(of file: String) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent()
    }
}

/// Walks the YAML tree, reporting as it goes.
private struct Parser {
    var reader: YAMLNodes
    let file: String
    let environment: [String: String]
    let requiringSecrets: Bool

    init(reader: YAMLNodes, file: String, environment: [String: String], requiringSecrets: Bool) {
        self.reader = reader
        self.file = file
        self.environment = environment
        self.requiringSecrets = requiringSecrets
    }

    mutating func configuration(_ root: Node) -> ServeConfiguration? {
        guard reader.isMapping(root, "the configuration") else { return nil }
        var listen: ListenAddress?
        var publicURL: URL?
        var database = "rolesync.sqlite"
        var databaseURL: (String, Node)?
        var passwordEnv: (String?, Node)?
        var mappings = "mappings"
        var shadow: String?
        var shadowRetention: TimeInterval = 14 * 24 * 3600
        var overrideMaxDuration: TimeInterval = 8 * 3600
        var session = SessionSettings()
        var idps: [IdentityProviderSettings] = []
        var gateways: [GatewaySettings] = []
        var seen = Set<String>()
        for (key, keyNode, value) in reader.pairs(root, of: "the configuration", allowed: ServeConfiguration.topLevelKeys) {
            seen.insert(key)
            switch key {
            case "listen": listen = address(value)
            case "public_url": publicURL = self.publicURL(value)
            case "database":
                if let text = value.string, PostgresSettings.isURL(text) {
                    databaseURL = (text, value)
                } else {
                    database = path(value, "database") ?? database
                }
            case "database_password_env": passwordEnv = (reader.string(value, "database_password_env"), value)
            case "mappings": mappings = path(value, "mappings") ?? mappings
            case "shadow": shadow = path(value, "shadow")
            case "shadow_retention":
                if let seconds = duration(value, "shadow_retention") {
                    if seconds < 3600 { reader.error(value, "shadow_retention: keep differences at least 1h") } else { shadowRetention = seconds }
                }
            case "override": overrideMaxDuration = self.override(value) ?? overrideMaxDuration
            case "session": session = self.session(value)
            case "idps": idps = providers(value, keyNode: keyNode)
            case "gateways": gateways = self.gateways(value)
            default: break
            }
        }
        for required in ["listen", "public_url", "idps"] where !seen.contains(required) {
            reader.error(root, "the configuration lacks '\(required)'")
        }
        let postgres = postgresSettings(databaseURL, passwordEnv: passwordEnv)
        guard let listen, let publicURL else { return nil }
        return ServeConfiguration(
            file: file,
            listen: listen,
            publicURL: publicURL,
            database: postgres.map(\.description) ?? database,
            postgres: postgres,
            databasePasswordEnv: passwordEnv?.0,
            mappings: mappings,
            shadow: shadow,
            shadowRetention: shadowRetention,
            overrideMaxDuration: overrideMaxDuration,
            session: session,
            idps: idps,
            gateways: gateways
        )
    }

    /// `override: { max_duration: 8h }`: how long a break-glass override may last (1 minute to 7 days).
    mutating func override(_ node: Node) -> TimeInterval? {
        guard reader.isMapping(node, "override") else { return nil }
        var result: TimeInterval?
        for (_, _, value) in reader.pairs(node, of: "override", allowed: ServeConfiguration.overrideKeys) {
            guard let seconds = duration(value, "override.max_duration") else { continue }
            guard seconds >= 60, seconds <= 7 * 24 * 3600 else {
                reader.error(value, "override.max_duration: between 1m and 7d (break-glass is bounded)")
                continue
            }
            result = seconds
        }
        return result
    }

    /// `database:` as a PostgreSQL URL, with its password from `database_password_env` (required
    /// when the URL has none and the command connects).
    mutating func postgresSettings(_ url: (String, Node)?, passwordEnv: (String?, Node)?) -> PostgresSettings? {
        guard let (text, node) = url else {
            if let (_, envNode) = passwordEnv { reader.error(envNode, "database_password_env is used only with a postgres:// database") }
            return nil
        }
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings(url: text)
        } catch {
            reader.error(node, "database: \(error)")
            return nil
        }
        if let caFile = settings.caFile, !caFile.hasPrefix("/") {
            settings.caFile = ServeConfiguration.folder(of: file).appendingPathComponent(caFile).path
        }
        if let (name, envNode) = passwordEnv, let name {
            if settings.password != nil {
                reader.error(envNode, "database_password_env and a password in the URL: give the password once")
            } else if let password = environment[name], !password.isEmpty {
                settings.password = password
            } else if requiringSecrets {
                reader.error(envNode, "database_password_env names \(name), which is not set")
            }
        }
        return settings
    }

    /// `gateways:`: who may introspect keys, each with HTTP Basic credentials whose secret comes
    /// from the environment (never the file).
    mutating func gateways(_ node: Node) -> [GatewaySettings] {
        guard let entries = reader.sequence(node, "gateways") else { return [] }
        var result: [GatewaySettings] = []
        var clientIDs: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let at = "gateways[\(index)]"
            guard reader.isMapping(entry, at) else { continue }
            var values: [String: Node] = [:]
            for (key, _, value) in reader.pairs(entry, of: at, allowed: ServeConfiguration.gatewayKeys) { values[key] = value }
            for required in ServeConfiguration.gatewayKeys where values[required] == nil {
                reader.error(entry, "\(at) lacks '\(required)'")
            }
            guard let nameNode = values["name"], let name = reader.string(nameNode, "\(at).name"),
                let idNode = values["client_id"], let clientID = reader.string(idNode, "\(at).client_id"),
                let secretNode = values["client_secret_env"], let variable = reader.string(secretNode, "\(at).client_secret_env")
            else { continue }
            guard !clientID.isEmpty, !clientID.contains(":"), clientID.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                reader.error(idNode, "\(at).client_id: '\(clientID)' must be printable ASCII without spaces or ':' (HTTP Basic)")
                continue
            }
            if let first = clientIDs[clientID] {
                reader.error(idNode, "\(at).client_id: '\(clientID)' is already used by gateways[\(first)]")
                continue
            }
            clientIDs[clientID] = index
            var secret = environment[variable].flatMap { $0.isEmpty ? nil : $0 }
            if let value = secret, value.utf8.count < 32 {
                reader.error(secretNode, "\(at).client_secret_env: the secret in \(variable) is shorter than 32 bytes; use a random one")
                secret = nil
            } else if secret == nil, requiringSecrets {
                reader.error(secretNode, "\(at).client_secret_env: the environment variable \(variable) is not set")
            }
            result.append(GatewaySettings(name: name, clientID: clientID, clientSecret: secret, location: reader.location(entry)))
        }
        return result
    }

    mutating func address(_ node: Node) -> ListenAddress? {
        guard let text = reader.string(node, "listen") else { return nil }
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            reader.error(node, "listen: '\(text)' is not HOST:PORT (for example 127.0.0.1:8080)")
            return nil
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            reader.error(node, "listen: '\(portText)' is not a port number (0–65535)")
            return nil
        }
        if host.isEmpty { host = "0.0.0.0" }
        return ListenAddress(host: String(host), port: port)
    }

    mutating func publicURL(_ node: Node) -> URL? {
        guard let text = reader.string(node, "public_url") else { return nil }
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false, url.query == nil, url.fragment == nil
        else {
            reader.error(node, "public_url: '\(text)' is not an http or https URL without query (for example https://rolesync.example.com)")
            return nil
        }
        return url
    }

    mutating func path(_ node: Node, _ key: String) -> String? {
        guard let text = reader.string(node, key) else { return nil }
        guard !text.isEmpty else {
            reader.error(node, "\(key) must not be empty")
            return nil
        }
        if text.hasPrefix("/") { return text }
        let resolved = ServeConfiguration.folder(of: file).appendingPathComponent(text).path
        return text.hasSuffix("/") && !resolved.hasSuffix("/") ? resolved + "/" : resolved
    }

    mutating func session(_ node: Node) -> SessionSettings {
        var settings = SessionSettings()
        guard reader.isMapping(node, "session") else { return settings }
        for (key, _, value) in reader.pairs(node, of: "session", allowed: ServeConfiguration.sessionKeys) {
            guard let seconds = duration(value, "session.\(key)") else { continue }
            if key == "idle_timeout" { settings.idleTimeout = seconds } else { settings.absoluteLifetime = seconds }
        }
        if settings.idleTimeout > settings.absoluteLifetime {
            reader.error(node, "session: idle_timeout is longer than absolute_lifetime")
        }
        return settings
    }

    /// Seconds, or a number with a unit: `90s`, `15m`, `8h`, `7d`.
    mutating func duration(_ node: Node, _ key: String) -> TimeInterval? {
        let value = YAMLNodes.value(node)
        if case .number(let seconds) = value, seconds >= 0, seconds.isFinite { return seconds }
        if case .string(let text) = value, let seconds = ServeConfiguration.seconds(text) { return seconds }
        reader.error(node, "\(key): '\(value.scalarText ?? YAMLNodes.kind(node))' is not a duration (seconds, or 90s, 15m, 8h, 7d)")
        return nil
    }

    mutating func providers(_ node: Node, keyNode: Node) -> [IdentityProviderSettings] {
        guard let entries = reader.sequence(node, "idps") else { return [] }
        if entries.isEmpty { reader.error(node, "idps: the list is empty; configure at least one provider") }
        var result: [IdentityProviderSettings] = []
        var names: [String: Int] = [:]
        var issuers: [String: Int] = [:]
        var scimTokens: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            guard let idp = provider(entry, index: index) else { continue }
            if let first = issuers[idp.issuer] {
                reader.error(entry, "idps[\(index)].issuer: '\(idp.issuer)' is already configured by idps[\(first)]")
                continue
            }
            if let first = names[idp.name] {
                reader.error(entry, "idps[\(index)].name: '\(idp.name)' is already used by idps[\(first)]")
                continue
            }
            if let token = idp.scimToken, let first = scimTokens[token] {
                // The token decides which IdP a push speaks for: it must name one.
                reader.error(entry, "idps[\(index)]: its SCIM push token is the same as idps[\(first)]'s; give each IdP its own")
                continue
            }
            issuers[idp.issuer] = index
            names[idp.name] = index
            if let token = idp.scimToken { scimTokens[token] = index }
            result.append(idp)
        }
        return result
    }

    mutating func provider(_ node: Node, index: Int) -> IdentityProviderSettings? {
        let at = "idps[\(index)]"
        guard reader.isMapping(node, at) else { return nil }
        var values: [String: (keyNode: Node, value: Node)] = [:]
        for (key, keyNode, value) in reader.pairs(node, of: at, allowed: ServeConfiguration.idpKeys) {
            values[key] = (keyNode, value)
        }
        func string(_ key: String) -> String? {
            guard let entry = values[key] else { return nil }
            return reader.string(entry.value, "\(at).\(key)")
        }
        func strings(_ key: String) -> [String]? {
            guard let entry = values[key] else { return nil }
            guard let items = reader.sequence(entry.value, "\(at).\(key)") else { return nil }
            return items.compactMap { reader.string($0, "\(at).\(key) items") }
        }

        var valid = true
        guard let issuerNode = values["issuer"]?.value, let issuer = string("issuer") else {
            reader.error(node, "\(at) lacks 'issuer'")
            return nil
        }
        if let url = URL(string: issuer), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            url.query == nil, url.fragment == nil
        {
            if scheme == "http" {
                if !Self.isLoopback(host) {
                    reader.error(
                        issuerNode,
                        "\(at).issuer: '\(issuer)' is plain http; only https issuers are allowed (http only on a loopback address, for tests)"
                    )
                    valid = false
                }
            } else if scheme != "https" {
                reader.error(issuerNode, "\(at).issuer: '\(issuer)' is not an https URL")
                valid = false
            }
        } else {
            reader.error(issuerNode, "\(at).issuer: '\(issuer)' is not an https URL")
            valid = false
        }
        let clientID = string("client_id")
        if clientID == nil, values["client_id"] == nil { reader.error(node, "\(at) lacks 'client_id'") }
        if clientID?.isEmpty == true, let entry = values["client_id"] {
            reader.error(entry.value, "\(at).client_id must not be empty")
        }

        let authName = string("token_endpoint_auth") ?? IdentityProviderSettings.TokenEndpointAuth.clientSecretBasic.rawValue
        let methods = IdentityProviderSettings.TokenEndpointAuth.allCases.map(\.rawValue)
        let auth = IdentityProviderSettings.TokenEndpointAuth(rawValue: authName) ?? .clientSecretBasic
        if let entry = values["token_endpoint_auth"], IdentityProviderSettings.TokenEndpointAuth(rawValue: authName) == nil {
            reader.error(
                entry.value,
                "\(at).token_endpoint_auth: '\(authName)' is not supported"
                    + Suggestion.hint(for: authName, among: methods)
                    + " (supported: \(methods.joined(separator: ", ")))"
            )
            valid = false
        }
        let secret = self.secret(string("client_secret"), environmentKey: values["client_secret_env"]?.value, "\(at).client_secret_env", &valid)
        if auth != .none, secret?.isEmpty ?? true, values["client_secret_env"] == nil {
            reader.error(node, "\(at) needs 'client_secret' or 'client_secret_env' for \(authName) (or token_endpoint_auth: none)")
            valid = false
        }

        let scopes = strings("scopes") ?? ["openid", "email", "profile"]
        if let entry = values["scopes"], !scopes.contains("openid") {
            reader.error(entry.value, "\(at).scopes must include 'openid'")
            valid = false
        }
        var userinfo = false
        if let entry = values["userinfo"] { userinfo = reader.bool(entry.value, "\(at).userinfo") ?? false }
        var allowHMAC = false
        if let entry = values["allow_hmac_id_tokens"] {
            allowHMAC = reader.bool(entry.value, "\(at).allow_hmac_id_tokens") ?? false
            if allowHMAC, auth == .none {
                reader.error(entry.value, "\(at).allow_hmac_id_tokens needs a client secret (HMAC is keyed with it)")
                valid = false
            }
        }
        var caFile: String?
        if let entry = values["ca_file"], let path = path(entry.value, "\(at).ca_file") {
            if FileManager.default.isReadableFile(atPath: path) {
                caFile = path
            } else {
                reader.error(entry.value, "\(at).ca_file: '\(path)' cannot be read")
                valid = false
            }
        }
        var skew: TimeInterval = 60
        if let entry = values["clock_skew"] { skew = duration(entry.value, "\(at).clock_skew") ?? skew }
        let name = string("name") ?? Self.defaultName(issuer)
        if name.isEmpty, let entry = values["name"] { reader.error(entry.value, "\(at).name must not be empty") }

        var directory: DirectorySettings?
        if let entry = values["directory"] {
            directory = self.directory(entry.value, at: "\(at).directory")
            if directory == nil { valid = false }
        }
        let scimToken = self.secret(string("scim_token"), environmentKey: values["scim_token_env"]?.value, "\(at).scim_token_env", &valid)
        if let token = scimToken, token.utf8.count < 32 {
            reader.error(
                (values["scim_token_env"] ?? values["scim_token"])?.value ?? node,
                "\(at): the SCIM push token is \(token.utf8.count) characters long; use at least 32 random characters"
            )
            valid = false
        }

        let claimSourceHosts = IdentityProviderSettings.claimSourceHosts(
            follow: values["follow_claim_sources"]?.value,
            hosts: values["claim_source_hosts"]?.value,
            at: at,
            reader: &reader
        )
        if claimSourceHosts == nil { valid = false }

        guard valid, let clientID, !clientID.isEmpty else { return nil }
        return IdentityProviderSettings(
            name: name,
            issuer: issuer,
            clientID: clientID,
            clientSecret: auth == .none ? nil : secret,
            scopes: scopes,
            tokenEndpointAuth: auth,
            userinfo: userinfo,
            caFile: caFile,
            allowHMACIDTokens: allowHMAC,
            trustedAudiences: strings("trusted_audiences") ?? [],
            clockSkew: skew,
            location: reader.location(issuerNode),
            directory: directory,
            scimToken: scimToken,
            claimSourceHosts: claimSourceHosts ?? []
        )
    }

    mutating func directory(_ node: Node, at: String) -> DirectorySettings? {
        guard reader.isMapping(node, at) else { return nil }
        var values: [String: Node] = [:]
        for (key, _, value) in reader.pairs(node, of: at, allowed: ServeConfiguration.directoryKeys) { values[key] = value }
        var valid = true
        var scimURL: URL?
        if let entry = values["scim_url"], let text = reader.string(entry, "\(at).scim_url") {
            let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
            if let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
                url.query == nil, url.fragment == nil, scheme == "https" || (scheme == "http" && Self.isLoopback(host))
            {
                scimURL = url
            } else {
                reader.error(entry, "\(at).scim_url: '\(text)' is not an https URL (http only on a loopback address, for tests)")
                valid = false
            }
        }
        var tokenName: String?
        var token: String?
        if let entry = values["token_env"], let name = reader.string(entry, "\(at).token_env") {
            tokenName = name
            if let value = environment[name], !value.isEmpty {
                token = value
            } else if requiringSecrets {
                reader.error(entry, "\(at).token_env: the environment variable \(name) is not set")
                valid = false
            }
        }
        if values["scim_url"] != nil, values["token_env"] == nil {
            reader.error(node, "\(at) has 'scim_url' but lacks 'token_env' (the environment variable holding the directory's bearer token)")
            valid = false
        }
        if values["scim_url"] == nil, let entry = values["token_env"] {
            reader.error(entry, "\(at).token_env goes with 'scim_url' (the directory to read)")
            valid = false
        }
        var interval: TimeInterval = 15 * 60
        if let entry = values["interval"], let seconds = duration(entry, "\(at).interval") {
            if seconds < 60 {
                reader.error(entry, "\(at).interval: reconcile at most once a minute (got \(Int(seconds)) s)")
                valid = false
            }
            interval = seconds
        }
        var matchBy = DirectoryMatchAttribute.externalId
        if let entry = values["match_by"], let text = reader.string(entry, "\(at).match_by") {
            if let attribute = DirectoryMatchAttribute(rawValue: text) {
                matchBy = attribute
            } else {
                let names = DirectoryMatchAttribute.allCases.map(\.rawValue)
                reader.error(
                    entry,
                    "\(at).match_by: '\(text)' is not externalId or userName" + Suggestion.hint(for: text, among: names)
                )
                valid = false
            }
        }
        var matchClaim = "sub"
        if let entry = values["match_claim"], let text = reader.string(entry, "\(at).match_claim") {
            if text.isEmpty {
                reader.error(entry, "\(at).match_claim must not be empty")
                valid = false
            }
            matchClaim = text
        }
        var claims = DirectorySettings.defaultClaims
        if let entry = values["claims"], reader.isMapping(entry, "\(at).claims") {
            claims = [:]
            for (claim, _, value) in reader.pairs(entry, of: "\(at).claims", allowed: nil) {
                guard let source = reader.string(value, "\(at).claims.\(claim)") else { continue }
                if source.isEmpty || claim.isEmpty || claim == "sub" || claim == "iss" {
                    reader.error(value, "\(at).claims.\(claim): a claim needs a name other than sub or iss, and a source")
                    valid = false
                    continue
                }
                claims[claim] = DirectoryClaimSource(source)
            }
        }
        var maxShare = 0.10
        var maxCount: Int?
        if let entry = values["safety_valve"], reader.isMapping(entry, "\(at).safety_valve") {
            for (key, _, value) in reader.pairs(entry, of: "\(at).safety_valve", allowed: ServeConfiguration.safetyValveKeys) {
                let scalar = YAMLNodes.value(value)
                if key == "max_share" {
                    var share: Double?
                    if case .number(let n) = scalar { share = n }
                    if case .string(let text) = scalar, text.hasSuffix("%"), let n = Double(text.dropLast()) { share = n / 100 }
                    if let share, share >= 0, share <= 1 {
                        maxShare = share
                    } else {
                        reader.error(value, "\(at).safety_valve.max_share: '\(scalar.scalarText ?? "")' is not a share (0.10 or 10%)")
                        valid = false
                    }
                } else {
                    if case .number(let n) = scalar, n >= 0, n == n.rounded(), n < 1e9 {
                        maxCount = Int(n)
                    } else {
                        reader.error(value, "\(at).safety_valve.max_count: '\(scalar.scalarText ?? "")' is not a whole number")
                        valid = false
                    }
                }
            }
        }
        var caFile: String?
        if let entry = values["ca_file"], let path = path(entry, "\(at).ca_file") {
            if FileManager.default.isReadableFile(atPath: path) {
                caFile = path
            } else {
                reader.error(entry, "\(at).ca_file: '\(path)' cannot be read")
                valid = false
            }
        }
        var pageSize = 100
        if let entry = values["page_size"] {
            if case .number(let n) = YAMLNodes.value(entry), n >= 1, n <= 1000, n == n.rounded() {
                pageSize = Int(n)
            } else {
                reader.error(entry, "\(at).page_size: give a whole number from 1 to 1000")
                valid = false
            }
        }
        guard valid else { return nil }
        return DirectorySettings(
            scimURL: scimURL,
            tokenEnvironmentVariable: tokenName,
            token: token,
            interval: interval,
            matchBy: matchBy,
            matchClaim: matchClaim,
            claims: claims,
            maxDeactivationShare: maxShare,
            maxDeactivations: maxCount,
            caFile: caFile,
            pageSize: pageSize
        )
    }

    /// A secret from the variable an `…_env` key names, else the inline `value`; a variable that
    /// is not set is an error when secrets are required and there is no inline value.
    mutating func secret(_ value: String?, environmentKey node: Node?, _ key: String, _ valid: inout Bool) -> String? {
        guard let node, let name = reader.string(node, key) else { return value }
        if let fromEnvironment = environment[name], !fromEnvironment.isEmpty { return fromEnvironment }
        if value == nil, requiringSecrets {
            reader.error(node, "\(key): the environment variable \(name) is not set")
            valid = false
        }
        return value
    }

    /// `example.okta.com`, or host and path for issuers that differ by path (Keycloak realms).
    static func defaultName(_ issuer: String) -> String {
        guard let url = URL(string: issuer), let host = url.host else { return issuer }
        let port = url.port.map { ":\($0)" } ?? ""
        let path = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        return host + port + path
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
