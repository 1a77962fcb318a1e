import Foundation
import RoleSyncMapping
import RoleSyncTestSupport
import Testing

@Suite("Shipped example mappings")
struct ExampleMappingTests {
    static let files = ["okta.yaml", "entra-id.yaml", "keycloak.yaml", "google.yaml"]

    func load(_ name: String) throws -> MappingParser.Result {
        let url = packageRoot.appendingPathComponent("mappings").appendingPathComponent(name)
        return MappingParser.parse(yaml: try String(contentsOf: url, encoding: .utf8), file: "mappings/\(name)")
    }

    @Test("Each example validates with no error and no warning, and all its tests pass", arguments: files)
    func exampleIsCleanAndPasses(_ name: String) throws {
        let result = try load(name)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let mapping = try #require(result.mapping)
        let results = MappingTestRunner.run(mapping)
        #expect(results.count >= 6)
        for r in results {
            #expect(r.isPassed, "\(r.name): \(r.failures)")
        }
    }

    @Test("The examples map distinct issuers")
    func distinctIssuers() throws {
        let mappings = try Self.files.compactMap { try load($0).mapping }
        #expect(MappingSet.build(mappings).diagnostics.isEmpty)
    }
}

@Suite("Test runner")
struct MappingTestRunnerTests {
    @Test func failuresSayWhatDiffered() throws {
        let m = try validMapping(
            """
            version: 1
            issuer: https://idp.example.com
            profile: { email: mail }
            roles:
              - { id: admins, role: super_admin, when: { claim: groups, contains: admins } }
            tests:
              - name: wrong on purpose
                claims: { groups: [admins], mail: a@example.com }
                expect: { role: user, rule: null, covered: false, allowed: false, deactivate: true, profile: { email: b@example.com, name: null }, unknown_claims: [groups] }
              - name: right
                claims: { groups: [admins], mail: a@example.com }
                expect: { role: super_admin, rule: admins, profile: { email: a@example.com } }
            """
        )
        let results = MappingTestRunner.run(m)
        #expect(results.map(\.isPassed) == [false, true])
        #expect(
            results[0].failures == [
                "expected allowed false, got true",
                "expected role 'user', got 'super_admin' (rule 'admins')",
                "expected rule none, got 'admins'",
                "expected covered false, got true (rule 'admins')",
                "expected deactivate true, got false",
                "expected profile.email 'b@example.com', got 'a@example.com'",
                "expected unknown_claims [groups], got []",
            ]
        )
        #expect(results[0].location.line == 7)
    }
}

@Suite("Generated large mappings")
struct GeneratedMappingTests {
    @Test func twoHundredRulesOverOneHundredFiftyGroups() throws {
        let m = try validMapping(MappingFixtures.largeMappingYAML(ruleCount: 200))
        #expect(m.roles.count == 200)
        #expect(m.evaluate(MappingFixtures.largeClaims(groupCount: 150), tracing: false).ruleID == nil)
        for rule in [0, 5, 7, 13, 199] {
            let d = m.evaluate(MappingFixtures.largeClaims(groupCount: 150, matching: rule), tracing: false)
            #expect(d.ruleID == "rule-\(rule)")
        }
    }

    @Test func twoThousandRulesValidate() {
        let result = MappingParser.parse(yaml: MappingFixtures.largeMappingYAML(ruleCount: 2000), file: "big.yaml")
        #expect(result.diagnostics.isEmpty)
        #expect(result.mapping?.roles.count == 2000)
    }
}

@Suite("Glob")
struct GlobPatternTests {
    @Test(arguments: [
        ("*", "", true), ("*", "anything/at/all", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
        ("*.example.com", "x.example.com", true), ("*.example.com", "example.com", false),
        ("[abc]x", "bx", true), ("[a-c]x", "dx", false), ("[!a-c]x", "dx", true), ("[^a]x", "ax", false),
        ("é?", "éa", true), ("??", "é", false), ("a\\?", "a?", true), ("a\\?", "ab", false),
        ("**a", "ba", true), ("[]]", "]", false),
    ])
    func matching(_ pattern: String, _ value: String, _ expected: Bool) throws {
        guard let glob = try? GlobPattern(pattern) else {
            #expect(pattern == "[]]", "only [] is refused here")
            return
        }
        #expect(glob.matches(value) == expected)
    }

    @Test(arguments: [
        ("[abc", "unclosed '[' (a character class needs a closing ']') at character 1"),
        ("[]", "empty character class '[]' at character 1"),
        ("[z-a]", "reversed range 'z-a' in character class at character 2"),
        ("ab\\", "a lone '\\' ends the pattern (escape it as '\\\\') at character 3"),
    ])
    func syntaxErrors(_ pattern: String, _ message: String) {
        #expect(throws: GlobPattern.SyntaxError.self) { try GlobPattern(pattern) }
        do {
            _ = try GlobPattern(pattern)
        } catch {
            #expect(error.description == message)
        }
    }
}
