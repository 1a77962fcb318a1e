package import RoleSyncMapping

/// Who is asking for a change, with the role their permissions come from.
package struct Principal: Sendable, Hashable {
    package var actor: Actor
    package var role: Role

    package init(actor: Actor, role: Role) {
        self.actor = actor
        self.role = role
    }

    /// The machine's operator at the command line: `super_admin`'s permissions, still bound by IdP
    /// ownership of roles and the last-`super_admin` guard.
    package static let cli = Principal(actor: .cli, role: .superAdmin)

    /// `user_admin` and `super_admin` manage users (SPEC §1).
    package var canManageUsers: Bool { role == .superAdmin || role == .userAdmin }
}
