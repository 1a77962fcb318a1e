import RoleSyncMapping
import RoleSyncYAML

/// A `gateways:` entry as written: a gateway that asks RoleSync about API keys, by RFC 7662
/// introspection (HTTP Basic: `client_id`, `client_secret_env`), by forward authentication
/// (`forward_auth`: a secret it sends in `X-RoleSync-Gateway-Token`), or both. Secrets come from
/// the environment, never the file.
struct RawGateway: Decodable {
    var name: Located<String>?
    var clientID: Located<String>?
    var clientSecretEnv: Located<String>?
    var forwardAuth: Located<RawForwardAuth>?
    var roles: Located<[Located<String>]>?

    enum CodingKeys: String, CodingKey, CaseIterable, RequiredKeys {
        case name
        case clientID = "client_id"
        case clientSecretEnv = "client_secret_env"
        case forwardAuth = "forward_auth"
        case roles

        static let required: [CodingKeys] = [.name]
    }

    /// A gateway's `forward_auth:` settings.
    struct RawForwardAuth: Decodable {
        var secretEnv: Located<String>?

        enum CodingKeys: String, CodingKey, CaseIterable, RequiredKeys {
            case secretEnv = "secret_env"

            static let required = allCases
        }
    }

    /// The usable gateways; each client id may appear once, and each forward-authentication secret.
    static func validate(_ entries: [Located<RawGateway>], _ validation: inout Validation) -> [GatewaySettings] {
        var result: [GatewaySettings] = []
        var clientIDs: [String: Int] = [:]
        var forwardSecrets: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let at = "gateways[\(index)]"
            let raw = entry.value
            // A missing name was reported by the decoder.
            guard let name = raw.name?.value else { continue }
            var valid = true
            let introspection = introspectionCredentials(raw, at: at, location: entry.location, &clientIDs, index, &validation, &valid)
            var forwardSecret: String?
            if let forwardAuth = raw.forwardAuth, let variable = forwardAuth.value.secretEnv {
                forwardSecret = secret(variable, "\(at).forward_auth.secret_env", &validation, &valid)
                if let value = forwardSecret, let first = forwardSecrets[value] {
                    validation.error(
                        variable.location,
                        "\(at).forward_auth.secret_env: gateways[\(first)] has the same secret; give each gateway its own"
                    )
                    valid = false
                } else if let value = forwardSecret {
                    forwardSecrets[value] = index
                }
            }
            if raw.clientID == nil, raw.clientSecretEnv == nil, raw.forwardAuth == nil {
                validation.error(
                    entry.location,
                    "\(at) needs 'client_id' and 'client_secret_env' (RFC 7662 introspection), 'forward_auth' (forward authentication), or both"
                )
                valid = false
            }
            let roles = allowedRoles(raw.roles, at: at, &validation, &valid)
            if roles != nil, raw.forwardAuth == nil, let list = raw.roles {
                validation.error(list.location, "\(at).roles: only forward authentication checks roles; add 'forward_auth' or remove 'roles'")
                valid = false
            }
            guard valid else { continue }
            result.append(
                GatewaySettings(
                    name: name,
                    clientID: introspection?.clientID,
                    clientSecret: introspection?.secret,
                    forwardAuth: raw.forwardAuth.map { _ in GatewaySettings.ForwardAuth(secret: forwardSecret, roles: roles) },
                    location: entry.location
                )
            )
        }
        return result
    }

    /// The Basic credentials of introspection, when the entry has them: both keys or neither.
    private static func introspectionCredentials(
        _ raw: RawGateway,
        at: String,
        location: SourceLocation,
        _ clientIDs: inout [String: Int],
        _ index: Int,
        _ validation: inout Validation,
        _ valid: inout Bool
    ) -> (clientID: String, secret: String?)? {
        switch (raw.clientID, raw.clientSecretEnv) {
        case (nil, nil):
            return nil
        case (nil, _?):
            validation.error(location, "\(at) lacks 'client_id' (introspection needs it with 'client_secret_env')")
        case (_?, nil):
            validation.error(location, "\(at) lacks 'client_secret_env' (introspection needs it with 'client_id')")
        case (let clientID?, let variable?):
            guard !clientID.value.isEmpty, !clientID.value.contains(":"),
                clientID.value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                validation.error(clientID.location, "\(at).client_id: '\(clientID.value)' must be printable ASCII without spaces or ':' (HTTP Basic)")
                break
            }
            if let first = clientIDs[clientID.value] {
                validation.error(clientID.location, "\(at).client_id: '\(clientID.value)' is already used by gateways[\(first)]")
                break
            }
            clientIDs[clientID.value] = index
            var secretValid = true
            let value = secret(variable, "\(at).client_secret_env", &validation, &secretValid)
            guard secretValid else { break }
            return (clientID.value, value)
        }
        valid = false
        return nil
    }

    /// A gateway's secret from the variable `variable` names: at least 32 bytes; required by `serve`.
    private static func secret(_ variable: Located<String>, _ key: String, _ validation: inout Validation, _ valid: inout Bool) -> String? {
        guard let value = validation.secret(nil, environmentKey: variable, key, &valid) else { return nil }
        guard value.utf8.count >= 32 else {
            validation.error(variable.location, "\(key): the secret in \(variable.value) is shorter than 32 bytes; use a random one")
            valid = false
            return nil
        }
        return value
    }

    /// The roles `roles:` lets through forward authentication; `nil` when the key is absent (every role).
    private static func allowedRoles(
        _ list: Located<[Located<String>]>?,
        at: String,
        _ validation: inout Validation,
        _ valid: inout Bool
    ) -> Set<Role>? {
        guard let list else { return nil }
        guard !list.value.isEmpty else {
            validation.error(list.location, "\(at).roles: name at least one role, or leave 'roles' out to let every role through")
            valid = false
            return nil
        }
        var roles: Set<Role> = []
        for (position, name) in list.value.enumerated() {
            guard let role = Role(rawValue: name.value) else {
                let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                validation.error(name.location, "\(at).roles[\(position)]: '\(name.value)' is not a role (one of \(known))")
                valid = false
                continue
            }
            roles.insert(role)
        }
        return roles
    }
}
