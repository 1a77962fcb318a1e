package import Foundation
package import Hummingbird
import HummingbirdAuth
import Logging
import RoleSyncLedger
package import RoleSyncReconciler

/// The request context of every RoleSync route: Hummingbird's core context (its logger carries the
/// request id as `hb.request.id`), who is calling once an authenticator found out, and which IdP a
/// SCIM push speaks for.
package struct RoleSyncRequestContext: AuthRequestContext, RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The signed-in caller of the JSON API (session cookie or admin API key).
    package var identity: Caller?
    /// The IdP whose push token a `/scim/v2` request carries.
    package var pusher: SCIMService.Pusher?
    /// The dashboard's form token for the signed-in browser (``FormToken``), set with `identity`
    /// by the pages' session authenticator.
    package var formToken: String?

    package init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        pusher = nil
        formToken = nil
    }

    /// The request id, also sent back as `X-Request-ID`.
    package var requestID: String { id }

    /// How JSON answers are written: keys sorted (stable for tests and diffs), slashes as they are.
    package var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// A JSON answer, written by the request context's ``RoleSyncRequestContext/responseEncoder``.
struct JSONBody<Value: Encodable & Sendable>: ResponseEncodable, Sendable {
    let value: Value

    init(_ value: Value) { self.value = value }

    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// JSON API answers describe one caller at one moment: no cache keeps them.
struct NoStoreMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// Sends the request id back, so an operator can find a refusal's log lines from the page a user
/// reports.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
                "duration_ms": "\((ContinuousClock.now - started).wholeMilliseconds)",
            ]
        )
    }
}
