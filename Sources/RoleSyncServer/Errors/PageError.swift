package import Hummingbird

/// An error of the browser surface (`/`, `/auth/...`): a plain page for browsers, RFC 9457 problem
/// details for clients that ask for JSON. Either way it names the stable code and the request id,
/// and never a token, code, state or secret.
package struct PageError: HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var title: String
    package var code: String
    package var message: String
    /// Cookies to set with the answer (expiring a spent login cookie).
    package var cookies: [Cookie]

    package init(_ status: HTTPResponse.Status, title: String, code: String, message: String, cookies: [Cookie] = []) {
        self.status = status
        self.title = title
        self.code = code
        self.message = message
        self.cookies = cookies
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response: Response
        if PageError.wantsJSON(request) {
            response = ProblemDetails(status: status, title: title, code: code, detail: message, requestID: context.id).response()
        } else {
            response = PageRenderer.page(
                "message",
                MessageModel(title: title, message: message, code: code, requestID: context.id),
                status: status
            )
        }
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    /// Whether the client asked for JSON rather than a page.
    static func wantsJSON(_ request: Request) -> Bool {
        (request.headers[.accept] ?? "").contains("application/json")
    }
}
