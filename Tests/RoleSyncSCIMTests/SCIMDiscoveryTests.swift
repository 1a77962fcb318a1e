import Foundation
import RoleSyncJSON
import RoleSyncMapping
import RoleSyncSCIM
import Testing

@Suite("SCIM discovery")
struct SCIMDiscoveryTests {
    static let base = "https://rolesync.example/scim/v2/"

    /// The document after a round trip through JSON text, as a client reads it.
    private func reparsed(_ value: ClaimValue) throws -> [String: ClaimValue] {
        guard case .object(let object) = try ClaimValue(json: Data(value.jsonText.utf8)) else {
            Issue.record("not an object")
            return [:]
        }
        return object
    }

    @Test("ServiceProviderConfig: patch and filter on, bulk, sort, etag and changePassword off, bearer tokens")
    func serviceProviderConfig() throws {
        let spc = try reparsed(SCIMDiscovery.serviceProviderConfig(baseURL: Self.base))
        #expect(spc["schemas"] == .array(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]))
        #expect(spc["patch"] == .object(["supported": true]))
        #expect(spc["bulk"] == .object(["supported": false, "maxOperations": 0, "maxPayloadSize": 0]))
        #expect(spc["filter"] == .object(["supported": true, "maxResults": 200]))
        for feature in ["changePassword", "sort", "etag"] {
            #expect(spc[feature] == .object(["supported": false]))
        }
        guard case .array(let schemes)? = spc["authenticationSchemes"], case .object(let scheme)? = schemes.first else {
            Issue.record("no authentication scheme")
            return
        }
        #expect(schemes.count == 1)
        #expect(scheme["type"] == "oauthbearertoken")
        #expect(scheme["name"] != nil && scheme["description"] != nil)
        #expect(
            spc["meta"] == .object(["resourceType": "ServiceProviderConfig", "location": "https://rolesync.example/scim/v2/ServiceProviderConfig"])
        )
    }

    @Test("ResourceTypes list User at /Users and Group at /Groups")
    func resourceTypes() throws {
        let types = try SCIMDiscovery.resourceTypes(baseURL: Self.base).map(reparsed)
        #expect(types.map { $0["id"] } == ["User", "Group"])
        #expect(types.map { $0["endpoint"] } == ["/Users", "/Groups"])
        #expect(types.map { $0["schema"] } == ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"])
        #expect(types[0]["schemas"] == .array(["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]))
        #expect(types[0]["schemaExtensions"] == nil)
        let group = try #require(SCIMDiscovery.resourceType(named: "Group", baseURL: Self.base))
        #expect(
            try reparsed(group)["meta"]
                == .object(["resourceType": "ResourceType", "location": "https://rolesync.example/scim/v2/ResourceTypes/Group"])
        )
        #expect(SCIMDiscovery.resourceType(named: "Device", baseURL: Self.base) == nil)
        #expect(SCIMResourceType(endpoint: "/Users") == .user)
        #expect(SCIMResourceType(endpoint: "groups") == .group)
        #expect(SCIMResourceType(endpoint: "Schemas") == nil)
    }

    @Test("Schemas: User and Group, with meta.location")
    func schemas() throws {
        let schemas = try SCIMDiscovery.schemas(baseURL: Self.base).map(reparsed)
        #expect(schemas.map { $0["name"] } == ["User", "Group"])
        let user = try #require(SCIMDiscovery.schema(id: "urn:ietf:params:scim:schemas:core:2.0:User", baseURL: Self.base))
        let object = try reparsed(user)
        #expect(object["schemas"] == .array(["urn:ietf:params:scim:schemas:core:2.0:Schema"]))
        #expect(
            object["meta"]
                == .object([
                    "resourceType": "Schema", "location": "https://rolesync.example/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
                ])
        )
        #expect(SCIMDiscovery.schema(id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", baseURL: Self.base) == nil)
    }

    @Test("The published schemas are docs/notes/scim/min-schemas.json, descriptions aside")
    func matchesMinimalSchemas() throws {
        let url = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../docs/notes/scim/min-schemas.json")
        let expected = try ClaimValue(json: Data(contentsOf: url))
        var published = try SCIMDiscovery.schemas(baseURL: Self.base).map(reparsed)
        for index in published.indices {
            published[index]["schemas"] = nil
            published[index]["meta"] = nil
        }
        #expect(withoutDescriptions(.array(published.map(ClaimValue.object))) == withoutDescriptions(expected))
    }

    private func withoutDescriptions(_ value: ClaimValue) -> ClaimValue {
        switch value {
        case .object(let object):
            .object(object.filter { $0.key != "description" }.mapValues(withoutDescriptions))
        case .array(let elements):
            .array(elements.map(withoutDescriptions))
        default:
            value
        }
    }

    @Test("Schema lookups")
    func lookups() {
        let user = SCIMSchema.user
        #expect(user.isKnown("userName") && user.isKnown("NAME.givenname") && user.isKnown("externalId") && user.isKnown("meta.created"))
        #expect(user.isKnown("urn:ietf:params:scim:schemas:core:2.0:User:emails.value"))
        #expect(!user.isKnown("password") && !user.isKnown("nickName") && !user.isKnown("name.nickName"))
        #expect(!user.isKnown("urn:ietf:params:scim:schemas:core:2.0:Group:displayName"))
        #expect(user.type(of: "active") == .boolean)
        #expect(user.type(of: "emails.primary") == .boolean)
        #expect(user.isMultiValued("emails") && !user.isMultiValued("name"))
        #expect(user.mutability(of: "id") == .readOnly)
        #expect(user.mutability(of: "groups") == .readOnly)
        #expect(user.mutability(of: "userName") == .readWrite)
        #expect(SCIMSchema.group.mutability(of: "members.value") == .immutable)
        #expect(!user.isCaseExact("username") && user.isCaseExact("externalid") && user.isCaseExact("id") && !user.isCaseExact("displayName"))
        #expect(SCIMSchema.group.isCaseExact("members") && SCIMSchema.group.isCaseExact("members.value"))
        #expect(user.isRequired("userName") && !user.isRequired("displayName") && SCIMSchema.group.isRequired("displayName"))
    }

    @Test("ListResponse")
    func listResponse() throws {
        let list = try reparsed(SCIMDiscovery.listResponse([.object(["id": "1"])], totalResults: 7, startIndex: 3))
        #expect(list["schemas"] == .array(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]))
        #expect(list["totalResults"] == 7)
        #expect(list["startIndex"] == 3)
        #expect(list["itemsPerPage"] == 1)
        #expect(list["Resources"] == .array([.object(["id": "1"])]))
    }
}
