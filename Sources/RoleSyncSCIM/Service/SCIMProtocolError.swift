package import RoleSyncJSON
import RoleSyncMapping

/// A SCIM error a service provider answers with (RFC 7644 §3.12): an HTTP status, an optional
/// `scimType` and a human-readable detail.
///
/// The detail is meant for the client, so it is kept short and printable: anything the client sent
/// is quoted through ``excerpt(_:limit:)`` (at most about 100 characters), and the initializer
/// replaces control and invisible characters and caps the whole text.
///
/// ```swift
/// throw SCIMProtocolError.invalidFilter("expected an operator at position 9")
/// // body: {"detail":"…","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidFilter","status":"400"}
/// ```
package struct SCIMProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The schema URN of a SCIM error body.
    package static let schemaURN = "urn:ietf:params:scim:api:messages:2.0:Error"
    /// The longest detail kept, in characters.
    package static let maximumDetailLength = 300

    /// The HTTP status code (400, 404, 409, …).
    package var status: Int
    /// The RFC 7644 §3.12 error type (`invalidFilter`, `mutability`, …), if any.
    package var scimType: String?
    /// What went wrong, printable and short.
    package var detail: String

    /// Creates an error.
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - scimType: the RFC 7644 §3.12 `scimType`, or `nil`.
    ///   - detail: the message; non-printable characters are replaced and it is cut at
    ///     ``maximumDetailLength`` characters.
    package init(status: Int, scimType: String? = nil, detail: String) {
        self.status = status
        self.scimType = scimType
        self.detail = Self.excerpt(detail, limit: Self.maximumDetailLength)
    }

    /// 400 `invalidFilter`: the filter syntax is invalid or the comparison is unsupported.
    package static func invalidFilter(_ detail: String) -> Self { Self(status: 400, scimType: "invalidFilter", detail: detail) }
    /// 400 `tooMany`: the request would process more results than the server allows.
    package static func tooMany(_ detail: String) -> Self { Self(status: 400, scimType: "tooMany", detail: detail) }
    /// 409 `uniqueness`: a value is already used by another resource.
    package static func uniqueness(_ detail: String) -> Self { Self(status: 409, scimType: "uniqueness", detail: detail) }
    /// 400 `mutability`: the attribute cannot be changed (read-only, immutable or required).
    package static func mutability(_ detail: String) -> Self { Self(status: 400, scimType: "mutability", detail: detail) }
    /// 400 `invalidSyntax`: the request body is not a valid SCIM message.
    package static func invalidSyntax(_ detail: String) -> Self { Self(status: 400, scimType: "invalidSyntax", detail: detail) }
    /// 400 `invalidPath`: a PATCH `path` is malformed or names an unknown attribute.
    package static func invalidPath(_ detail: String) -> Self { Self(status: 400, scimType: "invalidPath", detail: detail) }
    /// 400 `noTarget`: a PATCH `path` selected nothing where something is needed.
    package static func noTarget(_ detail: String) -> Self { Self(status: 400, scimType: "noTarget", detail: detail) }
    /// 400 `invalidValue`: a value is missing or has the wrong type.
    package static func invalidValue(_ detail: String) -> Self { Self(status: 400, scimType: "invalidValue", detail: detail) }
    /// 404 with no `scimType`: the resource or endpoint does not exist.
    package static func notFound(_ detail: String) -> Self { Self(status: 404, detail: detail) }

    /// The SCIM error body: `{"schemas":[Error URN],"status":"400","scimType":…,"detail":…}`,
    /// with the status as a string, as RFC 7644 §3.12 shows it.
    package var body: ClaimValue {
        var object: [String: ClaimValue] = [
            "schemas": .array([.string(Self.schemaURN)]),
            "status": .string(String(status)),
            "detail": .string(detail),
        ]
        if let scimType { object["scimType"] = .string(scimType) }
        return .object(object)
    }

    package var description: String {
        "SCIM error \(status)" + (scimType.map { " (\($0))" } ?? "") + ": \(detail)"
    }

    /// Client input made fit for a detail: control, format, private-use and unassigned characters
    /// become `?`, and text longer than `limit` characters is cut and ends with `…`.
    /// - Parameters:
    ///   - input: the text the client sent.
    ///   - limit: the most characters kept.
    package static func excerpt(_ input: String, limit: Int = 100) -> String {
        var out = ""
        var count = 0
        for character in input {
            guard count < limit else { return out + "…" }
            out.append(character.unicodeScalars.allSatisfy(isPrintable) ? character : "?")
            count += 1
        }
        return out
    }

    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator: false
        default: true
        }
    }
}
