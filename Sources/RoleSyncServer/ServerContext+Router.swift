public import Hummingbird
import HummingbirdAuth

extension ServerContext {
    /// How many admin API changes (role edits, dry runs) run at once; the rest wait their turn.
    static let concurrentAdminChanges = 2

    /// The router with every route of this server, one route group per surface:
    ///
    /// - the browser surface (`/`, `/auth/...`): pages, strict security headers, errors as pages;
    /// - the JSON API (`/api/me`, `/api/keys`, `/api/admin/...`): the caller from an admin key or the
    ///   session cookie, permissions per route, same-origin writes, errors as RFC 9457 problem details;
    /// - token introspection for AI gateways (`/oauth/introspect`): the gateway from its Basic
    ///   credentials, errors as OAuth error bodies;
    /// - SCIM (`/scim/v2/...`): the pushing IdP from its token, errors as SCIM error bodies;
    /// - operations (`/healthz`, `/metrics`, `/openapi.json`).
    ///
    /// What no route takes is answered 404 or 405 from the router's own route list.
    public func makeRouter() -> Router<RoleSyncRequestContext> {
        let router = Router(context: RoleSyncRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: MetricsMiddleware())

        addOperationsRoutes(to: router.group())

        let browser = router.group()
            .add(middleware: ContentSecurityMiddleware(contentSecurityPolicy: HTMLPage.contentSecurityPolicy))
            .add(middleware: PageMiddleware())
        addSignInRoutes(to: browser.group("auth"))
        addHomeRoutes(to: browser)

        let api = router.group("api")
            .add(middleware: NoStoreMiddleware())
            .add(middleware: ProblemMiddleware())
            .add(middleware: CallerAuthenticator(sessions: sessions, keys: keys, cookies: cookies))
            .add(middleware: RequireCallerMiddleware())
            .add(middleware: SameOriginWritesMiddleware(publicOrigin: publicOrigin))
        addAccountRoutes(to: api)
        addConsoleKeyRoutes(to: api)
        addAdminRoutes(to: api.group("admin").add(middleware: AdmissionMiddleware(gate: AdmissionGate(limit: Self.concurrentAdminChanges))))

        addIntrospectionRoutes(to: router.group("oauth").add(middleware: NoStoreMiddleware()))

        if let scim {
            addSCIMRoutes(to: router.group(RouterPath(SCIMRoutes.prefix)).add(middleware: SCIMMiddleware(service: scim)), service: scim)
        }

        // Added last, it still wraps the not-found answer, which is built with every middleware.
        router.add(middleware: UnroutedMiddleware(routes: router.routes, servesSCIM: scim != nil))
        return router
    }
}
