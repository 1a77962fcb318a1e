import Foundation
import RoleSyncJSON
import RoleSyncMapping
import RoleSyncSCIM
import Testing

@Suite("SCIM PATCH")
struct SCIMPatchTests {
    static let user: [String: ClaimValue] = [
        "schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:User"]),
        "id": "u1",
        "userName": "bjensen",
        "active": true,
        "emails": .array([
            .object(["value": "bjensen@example.com", "type": "work", "primary": true]),
            .object(["value": "babs@jensen.org", "type": "home"]),
        ]),
        "meta": .object(["resourceType": "User"]),
    ]

    static let member1: ClaimValue = .object([
        "value": "u1", "$ref": "https://rs.example/scim/v2/Users/u1", "type": "User", "display": "Babs",
    ])
    static let group: [String: ClaimValue] = [
        "id": "g1",
        "displayName": "Admins",
        "members": .array([member1, .object(["value": "u2"])]),
    ]

    /// Applies a PATCH body (the `Operations` list as JSON) to `resource`.
    private func patched(
        _ resource: [String: ClaimValue],
        _ operations: String,
        schema: SCIMSchema = .user
    ) throws -> [String: ClaimValue] {
        let body = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":\#(operations)}"#
        var resource = resource
        try SCIMPatch(json: Data(body.utf8)).apply(to: &resource, schema: schema)
        return resource
    }

    private func failure(
        _ resource: [String: ClaimValue],
        _ operations: String,
        schema: SCIMSchema = .user
    ) -> SCIMProtocolError? {
        do {
            _ = try patched(resource, operations, schema: schema)
            return nil
        } catch {
            return error as? SCIMProtocolError
        }
    }

    private func json(_ text: String) throws -> ClaimValue {
        try ClaimValue(json: Data(text.utf8))
    }

    // MARK: Parsing

    @Test("The body must name PatchOp and carry 1 to 1000 operations")
    func bodyChecks() throws {
        let noSchema = #"{"Operations":[{"op":"remove","path":"displayName"}]}"#
        #expect(throws: SCIMProtocolError.invalidSyntax("'schemas' must contain urn:ietf:params:scim:api:messages:2.0:PatchOp")) {
            try SCIMPatch(json: Data(noSchema.utf8))
        }
        #expect(failure(Self.user, "[]")?.scimType == "invalidSyntax")
        let many = "[" + Array(repeating: #"{"op":"remove","path":"displayName"}"#, count: 1_001).joined(separator: ",") + "]"
        #expect(failure(Self.user, many) == .invalidSyntax("more than 1000 operations"))
        #expect(failure(Self.user, #"[{"op":"move","path":"displayName"}]"#)?.scimType == "invalidSyntax")
        #expect(throws: SCIMProtocolError.self) { try SCIMPatch(json: Data("{".utf8)) }
    }

    @Test("op is case-insensitive and paths are parsed")
    func parsing() throws {
        let patch = try SCIMPatch(
            body: json(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x"}]}"#
            )
        )
        #expect(patch.operations.count == 1)
        #expect(patch.operations[0].kind == .replace)
        #expect(patch.operations[0].path?.attribute == SCIMAttributePath("emails"))
        #expect(patch.operations[0].path?.filter == .comparison(SCIMAttributePath("type"), .eq, "work"))
        #expect(patch.operations[0].path?.subAttribute == "value")
        #expect(patch.operations[0].value == "x")
    }

    @Test("An unreadable path is invalidPath naming the operation and the position")
    func badPath() {
        let error = failure(Self.user, #"[{"op":"add","path":"emails[type eq","value":"x"}]"#)
        #expect(error?.scimType == "invalidPath")
        #expect(error?.detail.hasPrefix("operation 1: ") == true)
        #expect(error?.detail.contains("position") == true)
    }

    // MARK: The scim2-tester forms

    @Test("add, then replace, then remove each writable User attribute, values kept verbatim")
    func testerUser() throws {
        let name: ClaimValue = .object([
            "formatted": "F", "familyName": "Fa", "givenName": "G", "middleName": "M", "honorificPrefix": "P", "honorificSuffix": "S",
        ])
        let email: ClaimValue = .object(["value": "a@b.example", "display": "D", "type": "other", "primary": true])
        var user: [String: ClaimValue] = ["id": "u9", "userName": "first"]
        user = try patched(user, #"[{"op":"add","path":"externalId","value":"ext"}]"#)
        user = try patched(user, #"[{"op":"add","path":"name","value":\#(name.jsonText)}]"#)
        user = try patched(user, #"[{"op":"add","path":"displayName","value":"Disp"}]"#)
        user = try patched(user, #"[{"op":"add","path":"active","value":true}]"#)
        user = try patched(user, #"[{"op":"add","path":"emails","value":[\#(email.jsonText)]}]"#)
        #expect(user["externalId"] == "ext")
        #expect(user["name"] == name)
        #expect(user["displayName"] == "Disp")
        #expect(user["active"] == true)
        #expect(user["emails"] == .array([email]))

        let home: ClaimValue = .object(["value": "c@d.example", "display": "E", "type": "home", "primary": true])
        user = try patched(user, #"[{"op":"replace","path":"userName","value":"second"}]"#)
        user = try patched(user, #"[{"op":"replace","path":"emails","value":[\#(home.jsonText)]}]"#)
        user = try patched(user, #"[{"op":"replace","path":"active","value":false}]"#)
        #expect(user["userName"] == "second")
        #expect(user["emails"] == .array([home]))
        #expect(user["active"] == false)

        for attribute in ["externalId", "name", "displayName", "active", "emails"] {
            user = try patched(user, #"[{"op":"remove","path":"\#(attribute)"}]"#)
            #expect(user[attribute] == nil)
        }
        #expect(user == ["id": "u9", "userName": "second"])
    }

    @Test("Group members: add, replace and remove keep $ref, type and display as sent")
    func testerGroup() throws {
        let member: ClaimValue = .object([
            "value": "u3", "$ref": "http://127.0.0.1/scim/v2/Users/u3", "type": "User", "display": "random",
        ])
        var group: [String: ClaimValue] = ["id": "g2", "displayName": "G"]
        group = try patched(group, #"[{"op":"add","path":"members","value":[\#(member.jsonText)]}]"#, schema: .group)
        #expect(group["members"] == .array([member]))
        group = try patched(group, #"[{"op":"replace","path":"members","value":[\#(Self.member1.jsonText)]}]"#, schema: .group)
        #expect(group["members"] == .array([Self.member1]))
        group = try patched(group, #"[{"op":"remove","path":"members"}]"#, schema: .group)
        #expect(group["members"] == nil)
        group = try patched(group, #"[{"op":"replace","path":"displayName","value":"H"}]"#, schema: .group)
        #expect(group["displayName"] == "H")
    }

    // MARK: Multi-valued attributes

    @Test("add appends, skipping exact duplicates and members already present by value")
    func addAppends() throws {
        let group = try patched(
            Self.group,
            #"[{"op":"add","path":"members","value":[{"value":"u1"},{"value":"u3"},{"value":"u3"}]}]"#,
            schema: .group
        )
        #expect(group["members"] == .array([Self.member1, .object(["value": "u2"]), .object(["value": "u3"])]))

        let user = try patched(Self.user, #"[{"op":"add","path":"emails","value":{"value":"babs@jensen.org","type":"home"}}]"#)
        #expect(user["emails"] == Self.user["emails"])
    }

    @Test("A member needs a string value")
    func memberValue() {
        let error = failure(Self.group, #"[{"op":"add","path":"members","value":[{"display":"x"}]}]"#, schema: .group)
        #expect(error == .invalidValue("operation 1: each 'members' value needs a string 'value'"))
    }

    @Test("Setting primary on a new email clears it on the others")
    func primary() throws {
        let user = try patched(Self.user, #"[{"op":"add","path":"emails","value":[{"value":"new@x.example","primary":true}]}]"#)
        #expect(
            user["emails"]
                == .array([
                    .object(["value": "bjensen@example.com", "type": "work", "primary": false]),
                    .object(["value": "babs@jensen.org", "type": "home"]),
                    .object(["value": "new@x.example", "primary": true]),
                ])
        )
    }

    @Test("Value filters: remove the matching members, and removing none is fine")
    func removeFiltered() throws {
        var group = try patched(Self.group, #"[{"op":"remove","path":"members[value eq \"u2\"]"}]"#, schema: .group)
        #expect(group["members"] == .array([Self.member1]))
        group = try patched(group, #"[{"op":"remove","path":"members[value eq \"nobody\"]"}]"#, schema: .group)
        #expect(group["members"] == .array([Self.member1]))
        group = try patched(group, #"[{"op":"remove","path":"members[value eq \"u1\"]"}]"#, schema: .group)
        #expect(group["members"] == nil)
    }

    @Test("Value filters with a sub-attribute: replace in the matching values, noTarget when none match")
    func replaceFiltered() throws {
        let user = try patched(Self.user, #"[{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}]"#)
        #expect(
            user["emails"]
                == .array([
                    .object(["value": "new@example.com", "type": "work", "primary": true]),
                    .object(["value": "babs@jensen.org", "type": "home"]),
                ])
        )
        let error = failure(Self.user, #"[{"op":"replace","path":"emails[type eq \"other\"].value","value":"x@y.example"}]"#)
        #expect(error?.scimType == "noTarget")
        let removed = try patched(Self.user, #"[{"op":"remove","path":"emails[type eq \"home\"].type"}]"#)
        #expect(removed["emails"] == .array([Self.user["emails"]!.arrayElements[0], .object(["value": "babs@jensen.org"])]))
    }

    @Test("add through a filter that matches nothing creates the value it describes (Entra ID)")
    func addFilteredCreates() throws {
        let user = try patched(
            ["userName": "a"],
            #"[{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@work.example"}]"#
        )
        #expect(user["emails"] == .array([.object(["type": "work", "value": "a@work.example"])]))
    }

    @Test("A member's immutable value cannot be replaced")
    func immutable() {
        let error = failure(Self.group, #"[{"op":"replace","path":"members[value eq \"u1\"].value","value":"u9"}]"#, schema: .group)
        #expect(error?.scimType == "mutability")
    }

    // MARK: Entra ID and Okta

    @Test("Entra ID: path-less replace with string booleans")
    func entraActive() throws {
        var user = try patched(Self.user, #"[{"op":"Replace","value":{"active":"False"}}]"#)
        #expect(user["active"] == false)
        user = try patched(user, #"[{"op":"replace","path":"active","value":"True"}]"#)
        #expect(user["active"] == true)
        #expect(failure(user, #"[{"op":"replace","path":"active","value":"yes"}]"#)?.scimType == "invalidValue")
    }

    @Test("Entra ID's default mappings: operations on attributes RoleSync does not publish are skipped")
    func entraUnpublished() throws {
        let user = try patched(
            Self.user,
            #"""
            [{"op":"Add","path":"title","value":"Engineer"},
             {"op":"Add","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555"},
             {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"},
             {"op":"Replace","path":"displayName","value":"Renamed"}]
            """#
        )
        var expected = Self.user
        expected["displayName"] = "Renamed"
        #expect(user == expected)
    }

    @Test("Entra ID: members added with Add, and removed by a value list")
    func entraMembers() throws {
        var group = try patched(Self.group, #"[{"op":"Add","path":"members","value":[{"value":"u3"}]}]"#, schema: .group)
        #expect(group["members"]?.arrayElements.count == 3)
        group = try patched(group, #"[{"op":"Remove","path":"members","value":[{"value":"u2"},{"value":"u3"}]}]"#, schema: .group)
        #expect(group["members"] == .array([Self.member1]))
    }

    @Test("Okta: path-less replace carrying the unchanged id; unknown members are ignored")
    func oktaPathless() throws {
        let group = try patched(
            Self.group,
            #"[{"op":"replace","value":{"id":"g1","displayName":"Renamed","urn:example:ext":{"x":1},"name.givenName":"ignored?"}}]"#,
            schema: .group
        )
        #expect(group["displayName"] == "Renamed")
        #expect(group["id"] == "g1")
        #expect(group.count == 3)
        let error = failure(Self.group, #"[{"op":"replace","value":{"id":"other"}}]"#, schema: .group)
        #expect(error?.scimType == "mutability")
    }

    @Test("Path-less members may be paths (name.givenName) and merge complex values")
    func pathlessPaths() throws {
        let user = try patched(
            ["userName": "a", "name": .object(["familyName": "F"])],
            #"[{"op":"add","value":{"name.givenName":"G","emails":[{"value":"e@x.example"}]}}]"#
        )
        #expect(user["name"] == .object(["familyName": "F", "givenName": "G"]))
        #expect(user["emails"] == .array([.object(["value": "e@x.example"])]))
    }

    // MARK: Simple and sub-attribute paths

    @Test("Sub-attribute paths set and remove one member; an emptied complex value goes")
    func subAttributes() throws {
        var user = try patched(["userName": "a"], #"[{"op":"replace","path":"name.givenName","value":"G"}]"#)
        #expect(user["name"] == .object(["givenName": "G"]))
        user = try patched(user, #"[{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName","value":"F"}]"#)
        #expect(user["name"] == .object(["givenName": "G", "familyName": "F"]))
        user = try patched(user, #"[{"op":"remove","path":"name.givenName"},{"op":"remove","path":"NAME.FAMILYNAME"}]"#)
        #expect(user["name"] == nil)
    }

    @Test("Attribute names ignore case and are stored under the schema's spelling")
    func caseInsensitive() throws {
        let user = try patched(["username": "a"], #"[{"op":"replace","path":"USERNAME","value":"b"}]"#)
        #expect(user == ["userName": "b"])
    }

    // MARK: Refusals

    @Test(
        "Read-only attributes, unknown paths, required attributes",
        arguments: [
            (#"[{"op":"replace","path":"id","value":"x"}]"#, "mutability"),
            (#"[{"op":"remove","path":"meta"}]"#, "mutability"),
            (#"[{"op":"add","path":"groups","value":[{"value":"g1"}]}]"#, "mutability"),
            (#"[{"op":"add","path":"name.nickName","value":"x"}]"#, "invalidPath"),
            (#"[{"op":"add","path":"active[value eq true]","value":true}]"#, "invalidPath"),
            (#"[{"op":"remove","path":"userName"}]"#, "mutability"),
            (#"[{"op":"replace","path":"userName","value":null}]"#, "mutability"),
            (#"[{"op":"replace","path":"userName","value":""}]"#, "invalidValue"),
            (#"[{"op":"replace","path":"userName","value":7}]"#, "invalidValue"),
            (#"[{"op":"replace","path":"emails","value":["a@b.example"]}]"#, "invalidValue"),
            (#"[{"op":"add","path":"displayName"}]"#, "invalidValue"),
            (#"[{"op":"remove"}]"#, "noTarget"),
            (#"[{"op":"add","value":"x"}]"#, "invalidValue"),
        ]
    )
    func refusals(operations: String, scimType: String) {
        let error = failure(Self.user, operations)
        #expect(error?.scimType == scimType)
        #expect(error?.status == 400)
    }

    @Test("Removing a Group's displayName is refused")
    func groupRequired() {
        #expect(failure(Self.group, #"[{"op":"remove","path":"displayName"}]"#, schema: .group)?.scimType == "mutability")
    }

    @Test("A PATCH is atomic: when an operation fails, the resource is unchanged")
    func atomic() throws {
        var user = Self.user
        let patch = try SCIMPatch(
            body: json(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x"},{"op":"remove","path":"id"}]}"#
            )
        )
        #expect(throws: SCIMProtocolError.mutability("operation 2: 'id' is read-only")) { try patch.apply(to: &user, schema: .user) }
        #expect(user == Self.user)
    }
}

extension ClaimValue {
    var arrayElements: [ClaimValue] {
        if case .array(let elements) = self { return elements }
        return []
    }
}
