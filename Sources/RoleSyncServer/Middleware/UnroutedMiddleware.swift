import Hummingbird
import RoleSyncSCIM

/// Answers what no route took, in the surface's own format: a method a known path does not have is
/// 405 with an `Allow` header listing the methods it has (RFC 9110 §15.5.6), anything else 404. The
/// paths and methods are the router's own (`Router.routes`), read once the routes are added: the
/// route table exists once.
struct UnroutedMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    /// Path templates split into segments (a `:name` segment matches any one), with their methods.
    let paths: [(segments: [Substring], methods: [String])]
    /// Whether `/scim/v2` has routes (some IdP may push).
    let servesSCIM: Bool

    init(routes: [Router<Context>.RouteDescription], servesSCIM: Bool) {
        var methods: [String: Set<String>] = [:]
        for route in routes { methods["\(route.path)", default: []].insert(route.method.rawValue) }
        paths = methods.map { path, methods in
            var allowed = methods.sorted()
            if methods.contains("GET"), !methods.contains("HEAD") { allowed.append("HEAD") }
            return (path.split(separator: "/"), allowed)
        }
        self.servesSCIM = servesSCIM
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let segments = path.split(separator: "/")
            // The router's rule: a literal segment wins over a parameter (`keys/revoke` over
            // `keys/{id}`), so the most literal template that matches is the path's.
            let allowed = paths.filter { Self.matches($0.segments, segments) }
                .max { Self.literals($0.segments) < Self.literals($1.segments) }?.methods
            let isSCIM = path == SCIMRoutes.prefix || path.hasPrefix(SCIMRoutes.prefix + "/")
            if let allowed, !allowed.contains(request.method.rawValue) {
                let allow: HTTPFields = [.allow: allowed.joined(separator: ", ")]
                if isSCIM {
                    throw SCIMErrorResponse(
                        SCIMProtocolError(status: 405, detail: "\(request.method.rawValue) is not supported here"),
                        headers: allow
                    )
                }
                throw ProblemError(
                    .methodNotAllowed,
                    title: "Method not allowed",
                    code: "method_not_allowed",
                    detail: "\(request.method.rawValue) is not supported here; allowed: \(allowed.joined(separator: ", ")).",
                    headers: allow
                )
            }
            if isSCIM {
                throw SCIMErrorResponse(
                    servesSCIM
                        ? .notFound("no SCIM endpoint at \(SCIMProtocolError.excerpt(path))")
                        : .notFound("SCIM push is not configured on this server (give an idp a scim_token_env)")
                )
            }
            if path == "/api" || path.hasPrefix("/api/") {
                throw ProblemError(.notFound, title: "Not found", code: "not_found", detail: "No API endpoint is at this path.")
            }
            if path == "/" || path.hasPrefix("/admin") || path.hasPrefix("/console") || path.hasPrefix("/auth") {
                throw PageError(.notFound, title: "Not found", code: "not_found", message: "No page is at this address.")
            }
            throw error
        }
    }

    static func literals(_ template: [Substring]) -> Int {
        template.filter { !$0.hasPrefix(":") && !$0.hasPrefix("{") }.count
    }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        guard template.count == path.count else { return false }
        return zip(template, path).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
    }
}
