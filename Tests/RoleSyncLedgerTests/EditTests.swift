import Foundation
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import Testing

@Suite("Manual edits and the super_admin guards")
struct EditTests {
    @Test("A manual edit of an uncovered user survives sign-ins", arguments: ConformanceKind.all)
    func manualEditSurvives(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let bob = try #require(try await h.signIn("bob", groups: ["sales"]).user)
        let edited = try await h.service.setRole(.mcpAdmin, of: bob.id, by: userAdmin)
        #expect(edited.role == .mcpAdmin)
        #expect(edited.roleSource == .manual)
        for _ in 0..<3 { try await h.signIn("bob", groups: ["sales"]) }
        #expect(try await h.user("bob").role == .mcpAdmin)
        #expect(try await h.user("bob").roleSource == .manual)
        let event = try #require(try await h.events("bob", action: .roleChanged).first)
        #expect(event.actor == .user(UserID(999)))
        #expect(event.details[.source] == "manual")
    }

    @Test("A manual edit of a covered user is refused, naming the rule, and audited", arguments: ConformanceKind.all)
    func coveredEditRefused(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let ann = try #require(try await h.signIn("ann", groups: ["finance"]).user)
        await #expect(throws: LedgerError.roleManagedByIdP(user: "ann@example.com", rule: "finance", mappingFile: "test.yaml")) {
            try await h.service.setRole(.user, of: ann.id, by: .cli)
        }
        #expect(try await h.user("ann").role == .billingAdmin)
        let refusal = try #require(try await h.events("ann", action: .editRefused).first)
        #expect(refusal.details[.reason] == "role_managed_by_idp")
        #expect(refusal.actor == .cli)
        #expect(
            LedgerError.roleManagedByIdP(user: "ann@example.com", rule: "finance", mappingFile: "test.yaml").description
                == "the role of ann@example.com is managed by the IdP: rule 'finance' in test.yaml covers them; change the user's groups (or claims) in the IdP instead"
        )
    }

    @Test("A role changed behind the service's back is overwritten on the next sign-in, with an audit event", arguments: ConformanceKind.all)
    func behindTheBackOverwritten(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.signIn("ann", groups: ["finance"])
        var tampered = try await h.user("ann")
        tampered.role = .modelAdmin
        tampered.roleSource = .manual
        tampered.version += 1
        _ = try await h.store.apply(LedgerChanges(users: [.init(write: .update(tampered, expectedVersion: tampered.version - 1))]))
        try await h.signIn("ann", groups: ["finance"])
        #expect(try await h.user("ann").role == .billingAdmin)
        let event = try #require(try await h.events("ann", action: .roleChanged).first)
        #expect(event.details[.from] == "model_admin")
        #expect(event.details[.to] == "billing_admin")
        #expect(event.details[.previousSource] == "manual")
        #expect(event.details[.rule] == "finance")
    }

    @Test("Coverage changes with the mapping", arguments: ConformanceKind.all)
    func coverageFollowsMapping(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let bob = try #require(try await h.signIn("bob", groups: ["sales"]).user)
        #expect(h.service.eligibility(of: bob).isManualRoleEditable)
        let withSales = Harness.mappingYAML.replacingOccurrences(
            of: "  - id: engineers",
            with: "  - id: sales\n    role: user\n    when: { claim: groups, contains: sales }\n  - id: engineers"
        )
        h.service.mappings.replace(with: MappingSet.build([try #require(MappingParser.parse(yaml: withSales, file: "new.yaml").mapping)]).set)
        let eligibility = h.service.eligibility(of: bob)
        #expect(eligibility.isCovered)
        #expect(eligibility.ruleID == "sales")
        #expect(eligibility.mappingFile == "new.yaml")
        await #expect(throws: LedgerError.self) { try await h.service.setRole(.mcpAdmin, of: bob.id, by: .cli) }
    }

    @Test("Only a super_admin grants or revokes super_admin", arguments: ConformanceKind.all)
    func escalation(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["sales"]).user)
        await #expect(throws: LedgerError.escalation(user: "bob@example.com")) {
            try await h.service.setRole(.superAdmin, of: bob.id, by: userAdmin)
        }
        let promoted = try await h.service.setRole(.superAdmin, of: bob.id, by: .cli)
        #expect(promoted.role == .superAdmin)
        await #expect(throws: LedgerError.escalation(user: "bob@example.com")) {
            try await h.service.setRole(.user, of: bob.id, by: userAdmin)
        }
        await #expect(throws: LedgerError.escalation(user: "bob@example.com")) {
            try await h.service.setStatus(.inactive, of: bob.id, by: userAdmin)
        }
        await #expect(throws: LedgerError.notPermitted(role: .billingAdmin)) {
            try await h.service.setRole(.user, of: bob.id, by: Principal(actor: .user(UserID(5)), role: .billingAdmin))
        }
        #expect(try await h.events("bob", action: .editRefused).count == 4)
    }

    @Test("The last active super_admin can be neither demoted nor deactivated by hand", arguments: ConformanceKind.all)
    func lastSuperAdminManual(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let bob = try #require(try await h.signIn("bob", groups: ["sales"]).user)
        try await h.service.setRole(.superAdmin, of: bob.id, by: .cli)
        await #expect(throws: LedgerError.lastSuperAdmin(user: "bob@example.com")) {
            try await h.service.setRole(.user, of: bob.id, by: .cli)
        }
        await #expect(throws: LedgerError.lastSuperAdmin(user: "bob@example.com")) {
            try await h.service.setStatus(.inactive, of: bob.id, by: .cli)
        }
        // With a second super_admin, it works.
        try await h.makeSuperAdmin()
        #expect(try await h.service.setRole(.user, of: bob.id, by: .cli).role == .user)
    }

    @Test("A sign-in that would demote or deactivate the last super_admin is held back and audited", arguments: ConformanceKind.all)
    func lastSuperAdminSync(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin("root")
        let demoted = try await h.signIn("root", groups: ["eng-web"])
        #expect(demoted.isAllowed)
        #expect(try await h.user("root").role == .superAdmin)
        let held = try #require(try await h.events("root", action: .roleChangeHeld).first)
        #expect(held.details[.to] == "user")
        #expect(held.details[.heldBecause] == "last_active_super_admin")

        let offboarded = try await h.signIn("root", groups: ["platform-admins", "offboarded"])
        #expect(!offboarded.isAllowed)
        #expect(try await h.user("root").status == .active)
        #expect(try await h.events("root", action: .statusChangeHeld).count == 1)
    }

    @Test("Manual deactivation ends sessions, survives sign-ins, and only an admin lifts it", arguments: ConformanceKind.all)
    func manualDeactivation(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let bob = try #require(try await h.signIn("bob", groups: ["sales"]).user)
        let token = try await h.sessions.create(for: bob.id)
        try await h.service.setStatus(.inactive, of: bob.id, by: userAdmin)
        #expect(try await h.sessions.user(forToken: token) == nil)
        #expect(try await h.store.sessionCount(userID: bob.id) == 0)
        let again = try await h.signIn("bob", groups: ["sales"])
        #expect(again.refusal == .manuallyDeactivated)
        #expect(try await h.user("bob").status == .inactive)
        #expect(try await h.user("bob").deactivationReason == .manual)
        let actions = try await h.events("bob").map(\.action)
        #expect(actions.prefix(3) == [.signInRefused, .statusChanged, .sessionsEnded])
        try await h.service.setStatus(.active, of: bob.id, by: userAdmin)
        #expect(try await h.signIn("bob", groups: ["sales"]).isAllowed)
    }
}

@Suite("IdP deactivation")
struct DeactivationTests {
    @Test("A deactivate rule deactivates, ends sessions first, and the IdP lifts it", arguments: ConformanceKind.all)
    func ruleDeactivationAndLift(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let ann = try #require(try await h.signIn("ann", groups: ["finance"]).user)
        let token = try await h.sessions.create(for: ann.id)
        #expect(try await h.sessions.user(forToken: token)?.id == ann.id)

        let refused = try await h.signIn("ann", groups: ["finance", "offboarded"])
        #expect(refused.refusal == .deactivated(check: #"groups contains "offboarded""#))
        let inactive = try await h.user("ann")
        #expect(inactive.status == .inactive)
        #expect(inactive.deactivationReason == .idp)
        #expect(try await h.sessions.user(forToken: token) == nil)
        let order = try await h.events("ann").map(\.action).prefix(3)
        #expect(Array(order) == [.signInRefused, .statusChanged, .sessionsEnded])

        // Still offboarded: still refused, nothing changes.
        #expect(try await h.signIn("ann", groups: ["offboarded"]).refusal != nil)
        // The IdP shows the user active again: the deactivation lifts.
        let back = try await h.signIn("ann", groups: ["finance"])
        #expect(back.isAllowed)
        #expect(try await h.user("ann").status == .active)
        let lift = try #require(try await h.events("ann", action: .statusChanged).first)
        #expect(lift.details[.to] == "active")
        #expect(lift.actor == .idp)
    }

    @Test("An admin cannot reactivate a user the IdP deactivated", arguments: ConformanceKind.all)
    func adminCannotLiftIdPDeactivation(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let ann = try #require(try await h.signIn("ann", groups: ["finance"]).user)
        try await h.signIn("ann", groups: ["offboarded"])
        await #expect(throws: LedgerError.deactivatedByIdP(user: "ann@example.com")) {
            try await h.service.setStatus(.active, of: ann.id, by: .cli)
        }
        // But may make it a manual deactivation, which then holds even when the IdP lifts its own.
        try await h.service.setStatus(.inactive, of: ann.id, by: .cli)
        #expect(try await h.signIn("ann", groups: ["finance"]).refusal == .manuallyDeactivated)
    }
}
