import Hummingbird

/// A request the admin API cannot take as it is: which field, and why. Answered as RFC 9457
/// problem details naming the field.
struct AdminInputError: Error {
    var status: HTTPResponse.Status
    var field: String?
    var detail: String

    /// 400: a query parameter or the body's shape.
    static func badRequest(_ field: String?, _ detail: String) -> AdminInputError {
        AdminInputError(status: .badRequest, field: field, detail: detail)
    }

    /// 422: a well-formed body with a value RoleSync does not know (an unknown role).
    static func unprocessable(_ field: String, _ detail: String) -> AdminInputError {
        AdminInputError(status: .unprocessableContent, field: field, detail: detail)
    }
}
