import Foundation
import RoleSyncJSON
import RoleSyncYAML

/// An `idps[].directory` as written. ``validate(at:location:_:)`` checks it and builds a
/// ``DirectorySettings``.
struct RawDirectory: Decodable {
    var kind: Located<String>?
    var url: Located<String>?
    var scimURL: Located<String>?
    var tokenEnv: Located<String>?
    var interval: Located<ClaimValue>?
    var fullEvery: Located<ClaimValue>?
    var matchBy: Located<String>?
    var matchClaim: Located<String>?
    var claims: [String: Located<String>]?
    var safetyValve: SafetyValve?
    var caFile: Located<String>?
    var pageSize: Located<ClaimValue>?
    var tenantID: Located<String>?
    var clientID: Located<String>?
    var clientSecretEnv: Located<String>?
    var tokenURL: Located<String>?
    var serviceAccountFile: Located<String>?
    var certificateFile: Located<String>?
    var privateKeyFile: Located<String>?
    var subject: Located<String>?
    var customer: Located<String>?
    var keyID: Located<String>?
    var startTLS: Located<Bool>?
    var bindDN: Located<String>?
    var bindPasswordEnv: Located<String>?
    var users: Search?
    var groups: Search?
    var attributes: Attributes?
    var activeDirectory: Located<Bool>?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind
        case url
        case scimURL = "scim_url"
        case tokenEnv = "token_env"
        case interval
        case fullEvery = "full_every"
        case matchBy = "match_by"
        case matchClaim = "match_claim"
        case claims
        case safetyValve = "safety_valve"
        case caFile = "ca_file"
        case pageSize = "page_size"
        case tenantID = "tenant_id"
        case clientID = "client_id"
        case clientSecretEnv = "client_secret_env"
        case tokenURL = "token_url"
        case serviceAccountFile = "service_account_file"
        case certificateFile = "certificate_file"
        case privateKeyFile = "private_key_file"
        case subject
        case customer
        case keyID = "key_id"
        case startTLS = "start_tls"
        case bindDN = "bind_dn"
        case bindPasswordEnv = "bind_password_env"
        case users
        case groups
        case attributes
        case activeDirectory = "active_directory"
    }

    /// An LDAP directory's `users:` or `groups:`: where to search and for what.
    struct Search: Decodable {
        var base: Located<String>?
        var filter: Located<String>?
        var memberAttribute: Located<String>?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case base
            case filter
            case memberAttribute = "member_attribute"
        }
    }

    /// An LDAP directory's `attributes:`: which attributes hold a user's email and name.
    struct Attributes: Decodable {
        var email: Located<String>?
        var name: Located<String>?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case email
            case name
        }
    }

    /// `safety_valve: { max_share: 10%, max_count: 50 }`.
    struct SafetyValve: Decodable {
        var maxShare: Located<ClaimValue>?
        var maxCount: Located<ClaimValue>?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxShare = "max_share"
            case maxCount = "max_count"
        }
    }

    /// The directory, or `nil` after reporting why it cannot be used.
    /// - Parameters:
    ///   - at: its place (`idps[0].directory`), for messages.
    ///   - location: its position.
    func validate(at: String, location: SourceLocation, _ validation: inout Validation) -> DirectorySettings? {
        var valid = true
        var kind = DirectoryKind.scim
        if let written = self.kind {
            if let parsed = DirectoryKind(rawValue: written.value) {
                kind = parsed
            } else {
                let names = DirectoryKind.allCases.map(\.rawValue)
                validation.error(
                    written.location,
                    "\(at).kind: '\(written.value)' is not a directory kind (\(names.joined(separator: ", ")))"
                        + Suggestion.hint(for: written.value, among: names)
                )
                valid = false
            }
        }
        var url: URL?
        switch (self.url, scimURL) {
        case (let written?, _?):
            validation.error(written.location, "\(at): give 'url' or 'scim_url', not both")
            valid = false
        case (nil, let written?) where kind != .scim:
            validation.error(written.location, "\(at).scim_url is for kind scim; a \(kind.rawValue) directory is read at 'url'")
            valid = false
        case (let written?, nil) where kind == .ldap:
            url = Self.ldapURL(written, "\(at).url", startTLS: startTLS?.value ?? false, &validation, &valid)
        case (let written?, nil), (nil, let written?):
            let name = self.url == nil ? "scim_url" : "url"
            url = Self.url(written, "\(at).\(name)", origin: kind != .scim, &validation, &valid)
        case (nil, nil):
            if kind == .okta {
                validation.error(location, "\(at) of kind okta lacks 'url' (the org's address, https://example.okta.com)")
                valid = false
            }
            if kind == .ldap {
                validation.error(location, "\(at) of kind ldap lacks 'url' (the server's address, ldaps://ldap.example.com)")
                valid = false
            }
            if kind == .microsoftGraph { url = URL(string: "https://graph.microsoft.com") }
            if kind == .googleWorkspace { url = URL(string: "https://admin.googleapis.com") }
        }
        var graph: GraphCredentials?
        if kind == .microsoftGraph {
            graph = validateGraph(at: at, location: location, &validation, &valid)
        } else {
            // An Okta service app signs in with client_id and private_key_file too.
            let oktaKeys: Set<String> = kind == .okta ? ["client_id", "private_key_file"] : []
            for (key, written) in [
                ("tenant_id", tenantID), ("client_id", clientID), ("client_secret_env", clientSecretEnv), ("certificate_file", certificateFile),
                ("private_key_file", privateKeyFile),
            ] where !oktaKeys.contains(key) {
                guard let written else { continue }
                let alsoOkta = key == "client_id" || key == "private_key_file"
                validation.error(written.location, "\(at).\(key) goes with kind microsoft_graph" + (alsoOkta ? " or okta" : ""))
                valid = false
            }
        }
        var okta: OktaServiceApp?
        if kind == .okta {
            okta = validateOktaServiceApp(at: at, &validation, &valid)
        } else if let keyID {
            validation.error(keyID.location, "\(at).key_id goes with kind okta (the service app's key)")
            valid = false
        }
        var google: GoogleCredentials?
        if kind == .googleWorkspace {
            google = validateGoogle(at: at, location: location, &validation, &valid)
        } else {
            for (key, written) in [("service_account_file", serviceAccountFile), ("subject", subject), ("customer", customer)] {
                guard let written else { continue }
                validation.error(written.location, "\(at).\(key) goes with kind google_workspace")
                valid = false
            }
        }
        var ldap: LDAPSettings?
        if kind == .ldap {
            ldap = validateLDAP(at: at, location: location, &validation, &valid)
        } else {
            let written: [(String, SourceLocation?)] = [
                ("start_tls", startTLS?.location), ("bind_dn", bindDN?.location), ("bind_password_env", bindPasswordEnv?.location),
                ("users", users.map { $0.base?.location ?? $0.filter?.location ?? location }),
                ("groups", groups.map { $0.base?.location ?? $0.filter?.location ?? $0.memberAttribute?.location ?? location }),
                ("attributes", attributes.map { $0.email?.location ?? $0.name?.location ?? location }),
                ("active_directory", activeDirectory?.location),
            ]
            for case (let key, let place?) in written {
                validation.error(place, "\(at).\(key) goes with kind ldap")
                valid = false
            }
        }
        if let tokenURL, kind != .microsoftGraph, kind != .googleWorkspace {
            validation.error(tokenURL.location, "\(at).token_url goes with kind microsoft_graph or google_workspace")
            valid = false
        }
        var token: String?
        if kind == .microsoftGraph, let tokenEnv {
            validation.error(
                tokenEnv.location,
                "\(at).token_env: a microsoft_graph directory signs in with tenant_id, client_id and client_secret_env"
            )
            valid = false
        }
        if kind == .googleWorkspace, let tokenEnv {
            validation.error(tokenEnv.location, "\(at).token_env: a google_workspace directory signs in with service_account_file and subject")
            valid = false
        }
        if kind == .ldap, let tokenEnv {
            validation.error(tokenEnv.location, "\(at).token_env: an ldap directory binds with bind_dn and bind_password_env")
            valid = false
        }
        if let tokenEnv {
            if let value = validation.environment[tokenEnv.value], !value.isEmpty {
                token = value
            } else if validation.requiringSecrets {
                validation.error(tokenEnv.location, "\(at).token_env: the environment variable \(tokenEnv.value) is not set")
                valid = false
            }
        }
        let readAt = self.url ?? scimURL
        let signsInOtherwise = kind == .microsoftGraph || kind == .googleWorkspace || kind == .ldap
        if readAt != nil, tokenEnv == nil, !signsInOtherwise, okta == nil, !(kind == .okta && (clientID != nil || privateKeyFile != nil)) {
            let what =
                kind == .okta
                ? "an Okta API token, sent as 'SSWS <token>'; or a service app's client_id and private_key_file" : "the directory's bearer token"
            validation.error(
                location,
                "\(at) has '\(self.url == nil ? "scim_url" : "url")' but lacks 'token_env' (the environment variable holding \(what))"
            )
            valid = false
        }
        if readAt == nil, !signsInOtherwise, let tokenEnv {
            validation.error(tokenEnv.location, "\(at).token_env goes with 'url' or 'scim_url' (the directory to read)")
            valid = false
        }
        var seconds: TimeInterval = 15 * 60
        if let interval, let value = validation.duration(interval, "\(at).interval") {
            if value < 60 {
                validation.error(interval.location, "\(at).interval: reconcile at most once a minute (got \(Int(value)) s)")
                valid = false
            }
            seconds = value
        }
        var fullEvery: TimeInterval = 24 * 60 * 60
        if let written = self.fullEvery, let value = validation.duration(written, "\(at).full_every") {
            if !kind.readsIncrements {
                validation.error(
                    written.location,
                    "\(at).full_every goes with kinds that read increments (okta, microsoft_graph); a \(kind.rawValue) directory is listed whole every run"
                )
                valid = false
            } else if value < seconds {
                validation.error(
                    written.location,
                    "\(at).full_every: list everything at most as often as 'interval' (\(Int(seconds)) s), not more often"
                )
                valid = false
            }
            fullEvery = value
        }
        var attribute: DirectoryMatchAttribute = kind == .scim ? .externalId : .id
        if kind == .ldap {
            // An LDAP directory's match_by names the attribute itself (validateLDAP); its value is the user's id.
        } else if let matchBy {
            let allowed: [DirectoryMatchAttribute] = kind == .scim ? [.externalId, .userName] : [.id, .userName]
            if let parsed = DirectoryMatchAttribute(rawValue: matchBy.value), allowed.contains(parsed) {
                attribute = parsed
            } else {
                let names = allowed.map(\.rawValue)
                let list = names.dropLast().joined(separator: ", ") + " or " + names.last!
                validation.error(
                    matchBy.location,
                    "\(at).match_by: '\(matchBy.value)' is not \(list)" + Self.matchHint(kind)
                        + Suggestion.hint(for: matchBy.value, among: names)
                )
                valid = false
            }
        }
        if let matchClaim, matchClaim.value.isEmpty {
            validation.error(matchClaim.location, "\(at).match_claim must not be empty")
            valid = false
        }
        var sources = DirectorySettings.defaultClaims
        if let claims {
            sources = [:]
            for (claim, source) in claims {
                guard !source.value.isEmpty, !claim.isEmpty, claim != "sub", claim != "iss" else {
                    validation.error(source.location, "\(at).claims.\(claim): a claim needs a name other than sub or iss, and a source")
                    valid = false
                    continue
                }
                sources[claim] = DirectoryClaimSource(source.value)
            }
        }
        let (maxShare, maxCount) = safetyValve?.validate(at: "\(at).safety_valve", &validation, &valid) ?? (0.10, nil)
        let caFile = validation.readableFile(caFile, "\(at).ca_file", &valid)
        // Okta lists at most 200 users a page (its `limit`), Graph 999 (`$top`); SCIM servers lower
        // it themselves.
        let largest = [DirectoryKind.okta: 200, .microsoftGraph: 999, .googleWorkspace: 500][kind] ?? 1000
        var pages = [DirectoryKind.okta: 200, .microsoftGraph: 999, .googleWorkspace: 500, .ldap: 500][kind] ?? 100
        if let pageSize {
            if case .number(let n) = pageSize.value, n >= 1, n <= Double(largest), n == n.rounded() {
                pages = Int(n)
            } else {
                validation.error(pageSize.location, "\(at).page_size: give a whole number from 1 to \(largest)")
                valid = false
            }
        }
        guard valid else { return nil }
        return DirectorySettings(
            kind: kind,
            url: url,
            tokenEnvironmentVariable: tokenEnv?.value,
            token: token,
            interval: seconds,
            fullEvery: fullEvery,
            matchBy: attribute,
            // Entra ID's `sub` is pairwise; its `oid` is the user's object id, Graph's `id`.
            matchClaim: matchClaim?.value ?? (kind == .microsoftGraph ? "oid" : "sub"),
            claims: sources,
            maxDeactivationShare: maxShare,
            maxDeactivations: maxCount,
            caFile: caFile,
            pageSize: pages,
            graph: graph,
            google: google,
            ldap: ldap,
            okta: okta
        )
    }

    static func matchHint(_ kind: DirectoryKind) -> String {
        switch kind {
        case .scim: ""
        case .okta: " (an Okta user's id or login)"
        case .microsoftGraph: " (a user's object id or userPrincipalName)"
        case .googleWorkspace: " (a user's Google id, the ID token's sub, or primaryEmail)"
        case .ldap: ""
        }
    }

    /// `tenant_id`, `client_id`, the credential (`client_secret_env`, or `certificate_file` with
    /// `private_key_file`) and `token_url` of a microsoft_graph directory, or `nil` after reporting
    /// what is wrong. The certificate and key are read here; the key never appears in a message.
    func validateGraph(at: String, location: SourceLocation, _ validation: inout Validation, _ valid: inout Bool) -> GraphCredentials? {
        var missing: [String] = []
        if tenantID == nil { missing.append("tenant_id") }
        if clientID == nil { missing.append("client_id") }
        if clientSecretEnv == nil, certificateFile == nil, privateKeyFile == nil { missing.append("client_secret_env") }
        if !missing.isEmpty {
            validation.error(
                location,
                "\(at) of kind microsoft_graph lacks \(missing.map { "'\($0)'" }.joined(separator: ", ")) "
                    + "(the app registration's client credentials: a secret, or certificate_file and private_key_file)"
            )
            valid = false
        }
        if let clientSecretEnv, certificateFile != nil || privateKeyFile != nil {
            validation.error(clientSecretEnv.location, "\(at): give client_secret_env or certificate_file and private_key_file, not both")
            valid = false
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
        if let tenantID, tenantID.value.isEmpty || !tenantID.value.allSatisfy(allowed.contains) {
            validation.error(tenantID.location, "\(at).tenant_id: '\(tenantID.value)' is not a tenant id (a GUID) or domain")
            valid = false
        }
        if let clientID, clientID.value.isEmpty || clientID.value.contains(where: \.isWhitespace) {
            validation.error(clientID.location, "\(at).client_id: give the app registration's application (client) id")
            valid = false
        }
        var secret: String?
        if let clientSecretEnv {
            if let value = validation.environment[clientSecretEnv.value], !value.isEmpty {
                secret = value
            } else if validation.requiringSecrets {
                validation.error(clientSecretEnv.location, "\(at).client_secret_env: the environment variable \(clientSecretEnv.value) is not set")
                valid = false
            }
        }
        let certificate = validateCertificate(at: at, location: location, &validation, &valid)
        var endpoint: URL?
        if let tokenURL {
            endpoint = Self.url(tokenURL, "\(at).token_url", origin: false, &validation, &valid)
        } else if let tenantID {
            endpoint = URL(string: "https://login.microsoftonline.com/\(tenantID.value)/oauth2/v2.0/token")
        }
        guard let tenantID, let clientID, clientSecretEnv != nil || certificate != nil, let endpoint else { return nil }
        return GraphCredentials(
            tenantID: tenantID.value,
            clientID: clientID.value,
            clientSecretEnvironmentVariable: clientSecretEnv?.value,
            clientSecret: secret,
            certificate: certificate,
            tokenURL: endpoint
        )
    }

    /// `certificate_file` (PEM) and `private_key_file` (PEM), both or neither.
    func validateCertificate(at: String, location: SourceLocation, _ validation: inout Validation, _ valid: inout Bool) -> GraphCertificate? {
        guard certificateFile != nil || privateKeyFile != nil else { return nil }
        guard let certificateFile, let privateKeyFile else {
            validation.error((certificateFile ?? privateKeyFile)!.location, "\(at): certificate_file and private_key_file go together")
            valid = false
            return nil
        }
        guard let certificatePath = validation.readableFile(certificateFile, "\(at).certificate_file", &valid),
            let keyPath = validation.readableFile(privateKeyFile, "\(at).private_key_file", &valid)
        else { return nil }
        guard let pem = try? String(contentsOfFile: certificatePath, encoding: .utf8), let der = GraphCertificate.der(pem: pem) else {
            validation.error(
                certificateFile.location,
                "\(at).certificate_file: '\(certificatePath)' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
            )
            valid = false
            return nil
        }
        guard let key = try? String(contentsOfFile: keyPath, encoding: .utf8), key.contains("PRIVATE KEY-----") else {
            validation.error(privateKeyFile.location, "\(at).private_key_file: '\(keyPath)' holds no PEM private key")
            valid = false
            return nil
        }
        return GraphCertificate(certificateFile: certificatePath, der: der, privateKey: key)
    }
}

extension RawDirectory {
    /// `service_account_file` (a service account's JSON key), `subject`, `customer` and `token_url`
    /// of a google_workspace directory, or `nil` after reporting what is wrong. The key is read
    /// here; its private key never appears in a message.
    func validateGoogle(at: String, location: SourceLocation, _ validation: inout Validation, _ valid: inout Bool) -> GoogleCredentials? {
        var missing: [String] = []
        if serviceAccountFile == nil { missing.append("service_account_file") }
        if subject == nil { missing.append("subject") }
        if !missing.isEmpty {
            validation.error(
                location,
                "\(at) of kind google_workspace lacks \(missing.map { "'\($0)'" }.joined(separator: ", ")) "
                    + "(the service account's JSON key, and the administrator it acts as through domain-wide delegation)"
            )
            valid = false
        }
        if let subject, !subject.value.contains("@") {
            validation.error(subject.location, "\(at).subject: '\(subject.value)' is not an administrator's email address")
            valid = false
        }
        if let customer, customer.value.isEmpty || customer.value.contains(where: { $0 == "/" || $0.isWhitespace }) {
            validation.error(customer.location, "\(at).customer: give my_customer or the account's customer id (C0…)")
            valid = false
        }
        guard let path = validation.readableFile(serviceAccountFile, "\(at).service_account_file", &valid), let written = serviceAccountFile
        else { return nil }
        guard let data = FileManager.default.contents(atPath: path), case .object(let key)? = try? ClaimValue(json: data) else {
            validation.error(written.location, "\(at).service_account_file: '\(path)' is not a JSON key file")
            valid = false
            return nil
        }
        guard key["type"]?.stringValue == "service_account", let email = key["client_email"]?.stringValue,
            let privateKey = key["private_key"]?.stringValue, privateKey.contains("PRIVATE KEY")
        else {
            validation.error(
                written.location,
                "\(at).service_account_file: '\(path)' is not a service account key (type service_account, client_email, private_key)"
            )
            valid = false
            return nil
        }
        var endpoint: URL?
        if let tokenURL {
            endpoint = Self.url(tokenURL, "\(at).token_url", origin: false, &validation, &valid)
        } else if let uri = key["token_uri"]?.stringValue {
            // The key's own token endpoint, under the rule every directory address follows.
            guard let parsed = URL(string: uri), let host = parsed.host,
                parsed.scheme?.lowercased() == "https" || (parsed.scheme?.lowercased() == "http" && Validation.isLoopback(host))
            else {
                validation.error(
                    written.location,
                    "\(at).service_account_file: its token_uri '\(String(uri.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7f }.prefix(120)))' is not an https URL (http only on a loopback address)"
                )
                valid = false
                return nil
            }
            endpoint = parsed
        } else {
            endpoint = URL(string: "https://oauth2.googleapis.com/token")
        }
        guard let subject, let endpoint else { return nil }
        return GoogleCredentials(
            serviceAccountFile: path,
            clientEmail: email,
            privateKey: privateKey,
            privateKeyID: key["private_key_id"]?.stringValue,
            subject: subject.value,
            customer: customer?.value ?? "my_customer",
            tokenURL: endpoint
        )
    }

    /// A directory's address: https (http only on a loopback address, for tests), no query or
    /// fragment; for an `origin` (Okta's org address) nothing after the host and port either.
    static func url(_ written: Located<String>, _ name: String, origin: Bool, _ validation: inout Validation, _ valid: inout Bool) -> URL? {
        let text = written.value
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let parsed = URL(string: trimmed), let scheme = parsed.scheme?.lowercased(), let host = parsed.host, !host.isEmpty,
            parsed.query == nil, parsed.fragment == nil, parsed.user == nil,
            scheme == "https" || (scheme == "http" && Validation.isLoopback(host))
        else {
            validation.error(written.location, "\(name): '\(text)' is not an https URL (http only on a loopback address, for tests)")
            valid = false
            return nil
        }
        if origin, !parsed.path.isEmpty {
            validation.error(written.location, "\(name): '\(text)' has a path; give the org's address alone (https://example.okta.com)")
            valid = false
            return nil
        }
        return parsed
    }
}

extension RawDirectory.SafetyValve {
    /// The share (`0.10` or `10%`, default 0.10) and count (default none) of deactivations above
    /// which a run applies nothing.
    func validate(at: String, _ validation: inout Validation, _ valid: inout Bool) -> (share: Double, count: Int?) {
        var share = 0.10
        if let maxShare {
            var parsed: Double?
            if case .number(let n) = maxShare.value { parsed = n }
            if case .string(let text) = maxShare.value, text.hasSuffix("%"), let n = Double(text.dropLast()) { parsed = n / 100 }
            if let parsed, parsed >= 0, parsed <= 1 {
                share = parsed
            } else {
                validation.error(maxShare.location, "\(at).max_share: '\(maxShare.value.scalarText ?? "")' is not a share (0.10 or 10%)")
                valid = false
            }
        }
        var count: Int?
        if let maxCount {
            if case .number(let n) = maxCount.value, n >= 0, n == n.rounded(), n < 1e9 {
                count = Int(n)
            } else {
                validation.error(maxCount.location, "\(at).max_count: '\(maxCount.value.scalarText ?? "")' is not a whole number")
                valid = false
            }
        }
        return (share, count)
    }
}

extension RawDirectory {
    /// The bind, the searches and the attributes of an ldap directory, or `nil` after reporting
    /// what is wrong. The password is read from its variable here and never appears in a message.
    func validateLDAP(at: String, location: SourceLocation, _ validation: inout Validation, _ valid: inout Bool) -> LDAPSettings? {
        let activeDirectory = activeDirectory?.value ?? false
        var missing: [String] = []
        if users?.base == nil { missing.append("users.base") }
        if matchBy == nil { missing.append("match_by") }
        if !missing.isEmpty {
            validation.error(
                location,
                "\(at) of kind ldap lacks \(missing.map { "'\($0)'" }.joined(separator: ", ")) "
                    + "(where users are, and the attribute that identifies one and equals match_claim: entryUUID, objectGUID, uid or mail)"
            )
            valid = false
        }
        if let matchBy, !Self.isAttributeName(matchBy.value) {
            validation.error(matchBy.location, "\(at).match_by: '\(matchBy.value)' is not an LDAP attribute name (entryUUID, objectGUID, uid, mail)")
            valid = false
        }
        switch (bindDN, bindPasswordEnv) {
        case (let dn?, nil):
            validation.error(dn.location, "\(at).bind_dn goes with bind_password_env (the variable holding its password)")
            valid = false
        case (nil, let env?):
            validation.error(env.location, "\(at).bind_password_env goes with bind_dn")
            valid = false
        default: break
        }
        // Active Directory also takes a user principal name (rolesync@corp.example.com) for a simple bind.
        if let bindDN, !bindDN.value.contains("="), !(activeDirectory && bindDN.value.contains("@")) {
            validation.error(
                bindDN.location,
                "\(at).bind_dn: '\(bindDN.value)' is not a DN (cn=rolesync,ou=services,dc=example,dc=com"
                    + (activeDirectory ? ", or a user principal name rolesync@corp.example.com)" : ")")
            )
            valid = false
        }
        var password: String?
        if let bindPasswordEnv {
            if let value = validation.environment[bindPasswordEnv.value], !value.isEmpty {
                password = value
            } else if validation.requiringSecrets {
                validation.error(bindPasswordEnv.location, "\(at).bind_password_env: the environment variable \(bindPasswordEnv.value) is not set")
                valid = false
            }
        }
        for (name, base) in [("users.base", users?.base), ("groups.base", groups?.base)] {
            guard let base, !base.value.contains("=") else { continue }
            validation.error(base.location, "\(at).\(name): '\(base.value)' is not a DN (ou=people,dc=example,dc=com)")
            valid = false
        }
        for (name, filter) in [("users.filter", users?.filter), ("groups.filter", groups?.filter)] {
            guard let filter, let problem = Self.filterProblem(filter.value) else { continue }
            validation.error(filter.location, "\(at).\(name): '\(filter.value)' is not an LDAP filter: \(problem)")
            valid = false
        }
        if let member = users?.memberAttribute {
            validation.error(member.location, "\(at).users.member_attribute: member_attribute goes under groups")
            valid = false
        }
        let names: [(String, Located<String>?)] = [
            ("groups.member_attribute", groups?.memberAttribute), ("attributes.email", attributes?.email), ("attributes.name", attributes?.name),
        ]
        for case (let name, let written?) in names where !Self.isAttributeName(written.value) {
            validation.error(written.location, "\(at).\(name): '\(written.value)' is not an LDAP attribute name")
            valid = false
        }
        if let member = groups?.memberAttribute, activeDirectory {
            validation.error(
                member.location,
                "\(at).groups.member_attribute: with active_directory, membership comes from the in-chain rule over memberOf, not a member attribute"
            )
            valid = false
        }
        guard let userBase = users?.base, let matchBy else { return nil }
        return LDAPSettings(
            startTLS: startTLS?.value ?? false,
            bindDN: bindDN?.value,
            bindPasswordEnvironmentVariable: bindPasswordEnv?.value,
            bindPassword: password,
            userBase: userBase.value,
            userFilter: users?.filter?.value,
            groupBase: groups?.base?.value,
            groupFilter: groups?.filter?.value,
            memberAttribute: groups?.memberAttribute?.value ?? "member",
            matchAttribute: matchBy.value,
            emailAttribute: attributes?.email?.value ?? "mail",
            nameAttribute: attributes?.name?.value ?? "cn",
            activeDirectory: activeDirectory
        )
    }

    /// An attribute description (RFC 4512 §2.5: a name of letters, digits and hyphens starting with
    /// a letter, or a dotted OID).
    static func isAttributeName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.allSatisfy(\.isASCII) else { return false }
        if CharacterSet.letters.contains(first) {
            return text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" }
        }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    /// Why a filter is not one (RFC 4515's shape: in parentheses, balanced, escapes complete);
    /// `nil` when it is. The server checks the rest.
    static func filterProblem(_ filter: String) -> String? {
        guard filter.hasPrefix("("), filter.hasSuffix(")") else { return "a filter is written in parentheses" }
        var depth = 0
        var escaped = 0
        for (index, character) in filter.enumerated() {
            if escaped > 0 {
                guard character.isHexDigit else { return "'\\' is followed by two hex digits (\\2a for *)" }
                escaped -= 1
                continue
            }
            switch character {
            case "\\": escaped = 2
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth < 0 { return "a ')' at character \(index + 1) closes nothing" }
                if depth == 0, index != filter.count - 1 { return "text follows the closing ')' at character \(index + 1)" }
            default: break
            }
        }
        if escaped > 0 { return "it ends inside an escape" }
        return depth == 0 ? nil : "a '(' is never closed"
    }

    /// An LDAP server's address: `ldaps://host[:port]`, or `ldap://` with `start_tls: true`, or
    /// plain `ldap://` on a loopback address (tests); nothing after the host and port.
    static func ldapURL(_ written: Located<String>, _ name: String, startTLS: Bool, _ validation: inout Validation, _ valid: inout Bool) -> URL? {
        let text = written.value
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let parsed = URL(string: trimmed), let scheme = parsed.scheme?.lowercased(), scheme == "ldaps" || scheme == "ldap",
            let host = parsed.host, !host.isEmpty, parsed.user == nil, parsed.query == nil, parsed.fragment == nil, parsed.path.isEmpty
        else {
            validation.error(
                written.location,
                "\(name): '\(text)' is not an LDAP server's address (ldaps://ldap.example.com or ldap://ldap.example.com:389)"
            )
            valid = false
            return nil
        }
        if scheme == "ldap", !startTLS, !Validation.isLoopback(host) {
            validation.error(
                written.location,
                "\(name): '\(text)' would send the bind password in the clear: use ldaps://, or start_tls: true (plain ldap:// only on a loopback address, for tests)"
            )
            valid = false
            return nil
        }
        if scheme == "ldaps", startTLS {
            validation.error(written.location, "\(name): ldaps:// is TLS from the start; start_tls: true goes with ldap://")
            valid = false
            return nil
        }
        return parsed
    }
}

extension RawDirectory {
    /// An Okta API service app's `client_id`, `private_key_file` and optional `key_id`, or `nil`
    /// when neither is written (an API token signs in) or after reporting what is wrong. The key
    /// is read here and never appears in a message.
    func validateOktaServiceApp(at: String, _ validation: inout Validation, _ valid: inout Bool) -> OktaServiceApp? {
        guard clientID != nil || privateKeyFile != nil else {
            if let keyID {
                validation.error(keyID.location, "\(at).key_id goes with client_id and private_key_file (an Okta service app)")
                valid = false
            }
            return nil
        }
        guard let clientID, let privateKeyFile else {
            validation.error(
                (clientID ?? privateKeyFile)!.location,
                "\(at): an Okta service app needs both client_id and private_key_file (a PEM RSA private key whose public key the app holds)"
            )
            valid = false
            return nil
        }
        if let tokenEnv {
            validation.error(tokenEnv.location, "\(at): give token_env (an API token) or client_id and private_key_file (a service app), not both")
            valid = false
        }
        if clientID.value.isEmpty || clientID.value.contains(where: \.isWhitespace) {
            validation.error(clientID.location, "\(at).client_id: give the service app's client ID")
            valid = false
        }
        guard let path = validation.readableFile(privateKeyFile, "\(at).private_key_file", &valid) else { return nil }
        guard let key = try? String(contentsOfFile: path, encoding: .utf8), key.contains("PRIVATE KEY-----") else {
            validation.error(privateKeyFile.location, "\(at).private_key_file: '\(path)' holds no PEM private key")
            valid = false
            return nil
        }
        return OktaServiceApp(clientID: clientID.value, privateKeyFile: path, privateKey: key, keyID: keyID?.value)
    }
}
