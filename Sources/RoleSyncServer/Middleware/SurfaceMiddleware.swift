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

    /// Every error a surface answers, mapped once: status, title, stable code, detail, the field at
    /// fault and headers. The JSON API renders it as problem details, the browser surface as a page
    /// (``PageMiddleware``).
    static func problem(for error: any Error, context: some RequestContext) -> ProblemError {
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
        case let store as LedgerStoreError where LedgerUnavailable(store) != nil:
            let unavailable = LedgerUnavailable(store)!
            unavailable.log(context: context)
            return unavailable.problem
        case let http as HTTPError where http.status == .contentTooLarge:
            return .bodyTooLarge
        case let http as HTTPError where http.status == .unauthorized:
            return .notSignedIn
        default:
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return .internalError
        }
    }
}

/// The browser surface's errors (`/`, `/auth/...`, `/admin/...`, `/console/...`): the same mapping
/// as the JSON API's (``ProblemMiddleware/problem(for:context:)``), rendered as a page (or problem
/// details for clients that ask for JSON). It returns the rendered answer instead of throwing it,
/// so the security headers around it apply to error pages too.
struct PageMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PageError {
            return try error.response(from: request, context: context)
        } catch {
            let problem = ProblemMiddleware.problem(for: error, context: context)
            var response = try PageError(problem).response(from: request, context: context)
            response.headers.append(contentsOf: problem.headers)
            return response
        }
    }
}

extension PageError {
    /// A problem as a page says it: an input at fault is an invalid address (the page's query or
    /// form), named in the message; an internal error asks the reader to quote the request id.
    init(_ problem: ProblemError) {
        switch problem.code {
        case "invalid_request", "invalid_value":
            self.init(
                problem.status,
                title: "Invalid address",
                code: "invalid_request",
                message: (problem.field.map { "\($0): " } ?? "") + problem.detail
            )
        case ProblemError.internalError.code:
            self.init(
                problem.status,
                title: "Something went wrong",
                code: problem.code,
                message: "RoleSync could not complete the request. Try again, or quote the request id to your administrator."
            )
        default:
            self.init(problem.status, title: problem.title, code: problem.code, message: problem.detail)
        }
    }
}

/// How every surface answers while the ledger's database cannot be used: 503 with `Retry-After`,
/// saying nothing was changed (each write is one transaction). Unreachable (`ledger_unavailable`)
/// and unable to write, being full or read-only (`ledger_not_writable`), are told apart; the
/// database's own reason (`SQLITE_FULL`, SQLSTATE 53100) goes to the log, with a metric.
struct LedgerUnavailable {
    static let retryAfterSeconds = 5
    static let headers: HTTPFields = [.retryAfter: String(retryAfterSeconds)]

    var code: String
    var title: String
    var message: String
    var reason: String

    /// `nil` for a store error that is not about the database being usable.
    init?(_ error: LedgerStoreError) {
        switch error {
        case .unavailable(let reason):
            code = "ledger_unavailable"
            title = "Temporarily unavailable"
            message = "RoleSync cannot reach its database right now, so nothing was changed. Try again in a few seconds."
            self.reason = reason
        case .notWritable(let reason):
            code = "ledger_not_writable"
            title = "Ledger cannot write"
            message =
                "RoleSync's database cannot write right now (it is full or read-only), so nothing was changed. "
                + "The operator has been told; try again later."
            self.reason = reason
        case .conflict, .invalidCursor:
            return nil
        }
    }

    var problem: ProblemError {
        ProblemError(.serviceUnavailable, title: title, code: code, detail: message, headers: Self.headers)
    }

    func log(context: some RequestContext) {
        if code == "ledger_not_writable" {
            Counter(label: "rolesync_ledger_not_writable_total").increment()
            context.logger.error("the ledger's database cannot write; answered 503", metadata: ["reason": "\(reason)"])
        } else {
            Counter(label: "rolesync_ledger_unavailable_total").increment()
            context.logger.error("the ledger's database cannot be reached; answered 503", metadata: ["reason": "\(reason)"])
        }
    }
}
