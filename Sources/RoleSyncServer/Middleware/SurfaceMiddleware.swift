import Hummingbird
import Logging
import Metrics
import RoleSyncLedger

/// The JSON API's errors (`/api/...`), rendered in one place: every error a route or middleware of
/// the surface throws leaves as RFC 9457 problem details. Unknown errors are logged and answered
/// 500 without their text.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw Self.problem(for: error, context: context)
        }
    }

    static func problem(for error: any Error, context: Context) -> ProblemError {
        switch error {
        case let problem as ProblemError:
            return problem
        case let input as AdminInputError:
            return ProblemError(
                input.status,
                title: input.status == .badRequest ? "Invalid request" : "Invalid value",
                code: input.status == .badRequest ? "invalid_request" : "invalid_value",
                detail: input.detail,
                field: input.field
            )
        case let ledger as LedgerError:
            var problem = ProblemError(ledger.httpStatus, title: ledger.title, code: ledger.code, detail: ledger.description)
            if case .roleManagedByIdP(_, let rule, let file) = ledger {
                problem.rule = rule
                problem.mappingFile = file
            }
            if case .invalidKey(let field, _) = ledger { problem.field = field }
            if case .invalidOverride(let field, _) = ledger { problem.field = field }
            if case .overrideRefused(let field, _) = ledger { problem.field = field }
            if case .keyNameTaken = ledger { problem.field = "name" }
            return problem
        case LedgerStoreError.invalidCursor:
            return ProblemError(
                .badRequest,
                title: "Invalid request",
                code: "invalid_request",
                detail: LedgerStoreError.invalidCursor.description,
                field: "cursor"
            )
        case LedgerStoreError.unavailable(let reason):
            LedgerUnavailable.log(reason, context: context)
            return ProblemError(
                .serviceUnavailable,
                title: LedgerUnavailable.title,
                code: LedgerUnavailable.code,
                detail: LedgerUnavailable.message,
                headers: LedgerUnavailable.headers
            )
        case let http as HTTPError where http.status == .contentTooLarge:
            return .bodyTooLarge
        case let http as HTTPError where http.status == .unauthorized:
            return .notSignedIn
        default:
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return ProblemError(
                .internalServerError,
                title: "Internal error",
                code: "internal_error",
                detail: "The server could not complete the request; quote the request id to the operator."
            )
        }
    }
}

/// The browser surface's errors (`/`, `/auth/...`, `/admin/...`, `/console/...`), rendered in one place as a page (or problem
/// details for clients that ask for JSON). It returns the rendered answer instead of throwing it,
/// so the security headers around it apply to error pages too.
struct PageMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PageError {
            return try error.response(from: request, context: context)
        } catch let error as ProblemError {
            return try error.response(from: request, context: context)
        } catch let error as LedgerError {
            return try PageError(error.httpStatus, title: error.title, code: error.code, message: error.description)
                .response(from: request, context: context)
        } catch let error as AdminInputError {
            return try PageError(
                error.status,
                title: "Invalid address",
                code: "invalid_request",
                message: (error.field.map { "\($0): " } ?? "") + error.detail
            ).response(from: request, context: context)
        } catch LedgerStoreError.unavailable(let reason) {
            LedgerUnavailable.log(reason, context: context)
            var response = try PageError(
                .serviceUnavailable,
                title: LedgerUnavailable.title,
                code: LedgerUnavailable.code,
                message: LedgerUnavailable.message
            ).response(from: request, context: context)
            response.headers.append(contentsOf: LedgerUnavailable.headers)
            return response
        } catch LedgerStoreError.invalidCursor {
            return try PageError(
                .badRequest,
                title: "Invalid address",
                code: "invalid_request",
                message: "cursor: " + LedgerStoreError.invalidCursor.description
            ).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return try PageError(
                .internalServerError,
                title: "Something went wrong",
                code: "internal_error",
                message: "RoleSync could not complete the request. Try again, or quote the request id to your administrator."
            ).response(from: request, context: context)
        }
    }
}

/// How every surface answers while the ledger's database cannot be reached: 503 with
/// `Retry-After`, saying nothing was changed (each write is one transaction); the reason goes to
/// the log only.
enum LedgerUnavailable {
    static let title = "Temporarily unavailable"
    static let code = "ledger_unavailable"
    static let message = "RoleSync cannot reach its database right now, so nothing was changed. Try again in a few seconds."
    static let retryAfterSeconds = 5
    static let headers: HTTPFields = [.retryAfter: String(retryAfterSeconds)]

    static func log(_ reason: String, context: some RequestContext) {
        Counter(label: "rolesync_ledger_unavailable_total").increment()
        context.logger.error("the ledger's database cannot be reached; answered 503", metadata: ["reason": "\(reason)"])
    }
}
