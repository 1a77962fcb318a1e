import Testing

@testable import RoleSyncMapping

@Suite("Operators")
struct OperatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var when: String
        var claims: String
        var expected: Bool
        var testDescription: String { "\(when) on \(claims) → \(expected)" }
    }

    @Test(arguments: [
        // equals: whole value, JSON types respected.
        Case(when: "{ claim: dept, equals: Finance }", claims: #"{"dept":"Finance"}"#, expected: true),
        Case(when: "{ claim: dept, equals: Finance }", claims: #"{"dept":"Finance Ops"}"#, expected: false),
        Case(when: "{ claim: dept, equals: Finance }", claims: #"{"dept":"finance"}"#, expected: false),
        Case(when: "{ claim: dept, equals: Finance, ignore_case: true }", claims: #"{"dept":"FINANCE"}"#, expected: true),
        Case(when: "{ claim: ok, equals: true }", claims: #"{"ok":true}"#, expected: true),
        Case(when: "{ claim: ok, equals: true }", claims: #"{"ok":"true"}"#, expected: false),
        Case(when: "{ claim: ok, equals: \"true\" }", claims: #"{"ok":true}"#, expected: false),
        Case(when: "{ claim: ok, equals: \"true\" }", claims: #"{"ok":"true"}"#, expected: true),
        Case(when: "{ claim: level, equals: 3 }", claims: #"{"level":3}"#, expected: true),
        Case(when: "{ claim: level, equals: 3 }", claims: #"{"level":3.0}"#, expected: true),
        Case(when: "{ claim: level, equals: 3 }", claims: #"{"level":"3"}"#, expected: false),
        Case(when: "{ claim: ok, equals: yes }", claims: #"{"ok":"yes"}"#, expected: true),
        Case(when: "{ claim: ok, equals: yes }", claims: #"{"ok":true}"#, expected: false),
        // equals on a list: any element.
        Case(when: "{ claim: groups, equals: b }", claims: #"{"groups":["a","b"]}"#, expected: true),
        Case(when: "{ claim: groups, equals: c }", claims: #"{"groups":["a","b"]}"#, expected: false),
        Case(when: "{ claim: groups, equals: b }", claims: #"{"groups":{"b":true}}"#, expected: false),
        // in
        Case(when: "{ claim: dept, in: [Finance, Legal] }", claims: #"{"dept":"Legal"}"#, expected: true),
        Case(when: "{ claim: dept, in: [Finance, Legal] }", claims: #"{"dept":"HR"}"#, expected: false),
        Case(when: "{ claim: groups, in: [x, b] }", claims: #"{"groups":["a","b"]}"#, expected: true),
        Case(when: "{ claim: dept, in: [finance], ignore_case: true }", claims: #"{"dept":"Finance"}"#, expected: true),
        Case(when: "{ claim: level, in: [1, 2] }", claims: #"{"level":2}"#, expected: true),
        // contains: list membership; a string claim is a one-element list.
        Case(when: "{ claim: groups, contains: admins }", claims: #"{"groups":["users","admins"]}"#, expected: true),
        Case(when: "{ claim: groups, contains: admins }", claims: #"{"groups":["users","admins-2"]}"#, expected: false),
        Case(when: "{ claim: groups, contains: admins }", claims: #"{"groups":"admins"}"#, expected: true),
        Case(when: "{ claim: groups, contains: admin }", claims: #"{"groups":"admins"}"#, expected: false),
        Case(when: "{ claim: groups, contains: Admins, ignore_case: true }", claims: #"{"groups":["ADMINS"]}"#, expected: true),
        Case(when: "{ claim: groups, contains: admins }", claims: #"{"groups":["Admins"]}"#, expected: false),
        Case(when: "{ claim: groups, contains: admins }", claims: #"{"groups":[]}"#, expected: false),
        // glob: whole value.
        Case(when: "{ claim: email, glob: \"*@example.com\" }", claims: #"{"email":"a@example.com"}"#, expected: true),
        Case(when: "{ claim: email, glob: \"*@example.com\" }", claims: #"{"email":"a@example.com.evil"}"#, expected: false),
        Case(when: "{ claim: email, glob: \"*@example.com\" }", claims: #"{"email":"a@EXAMPLE.com"}"#, expected: false),
        Case(when: "{ claim: email, glob: \"*@example.com\", ignore_case: true }", claims: #"{"email":"a@EXAMPLE.com"}"#, expected: true),
        Case(when: "{ claim: groups, glob: \"eng-*\" }", claims: #"{"groups":["ops","eng-web"]}"#, expected: true),
        Case(when: "{ claim: groups, glob: \"eng-?\" }", claims: #"{"groups":["eng-ab"]}"#, expected: false),
        Case(when: "{ claim: groups, glob: \"eng-?\" }", claims: #"{"groups":["eng-a"]}"#, expected: true),
        Case(when: "{ claim: groups, glob: \"team-[0-9]\" }", claims: #"{"groups":["team-7"]}"#, expected: true),
        Case(when: "{ claim: groups, glob: \"team-[!0-9]\" }", claims: #"{"groups":["team-7"]}"#, expected: false),
        Case(when: "{ claim: groups, glob: \"/platform/*\" }", claims: #"{"groups":["/platform/ml/gpu"]}"#, expected: true),
        Case(when: "{ claim: groups, glob: \"a\\\\*\" }", claims: #"{"groups":["a*"]}"#, expected: true),
        Case(when: "{ claim: groups, glob: \"a\\\\*\" }", claims: #"{"groups":["ab"]}"#, expected: false),
        Case(when: "{ claim: level, glob: \"3*\" }", claims: #"{"level":3}"#, expected: false),
        // regex: whole value, anchored.
        Case(when: "{ claim: groups, regex: \"mcp-(admins|operators)\" }", claims: #"{"groups":["mcp-operators"]}"#, expected: true),
        Case(when: "{ claim: groups, regex: \"mcp-(admins|operators)\" }", claims: #"{"groups":["x-mcp-operators"]}"#, expected: false),
        Case(when: "{ claim: groups, regex: \"mcp\" }", claims: #"{"groups":["mcp-admins"]}"#, expected: false),
        Case(when: "{ claim: groups, regex: \"a|ab\" }", claims: #"{"groups":["ab"]}"#, expected: true),
        Case(when: "{ claim: groups, regex: \"MCP-.*\", ignore_case: true }", claims: #"{"groups":["mcp-x"]}"#, expected: true),
        Case(when: "{ claim: upn, regex: \"[a-z]+\" }", claims: #"{"upn":"abc\n"}"#, expected: false),
        // exists
        Case(when: "{ claim: groups, exists: true }", claims: #"{"groups":[]}"#, expected: true),
        Case(when: "{ claim: groups, exists: true }", claims: #"{}"#, expected: false),
        Case(when: "{ claim: groups, exists: false }", claims: #"{}"#, expected: true),
        Case(when: "{ claim: groups, exists: false }", claims: #"{"groups":null}"#, expected: true),
        Case(when: "{ claim: groups, exists: true }", claims: #"{"groups":null}"#, expected: false),
        // Absent and empty never match a value operator.
        Case(when: "{ claim: dept, equals: \"\" }", claims: #"{}"#, expected: false),
        Case(when: "{ claim: dept, glob: \"*\" }", claims: #"{}"#, expected: false),
        // An empty string is a value: it equals "" and matches "*"; an empty list has no element.
        Case(when: "{ claim: dept, glob: \"*\" }", claims: #"{"dept":""}"#, expected: true),
        Case(when: "{ claim: dept, equals: \"\" }", claims: #"{"dept":""}"#, expected: true),
        Case(when: "{ claim: groups, glob: \"*\" }", claims: #"{"groups":[]}"#, expected: false),
    ])
    func operatorSemantics(_ c: Case) throws {
        #expect(try matches(c.when, c.claims) == c.expected)
    }

    @Test("Long list claims take the set path and agree with the scan path", arguments: [false, true])
    func setPathAgreesWithScan(ignoreCase: Bool) throws {
        let groups = (0..<40).map { "\"G-\($0)\"" }.joined(separator: ",")
        let suffix = ignoreCase ? ", ignore_case: true" : ""
        let json = #"{"groups":["# + groups + #"]}"#
        #expect(try matches("{ claim: groups, contains: G-39\(suffix) }", json))
        #expect(try matches("{ claim: groups, contains: g-39\(suffix) }", json) == ignoreCase)
        #expect(try matches("{ claim: groups, in: [nope, G-3]\(suffix.isEmpty ? "" : suffix) }", json))
        #expect(try !matches("{ claim: groups, equals: G-40\(suffix) }", json))
        // Non-string operands in a long list are compared by scanning.
        #expect(try matches("{ claim: groups, contains: 7 }", #"{"groups":["# + groups + #",7]}"#))
    }
}

@Suite("YAML scalars follow the 1.2 core schema")
struct YAMLScalarTests {
    @Test(arguments: [
        ("017", #"{"v":17}"#, true), ("1_000", #"{"v":"1_000"}"#, true), ("12:30", #"{"v":"12:30"}"#, true),
        ("0b11", #"{"v":"0b11"}"#, true), ("0x1F", #"{"v":31}"#, true), ("0o17", #"{"v":15}"#, true),
        ("1e3", #"{"v":1000}"#, true), ("-2.5", #"{"v":-2.5}"#, true), (".5", #"{"v":0.5}"#, true),
        ("yes", #"{"v":"yes"}"#, true), ("on", #"{"v":true}"#, false), ("2024-01-02", #"{"v":"2024-01-02"}"#, true),
        ("True", #"{"v":true}"#, true), ("\"42\"", #"{"v":42}"#, false), ("'true'", #"{"v":"true"}"#, true),
    ])
    func operandTyping(_ written: String, _ json: String, _ expected: Bool) throws {
        #expect(try matches("{ claim: v, equals: \(written) }", json) == expected)
    }
}

@Suite("Glob case folding")
struct GlobCaseFoldingTests {
    @Test(arguments: [
        ("ADMIN-*", "admin-x", true), ("admin-*", "ADMIN-X", true), ("é*", "É-team", true), ("*-ÉQUIPE", "x-équipe", true),
        ("k*", "\u{212A}elvin", true), ("[A-C]x", "bX", true), ("team-?", "TEAM-Z", true), ("a*", "b", false),
    ])
    func ignoringCase(_ pattern: String, _ value: String, _ expected: Bool) throws {
        #expect(try GlobPattern(pattern, ignoringCase: true).matches(value) == expected)
    }

    @Test func literalPrefixStillNeedsTheRest() throws {
        #expect(try !GlobPattern("team-1/*").matches("team-1"))
        #expect(try GlobPattern("team-1/*").matches("team-1/"))
        #expect(try !GlobPattern("team").matches("team-2"))
        #expect(try !GlobPattern("team").matches("tea"))
    }
}

@Suite("Long list claims (membership index and glob buckets)")
struct LongListTests {
    static let groups = (0..<60).map { "grp-\($0)" } + ["Team-Red", "eng-web", "/platform/ml", "\u{212A}elvin-lab", "émigrés"]

    func decide(_ when: String, extra: [String] = []) throws -> Bool {
        let list = (Self.groups + extra).map { "\"\($0)\"" }.joined(separator: ",")
        let traced = try ruleMapping(when).evaluate(try claims(#"{"groups":["# + list + "]}"), tracing: true)
        let fast = try ruleMapping(when).evaluate(try claims(#"{"groups":["# + list + "]}"), tracing: false)
        #expect(traced.isCovered == fast.isCovered, "traced and fast evaluation disagree")
        return fast.isCovered
    }

    @Test(arguments: [
        ("{ claim: groups, contains: eng-web }", true), ("{ claim: groups, contains: Eng-Web }", false),
        ("{ claim: groups, contains: Eng-Web, ignore_case: true }", true), ("{ claim: groups, equals: grp-59 }", true),
        ("{ claim: groups, in: [nope, grp-7] }", true), ("{ claim: groups, in: [nope, GRP-7] }", false),
        ("{ claim: groups, in: [nope, GRP-7], ignore_case: true }", true),
        ("{ claim: groups, glob: \"eng-*\" }", true), ("{ claim: groups, glob: \"Eng-*\" }", false),
        ("{ claim: groups, glob: \"Eng-*\", ignore_case: true }", true), ("{ claim: groups, glob: \"team-*\" }", false),
        ("{ claim: groups, glob: \"team-*\", ignore_case: true }", true), ("{ claim: groups, glob: \"/platform/*\" }", true),
        ("{ claim: groups, glob: \"k*-lab\", ignore_case: true }", true), ("{ claim: groups, glob: \"*-lab\" }", true),
        ("{ claim: groups, glob: \"émi*\" }", true), ("{ claim: groups, glob: \"ÉMI*\", ignore_case: true }", true),
        ("{ any: [ { claim: groups, contains: x }, { claim: groups, contains: grp-3 } ] }", true),
        ("{ not: { claim: groups, contains: grp-3 } }", false),
    ])
    func longLists(_ when: String, _ expected: Bool) throws {
        #expect(try decide(when) == expected)
    }

    @Test("Several predicates on one path share one index pass")
    func sharedPass() throws {
        let m = try validMapping(
            """
            version: 1
            issuer: https://idp.example.com
            roles:
              - { id: a, role: super_admin, when: { claim: groups, contains: nope } }
              - { id: b, role: user_admin, when: { claim: groups, in: [x, y, grp-42] } }
              - { id: c, role: user, when: { claim: groups, contains: grp-1 } }
            """
        )
        let list = Self.groups.map { "\"\($0)\"" }.joined(separator: ",")
        #expect(m.evaluate(try claims(#"{"groups":["# + list + "]}"), tracing: false).ruleID == "b")
    }
}

@Suite("Regex literal prefix")
struct RegexPrefixTests {
    @Test(arguments: [
        ("rolesync-mcp-(admins|operators)", "rolesync-mcp-"), ("abc+", "abc"), ("abc?d", "ab"), ("ab{2}", "a"), ("a|b", ""),
        ("(a|b)c", ""), ("[ab]c", ""), ("x[a|b]y", "x"), ("\\d+", ""), ("team-\\d+", "team-"), ("^abc", ""),
    ])
    func prefixes(_ pattern: String, _ expected: String) {
        #expect(RegexPattern.literalPrefix(of: pattern, ignoringCase: false) == Array(expected.utf8))
    }

    @Test func prefixNeverChangesTheAnswer() throws {
        let cases: [(String, String, Bool)] = [
            ("rolesync-mcp-(admins|operators)", "rolesync-mcp-admins", true), ("rolesync-mcp-(admins|operators)", "eng", false),
            ("abc+", "abccc", true), ("abc?d", "abd", true), ("ab{2}", "abb", true), ("x[a|b]y", "x|y", true),
            ("team-\\d+", "team-12", true), ("team-\\d+", "team-x", false),
        ]
        for (pattern, value, expected) in cases {
            #expect(try RegexPattern(pattern).matches(value) == expected, "\(pattern) on \(value)")
        }
        #expect(try RegexPattern("ADMIN-.*", ignoringCase: true).matches("admin-x"))
        #expect(try RegexPattern("admin-.*", ignoringCase: true).matches("ADMIN-X"))
    }
}
