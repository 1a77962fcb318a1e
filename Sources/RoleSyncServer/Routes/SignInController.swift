import Foundation
import Hummingbird
import Logging
import Metrics
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC

/// Sign-in through the configured OpenID providers and sign-out: `GET /auth/login`,
/// `GET /auth/callback`, `POST /auth/logout`.
struct SignInController: Sendable {
    let sync: SyncService
    let sessions: SessionService
    let providers: ProviderDirectory
    let logins: LoginStateStore
    let cookies: ServerCookies
    /// Where a sign-in may return to: a path here, or an allowed host's https URL.
    let returnAddresses: ReturnAddresses
    /// `scheme://host[:port]` of the public URL: a sign-out from any other origin is refused.
    let publicOrigin: String
    let now: @Sendable () -> Date

    /// `GET /auth/login`, `GET /auth/callback`, `POST /auth/logout`.
    func addRoutes(to auth: RouterGroup<RoleSyncRequestContext>) {
        auth.get("login") { request, context in try await self.login(request, context) }
        auth.get("callback") { request, context in try await self.callback(request, context) }
        auth.post("logout") { request, context in try await self.logout(request, context) }
    }

    func login(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let reference = query.get("idp")
        guard let provider = providers.provider(reference) else {
            if reference == nil || reference?.isEmpty == true {
                return chooser(request, context)
            }
            throw PageError(
                .badRequest,
                title: "Unknown identity provider",
                code: "unknown_idp",
                message: "No configured identity provider is called '\(reference ?? "")'. "
                    + "Known: \(providers.providers.map(\.configuration.name).joined(separator: ", "))."
            )
        }
        var returnTo: String?
        if let requested = query.get("return_to") {
            guard let path = returnAddresses.validated(requested) else {
                throw PageError(
                    .badRequest,
                    title: "Invalid return address",
                    code: "invalid_return_to",
                    message: returnAddresses.allowedHosts.isEmpty
                        ? "return_to must be a path on this site, starting with a single '/'."
                        : "return_to must be a path on this site, starting with a single '/', or an https address on a host session.allowed_return_hosts names."
                )
            }
            returnTo = path
        }
        let (login, browserToken) = try await logins.begin(
            issuer: provider.configuration.issuer,
            returnTo: returnTo,
            browserToken: request.cookies[cookies.login]?.value,
            now: now()
        )
        let url: URL
        do {
            url = try await provider.authorizationURL(for: login)
        } catch {
            context.logger.error("sign-in cannot start", metadata: ["issuer": "\(provider.configuration.issuer)", "error": "\(error)"])
            throw PageError(
                .badGateway,
                title: "Identity provider unavailable",
                code: error.code,
                message: "RoleSync cannot reach \(provider.configuration.name) right now. Try again shortly."
            )
        }
        var response = Response(status: .found, headers: [.location: url.absoluteString, .cacheControl: "no-store"])
        response.setCookie(cookies.make(name: cookies.login, value: browserToken, maxAge: Int(logins.lifetime)))
        return response
    }

    /// With several providers and none chosen: a page of links, one per provider, each keeping the
    /// page to return to.
    func chooser(_ request: Request, _ context: RoleSyncRequestContext) -> Response {
        let returnTo = request.uri.queryParameters.get("return_to").flatMap { returnAddresses.validated(String($0)) }
        return PageRenderer.page(
            "home",
            HomeModel(
                title: "Sign in",
                intro: "Choose your identity provider:",
                providers: providers.signInLinks(returnTo: returnTo),
                user: nil,
                csrf: ""
            )
        )
    }

    func callback(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        defer {
            Timer(label: "rolesync_callback_duration_seconds", preferredDisplayUnit: .seconds)
                .record(duration: ContinuousClock.now - started)
        }
        let query = request.uri.queryParameters
        let login: PendingLogin
        do {
            login = try await logins.finish(
                state: query.get("state"),
                browserToken: request.cookies[cookies.login]?.value,
                now: now()
            )
        } catch let error as OIDCError {
            try await refuse(request, context, error, issuer: nil)
        }
        guard let provider = providers.provider(issuer: login.issuer) else {
            try await refuse(request, context, .unknownState, issuer: login.issuer)
        }
        do {
            // RFC 9207 first: an error response from a mix-up attacker must not be believed either.
            try await provider.checkIssuerParameter(query.get("iss"))
            if let error = query.get("error") {
                throw OIDCError.providerError(
                    code: Self.printable(error),
                    description: query.get("error_description").map(Self.printable)
                )
            }
            guard let code = query.get("code"), !code.isEmpty else { throw OIDCError.missingCode }
            let identity = try await provider.redeem(code: code, login: login)
            return try await signIn(request, context, identity: identity, login: login)
        } catch let error as OIDCError {
            try await refuse(request, context, error, issuer: login.issuer)
        }
    }

    private func signIn(
        _ request: Request,
        _ context: RoleSyncRequestContext,
        identity: VerifiedIdentity,
        login: PendingLogin
    ) async throws -> Response {
        let result = try await sync.signIn(issuer: identity.issuer, claims: identity.claims)
        if let refusal = result.refusal {
            Counter(label: "rolesync_sign_in_refusals_total", dimensions: [("reason", refusal.code)]).increment()
            throw PageError(
                .forbidden,
                title: "Sign-in refused",
                code: refusal.code,
                message: Self.explanation(refusal),
                cookies: [cookies.expired(cookies.login)]
            )
        }
        guard let user = result.user else {
            throw HTTPError(.internalServerError)
        }
        Counter(
            label: "rolesync_sign_ins_total",
            dimensions: [("idp", providers.provider(issuer: identity.issuer)?.configuration.name ?? "-"), ("first", "\(result.isCreated)")]
        ).increment()
        let token = try await sessions.create(for: user.id)
        var response = Response(
            status: .found,
            headers: [.location: login.returnTo ?? "/", .cacheControl: "no-store"]
        )
        response.setCookie(cookies.session(value: token, maxAge: Int(sessions.absoluteLifetime)))
        response.setCookie(cookies.expired(cookies.login))
        return response
    }

    /// Audits a refusal before the ledger's rules, and throws it as the surface's error.
    private func refuse(
        _ request: Request,
        _ context: RoleSyncRequestContext,
        _ error: OIDCError,
        issuer: String?
    ) async throws -> Never {
        Counter(label: "rolesync_sign_in_refusals_total", dimensions: [("reason", error.code)]).increment()
        context.logger.notice("sign-in refused", metadata: ["reason": "\(error.code)", "issuer": "\(issuer ?? "-")"])
        try await sync.recordRefusal(issuer: issuer, subject: nil, code: error.code, detail: error.description)
        let status: HTTPResponse.Status =
            switch error {
            case _ where error.isUpstreamFailure: .badGateway
            case .unknownKey, .badSignature, .algorithmNotAllowed, .algorithmKeyMismatch, .headerKeyRefused,
                .unsupportedCriticalHeader, .unexpectedTokenType, .ambiguousKey, .issuerMismatch, .audienceMismatch,
                .authorizedPartyMismatch, .expired, .missingIssuedAt, .issuedInFuture, .notYetValid, .nonceMismatch,
                .missingSubject, .malformedToken, .userinfoSubjectMismatch:
                .unauthorized
            default: .badRequest
            }
        throw PageError(
            status,
            title: "Sign-in failed",
            code: error.code,
            message: error.description,
            cookies: error == .unknownState ? [] : [cookies.expired(cookies.login)]
        )
    }

    static func explanation(_ refusal: SignInRefusal) -> String {
        switch refusal {
        case .manuallyDeactivated: "Your RoleSync account has been deactivated by an administrator."
        case .deactivated: "Your identity provider marks your account as deactivated."
        case .requirementFailed, .unmatchedDenied: "Your account is not allowed to sign in to this platform (\(refusal))."
        case .undetermined: "Your identity provider did not send enough information to decide your access (\(refusal))."
        case .noMapping: "This identity provider is not mapped to any role."
        case .missingSubject: "The identity provider did not identify you (no subject)."
        }
    }

    func logout(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        if let origin = request.headers[.origin], origin != publicOrigin {
            throw PageError(
                .forbidden,
                title: "Cross-site request refused",
                code: "cross_site_request",
                message: "Signing out must come from this site."
            )
        }
        if let token = request.cookies[cookies.session]?.value {
            try await sessions.end(token: token)
        }
        var response: Response
        if PageError.wantsJSON(request) {
            response = Response(status: .noContent)
        } else {
            response = Response(status: .seeOther, headers: [.location: "/"])
        }
        response.setCookie(cookies.expiredSession())
        return response
    }

    /// A provider-sent word, cut to printable ASCII and 128 characters.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(128)))
    }
}
