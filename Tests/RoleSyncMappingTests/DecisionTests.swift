import RoleSyncMapping
import Testing

@Suite("Decisions")
struct DecisionTests {
    let mapping: Mapping

    init() throws {
        mapping = try validMapping(
            """
            version: 1
            issuer: https://idp.example.com
            profile:
              email: email
              name: [name, preferred_username]
              organization_unit: department
            require:
              - { claim: email_verified, equals: true }
              - { claim: email, glob: "*@example.com" }
            deactivate:
              - { claim: groups, contains: offboarded }
            roles:
              - id: admins
                role: super_admin
                when: { claim: groups, contains: platform-admins }
              - id: finance
                role: billing_admin
                when:
                  any:
                    - { claim: groups, contains: finance }
                    - { claim: department, equals: Finance }
              - id: engineers
                role: user
                when: { all: [ { claim: groups, glob: "eng-*" }, { not: { claim: groups, contains: contractors } } ] }
            unmatched: manual
            """,
            file: "okta.yaml"
        )
    }

    func decide(_ json: String) throws -> Decision { mapping.evaluate(try claims(json)) }

    @Test func firstMatchWins() throws {
        let d = try decide(#"{"email":"a@example.com","email_verified":true,"groups":["finance","platform-admins"]}"#)
        #expect(d.isAllowed)
        #expect(d.role == .superAdmin)
        #expect(d.ruleID == "admins")
        #expect(d.isCovered)
        #expect(!d.shouldDeactivate)
        #expect(d.issuer == "https://idp.example.com")
        #expect(d.mappingFile == "okta.yaml")
    }

    @Test func combinators() throws {
        #expect(try decide(#"{"email":"a@example.com","email_verified":true,"department":"Finance"}"#).ruleID == "finance")
        #expect(try decide(#"{"email":"a@example.com","email_verified":true,"groups":["eng-web"]}"#).ruleID == "engineers")
        #expect(try decide(#"{"email":"a@example.com","email_verified":true,"groups":["eng-web","contractors"]}"#).ruleID == nil)
    }

    @Test("Not covered: allowed under unmatched: manual, with no role")
    func uncovered() throws {
        let d = try decide(#"{"email":"a@example.com","email_verified":true,"groups":["sales"]}"#)
        #expect(d.isAllowed)
        #expect(d.role == nil)
        #expect(!d.isCovered)
        #expect(d.refusal == nil)
    }

    @Test func unmatchedDeny() throws {
        let deny = try validMapping(
            """
            version: 1
            issuer: https://idp.example.com
            roles:
              - { id: a, role: user, when: { claim: groups, contains: a } }
            unmatched: deny
            """
        )
        #expect(deny.evaluate(try claims(#"{"groups":["b"]}"#)).refusal == .unmatchedDenied)
        #expect(deny.evaluate(try claims(#"{"groups":["a"]}"#)).isAllowed)
    }

    @Test func requirementFailed() throws {
        let d = try decide(#"{"email":"a@evil.com","email_verified":true,"groups":["platform-admins"]}"#)
        #expect(d.refusal == .requirementFailed(index: 1))
        #expect(!d.isAllowed)
        // Coverage is about role rules, independent of require.
        #expect(d.isCovered)
    }

    @Test("deactivate wins over every other refusal")
    func deactivation() throws {
        let d = try decide(#"{"email":"a@evil.com","groups":["offboarded","eng-x"]}"#)
        #expect(d.refusal == .deactivated(index: 0))
        #expect(d.shouldDeactivate)
        #expect(d.role == .user)
    }

    @Test func profileFirstPresentWins() throws {
        let d = try decide(#"{"email":"a@example.com","email_verified":true,"preferred_username":"ann","department":"R&D"}"#)
        #expect(d.profile == Profile(email: "a@example.com", name: "ann", organizationUnit: "R&D"))
        let withName = try decide(#"{"email":"a@example.com","name":"Ann A","preferred_username":"ann"}"#)
        #expect(withName.profile.name == "Ann A")
        let numbers = try decide(#"{"email":"a@example.com","name":"","preferred_username":42}"#)
        #expect(numbers.profile.name == "42")
        #expect(numbers.profile.organizationUnit == nil)
    }

    @Test("Without tracing, the decision is the same and there is no trace")
    func tracingDoesNotChangeTheDecision() throws {
        for json in [
            #"{"email":"a@example.com","email_verified":true,"groups":["eng-web"]}"#,
            #"{"email":"a@evil.com","groups":["offboarded"]}"#,
            #"{"email":"a@example.com","email_verified":true,"_claim_names":{"groups":"s"}}"#,
        ] {
            let traced = mapping.evaluate(try claims(json), tracing: true)
            var fast = mapping.evaluate(try claims(json), tracing: false)
            #expect(fast.trace == nil)
            fast.trace = traced.trace
            #expect(fast == traced)
        }
    }
}

@Suite("Unknown (distributed) claims")
struct UnknownClaimTests {
    let overage =
        #"{"email":"a@example.com","roles":["App.Admin"],"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"https://graph.example/x"}}}"#

    func mapping(deactivate: String = "", unmatched: String = "manual", rules: String) throws -> Mapping {
        try validMapping(
            """
            version: 1
            issuer: https://login.example.com/t/v2.0
            \(deactivate)
            roles:
            \(rules)
            unmatched: \(unmatched)
            """
        )
    }

    @Test("A rule that depends on an unknown claim leaves the role undetermined")
    func roleUndetermined() throws {
        let m = try mapping(
            rules: """
                  - { id: grp, role: super_admin, when: { claim: groups, contains: admins } }
                  - { id: app, role: user_admin, when: { claim: roles, contains: App.Admin } }
                """
        )
        let d = m.evaluate(try claims(overage))
        #expect(d.unknownClaims == ["groups"])
        #expect(!d.isRoleDetermined)
        #expect(d.ruleID == "app")
        #expect(d.isAllowed)
        let trace = try #require(d.trace)
        #expect(trace.first { $0.rule == "grp" }?.outcome == .unknown)
    }

    @Test("An earlier rule that holds on known claims settles the role")
    func earlierKnownRuleSettles() throws {
        let m = try mapping(
            rules: """
                  - { id: app, role: user_admin, when: { claim: roles, contains: App.Admin } }
                  - { id: grp, role: super_admin, when: { claim: groups, contains: admins } }
                """
        )
        let d = m.evaluate(try claims(overage))
        #expect(d.unknownClaims.isEmpty)
        #expect(d.isRoleDetermined)
        #expect(d.ruleID == "app")
    }

    @Test("Three-valued logic: any with a true child holds; all with a false child fails; not unknown is unknown")
    func threeValued() throws {
        func rule(_ when: String) throws -> Decision {
            try mapping(rules: "  - { id: r, role: user, when: \(when) }").evaluate(try claims(overage))
        }
        #expect(try rule("{ any: [ { claim: groups, contains: x }, { claim: roles, contains: App.Admin } ] }").isRoleDetermined)
        #expect(try rule("{ all: [ { claim: groups, contains: x }, { claim: roles, contains: nope } ] }").isRoleDetermined)
        #expect(try !rule("{ not: { claim: groups, contains: x } }").isRoleDetermined)
        #expect(try !rule("{ all: [ { claim: groups, contains: x }, { claim: roles, contains: App.Admin } ] }").isRoleDetermined)
        // exists on an unknown claim holds: the IdP says the claim exists.
        #expect(try rule("{ claim: groups, exists: true }").isCovered)
        #expect(try rule("{ claim: groups, exists: true }").isRoleDetermined)
    }

    @Test("A deactivate condition on an unknown claim refuses sign-in without deactivating")
    func deactivateUndetermined() throws {
        let m = try mapping(
            deactivate: "deactivate:\n  - { claim: groups, contains: leavers }",
            rules: "  - { id: app, role: user_admin, when: { claim: roles, contains: App.Admin } }"
        )
        let d = m.evaluate(try claims(overage))
        #expect(d.refusal == .undetermined(claims: ["groups"]))
        #expect(!d.shouldDeactivate)
        #expect(d.unknownClaims == ["groups"])
        #expect(d.isRoleDetermined)
    }

    @Test("unmatched: deny with undecidable rules is undetermined, not a denial")
    func denyUndetermined() throws {
        let m = try mapping(unmatched: "deny", rules: "  - { id: grp, role: user, when: { claim: groups, contains: x } }")
        #expect(m.evaluate(try claims(overage)).refusal == .undetermined(claims: ["groups"]))
    }
}
