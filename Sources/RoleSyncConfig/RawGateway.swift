import RoleSyncYAML

/// A `gateways:` entry as written: an AI gateway that introspects API keys with HTTP Basic, its
/// secret from the environment (never the file).
struct RawGateway: Decodable {
    var name: Located<String>?
    var clientID: Located<String>?
    var clientSecretEnv: Located<String>?

    enum CodingKeys: String, CodingKey, CaseIterable, RequiredKeys {
        case name
        case clientID = "client_id"
        case clientSecretEnv = "client_secret_env"

        static let required = allCases
    }

    /// The usable gateways; each client id may appear once.
    static func validate(_ entries: [Located<RawGateway>], _ validation: inout Validation) -> [GatewaySettings] {
        var result: [GatewaySettings] = []
        var clientIDs: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let at = "gateways[\(index)]"
            // Missing keys were reported by the decoder.
            guard let name = entry.value.name?.value, let clientID = entry.value.clientID, let variable = entry.value.clientSecretEnv
            else { continue }
            guard !clientID.value.isEmpty, !clientID.value.contains(":"),
                clientID.value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                validation.error(clientID.location, "\(at).client_id: '\(clientID.value)' must be printable ASCII without spaces or ':' (HTTP Basic)")
                continue
            }
            if let first = clientIDs[clientID.value] {
                validation.error(clientID.location, "\(at).client_id: '\(clientID.value)' is already used by gateways[\(first)]")
                continue
            }
            clientIDs[clientID.value] = index
            var secret = validation.environment[variable.value].flatMap { $0.isEmpty ? nil : $0 }
            if let value = secret, value.utf8.count < 32 {
                validation.error(
                    variable.location,
                    "\(at).client_secret_env: the secret in \(variable.value) is shorter than 32 bytes; use a random one"
                )
                secret = nil
            } else if secret == nil, validation.requiringSecrets {
                validation.error(variable.location, "\(at).client_secret_env: the environment variable \(variable.value) is not set")
            }
            result.append(GatewaySettings(name: name, clientID: clientID.value, clientSecret: secret, location: entry.location))
        }
        return result
    }
}
