public import Hummingbird
import RoleSyncJSON
public import RoleSyncSCIM

/// An error of `/scim/v2`, rendered as RFC 7644 §3.12 wants it: `application/scim+json` with the
/// SCIM error schema and `scimType` where there is one.
public struct SCIMErrorResponse: HTTPResponseError, Sendable {
    public var error: SCIMProtocolError
    /// Headers to send with it (`Allow`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(_ error: SCIMProtocolError, headers: HTTPFields = [:]) {
        self.error = error
        self.headers = headers
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: error.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = SCIMRoutes.json(error.body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
