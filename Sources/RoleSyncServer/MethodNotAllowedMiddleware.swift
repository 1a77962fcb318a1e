import Foundation
import Hummingbird
import RoleSyncJSON
import RoleSyncMapping

/// Answers a method a documented path does not have with 405 and an `Allow` header listing the
/// methods it has (RFC 9110 §15.5.6), instead of the router's 404. The paths and methods come from
/// the OpenAPI document, which a test holds to the router.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path templates split into segments (`{id}` matches any one segment), with their methods.
    let paths: [(segments: [Substring], methods: [String])]

    init(openAPI json: String) {
        var paths: [(segments: [Substring], methods: [String])] = []
        if case .object(let document)? = try? ClaimValue(json: Data(json.utf8)), case .object(let items)? = document["paths"] {
            for (path, item) in items {
                guard case .object(let operations) = item else { continue }
                let methods = operations.keys.filter { $0 != "parameters" }.map { $0.uppercased() }.sorted()
                paths.append((path.split(separator: "/"), methods))
            }
        }
        self.paths = paths
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            guard let match = paths.first(where: { Self.matches($0.segments, segments) }),
                !match.methods.contains(request.method.rawValue)
            else { throw error }
            var allowed = match.methods
            if allowed.contains("GET") { allowed.append("HEAD") }
            return ProblemDetails(
                status: .methodNotAllowed,
                title: "Method not allowed",
                code: "method_not_allowed",
                detail: "\(request.method.rawValue) is not supported here; allowed: \(allowed.joined(separator: ", "))."
            ).response(headers: [.allow: allowed.joined(separator: ", ")])
        }
    }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        guard template.count == path.count else { return false }
        return zip(template, path).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}
