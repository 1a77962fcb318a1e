package import Hummingbird
public import RoleSyncMapping

/// What an admin route needs of its caller.
public enum AdminPermission: String, Sendable, CaseIterable {
    case readUsers = "users:read"
    case editUsers = "users:edit"
    case readAudit = "audit:read"
    case readMappings = "mappings:read"

    /// The roles that hold the permission: SPEC §1's role table, in one place. `user_admin`
    /// manages users; `super_admin` may do everything. The mappings decide users' roles, so reading
    /// them and trying a change on the users is user administration too.
    public var roles: Set<Role> {
        switch self {
        case .readUsers, .editUsers, .readAudit, .readMappings: [.superAdmin, .userAdmin]
        }
    }
}

/// One admin route: its method, its path as the OpenAPI document writes it, what it needs, and the
/// query parameters it reads. The admin routes are registered from this table, and a test holds the
/// OpenAPI document to the router's routes and to these parameters.
package struct AdminRoute: Sendable, Hashable {
    package var method: HTTPRequest.Method
    package var path: String
    package var permission: AdminPermission
    package var queryParameters: [String]

    package static let listUsers = AdminRoute(
        method: .get,
        path: "/api/admin/users",
        permission: .readUsers,
        queryParameters: ["q", "role", "status", "sort", "order", "limit", "cursor"]
    )
    package static let showUser = AdminRoute(
        method: .get,
        path: "/api/admin/users/{id}",
        permission: .readUsers,
        queryParameters: []
    )
    package static let editUser = AdminRoute(
        method: .patch,
        path: "/api/admin/users/{id}",
        permission: .editUsers,
        queryParameters: []
    )
    package static let audit = AdminRoute(
        method: .get,
        path: "/api/admin/audit",
        permission: .readAudit,
        queryParameters: ["user", "action", "actor", "since", "until", "limit", "cursor"]
    )
    package static let mappings = AdminRoute(
        method: .get,
        path: "/api/admin/mapping",
        permission: .readMappings,
        queryParameters: []
    )
    package static let dryRun = AdminRoute(
        method: .post,
        path: "/api/admin/mapping/dry-run",
        permission: .readMappings,
        queryParameters: []
    )

    /// Every admin route.
    package static let all: [AdminRoute] = [listUsers, showUser, editUser, audit, mappings, dryRun]

    /// Where the admin routes live.
    static let prefix = "/api/admin"
}
