import Foundation
import RoleSyncJSON
import RoleSyncMapping
import RoleSyncSCIM
import Testing

@Suite("SCIM resources")
struct SCIMResourceTests {
    // MARK: Validation

    @Test("A minimal POST body (scim2-tester) is accepted")
    func minimal() throws {
        let body: [String: ClaimValue] = ["schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:User"]), "userName": "u-1"]
        #expect(try SCIMResource.validateForCreate(body, type: .user) == ["userName": "u-1"])
        let group: [String: ClaimValue] = ["schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:Group"]), "displayName": "G"]
        #expect(try SCIMResource.validateForCreate(group, type: .group) == ["displayName": "G"])
    }

    @Test("Server-set, read-only, secret and unknown attributes are dropped; names take the schema's spelling")
    func cleaning() throws {
        let body: [String: ClaimValue] = [
            "schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:User"]),
            "id": "client-chosen",
            "meta": .object(["version": "1"]),
            "password": "hunter2",
            "groups": .array([.object(["value": "g1"])]),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": .object(["employeeNumber": "7"]),
            "nickName": "Babs",
            "UserName": "bjensen",
            "externalId": "E-1",
            "active": "True",
            "displayName": .null,
            "emails": .array([]),
            "name": .object(["givenName": "Barbara", "nickname": "kept verbatim"]),
        ]
        let cleaned = try SCIMResource.validateForCreate(body, type: .user)
        #expect(
            cleaned == [
                "userName": "bjensen",
                "externalId": "E-1",
                "active": true,
                "name": .object(["givenName": "Barbara", "nickname": "kept verbatim"]),
            ]
        )
    }

    @Test("Complex values are kept verbatim")
    func verbatim() throws {
        let member: ClaimValue = .object(["value": "u1", "$ref": "https://x.example/Users/u1", "type": "User", "display": "D"])
        let group = try SCIMResource.validateForReplace(["displayName": "G", "members": .array([member])], type: .group)
        #expect(group["members"] == .array([member]))
        let email: ClaimValue = .object(["value": "a@b.example", "display": "D", "type": "home", "primary": true])
        let user = try SCIMResource.validateForReplace(["userName": "a", "emails": .array([email])], type: .user)
        #expect(user["emails"] == .array([email]))
    }

    @Test(
        "Bodies that are refused with invalidValue",
        arguments: [
            ([:], SCIMResourceType.user),
            (["userName": ""], .user),
            (["userName": "  "], .user),
            (["userName": 42], .user),
            (["userName": .null], .user),
            (["userName": "a", "active": "maybe"], .user),
            (["userName": "a", "emails": .array(["a@b.example"])], .user),
            (["userName": "a", "name": "Barbara"], .user),
            (["userName": "a", "emails": .array([.object(["primary": "often"])])], .user),
            (["displayName": "G", "members": .array([.object(["display": "no value"])])], .group),
            (["displayName": "G", "members": .array([.object(["value": 7])])], .group),
            (["userName": "a"], .group),
        ] as [([String: ClaimValue], SCIMResourceType)]
    )
    func refused(body: [String: ClaimValue], type: SCIMResourceType) {
        #expect {
            try SCIMResource.validateForCreate(body, type: type)
        } throws: { error in
            (error as? SCIMProtocolError)?.scimType == "invalidValue"
        }
    }

    // MARK: Projection

    static let stored: [String: ClaimValue] = [
        "schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:User"]),
        "id": "u1",
        "externalId": "E",
        "userName": "bjensen",
        "name": .object(["givenName": "Barbara", "familyName": "Jensen"]),
        "emails": .array([.object(["value": "a@b.example", "type": "work"]), .object(["value": "c@d.example"])]),
        "meta": .object(["resourceType": "User"]),
        "password": "never",
    ]

    private func project(attributes: [String] = [], excluded: [String] = []) -> [String: ClaimValue] {
        SCIMResource.project(Self.stored, attributes: attributes, excludedAttributes: excluded, schema: .user)
    }

    @Test("attributes= keeps the named attributes plus id, schemas and meta")
    func attributes() {
        #expect(Set(project(attributes: ["externalId"]).keys) == ["schemas", "id", "meta", "externalId"])
        #expect(Set(project(attributes: ["USERNAME", " name "]).keys) == ["schemas", "id", "meta", "userName", "name"])
        #expect(project(attributes: ["name.givenName"])["name"] == .object(["givenName": "Barbara"]))
        #expect(project(attributes: ["emails.type"])["emails"] == .array([.object(["type": "work"])]))
        #expect(project(attributes: ["urn:ietf:params:scim:schemas:core:2.0:User:userName"])["userName"] == "bjensen")
        #expect(Set(project(attributes: ["nickName"]).keys) == ["schemas", "id", "meta"])
    }

    @Test("excludedAttributes= drops the named attributes but never id or schemas")
    func excluded() {
        #expect(Set(project(excluded: ["name", "ID", "schemas", "emails"]).keys) == ["schemas", "id", "meta", "externalId", "userName"])
        #expect(project(excluded: ["name.givenName"])["name"] == .object(["familyName": "Jensen"]))
        #expect(project(excluded: ["emails.type"])["emails"] == .array([.object(["value": "a@b.example"]), .object(["value": "c@d.example"])]))
        #expect(project(excluded: ["externalId"])["externalId"] == nil)
    }

    @Test("password is never returned")
    func password() {
        #expect(project()["password"] == nil)
        #expect(project(attributes: ["password"])["password"] == nil)
    }

    // MARK: Errors

    @Test("The error body is a SCIM Error with the status as a string")
    func errorBody() throws {
        let body = SCIMProtocolError.notFound("no such user").body
        #expect(body == .object(["schemas": .array(["urn:ietf:params:scim:api:messages:2.0:Error"]), "status": "404", "detail": "no such user"]))
        let invalid = SCIMProtocolError.invalidFilter("bad").body
        #expect(try ClaimValue(json: Data(invalid.jsonText.utf8)) == invalid)
        guard case .object(let object) = invalid else { throw CancellationError() }
        #expect(object["scimType"] == "invalidFilter")
        #expect(object["status"] == "400")
        #expect(SCIMProtocolError.uniqueness("taken").status == 409)
        #expect(SCIMProtocolError.invalidPath("p").description == "SCIM error 400 (invalidPath): p")
    }

    @Test("Details are printable and short")
    func printableDetail() {
        #expect(SCIMProtocolError.excerpt("a\u{0}b\nc\u{202E}d") == "a?b?c?d")
        #expect(SCIMProtocolError.excerpt(String(repeating: "x", count: 500)) == String(repeating: "x", count: 100) + "…")
        let error = SCIMProtocolError.invalidValue(String(repeating: "\u{1}", count: 1_000))
        #expect(error.detail.count <= SCIMProtocolError.maximumDetailLength + 1)
        #expect(!error.detail.unicodeScalars.contains { $0.value < 0x20 })
    }
}
