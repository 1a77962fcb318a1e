package import Hummingbird
import RoleSyncJSON
package import RoleSyncSCIM

/// An error of `/scim/v2`, rendered as RFC 7644 §3.12 wants it: `application/scim+json` with the
/// SCIM error schema and `scimType` where there is one.
package struct SCIMErrorResponse: HTTPResponseError, Sendable {
    package var error: SCIMProtocolError
    /// Headers to send with it (`Allow`, `WWW-Authenticate`).
    package var headers: HTTPFields

    package init(_ error: SCIMProtocolError, headers: HTTPFields = [:]) {
        self.error = error
        self.headers = headers
    }

    package var status: HTTPResponse.Status { HTTPResponse.Status(code: error.status) }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = SCIMRoutes.json(error.body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
