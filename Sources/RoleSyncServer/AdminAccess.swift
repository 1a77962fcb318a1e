package import Hummingbird
package import RoleSyncMapping

/// What an admin route needs of its caller.
package enum AdminPermission: String, Sendable, CaseIterable {
    case readUsers = "users:read"
    case editUsers = "users:edit"
    case readAudit = "audit:read"
    case readMappings = "mappings:read"
    case readKeys = "keys:read"
    case createKeys = "keys:create"
    case revokeKeys = "keys:revoke"
    case rollKeys = "keys:roll"
    case offboardUsers = "users:offboard"
    case overrideRoles = "users:override"
    case readDirectory = "directory:read"
    case dryRunDirectory = "directory:dry-run"
    case readWebhooks = "webhooks:read"
    case manageWebhooks = "webhooks:manage"

    /// The roles that hold the permission: SPEC §1's role table, in one place. `user_admin`
    /// manages users; `super_admin` may do everything. The mappings decide users' roles, so reading
    /// them and trying a change on the users is user administration too. Governing every key on
    /// the platform and offboarding leavers is too (the seed's step 4 and 5).
    package var roles: Set<Role> {
        switch self {
        // Rolling another's key hands the caller a key that acts as its owner: the ledger refuses
        // a super_admin's to anyone else and every other owner's admin key (KeyRollAuthority).
        // Seeing how the directories are read, and a dry run of one (it reads the IdP's directory
        // and writes nothing), is user administration too.
        case .readUsers, .editUsers, .readAudit, .readMappings, .readKeys, .createKeys, .revokeKeys, .rollKeys, .offboardUsers,
            .readDirectory, .dryRunDirectory:
            [.superAdmin, .userAdmin]
        // Break-glass sets aside the IdP's decision: only super_admin, who may grant any role.
        // Seeing which events went where is reading the audit log; sending them again, to a
        // system outside, and turning an endpoint back on is the platform's owner's (decision 137).
        case .readWebhooks:
            [.superAdmin, .userAdmin]
        case .overrideRoles, .manageWebhooks:
            [.superAdmin]
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
        queryParameters: ["q", "role", "status", "sort", "order", "limit", "cursor", "format"]
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
        queryParameters: ["q", "user", "action", "actor", "since", "until", "limit", "cursor", "format"]
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

    package static let offboardUser = AdminRoute(
        method: .post,
        path: "/api/admin/users/{id}/offboard",
        permission: .offboardUsers,
        queryParameters: []
    )
    package static let grantOverride = AdminRoute(
        method: .post,
        path: "/api/admin/users/{id}/override",
        permission: .overrideRoles,
        queryParameters: []
    )
    package static let endOverride = AdminRoute(
        method: .delete,
        path: "/api/admin/users/{id}/override",
        permission: .overrideRoles,
        queryParameters: []
    )
    package static let shadow = AdminRoute(
        method: .get,
        path: "/api/admin/mapping/shadow",
        permission: .readMappings,
        queryParameters: ["since", "issuer", "kind", "limit"]
    )
    package static let listKeys = AdminRoute(
        method: .get,
        path: "/api/admin/keys",
        permission: .readKeys,
        queryParameters: ["q", "owner", "status", "purpose", "sort", "order", "limit", "cursor", "format"]
    )
    package static let createKey = AdminRoute(
        method: .post,
        path: "/api/admin/keys",
        permission: .createKeys,
        queryParameters: []
    )
    package static let showKey = AdminRoute(
        method: .get,
        path: "/api/admin/keys/{id}",
        permission: .readKeys,
        queryParameters: []
    )
    package static let revokeKey = AdminRoute(
        method: .post,
        path: "/api/admin/keys/{id}/revoke",
        permission: .revokeKeys,
        queryParameters: []
    )

    package static let revokeKeys = AdminRoute(
        method: .post,
        path: "/api/admin/keys/revoke",
        permission: .revokeKeys,
        queryParameters: []
    )

    package static let rollKey = AdminRoute(
        method: .post,
        path: "/api/admin/keys/{id}/roll",
        permission: .rollKeys,
        queryParameters: []
    )

    package static let reviewHolders = AdminRoute(
        method: .get,
        path: "/api/admin/reviews/current",
        permission: .readUsers,
        queryParameters: ["format"]
    )

    package static let completeReview = AdminRoute(
        method: .post,
        path: "/api/admin/reviews",
        permission: .editUsers,
        queryParameters: []
    )

    package static let reviews = AdminRoute(
        method: .get,
        path: "/api/admin/reviews",
        permission: .readUsers,
        queryParameters: []
    )

    package static let review = AdminRoute(
        method: .get,
        path: "/api/admin/reviews/{id}",
        permission: .readUsers,
        queryParameters: ["format"]
    )

    package static let directory = AdminRoute(
        method: .get,
        path: "/api/admin/directory",
        permission: .readDirectory,
        queryParameters: []
    )

    package static let directoryDryRun = AdminRoute(
        method: .post,
        path: "/api/admin/directory/{idp}/dry-run",
        permission: .dryRunDirectory,
        queryParameters: []
    )

    package static let webhooks = AdminRoute(
        method: .get,
        path: "/api/admin/webhooks",
        permission: .readWebhooks,
        queryParameters: []
    )

    package static let webhookMessages = AdminRoute(
        method: .get,
        path: "/api/admin/webhooks/messages",
        permission: .readWebhooks,
        queryParameters: ["endpoint", "state", "type", "limit"]
    )

    package static let webhookReplay = AdminRoute(
        method: .post,
        path: "/api/admin/webhooks/{name}/replay",
        permission: .manageWebhooks,
        queryParameters: []
    )

    package static let webhookEnable = AdminRoute(
        method: .post,
        path: "/api/admin/webhooks/{name}/enable",
        permission: .manageWebhooks,
        queryParameters: []
    )

    package static let webhookTest = AdminRoute(
        method: .post,
        path: "/api/admin/webhooks/{name}/test",
        permission: .manageWebhooks,
        queryParameters: []
    )

    package static let webhookRetry = AdminRoute(
        method: .post,
        path: "/api/admin/webhooks/{name}/messages/{event_id}/retry",
        permission: .manageWebhooks,
        queryParameters: []
    )

    /// Every admin route.
    package static let all: [AdminRoute] = [
        listUsers, showUser, editUser, offboardUser, grantOverride, endOverride, audit, mappings, dryRun, shadow, listKeys,
        createKey, showKey, revokeKey, revokeKeys, rollKey, reviewHolders, completeReview, reviews, review, directory, directoryDryRun, webhooks, webhookMessages, webhookReplay, webhookEnable,
        webhookTest, webhookRetry,
    ]

    /// Where the admin routes live.
    static let prefix = "/api/admin"
}
