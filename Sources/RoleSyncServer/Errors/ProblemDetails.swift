import Foundation
package import Hummingbird

/// An error as RFC 9457 problem details: `type`, `title`, `status`, `detail`, plus RoleSync's
/// stable `code`, the offending `field` for validation errors, and the `request_id`.
package struct ProblemDetails: Sendable, Encodable {
    package var type: String
    package var title: String
    package var status: Int
    package var detail: String
    package var code: String
    package var field: String?
    package var requestID: String?
    /// For a role the IdP manages: the governing rule and mapping file.
    package var rule: String?
    package var mappingFile: String?

    package init(
        status: HTTPResponse.Status,
        title: String,
        code: String,
        detail: String,
        field: String? = nil,
        requestID: String? = nil
    ) {
        self.type = "https://rolesync.dev/problems/\(code)"
        self.title = title
        self.status = status.code
        self.detail = detail
        self.code = code
        self.field = field
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, code, field, rule
        case requestID = "request_id"
        case mappingFile = "mapping_file"
    }

    /// The response carrying it, `application/problem+json`.
    package func response(headers extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(
            status: .init(code: status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
