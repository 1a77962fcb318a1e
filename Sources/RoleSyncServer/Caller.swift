public import HummingbirdAuth
public import RoleSyncLedger

/// A signed-in caller of the JSON API, with their role as of this request.
public struct Caller: Sendable, PermissionProviding {
    /// How the caller proved who they are.
    public enum Credential: String, Sendable {
        case session
        /// An `admin` API key.
        case apiKey = "api_key"
    }

    public var user: User
    public var credential: Credential

    public init(user: User, credential: Credential) {
        self.user = user
        self.credential = credential
    }

    /// Who the ledger records as acting, and with which role.
    public var principal: Principal { Principal(actor: .user(user.id), role: user.role) }

    /// What the caller's role may do (``AdminPermission/roles``).
    public var permissions: Set<AdminPermission> {
        Set(AdminPermission.allCases.filter { $0.roles.contains(user.role) })
    }
}
