package import Hummingbird
import HummingbirdAuth

extension ServerContext {
    /// How many admin changes (role edits, dry runs), from the API and the dashboard together, run
    /// at once; the rest wait their turn.
    static let concurrentAdminChanges = 2

    /// The router with every route of this server, one route group per surface, each surface's
    /// routes added by a controller given only what it uses:
    ///
    /// - the browser surface: sign-in (`/auth/...`), the landing page, the Admin Dashboard
    ///   (`/admin/...`) and the Console (`/console/...`), signed in by the session cookie only, every
    ///   form checked for its token, strict security headers, errors as pages; and its two static
    ///   files (`/assets/...`);
    /// - the JSON API (`/api/me`, `/api/keys`, `/api/admin/...`): the caller from an admin key or the
    ///   session cookie, permissions per route, same-origin writes, errors as RFC 9457 problem details;
    /// - token introspection for AI gateways (`/oauth/introspect`): the gateway from its Basic
    ///   credentials, errors as OAuth error bodies;
    /// - forward authentication for any gateway (`/gateway/check`): the gateway from its secret
    ///   header, the verdict in the status and `X-RoleSync-*` headers, errors as problem details;
    /// - SCIM (`/scim/v2/...`): the pushing IdP from its token, errors as SCIM error bodies;
    /// - operations (`/healthz`, `/metrics`, `/openapi.json`).
    ///
    /// What no route takes is answered 404 or 405 from the router's own route list.
    package func makeRouter() -> Router<RoleSyncRequestContext> {
        let router = Router(context: RoleSyncRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        let adminGate = AdmissionGate(limit: Self.concurrentAdminChanges)

        let keyHandlers = KeyAPIHandlers(keys: keys, now: now)
        let keyPages = KeyPageHandlers(keys: keys, now: now)

        OperationsController(sync: sync, metricsExposition: metricsExposition).addRoutes(to: router.group())

        let browser = router.group()
            .add(middleware: ContentSecurityMiddleware(contentSecurityPolicy: HTMLPage.contentSecurityPolicy))
            .add(middleware: PageMiddleware())
        AssetsController().addRoutes(to: browser.group("assets"))
        SignInController(
            sync: sync,
            sessions: sessions,
            providers: providers,
            logins: logins,
            cookies: cookies,
            returnAddresses: returnAddresses,
            publicOrigin: publicOrigin,
            now: now
        )
        .addRoutes(to: browser.group("auth"))
        let pages = browser.group().add(middleware: PageSessionAuthenticator(sessions: sessions, cookies: cookies))
        HomeController(sync: sync, providers: providers).addRoutes(to: pages)
        let signedIn = pages.group()
            .add(middleware: RequireSignInMiddleware())
            .add(middleware: FormProtectionMiddleware(publicOrigin: publicOrigin))
        ConsoleController(keys: keys, keyPages: keyPages, now: now).addRoutes(to: signedIn.group("console"))
        let directoryDesk = DirectoryController(desk: directories, now: now)
        let adminPages = signedIn.group("admin").add(middleware: AdmissionMiddleware(gate: adminGate))
        DashboardController(sync: sync, keys: keys, keyPages: keyPages, directories: directoryDesk, now: now).addRoutes(to: adminPages)
        EventsPageController(desk: webhooks, now: now).addRoutes(to: adminPages)
        ReviewPagesController(sync: sync, now: now).addRoutes(to: adminPages)

        let api = router.group("api")
            .add(middleware: NoStoreMiddleware())
            .add(middleware: ProblemMiddleware())
            .add(middleware: CallerAuthenticator(sessions: sessions, keys: keys, cookies: cookies))
            // No caller: hummingbird-auth's 401, which ProblemMiddleware answers `not_signed_in`.
            .add(middleware: IsAuthenticatedMiddleware())
            .add(middleware: SameOriginWritesMiddleware(publicOrigin: publicOrigin))
        AccountController(sync: sync).addRoutes(to: api)
        ConsoleKeysController(actions: keyHandlers).addRoutes(to: api)
        let admin = api.group("admin").add(middleware: AdmissionMiddleware(gate: adminGate))
        AdminUsersController(sync: sync, now: now).addRoutes(to: admin)
        AdminKeysController(actions: keyHandlers).addRoutes(to: admin)
        AuditController(sync: sync, now: now).addRoutes(to: admin)
        ReviewsController(sync: sync, now: now).addRoutes(to: admin)
        MappingController(sync: sync).addRoutes(to: admin)
        directoryDesk.addRoutes(to: admin)
        WebhooksController(desk: webhooks, now: now).addRoutes(to: admin)

        IntrospectionController(keys: keys, gateways: gateways).addRoutes(to: router.group("oauth").add(middleware: NoStoreMiddleware()))
        GatewayCheckController(
            keys: keys,
            sessions: sessions,
            cookies: cookies,
            gateways: forwardAuthGateways,
            publicURL: publicURL,
            returnAddresses: returnAddresses
        )
        .addRoutes(to: router.group("gateway").add(middleware: NoStoreMiddleware()).add(middleware: ProblemMiddleware()))

        if let scim {
            SCIMController(service: scim, publicURL: publicURL, now: now)
                .addRoutes(to: router.group(RouterPath(SCIMRoutes.prefix)).add(middleware: SCIMMiddleware(service: scim)))
        }

        // Added last, it still wraps the not-found answer, which is built with every middleware.
        router.add(middleware: UnroutedMiddleware(routes: router.routes, servesSCIM: scim != nil))
        return router
    }
}
