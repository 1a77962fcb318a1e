import RoleSyncMapping
import Testing

/// Patterns whose backtracking explodes are refused where they are written, and evaluation never
/// runs a regex on a value longer than the cap: one hostile profile field must not stall sign-ins.
@Suite("Regex safety")
struct RegexSafetyTests {
    @Test(
        "Nested or overlapping repetition is a hazard",
        .bug("https://github.com/rolesync/rolesync/issues/11"),
        arguments: [
            "(a+)+b", "(a*)*", "(x+x+)+y", "(a|aa)+", "(a|ab)*c", "(\\w|\\d)+x", "(.*a){2,}", "((ab)*c?)+",
            "([a-z]+)*@example\\.com", "team-(.+)+", "(?:a+)+", "(?<name>a+)+", "((a+))+b", "(a{1,3})+b",
        ]
    )
    func hazard(_ pattern: String) throws {
        #expect(RegexPattern.backtrackingHazard(in: pattern) != nil, "\(pattern)")
    }

    @Test(
        "Ordinary patterns are not hazards",
        arguments: [
            "rolesync-mcp-(admins|operators)", "mcp-(admin|operator)", "[a-z]+", "([a-z0-9]+\\.)+example\\.com",
            "(?>a+)+b", "(a++)+b", "(a+)++b", "(foo|bar)+", "(a+){1}", "eng-[a-z]+", "a|ab", "([a-z]|-)+",
            "(-[a-z]+|_[0-9]+)+", "(ab)+", "[(a+)+]", "\\(a+\\)+", "(?i)team-.*", "CN=[^,]+(,OU=[^,]+)*,DC=corp",
        ]
    )
    func safe(_ pattern: String) throws {
        #expect(
            RegexPattern.backtrackingHazard(in: pattern) == nil,
            "\(pattern): \(String(describing: RegexPattern.backtrackingHazard(in: pattern)))"
        )
    }

    @Test("A hazard names the group, where it is, and a rewrite")
    func message() throws {
        let hazard = try #require(RegexPattern.backtrackingHazard(in: "x(a+)+b"))
        #expect(hazard.offset == 1)
        #expect(hazard.group == "(a+)+")
        #expect(
            hazard.description
                == "catastrophic backtracking: the repeated group \"(a+)+\" at character 2 contains the repetition \"a+\", so a "
                + "non-matching value can take time exponential in its length; make the inner repetition possessive (\"a++\") "
                + "or the group atomic (\"(?>a+)+\"), or drop one of the two repetitions"
        )
    }

    @Test("The mapping parser refuses a hazardous regex at its position, so no server ever loads it")
    func refusedWhenParsed() throws {
        let d = diagnostics(
            """
            version: 1
            issuer: https://idp.example.com
            roles:
              - { id: a, role: user, when: { claim: title, regex: "(a+)+b" } }
              - { id: b, role: user, when: { claim: g, regex: "(dev|ops)-[a-z]+" } }
            """
        )
        #expect(d.count == 1)
        let first = try #require(d.first)
        #expect(first.hasPrefix("4:55: error: unsafe regex \"(a+)+b\": catastrophic backtracking"), "\(first)")
        #expect(first.contains("possessive"))
    }

    @Test("A value longer than the cap never reaches the regex engine")
    func cap() throws {
        let pattern = try RegexPattern("a+")
        let limit = RegexPattern.maximumValueLength
        #expect(pattern.matches(String(repeating: "a", count: limit)))
        #expect(!pattern.matches(String(repeating: "a", count: limit + 1)))
    }

    @Test("A capped value is said in the trace")
    func capTraced() throws {
        let mapping = try ruleMapping("{ claim: title, regex: \"a+\" }")
        let decision = mapping.evaluate(try claims("{\"title\":\"\(String(repeating: "a", count: 2000))\"}"))
        #expect(!decision.isCovered)
        let nearMisses = try #require(decision.trace).compactMap { $0.condition?.nearMiss }
        #expect(nearMisses.contains { $0.contains("is longer than 1024 characters") }, "\(nearMisses)")
    }
}
