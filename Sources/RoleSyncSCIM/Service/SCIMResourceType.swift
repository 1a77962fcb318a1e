/// The resource types RoleSync serves over SCIM (RFC 7643 §6).
package enum SCIMResourceType: String, Sendable, Hashable, CaseIterable {
    case user = "User"
    case group = "Group"

    /// The core schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.
    package var schemaURN: String { "urn:ietf:params:scim:schemas:core:2.0:" + rawValue }

    /// The endpoint relative to the SCIM base URL: `/Users` or `/Groups`.
    package var endpoint: String { "/" + rawValue + "s" }

    /// The schema RoleSync publishes for this type.
    package var schema: SCIMSchema {
        switch self {
        case .user: .user
        case .group: .group
        }
    }

    /// The attribute every resource of this type must have as a non-empty string: `userName` or
    /// `displayName`.
    package var requiredAttribute: String {
        switch self {
        case .user: "userName"
        case .group: "displayName"
        }
    }

    /// The type served at an endpoint (`"/Users"` or `"Users"`, ignoring case), or `nil`.
    /// - Parameter endpoint: the path segment after the base URL.
    package init?(endpoint: String) {
        let name = endpoint.hasPrefix("/") ? endpoint.dropFirst() : Substring(endpoint)
        guard let type = Self.allCases.first(where: { $0.endpoint.dropFirst().lowercased() == name.lowercased() }) else { return nil }
        self = type
    }
}
