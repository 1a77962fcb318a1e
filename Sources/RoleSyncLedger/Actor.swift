/// Who did something, as the audit log records it.
package enum Actor: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// A signed-in admin (or an admin API key acting for them).
    case user(UserID)
    /// The IdP, through a sign-in.
    case idp
    /// Periodic reconciliation against the IdP's directory.
    case reconciler
    /// A SCIM push from the IdP.
    case scim
    /// The machine's operator through the `rolesync` command line.
    case cli
    /// RoleSync itself, on a clock: a break-glass override reaching its deadline.
    case system

    package var description: String {
        switch self {
        case .user(let id): "user:\(id)"
        case .idp: "idp"
        case .reconciler: "reconciler"
        case .scim: "scim"
        case .cli: "cli"
        case .system: "system"
        }
    }

    package init?(_ description: String) {
        switch description {
        case "idp": self = .idp
        case "reconciler": self = .reconciler
        case "scim": self = .scim
        case "cli": self = .cli
        case "system": self = .system
        default:
            guard description.hasPrefix("user:"), let id = Int64(description.dropFirst(5)) else { return nil }
            self = .user(UserID(id))
        }
    }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let actor = Actor(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown actor '\(text)'"))
        }
        self = actor
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
