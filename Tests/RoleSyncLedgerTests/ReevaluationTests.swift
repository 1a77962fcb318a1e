import Foundation
import RoleSyncLedger
import RoleSyncMapping
import Testing

@Suite("Re-evaluation under a new mapping")
struct ReevaluationTests {
    func candidate(_ yaml: String) throws -> MappingSet {
        MappingSet.build([try #require(MappingParser.parse(yaml: yaml, file: "candidate.yaml").mapping)]).set
    }

    @Test("The plan lists role, coverage and status changes; applying it writes them with audit events", arguments: ConformanceKind.all)
    func planAndApply(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin("root")
        try await h.signIn("ann", groups: ["finance"])
        try await h.signIn("bob", groups: ["sales"])
        try await h.signIn("eve", groups: ["eng-web", "contractors"])
        // finance becomes user_admin; sales becomes covered; contractors are deactivated.
        let yaml = Harness.mappingYAML
            .replacingOccurrences(of: "role: billing_admin", with: "role: user_admin")
            .replacingOccurrences(of: "contains: offboarded }", with: "contains: offboarded }\n  - { claim: groups, contains: contractors }")
            .replacingOccurrences(
                of: "  - id: engineers",
                with: "  - id: sales\n    role: user\n    when: { claim: groups, contains: sales }\n  - id: engineers"
            )
        let plan = try await h.service.reevaluateAll(under: try candidate(yaml))
        #expect(plan.usersEvaluated == 4)
        let byUser = Dictionary(uniqueKeysWithValues: plan.changes.map { ($0.user, $0) })
        #expect(byUser["ann@example.com"]?.kinds == [.roleChange])
        #expect(byUser["ann@example.com"]?.toRole == .userAdmin)
        #expect(byUser["bob@example.com"]?.kinds == [.coverageGained])
        #expect(byUser["eve@example.com"]?.kinds == [.deactivation])
        #expect(byUser["root@example.com"] == nil)
        #expect(plan.counts == [.roleChange: 1, .coverageGained: 1, .deactivation: 1])
        // A dry run writes nothing.
        #expect(try await h.user("ann").role == .billingAdmin)

        try await h.service.apply(plan, as: .cli)
        #expect(try await h.user("ann").role == .userAdmin)
        #expect(try await h.user("eve").status == .inactive)
        let change = try #require(try await h.events("ann", action: .roleChanged).first)
        #expect(change.actor == .cli)
        #expect(change.details[.via] == "reevaluation")
    }

    @Test("A re-evaluation that would remove the last super_admin holds that change", arguments: ConformanceKind.all)
    func holdsLastSuperAdmin(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin("root")
        let yaml = Harness.mappingYAML.replacingOccurrences(of: "role: super_admin", with: "role: model_admin")
        let plan = try await h.service.reevaluateAll(under: try candidate(yaml))
        #expect(plan.changes.count == 1)
        #expect(plan.heldCount == 1)
        try await h.service.apply(plan, as: .cli)
        #expect(try await h.user("root").role == .superAdmin)
        #expect(try await h.events("root", action: .roleChangeHeld).count == 1)
    }

    @Test("Applying a plan after the user changed is a conflict that writes nothing", arguments: ConformanceKind.all)
    func staleApply(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin("root")
        try await h.signIn("ann", groups: ["finance"])
        let yaml = Harness.mappingYAML.replacingOccurrences(of: "role: billing_admin", with: "role: user_admin")
        let plan = try await h.service.reevaluateAll(under: try candidate(yaml))
        // New claims: the plan was made on the old ones. (A sign-in that changes nothing but the last
        // sign-in does not change the user's version, and would not invalidate the plan.)
        try await h.signIn("ann", groups: ["finance", "eng-web"])
        await #expect(throws: LedgerStoreError.self) { try await h.service.apply(plan, as: .cli) }
        #expect(try await h.user("ann").role == .billingAdmin)
    }
}
