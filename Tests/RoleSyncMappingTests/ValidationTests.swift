import RoleSyncMapping
import Testing

@Suite("Validation")
struct ValidationTests {
    let header = "version: 1\nissuer: https://idp.example.com\n"

    @Test func missingRequiredKeys() {
        #expect(
            diagnostics("profile: {}\n") == [
                "1:1: error: missing required key 'version'",
                "1:1: error: missing required key 'issuer'",
                "1:1: error: missing required key 'roles'",
            ]
        )
    }

    @Test func unknownKeyWithSuggestion() {
        #expect(
            diagnostics(header + "rolse: []\n") == [
                "1:1: error: missing required key 'roles'",
                "3:1: error: unknown key 'rolse' in the mapping; did you mean 'roles'? (allowed: version, issuer, profile, require, deactivate, roles, unmatched, tests)",
            ]
        )
    }

    @Test func unsupportedVersion() {
        #expect(
            diagnostics("version: 2\nissuer: https://i.example.com\nroles: [{ id: a, role: user }]\n") == [
                "1:10: error: unsupported version 2; this RoleSync reads mapping version 1"
            ]
        )
        #expect(
            diagnostics("version: \"1\"\nissuer: https://i.example.com\nroles: [{ id: a, role: user }]\n") == [
                "1:10: error: version must be the number 1, found a string"
            ]
        )
    }

    @Test func emptyRoles() {
        #expect(diagnostics(header + "roles: []\n") == ["3:8: error: roles is empty; a mapping needs at least one role rule"])
    }

    @Test func unknownRoleListsTheSeven() {
        #expect(
            diagnostics(header + "roles:\n  - id: a\n    role: superadmin\n") == [
                "5:11: error: unknown role 'superadmin' (did you mean 'super_admin'?); the roles are super_admin, model_admin, provider_admin, mcp_admin, user_admin, billing_admin, user"
            ]
        )
    }

    @Test func badRegexAndGlob() {
        let d = diagnostics(
            header + """
                roles:
                  - { id: a, role: user, when: { claim: g, regex: "(abc" } }
                  - { id: b, role: user, when: { claim: g, glob: "team-[0-9" } }
                  - { id: c, role: user, when: { claim: g, glob: "x\\\\" } }
                """
        )
        #expect(
            d == [
                "4:51: error: bad regex \"(abc\": expected ')'",
                "5:50: error: bad glob \"team-[0-9\": unclosed '[' (a character class needs a closing ']') at character 6",
                "6:50: error: bad glob \"x\\\\\": a lone '\\' ends the pattern (escape it as '\\\\') at character 2",
            ]
        )
    }

    @Test func wrongTypes() {
        let d = diagnostics(
            header + """
                require: { claim: a, equals: b }
                roles:
                  - id: [a]
                    role: user
                    when: { claim: groups, contains: [a, b] }
                  - { id: b, role: user, when: { claim: g, exists: "yes" } }
                  - { id: c, role: user, when: { claim: g, equals: null } }
                unmatched: 3
                """
        )
        #expect(
            d == [
                "3:10: error: require must be a list, found a mapping",
                "5:9: error: id must be a string, found a list",
                "7:38: error: contains needs a string, number or boolean, found a list; to accept several values use in: [...]",
                "8:52: error: exists must be true or false, found a string",
                "9:52: error: equals needs a string, number or boolean, found null; to test that a claim is absent use exists: false",
                "10:12: error: unmatched must be a string, found a number",
            ]
        )
    }

    @Test func duplicateRuleID() {
        #expect(
            diagnostics(header + "roles:\n  - { id: a, role: user }\n  - id: a\n    role: user\n") == [
                "5:9: error: duplicate rule id 'a' (first used on line 4); rule ids must be unique"
            ]
        )
    }

    @Test func conditionShapes() {
        let d = diagnostics(
            header + """
                roles:
                  - { id: a, role: user, when: { claim: g } }
                  - { id: b, role: user, when: { equals: x } }
                  - { id: c, role: user, when: { claim: g, equals: x, contains: y } }
                  - { id: d, role: user, when: { any: [], claim: g } }
                  - { id: e, role: user, when: { claim: g, contians: y } }
                """
        )
        #expect(
            d == [
                "4:32: error: the condition on 'g' has no operator; use one of equals, in, contains, glob, regex, exists",
                "5:32: error: a condition needs 'claim' (the claim path to test), or one of any, all, not",
                "6:55: error: a condition takes one operator, found 'equals' and 'contains'; combine conditions with all or any",
                "7:43: error: unknown key 'claim' in a 'any' condition (it takes no other key) (allowed: any)",
                "8:44: error: unknown key 'contians' in a condition; did you mean 'contains'? (allowed: claim, equals, in, contains, glob, regex, exists, ignore_case, any, all, not)",
            ]
        )
    }

    @Test("Several errors in one file are all reported, in file order")
    func severalErrors() {
        let d = diagnostics(
            """
            version: 1
            issuer: not a url
            roles:
              - { id: a, role: admin }
              - { id: b, role: user, when: { claim: "a..b", equals: 1 } }
            unmatched: allow
            """
        )
        #expect(d.count == 4)
        #expect(d.map { $0.split(separator: ":").prefix(2).joined(separator: ":") } == ["2:9", "4:20", "5:41", "6:12"])
    }

    @Test("YAML syntax errors keep libyaml's position")
    func yamlSyntax() {
        #expect(
            diagnostics("version: 1\nissuer: [x\n") == [
                "3:1: error: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 9)"
            ]
        )
        #expect(
            diagnostics("version: 1\n  bad: indent\n") == [
                "2:6: error: YAML syntax error: mapping values are not allowed in this context"
            ]
        )
        #expect(diagnostics("version: 1\nversion: 1\n").first?.contains("duplicate key 'version'") == true)
        #expect(diagnostics("") == ["1:1: error: the file is empty; a mapping needs at least version, issuer and roles"])
        #expect(diagnostics("- a\n") == ["1:1: error: a mapping file's top level must be a mapping, found a list"])
    }

    @Test func profileKeys() {
        #expect(
            diagnostics(header + "profile:\n  mail: email\n  name: []\nroles: [{ id: a, role: user }]\n") == [
                "4:3: error: unknown key 'mail' in profile; did you mean 'email'? (allowed: email, name, organization_unit)",
                "5:9: error: profile.name lists no claim; give at least one claim path",
            ]
        )
    }

    @Test func testCases() {
        let d = diagnostics(
            header + """
                roles: [{ id: a, role: user }]
                tests:
                  - name: no expect
                    claims: {}
                  - name: empty expect
                    claims: {}
                    expect: {}
                  - name: bad expect
                    claims: {}
                    expect: { role: admin, rule: b, colour: red }
                  - claims: {}
                    expect: { allowed: true }
                """
        )
        #expect(
            d == [
                "5:5: warning: test case 'no expect' has no 'expect', so it checks nothing",
                "7:5: warning: test case 'empty expect' has an empty 'expect', so it checks nothing",
                "12:21: error: unknown role 'admin'; the roles are super_admin, model_admin, provider_admin, mcp_admin, user_admin, billing_admin, user",
                "12:34: error: expect.rule 'b' is not a rule of this mapping",
                "12:37: error: unknown key 'colour' in expect (allowed: allowed, role, rule, covered, deactivate, profile, unknown_claims)",
                "13:5: error: a test case needs a 'name'",
            ]
        )
    }

    @Test func shadowWarnings() {
        let d = diagnostics(
            header + """
                require:
                  - { claim: dept, in: [] }
                deactivate:
                  - { all: [] }
                roles:
                  - { id: a, role: super_admin, when: { claim: groups, contains: admins } }
                  - { id: b, role: user_admin, when: { claim: groups, contains: admins } }
                  - { id: c, role: user, when: { all: [ { claim: x, exists: false }, { claim: x, equals: 1 } ] } }
                  - { id: d, role: user, when: { any: [] } }
                  - { id: everyone, role: user }
                  - { id: late, role: billing_admin, when: { claim: groups, contains: finance } }
                """
        )
        #expect(
            d == [
                "4:5: warning: this requirement can never hold ('in' with an empty list), so every sign-in will be refused",
                "4:24: warning: 'in' with an empty list never holds",
                "6:5: warning: this deactivate condition always holds: every user would be deactivated",
                "9:5: warning: rule 'b' can never match: rule 'a' on line 8 has the same condition and comes first",
                "10:5: warning: rule 'c' can never match (it needs claim 'x' both absent and present)",
                "11:5: warning: rule 'd' can never match (an empty 'any')",
                "13:5: warning: rule 'late' can never match: the catch-all rule 'everyone' on line 12 matches everyone first",
            ]
        )
        // Warnings alone leave the mapping usable.
        #expect(MappingParser.parse(yaml: header + "roles:\n  - { id: a, role: user }\n  - { id: b, role: user }\n", file: "m").mapping != nil)
    }

    @Test func issuerMustBeAURL() {
        #expect(
            diagnostics("version: 1\nissuer: example\nroles: [{ id: a, role: user }]\n") == [
                "2:9: error: issuer must be the IdP's absolute http(s) URL, exactly as its ID tokens' 'iss' carries it; found \"example\""
            ]
        )
    }

    @Test("A second mapping for an issuer is an error at its issuer line, naming the first file")
    func duplicateIssuerAcrossFiles() throws {
        let yaml = header + "roles: [{ id: a, role: user }]\n"
        let a = try validMapping(yaml, file: "a.yaml")
        let b = try validMapping(yaml, file: "b.yaml")
        let (set, d) = MappingSet.build([a, b])
        #expect(set.mappings.map(\.file) == ["a.yaml"])
        #expect(
            d.map(\.description) == [
                "b.yaml:2:9: error: duplicate issuer 'https://idp.example.com': a.yaml already maps it; each IdP has exactly one mapping"
            ]
        )
        #expect(set.mapping(forIssuer: "https://idp.example.com")?.file == "a.yaml")
        #expect(set.mapping(forIssuer: "https://idp.example.com/") == nil)
    }
}
