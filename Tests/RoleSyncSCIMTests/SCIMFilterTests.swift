import RoleSyncJSON
import RoleSyncMapping
import RoleSyncSCIM
import Testing

@Suite("SCIM filters")
struct SCIMFilterTests {
    let user: [String: ClaimValue] = [
        "id": "2819c223",
        "externalId": "Ext-1",
        "userName": "BJensen",
        "displayName": "Babs Jensen",
        "active": true,
        "name": .object(["givenName": "Barbara", "familyName": "Jensen"]),
        "emails": .array([
            .object(["value": "bjensen@example.com", "type": "work", "primary": true]),
            .object(["value": "babs@jensen.org", "type": "home"]),
        ]),
        "meta": .object(["lastModified": "2011-05-13T04:42:34Z"]),
        "age": 42,
    ]

    private func matches(_ text: String) throws -> Bool {
        try SCIMFilter(parsing: text).matches(user, caseExact: SCIMSchema.user.isCaseExact)
    }

    @Test("Precedence: not binds tighter than and, and tighter than or")
    func precedence() throws {
        let a = SCIMAttributePath("a")
        let b = SCIMAttributePath("b")
        let c = SCIMAttributePath("c")
        #expect(
            try SCIMFilter(parsing: #"a eq "1" or b eq "2" and c eq "3""#)
                == .or(.comparison(a, .eq, "1"), .and(.comparison(b, .eq, "2"), .comparison(c, .eq, "3")))
        )
        #expect(
            try SCIMFilter(parsing: #"(a eq "1" or b eq "2") and c pr"#)
                == .and(.or(.comparison(a, .eq, "1"), .comparison(b, .eq, "2")), .present(c))
        )
        #expect(try SCIMFilter(parsing: "not (a pr) and b pr") == .and(.not(.present(a)), .present(b)))
        #expect(try SCIMFilter(parsing: "a pr AND b Pr OR NOT(c pr)") == .or(.and(.present(a), .present(b)), .not(.present(c))))
    }

    @Test("Literals: JSON strings with escapes, numbers, true, false, null")
    func literals() throws {
        #expect(try SCIMFilter(parsing: #"x eq "a\"b\\c\u00e9\ud83d\ude00\n""#) == .comparison(SCIMAttributePath("x"), .eq, "a\"b\\cé😀\n"))
        #expect(try SCIMFilter(parsing: "x eq 1.5e2") == .comparison(SCIMAttributePath("x"), .eq, .number(150)))
        #expect(try SCIMFilter(parsing: "x eq -3") == .comparison(SCIMAttributePath("x"), .eq, .number(-3)))
        #expect(try SCIMFilter(parsing: "x eq TRUE") == .comparison(SCIMAttributePath("x"), .eq, .bool(true)))
        #expect(try SCIMFilter(parsing: "x ne false") == .comparison(SCIMAttributePath("x"), .ne, .bool(false)))
        #expect(try SCIMFilter(parsing: "x eq null") == .comparison(SCIMAttributePath("x"), .eq, .null))
    }

    @Test("Attribute paths: sub-attributes and schema URNs")
    func paths() throws {
        #expect(try SCIMFilter(parsing: #"name.givenName eq "x""#) == .comparison(SCIMAttributePath("name", subAttribute: "givenName"), .eq, "x"))
        let qualified = try SCIMFilter(parsing: #"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen""#)
        #expect(qualified == .comparison(SCIMAttributePath("userName", schema: "urn:ietf:params:scim:schemas:core:2.0:User"), .eq, "bjensen"))
        #expect(qualified.equality?.attribute == "username")
        #expect(
            try SCIMFilter(parsing: #"members[value eq "1"]"#)
                == .valuePath(SCIMAttributePath("members"), .comparison(SCIMAttributePath("value"), .eq, "1"))
        )
    }

    @Test("equality names the canonical attribute of a single eq on a string")
    func equality() throws {
        #expect(try SCIMFilter(parsing: #"userName eq "bjensen""#).equality! == ("username", "bjensen"))
        #expect(try SCIMFilter(parsing: #"EXTERNALID Eq "Ext-1""#).equality! == ("externalid", "Ext-1"))
        #expect(try SCIMFilter(parsing: #"displayName eq "Admins""#).equality! == ("displayname", "Admins"))
        #expect(try SCIMFilter(parsing: #"members.value eq "42""#).equality! == ("members.value", "42"))
        #expect(try SCIMFilter(parsing: #"(userName eq "bjensen")"#).equality! == ("username", "bjensen"))
        #expect(try SCIMFilter(parsing: #"userName ne "bjensen""#).equality == nil)
        #expect(try SCIMFilter(parsing: #"userName eq "a" and active eq true"#).equality == nil)
        #expect(try SCIMFilter(parsing: "age eq 42").equality == nil)
    }

    @Test(
        "Matching",
        arguments: [
            (#"userName eq "bjensen""#, true),  // userName is not case-exact
            (#"USERNAME eq "BJENSEN""#, true),
            (#"externalId eq "ext-1""#, false),  // externalId is case-exact
            (#"externalId eq "Ext-1""#, true),
            (#"id eq "2819C223""#, false),
            (#"displayName co "jens""#, true),
            (#"displayName sw "babs""#, true),
            (#"displayName ew "JENSEN""#, true),
            (#"name.givenName eq "barbara""#, true),
            ("active eq true", true),
            ("active ne true", false),
            ("age gt 41", true),
            ("age le 41", false),
            (#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
            (#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
            (#"meta.lastModified lt "2012-01-01T00:00:00Z""#, true),
            (#"userName gt "a""#, true),  // lexicographic, ignoring case
            (#"emails co "jensen.org""#, true),  // complex multi-valued: compares `value`
            (#"emails.value ew "@example.com""#, true),
            (#"emails.type eq "other""#, false),
            (#"emails[type eq "work" and value co "@example.com"]"#, true),
            (#"emails[type eq "home" and value co "@example.com"]"#, false),
            (#"emails[type eq "home"] and userName eq "bjensen""#, true),
            ("emails[primary eq true]", true),
            ("title pr", false),
            ("name pr", true),
            ("emails pr", true),
            ("title eq null", true),
            ("userName eq null", false),
            (#"title ne "x""#, true),
            (#"not (userName eq "bjensen")"#, false),
            (#"userName eq "nobody" or not (active eq false)"#, true),
            (#"userName eq 42"#, false),  // wrong type never matches
            (#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen""#, true),
        ]
    )
    func matching(filter: String, expected: Bool) throws {
        #expect(try matches(filter) == expected)
    }

    @Test("An extension URN looks inside the extension object")
    func extensionAttribute() throws {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        let resource: [String: ClaimValue] = [urn: .object(["employeeNumber": "701984"])]
        let filter = try SCIMFilter(parsing: #"\#(urn):employeeNumber eq "701984""#)
        #expect(filter.matches(resource) { _ in false })
        #expect(filter.equality?.attribute == urn.lowercased() + ":employeenumber")
    }

    @Test(
        "Errors are invalidFilter and give the position",
        arguments: [
            (#"userName eq"#, "position 12"),
            (#"userName foo "x""#, "unknown operator 'foo' at position 10"),
            (#"(userName eq "x""#, "expected ')', found the end at position 17"),
            (#"userName eq "x" )"#, "unexpected ')' at position 17"),
            (#"userName eq "x"#, "unterminated string at position 13"),
            (#"userName eq "\q""#, "invalid escape at position 14"),
            (#"emails[type eq "work""#, "expected ']'"),
            (#"emails[value eq "x" and members[value eq "y"]]"#, "cannot be nested at position 32"),
            ("active gt true", "cannot compare booleans at position 11"),
            ("userName co 1", "'co' needs a string at position 13"),
            ("x eq 01", "invalid number at position 6"),
            (#"userName eq "a" and"#, "expected an attribute name, found the end at position 20"),
            ("1abc eq 2", "expected an attribute name"),
            (#"name.given.x eq "a""#, "invalid attribute path"),
            (#"userName eq "x" # "#, "unexpected character '#' at position 17"),
            ("", "expected an attribute name, found the end at position 1"),
        ]
    )
    func errors(text: String, detail: String) {
        #expect {
            try SCIMFilter(parsing: text)
        } throws: { error in
            guard let error = error as? SCIMProtocolError else { return false }
            return error.status == 400 && error.scimType == "invalidFilter" && error.detail.contains(detail)
        }
    }

    @Test("Length and nesting are limited")
    func limits() throws {
        let long = #"userName eq ""# + String(repeating: "a", count: 1_000) + #"""#
        #expect(throws: SCIMProtocolError.invalidFilter("longer than 1000 characters")) { try SCIMFilter(parsing: long) }
        let deep = String(repeating: "(", count: 40) + "a pr" + String(repeating: ")", count: 40)
        #expect { try SCIMFilter(parsing: deep) } throws: { ($0 as? SCIMProtocolError)?.detail.contains("nested deeper") == true }
        let fine = String(repeating: "(", count: 10) + "a pr" + String(repeating: ")", count: 10)
        #expect(try SCIMFilter(parsing: fine) == .present(SCIMAttributePath("a")))
    }

    @Test("Error details quote at most a short, printable excerpt of the input")
    func hostileInput() {
        let text = "x" + String(repeating: "\u{7}", count: 500) + " eq 1"
        #expect {
            try SCIMFilter(parsing: text)
        } throws: { error in
            guard let detail = (error as? SCIMProtocolError)?.detail else { return false }
            return detail.count < 120 && !detail.unicodeScalars.contains { $0.value < 0x20 }
        }
    }
}
