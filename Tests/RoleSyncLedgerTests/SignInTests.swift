import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import Testing

@Suite("Sign-in")
struct SignInTests {
    @Test("The first successful sign-in creates the user; later ones do not", arguments: ConformanceKind.all)
    func creationOnFirstSignInOnly(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let first = try await h.signIn("ann", groups: ["finance"])
        #expect(first.isCreated)
        #expect(first.user?.role == .billingAdmin)
        #expect(first.user?.roleSource == .idp)
        h.clock.advance(60)
        let second = try await h.signIn("ann", groups: ["finance"])
        #expect(!second.isCreated)
        #expect(second.user?.id == first.user?.id)
        #expect(try await h.store.userCount() == 1)
        let ann = try await h.user("ann")
        #expect(ann.signInCount == 2)
        #expect(ann.lastSignInAt == h.clock.now)
        #expect(ann.registeredAt == h.clock.now.addingTimeInterval(-60))
        #expect(try await h.events("ann", action: .userCreated).count == 1)
    }

    @Test("An uncovered new user starts as user with source default", arguments: ConformanceKind.all)
    func uncoveredStartsAsUser(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let result = try await h.signIn("bob", groups: ["sales"])
        #expect(result.user?.role == .user)
        #expect(result.user?.roleSource == .default)
        #expect(h.service.eligibility(of: try await h.user("bob")).isManualRoleEditable)
    }

    @Test("A refused first sign-in creates nothing and is audited", arguments: ConformanceKind.all)
    func refusedFirstSignIn(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let unverified = try await h.service.signIn(
            issuer: Harness.issuer,
            claims: Harness.claims("eve", extra: ["email_verified": .bool(false)])
        )
        #expect(unverified.refusal == .requirementFailed(check: "email_verified equals true"))
        let leaver = try await h.signIn("leo", groups: ["offboarded"])
        #expect(leaver.refusal == .deactivated(check: #"groups contains "offboarded""#))
        let unknownIssuer = try await h.service.signIn(issuer: "https://other.example.com", claims: Harness.claims("x"))
        #expect(unknownIssuer.refusal == .noMapping(issuer: "https://other.example.com"))
        let noSub = try await h.service.signIn(issuer: Harness.issuer, claims: Claims(["email_verified": true]))
        #expect(noSub.refusal == .missingSubject)
        #expect(try await h.store.userCount() == 0)
        let refusals = try await h.allEvents().filter { $0.action == .signInRefused }
        #expect(refusals.map { $0.details[.reason] } == ["missing_subject", "no_mapping", "deactivated", "requirement_failed"])
        #expect(refusals.allSatisfy { $0.userID == nil })
    }

    @Test("unmatched: deny refuses uncovered users", arguments: ConformanceKind.all)
    func unmatchedDeny(_ kind: ConformanceKind) async throws {
        let h = try await Harness(
            conformance: kind,
            mapping: Harness.mappingYAML.replacingOccurrences(of: "unmatched: manual", with: "unmatched: deny")
        )
        #expect(try await h.signIn("bob", groups: ["sales"]).refusal == .unmatchedDenied)
        #expect(try await h.signIn("fay", groups: ["finance"]).isAllowed)
    }

    @Test("Profile attributes are refreshed on every sign-in and audited", arguments: ConformanceKind.all)
    func profileRefresh(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.signIn("ann", groups: ["finance"], extra: ["department": "Finance"])
        try await h.signIn("ann", groups: ["finance"], extra: ["department": "Treasury", "name": "Ann Smith"])
        let ann = try await h.user("ann")
        #expect(ann.organizationUnit == "Treasury")
        #expect(ann.name == "Ann Smith")
        let event = try #require(try await h.events("ann", action: .profileUpdated).first)
        #expect(event.details[.organizationUnit] == .object(["from": "Finance", "to": "Treasury"]))
        #expect(event.actor == .idp)
    }

    @Test("A covered user's role follows the mapping on every sign-in", arguments: ConformanceKind.all)
    func coveredRoleFollowsMapping(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        try await h.signIn("ann", groups: ["finance"])
        try await h.signIn("ann", groups: ["eng-web"])
        let ann = try await h.user("ann")
        #expect(ann.role == .user)
        let change = try #require(try await h.events("ann", action: .roleChanged).first)
        #expect(change.details[.from] == "billing_admin")
        #expect(change.details[.to] == "user")
        #expect(change.details[.rule] == "engineers")
        #expect(change.details[.mapping] == "test.yaml")
        #expect(change.details[.source] == "idp")
    }

    @Test("Unknown claims leave the role as it is, and the audit says which", arguments: ConformanceKind.all)
    func unknownClaimsChangeNothing(_ kind: ConformanceKind) async throws {
        let yaml = Harness.mappingYAML.replacingOccurrences(of: "deactivate:\n  - { claim: groups, contains: offboarded }\n", with: "")
        let h = try await Harness(conformance: kind, mapping: yaml)
        try await h.signIn("ann", groups: ["finance"])
        let overage: [String: ClaimValue] = ["groups": .null, "_claim_names": .object(["groups": "src1"])]
        let result = try await h.signIn("ann", extra: overage)
        #expect(result.isAllowed)
        #expect(result.user?.role == .billingAdmin)
        let event = try #require(try await h.events("ann", action: .decisionUndetermined).first)
        #expect(event.details[.unknownClaims] == .array(["groups"]))
        #expect(try await h.user("ann").role == .billingAdmin)
    }
}
