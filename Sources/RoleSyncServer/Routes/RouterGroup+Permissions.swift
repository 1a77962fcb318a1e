import Hummingbird
import HummingbirdAuth
import RoleSyncLedger

extension RouterGroup<RoleSyncRequestContext> {
    /// Registers one admin API route at its path, behind the policy that its permission holds (a
    /// 403 problem without it).
    func on<Output: ResponseGenerator>(
        _ route: AdminRoute,
        use handler: @escaping @Sendable (Request, RoleSyncRequestContext) async throws -> Output
    ) {
        group()
            .add(
                middleware: AuthorizationPolicyMiddleware(
                    PermissionPolicy<Caller>(route.permission),
                    deniedError: ProblemError.notPermitted(route.permission)
                )
            )
            .on(RouterPath(String(route.path.dropFirst(AdminRoute.prefix.count))), method: route.method, use: handler)
    }

    /// Registers one dashboard page behind `permission`; without it the answer is the 403 page.
    func page(
        _ method: HTTPRequest.Method,
        _ path: RouterPath,
        _ permission: AdminPermission,
        use handler: @escaping @Sendable (Request, RoleSyncRequestContext) async throws -> Response
    ) {
        group()
            .add(
                middleware: AuthorizationPolicyMiddleware(
                    PermissionPolicy<Caller>(permission),
                    deniedError: PageError(
                        .forbidden,
                        title: "Not permitted",
                        code: "forbidden",
                        message: "This page is for user administrators (user_admin or super_admin). "
                            + "Your own API keys are in the Console, at /console/keys."
                    )
                )
            )
            .on(path, method: method, use: handler)
    }
}
