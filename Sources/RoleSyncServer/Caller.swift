import HummingbirdAuth
package import RoleSyncLedger

/// A signed-in caller of the JSON API, with their role as of this request.
package struct Caller: Sendable, PermissionProviding {
    /// How the caller proved who they are.
    package enum Credential: String, Sendable {
        case session
        /// An `admin` API key.
        case apiKey = "api_key"
    }

    package var user: User
    package var credential: Credential

    package init(user: User, credential: Credential) {
        self.user = user
        self.credential = credential
    }

    /// Who the ledger records as acting, and with which role.
    package var principal: Principal { Principal(actor: .user(user.id), role: user.role) }

    /// What the caller's role may do (``AdminPermission/roles``).
    package var permissions: Set<AdminPermission> {
        Set(AdminPermission.allCases.filter { $0.roles.contains(user.role) })
    }
}
