import RoleSyncMapping
import Testing

@Suite("Trace and near misses")
struct TraceTests {
    func trace(_ when: String, _ json: String) throws -> ConditionTrace {
        let d = try ruleMapping(when).evaluate(try claims(json))
        return try #require(d.trace?.first?.condition)
    }

    @Test func caseNearMiss() throws {
        let t = try trace("{ claim: groups, contains: platform-admins }", #"{"groups":["Platform-Admins"]}"#)
        #expect(t.outcome == .notHeld)
        #expect(t.nearMiss == #""Platform-Admins" differs from "platform-admins" only in case (add ignore_case: true to accept it)"#)
    }

    @Test func whitespaceNearMiss() throws {
        let t = try trace("{ claim: dept, equals: Finance }", #"{"dept":"Finance "}"#)
        #expect(t.nearMiss == #""Finance " differs from "Finance" only in surrounding whitespace"#)
        let both = try trace("{ claim: dept, equals: Finance }", #"{"dept":" finance"}"#)
        #expect(both.nearMiss == #"" finance" differs from "Finance" only in case and surrounding whitespace"#)
    }

    @Test func typeNearMiss() throws {
        let t = try trace("{ claim: email_verified, equals: true }", #"{"email_verified":"true"}"#)
        #expect(t.nearMiss == #"the claim holds the string "true" but the rule expects the boolean true; JSON types must match"#)
    }

    @Test func globAndRegexNearMiss() throws {
        let g = try trace("{ claim: email, glob: \"*@example.com\" }", #"{"email":"a@Example.com"}"#)
        #expect(g.nearMiss == #""a@Example.com" would match but for case (add ignore_case: true to accept it)"#)
        let r = try trace("{ claim: groups, regex: \"eng-[a-z]+\" }", #"{"groups":["eng-web "]}"#)
        #expect(r.nearMiss == #""eng-web " would match but for surrounding whitespace"#)
    }

    @Test func claimNameNearMiss() throws {
        let t = try trace("{ claim: groups, contains: a }", #"{"Groups":["a"]}"#)
        #expect(t.detail == "claim absent")
        #expect(t.nearMiss == "the token has a claim 'Groups', which differs only in case (claim names are case-sensitive)")
    }

    @Test func noNearMissForAPlainMiss() throws {
        let t = try trace("{ claim: groups, contains: admins }", #"{"groups":["sales"]}"#)
        #expect(t.nearMiss == nil)
        #expect(t.detail == #"no element of ["sales"] matches"#)
    }

    @Test func emptyAndAbsentAreNamed() throws {
        #expect(try trace("{ claim: groups, contains: a }", #"{"groups":[]}"#).detail == "claim present but empty: []")
        #expect(try trace("{ claim: groups, contains: a }", #"{}"#).detail == "claim absent")
    }

    @Test func combinatorChildrenAreAllExplained() throws {
        let t = try trace(
            "{ any: [ { claim: groups, contains: a }, { not: { claim: dept, equals: X } } ] }",
            #"{"groups":["a"],"dept":"X"}"#
        )
        #expect(t.check == "any")
        #expect(t.outcome == .held)
        #expect(t.detail == "1 of 2 held; any one is enough")
        #expect(t.children.map(\.outcome) == [.held, .notHeld])
        #expect(t.children[1].children.first?.check == #"dept equals "X""#)
    }

    @Test("Every rule appears: tried ones with their outcome, later ones as not tried")
    func entriesForEveryRule() throws {
        let m = try validMapping(
            """
            version: 1
            issuer: https://idp.example.com
            require:
              - { claim: email_verified, equals: true }
            deactivate:
              - { claim: groups, contains: gone }
            roles:
              - { id: a, role: super_admin, when: { claim: groups, contains: a } }
              - { id: b, role: user_admin, when: { claim: groups, contains: b } }
              - { id: c, role: user }
            """
        )
        let entries = try #require(m.evaluate(try claims(#"{"email_verified":true,"groups":["b"]}"#)).trace)
        #expect(entries.map(\.section) == [.require, .deactivate, .roles, .roles, .roles])
        #expect(entries.map(\.outcome) == [.held, .notHeld, .notHeld, .held, .notTried])
        #expect(entries.map(\.line) == [4, 6, 8, 9, 10])
        #expect(entries[4].reason == "rule 'b' matched first")
        let catchAll = try #require(m.evaluate(try claims(#"{}"#)).trace?.last)
        #expect(catchAll.outcome == .held)
        #expect(catchAll.reason == "no 'when': the rule always matches")
    }
}
