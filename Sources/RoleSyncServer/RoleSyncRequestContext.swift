public import Hummingbird
public import Logging

/// The request context of every RoleSync route: Hummingbird's core context (its logger carries
/// the request id as `hb.request.id`).
public struct RoleSyncRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The request id, also sent back as `X-Request-ID`.
    public var requestID: String { id }
}

/// Sends the request id back, so an operator can find a refusal's log lines from the page a user
/// reports.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            var response = try await next(request, context)
            response.headers[.init("X-Request-ID")!] = context.id
            return response
        } catch let error as HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[.init("X-Request-ID")!] = context.id
            return response
        }
    }
}
