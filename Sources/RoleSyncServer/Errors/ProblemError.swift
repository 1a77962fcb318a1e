package import Hummingbird

/// An error of the JSON API (`/api/...`), rendered as RFC 9457 problem details with RoleSync's
/// stable `code`, the offending `field` for validation errors, and the request id.
package struct ProblemError: HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var title: String
    package var code: String
    package var detail: String
    package var field: String?
    /// For a role the IdP manages: the governing rule and mapping file.
    package var rule: String?
    package var mappingFile: String?
    /// Headers to send with it (`Allow` with a 405).
    package var headers: HTTPFields

    package init(
        _ status: HTTPResponse.Status,
        title: String,
        code: String,
        detail: String,
        field: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.title = title
        self.code = code
        self.detail = detail
        self.field = field
        self.headers = headers
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var body = ProblemDetails(status: status, title: title, code: code, detail: detail, field: field, requestID: context.id)
        body.rule = rule
        body.mappingFile = mappingFile
        return body.response(headers: headers)
    }

    static let notSignedIn = ProblemError(
        .unauthorized,
        title: "Not signed in",
        code: "not_signed_in",
        detail: "Sign in at /auth/login, or send an admin API key as 'Authorization: Bearer rsk_…'."
    )

    static func notPermitted(_ permission: AdminPermission) -> ProblemError {
        ProblemError(
            .forbidden,
            title: "Not permitted",
            code: "not_permitted",
            detail: "This needs the " + permission.roles.map(\.rawValue).sorted().joined(separator: " or ") + " role."
        )
    }

    static let crossSite = ProblemError(
        .forbidden,
        title: "Cross-site request refused",
        code: "cross_site_request",
        detail: "A change made with the session cookie must come from this site (Origin or Sec-Fetch-Site)."
    )

    static let internalError = ProblemError(
        .internalServerError,
        title: "Internal error",
        code: "internal_error",
        detail: "The server could not complete the request; quote the request id to the operator."
    )

    static let bodyTooLarge = ProblemError(
        .contentTooLarge,
        title: "Body too large",
        code: "body_too_large",
        detail: "The request body is too large."
    )
}
