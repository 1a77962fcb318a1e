import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import RoleSyncLedger
package import RoleSyncMapping
import RoleSyncOIDC

/// A gateway allowed to ask `/gateway/check`, by the secret it sends in `X-RoleSync-Gateway-Token`.
package struct ForwardAuthGateway: Sendable {
    /// For logs and metrics.
    package var name: String
    let secret: [UInt8]
    /// The roles a check lets through when its URL names none; `nil`: every role.
    package var roles: Set<Role>?
    /// `rolesync_gateway_checks_total{gateway, verdict}`, made once (no registry look-up per check).
    let allowed: Counter
    let unauthenticated: Counter
    let forbidden: Counter

    package init(name: String, secret: String, roles: Set<Role>?) {
        self.name = name
        self.secret = Array(secret.utf8)
        self.roles = roles
        allowed = Counter(label: "rolesync_gateway_checks_total", dimensions: [("gateway", name), ("verdict", "allowed")])
        unauthenticated = Counter(label: "rolesync_gateway_checks_total", dimensions: [("gateway", name), ("verdict", "unauthenticated")])
        forbidden = Counter(label: "rolesync_gateway_checks_total", dimensions: [("gateway", name), ("verdict", "forbidden")])
    }
}

/// `/gateway/check` (and `/gateway/check/…`, any method): forward authentication for nginx
/// `auth_request`, Caddy `forward_auth`, Traefik `ForwardAuth` and Envoy `ext_authz`. The gateway
/// passes on the original request's credential: an API key (`Authorization: Bearer rsk_…` or
/// `X-API-Key`, gateway keys only, as introspection) or the browser's session cookie. The answer
/// is 200 with the identity in `X-RoleSync-*` headers, 401 for no good credential, 403 for a good
/// one whose role is not allowed. Nothing is cached: a revocation, an expiry, a deactivation or a
/// role change is seen by the very next check, on every replica (docs/gateways.md).
struct GatewayCheckController: Sendable {
    let keys: KeyService
    let sessions: SessionService
    let cookies: ServerCookies
    /// The gateways allowed to ask; none answers every check 401.
    let gateways: [ForwardAuthGateway]
    /// Where a browser signs in (`{public_url}/auth/login`).
    let publicURL: URL
    /// The pages a browser may be sent back to after signing in (`session.allowed_return_hosts`).
    let returnAddresses: ReturnAddresses

    /// Every method a request through a gateway has (`CONNECT` does not pass through one), but
    /// `HEAD`, which the router answers from `GET`: Envoy asks with the original request's method.
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, .trace]

    func addRoutes(to group: RouterGroup<RoleSyncRequestContext>) {
        for method in Self.methods {
            // `?roles=` on the check's own URL; under the prefix (Envoy) the query is the original
            // request's, never read as the check's.
            group.on("check", method: method) { request, context in
                // Envoy asks `/gateway/check/` for the original `/`, which the router also routes
                // here: its query is the client's, and must not choose the roles.
                let own = request.uri.path == "/gateway/check"
                return try await self.check(request, context: context, rolesParameter: own ? request.uri.queryParameters.get("roles") : nil)
            }
            group.on("check/**", method: method) { request, context in
                try await self.check(request, context: context, rolesParameter: nil)
            }
        }
    }

    func check(_ request: Request, context: RoleSyncRequestContext, rolesParameter: String?) async throws -> Response {
        let gateway = try Self.gateway(presenting: request.headers[.roleSyncGatewayToken], among: gateways)
        let allowedRoles = try rolesParameter.map(Self.roles(parameter:)) ?? gateway.roles
        let identity: Identity
        do {
            guard let found = try await identify(request) else {
                gateway.unauthenticated.increment()
                let original = OriginalRequest(request)
                context.logger.info(
                    "gateway check: no good credential",
                    metadata: ["gateway": "\(gateway.name)", "method": "\(original.method)", "path": "\(original.path)"]
                )
                if let signIn = browserSignIn(request) { return signIn }
                throw GatewayCheckError.unauthenticated(hadCredential: Self.carriesCredential(request, cookies: cookies)).problem
            }
            identity = found
        } catch let error as LedgerStoreError {
            // Never a verdict the ledger could not give: the gateway fails closed and retries.
            guard let unavailable = LedgerUnavailable(error) else { throw error }
            unavailable.log(context: context)
            throw unavailable.problem
        }
        if let allowedRoles, !allowedRoles.contains(identity.role) {
            gateway.forbidden.increment()
            let original = OriginalRequest(request)
            context.logger.info(
                "gateway check: role not allowed",
                metadata: [
                    "gateway": "\(gateway.name)", "user_id": "\(identity.userID)", "role": "\(identity.role.rawValue)",
                    "method": "\(original.method)", "path": "\(original.path)",
                ]
            )
            if identity.key == nil, Self.wantsPage(request) {
                // A signed-in browser: a page to read, which Caddy and Traefik pass on (nginx asks
                // for it with error_page 403, docs/gateways.md). It is shown on the protected host,
                // so its style sheet and its way back are RoleSync's public URL's.
                let base = publicURL.absoluteString  // without a final slash: the configuration trims it
                var page = PageRenderer.page(
                    "message",
                    MessageModel(
                        title: "Not for your role",
                        css: base + StaticAsset.styleSheet.href,
                        message: "You are signed in as \(identity.email ?? "user \(identity.userID)") with the role \(identity.role.rawValue), "
                            + "which may not open this page. Ask an administrator if you need it.",
                        code: "role_not_allowed",
                        requestID: context.id,
                        backHref: base + "/"
                    ),
                    status: .forbidden
                )
                page.headers[.cacheControl] = "no-store"
                return page
            }
            throw GatewayCheckError.roleNotAllowed(identity.role, allowed: allowedRoles).problem
        }
        gateway.allowed.increment()
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers[.roleSyncUserID] = String(identity.userID.rawValue)
        headers[.roleSyncEmail] = identity.email ?? ""
        headers[.roleSyncRole] = identity.role.rawValue
        if let key = identity.key {
            headers[.roleSyncKeyID] = String(key.id)
            headers[.roleSyncKeyName] = key.name
        }
        return Response(status: .ok, headers: headers)
    }

    /// Who the forwarded request is: a key when it carries one (never falling back to the cookie),
    /// else the session cookie's user; `nil` when neither is good.
    func identify(_ request: Request) async throws -> Identity? {
        if let key = Self.presentedKey(request) {
            guard let key, let credential = try await keys.introspect(key) else { return nil }
            return Identity(
                userID: credential.owner.id,
                email: credential.owner.email,
                role: credential.owner.role,
                key: (credential.keyID, credential.name)
            )
        }
        guard let token = request.cookies[cookies.session]?.value,
            let user = try await sessions.user(forToken: token), user.status == .active
        else { return nil }
        return Identity(userID: user.id, email: user.email, role: user.role, key: nil)
    }

    /// What the request carries as a key: `nil` for none; `.some(nil)` for a credential that is not
    /// a bearer key (`Authorization: Basic …`), which no cookie may stand in for.
    static func presentedKey(_ request: Request) -> String?? {
        if let authorization = request.headers[.authorization] { return .some(CallerAuthenticator.bearerToken(authorization)) }
        if let value = request.headers[.apiKey] { return .some(value.trimmingSpaces()) }
        return nil
    }

    /// For a browser with no key and no good session, asking for a page whose address may be
    /// returned to: 401 with `Location: {public_url}/auth/login?return_to=<the page>`, which nginx
    /// (`auth_request_set` + `error_page 401`) and Caddy (`handle_response`) turn into a redirect,
    /// and a small page that sends the browser there itself, for gateways that pass the answer on
    /// as it is (Traefik). `nil` for anything else: the caller gets the problem details.
    func browserSignIn(_ request: Request) -> Response? {
        guard Self.presentedKey(request) == nil, Self.wantsPage(request), let original = Self.originalURL(request),
            let returnTo = returnAddresses.url(original),
            var components = URLComponents(url: publicURL.appendingPathComponent("auth/login"), resolvingAgainstBaseURL: false)
        else { return nil }
        components.queryItems = [URLQueryItem(name: "return_to", value: returnTo)]
        // `+` would read back as a space, and `&`, `=`, `#` inside the address must not end it.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let location = components.string else { return nil }
        let escaped = location.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;")
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=\(escaped)">\
            <title>Sign in</title></head><body><p><a href="\(escaped)">Sign in to continue</a>.</p></body></html>
            """
        return Response(
            status: .unauthorized,
            headers: [
                .location: location, .wwwAuthenticate: #"Bearer realm="rolesync""#, .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page))
        )
    }

    /// Whether the original request is a browser's asking for a page.
    static func wantsPage(_ request: Request) -> Bool {
        (request.headers[.accept] ?? "").contains("text/html")
    }

    /// The original request's address: `X-Original-URL` (nginx configurations set it), else
    /// `X-Forwarded-Proto`, `-Host` and `-Uri` (Traefik, Caddy) with the check's own `Host` and, for
    /// Envoy, the path after `/gateway/check`.
    static func originalURL(_ request: Request) -> String? {
        let headers = request.headers
        if let url = headers[.originalURL] { return url }
        guard let host = headers[.forwardedHost] ?? request.head.authority else { return nil }
        let scheme = headers[.forwardedProto] ?? "https"
        let uri: String
        if let forwarded = headers[.forwardedURI] ?? headers[.originalURI] {
            uri = forwarded
        } else {
            let path = request.uri.path
            guard path.hasPrefix("/gateway/check/") else { return nil }
            uri = String(path.dropFirst("/gateway/check".count)) + (request.uri.query.map { "?\($0)" } ?? "")
        }
        return "\(scheme)://\(host)\(uri)"
    }

    static func carriesCredential(_ request: Request, cookies: ServerCookies) -> Bool {
        presentedKey(request) != nil || request.cookies[cookies.session] != nil
    }

    /// The gateway whose secret the request carries: every gateway is compared, in time that
    /// depends only on the lengths, and none is skipped once one matched.
    static func gateway(presenting token: String?, among gateways: [ForwardAuthGateway]) throws -> ForwardAuthGateway {
        guard let token else { throw GatewayCheckError.gatewayNotAuthenticated.problem }
        let presented = Array(token.utf8)
        var found: ForwardAuthGateway?
        for gateway in gateways {
            if ConstantTime.equal(gateway.secret, presented), found == nil { found = gateway }
        }
        guard let found else { throw GatewayCheckError.gatewayNotAuthenticated.problem }
        return found
    }

    /// `?roles=model_admin,super_admin`: the roles that pass.
    static func roles(parameter: String) throws -> Set<Role> {
        let names = parameter.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: CharacterSet.whitespaces) }
        guard !names.isEmpty else {
            throw GatewayCheckError.invalidRoles("'roles' names no role; leave it out to let every role through").problem
        }
        var roles: Set<Role> = []
        for name in names {
            guard let role = Role(rawValue: name) else {
                throw GatewayCheckError.invalidRoles(
                    "'\(name)' is not a role (one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")))"
                ).problem
            }
            roles.insert(role)
        }
        return roles
    }

    /// The identity a good credential stands for.
    struct Identity {
        var userID: UserID
        var email: String?
        var role: Role
        var key: (id: Int64, name: String)?
    }
}

extension HTTPFields.Element.Name {
    /// The secret of a gateway's `forward_auth`.
    static let roleSyncGatewayToken = Self("X-RoleSync-Gateway-Token")!
    /// An API key, as some clients send it instead of `Authorization: Bearer`.
    static let apiKey = Self("X-API-Key")!
    /// The verdict's identity, which the gateway copies upstream.
    static let roleSyncUserID = Self("X-RoleSync-User-Id")!
    static let roleSyncEmail = Self("X-RoleSync-Email")!
    static let roleSyncRole = Self("X-RoleSync-Role")!
    static let roleSyncKeyID = Self("X-RoleSync-Key-Id")!
    static let roleSyncKeyName = Self("X-RoleSync-Key-Name")!
    /// The original request, as Traefik and Caddy send it, and as nginx configurations set it.
    static let forwardedMethod = Self("X-Forwarded-Method")!
    static let forwardedURI = Self("X-Forwarded-Uri")!
    static let originalMethod = Self("X-Original-Method")!
    static let originalURI = Self("X-Original-URI")!
    /// The original request's whole address, as nginx configurations set it for browser sign-in.
    static let originalURL = Self("X-Original-URL")!
    static let forwardedHost = Self("X-Forwarded-Host")!
    static let forwardedProto = Self("X-Forwarded-Proto")!
}

/// The original request a gateway asks about, for the log: its method and path (never the query,
/// which may carry secrets), from `X-Forwarded-Method`/`-Uri` (Traefik, Caddy),
/// `X-Original-Method`/`-URI` (nginx's convention) or the check's own (Envoy).
struct OriginalRequest {
    var method: String
    var path: String

    init(_ request: Request) {
        let headers = request.headers
        method = headers[.forwardedMethod] ?? headers[.originalMethod] ?? request.method.rawValue
        let uri: String
        if let forwarded = headers[.forwardedURI] ?? headers[.originalURI] {
            uri = forwarded
        } else {
            // Envoy appends the original path to the check's prefix.
            let path = request.uri.path
            uri = path.hasPrefix("/gateway/check/") ? String(path.dropFirst("/gateway/check".count)) : path
        }
        path = String(uri.prefix { $0 != "?" && $0 != "#" }.prefix(512))
    }
}

/// The check's answers other than 200: small problem details, never the credential.
enum GatewayCheckError {
    case gatewayNotAuthenticated
    case unauthenticated(hadCredential: Bool)
    case roleNotAllowed(Role, allowed: Set<Role>)
    case invalidRoles(String)

    var problem: ProblemError {
        switch self {
        case .gatewayNotAuthenticated:
            ProblemError(
                .unauthorized,
                title: "Gateway not authenticated",
                code: "gateway_not_authenticated",
                detail: "Send the secret of a gateway's 'forward_auth' in X-RoleSync-Gateway-Token.",
                headers: [.wwwAuthenticate: #"Bearer realm="rolesync-gateway""#]
            )
        case .unauthenticated(let hadCredential):
            ProblemError(
                .unauthorized,
                title: "Not authenticated",
                code: hadCredential ? "invalid_credential" : "no_credential",
                detail: hadCredential
                    ? "The credential is not good: malformed, unknown, revoked or expired, not a gateway key, or its owner is inactive."
                    : "Send an API key (Authorization: Bearer rsk_…, or X-API-Key) or sign in.",
                headers: [.wwwAuthenticate: #"Bearer realm="rolesync""#]
            )
        case .roleNotAllowed(let role, let allowed):
            ProblemError(
                .forbidden,
                title: "Role not allowed",
                code: "role_not_allowed",
                detail: "The role \(role.rawValue) may not pass here; allowed: \(allowed.map(\.rawValue).sorted().joined(separator: ", "))."
            )
        case .invalidRoles(let detail):
            ProblemError(.badRequest, title: "Invalid request", code: "invalid_request", detail: detail, field: "roles")
        }
    }
}
