public import Hummingbird
import Logging

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
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[.init("X-Request-ID")!] = context.id
            return response
        }
    }
}

/// Logs each request's method, path and status, never its query string: the callback's query
/// carries the authorization code and state (Hummingbird's own request logger prints it whole).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, started: started)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context, status: error.status.code, started: started)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        guard context.logger.logLevel <= .debug else { return }
        context.logger.debug(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
                "duration_ms": "\((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)",
            ]
        )
    }
}
