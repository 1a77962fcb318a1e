import Hummingbird
import Logging
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
