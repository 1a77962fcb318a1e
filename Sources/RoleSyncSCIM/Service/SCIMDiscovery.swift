package import RoleSyncJSON
import RoleSyncMapping

/// The discovery documents of RoleSync's SCIM service provider (RFC 7644 §4): the
/// ServiceProviderConfig, the ResourceTypes and the Schemas, plus the ListResponse wrapper.
///
/// Every function takes the absolute SCIM base URL, e.g. `https://rolesync.example.com/scim/v2`
/// (a trailing `/` is ignored), for `meta.location`.
package enum SCIMDiscovery {
    /// The ListResponse message URN.
    package static let listResponseURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    /// The most resources one list answer holds, as the ServiceProviderConfig announces.
    package static let maximumResults = 200

    /// `GET /ServiceProviderConfig`: PATCH and filters supported (at most ``maximumResults``
    /// results), no bulk, password change, sorting or ETags; bearer-token authentication.
    /// - Parameter baseURL: the absolute SCIM base URL.
    package static func serviceProviderConfig(baseURL: String) -> ClaimValue {
        .object([
            "schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]),
            "patch": .object(["supported": true]),
            "bulk": .object(["supported": false, "maxOperations": 0, "maxPayloadSize": 0]),
            "filter": .object(["supported": true, "maxResults": .number(Double(maximumResults))]),
            "changePassword": .object(["supported": false]),
            "sort": .object(["supported": false]),
            "etag": .object(["supported": false]),
            "authenticationSchemes": .array([
                .object([
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "Authentication with a bearer token in the Authorization header.",
                    "primary": true,
                ])
            ]),
            "meta": .object([
                "resourceType": "ServiceProviderConfig",
                "location": .string(trimmed(baseURL) + "/ServiceProviderConfig"),
            ]),
        ])
    }

    /// `GET /ResourceTypes`: User at `/Users` and Group at `/Groups`, without extensions.
    /// - Parameter baseURL: the absolute SCIM base URL.
    package static func resourceTypes(baseURL: String) -> [ClaimValue] {
        SCIMResourceType.allCases.map { resourceType($0, baseURL: baseURL) }
    }

    /// `GET /ResourceTypes/{name}`, or `nil` for an unknown name (matched ignoring case).
    /// - Parameters:
    ///   - name: `User` or `Group`.
    ///   - baseURL: the absolute SCIM base URL.
    package static func resourceType(named name: String, baseURL: String) -> ClaimValue? {
        SCIMResourceType.allCases.first { $0.rawValue.lowercased() == name.lowercased() }.map { resourceType($0, baseURL: baseURL) }
    }

    /// `GET /Schemas`: the User and Group schemas.
    /// - Parameter baseURL: the absolute SCIM base URL.
    package static func schemas(baseURL: String) -> [ClaimValue] {
        SCIMResourceType.allCases.map { $0.schema.document(baseURL: baseURL) }
    }

    /// `GET /Schemas/{id}`, or `nil` for an unknown URN (matched ignoring case).
    /// - Parameters:
    ///   - id: the schema URN.
    ///   - baseURL: the absolute SCIM base URL.
    package static func schema(id: String, baseURL: String) -> ClaimValue? {
        SCIMResourceType.allCases.first { $0.schemaURN.lowercased() == id.lowercased() }.map { $0.schema.document(baseURL: baseURL) }
    }

    /// A ListResponse (RFC 7644 §3.4.2): `totalResults`, `startIndex`, `itemsPerPage` (the number of
    /// resources given) and `Resources`.
    /// - Parameters:
    ///   - resources: this page's resources.
    ///   - totalResults: how many match in all.
    ///   - startIndex: the 1-based index of the first resource given.
    package static func listResponse(_ resources: [ClaimValue], totalResults: Int, startIndex: Int) -> ClaimValue {
        .object([
            "schemas": .array([.string(listResponseURN)]),
            "totalResults": .number(Double(totalResults)),
            "startIndex": .number(Double(startIndex)),
            "itemsPerPage": .number(Double(resources.count)),
            "Resources": .array(resources),
        ])
    }

    private static func resourceType(_ type: SCIMResourceType, baseURL: String) -> ClaimValue {
        .object([
            "schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]),
            "id": .string(type.rawValue),
            "name": .string(type.rawValue),
            "endpoint": .string(type.endpoint),
            "description": .string(type.schema.description),
            "schema": .string(type.schemaURN),
            "meta": .object([
                "resourceType": "ResourceType",
                "location": .string(trimmed(baseURL) + "/ResourceTypes/" + type.rawValue),
            ]),
        ])
    }

    static func trimmed(_ baseURL: String) -> String {
        var url = Substring(baseURL)
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }
}
