public import Hummingbird
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
public struct AdminRoute: Sendable, Hashable {
    public var method: HTTPRequest.Method
    public var path: String
    public var permission: AdminPermission
    public var queryParameters: [String]

    public static let listUsers = AdminRoute(
        method: .get,
        path: "/api/admin/users",
        permission: .readUsers,
        queryParameters: ["q", "role", "status", "sort", "order", "limit", "cursor"]
    )
    public static let showUser = AdminRoute(
        method: .get,
        path: "/api/admin/users/{id}",
        permission: .readUsers,
        queryParameters: []
    )
    public static let editUser = AdminRoute(
        method: .patch,
        path: "/api/admin/users/{id}",
        permission: .editUsers,
        queryParameters: []
    )
    public static let audit = AdminRoute(
        method: .get,
        path: "/api/admin/audit",
        permission: .readAudit,
        queryParameters: ["user", "action", "actor", "since", "until", "limit", "cursor"]
    )
    public static let mappings = AdminRoute(
        method: .get,
        path: "/api/admin/mapping",
        permission: .readMappings,
        queryParameters: []
    )
    public static let dryRun = AdminRoute(
        method: .post,
        path: "/api/admin/mapping/dry-run",
        permission: .readMappings,
        queryParameters: []
    )

    /// Every admin route.
    public static let all: [AdminRoute] = [listUsers, showUser, editUser, audit, mappings, dryRun]

    /// Where the admin routes live.
    static let prefix = "/api/admin"
}
