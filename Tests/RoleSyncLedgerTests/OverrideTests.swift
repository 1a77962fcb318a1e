import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@Suite("Break-glass overrides")
struct OverrideTests {
    static let root = Principal(actor: .user(UserID(1)), role: .superAdmin)

    /// root (super_admin) and bob (engineers → user), both covered.
    static func populated(_ kind: ConformanceKind) async throws -> (Harness, User) {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        return (h, bob)
    }

    @Test("An override holds across a sign-in and a reconciliation, then ends on time while the user is idle", arguments: ConformanceKind.all)
    func heldThenExpires(kind: ConformanceKind) async throws {
        let (h, bob) = try await Self.populated(kind)
        let granted = try await h.service.grantOverride(.modelAdmin, of: bob.id, until: .duration(2 * 3600), reason: "incident 42", by: Self.root)
        #expect(granted.role == .modelAdmin && granted.roleSource == .idp)
        #expect(granted.override?.until == h.clock.now.addingTimeInterval(2 * 3600))
        #expect(granted.override?.previousRole == .user && granted.override?.grantedBy == .user(UserID(1)))
        let grantEvent = try #require(try await h.events("bob", action: .overrideGranted).first)
        #expect(grantEvent.details[.from] == "user" && grantEvent.details[.to] == "model_admin" && grantEvent.details[.detail] == "incident 42")

        // A sign-in whose mapping says `user` keeps model_admin and says why.
        h.clock.advance(600)
        let signIn = try await h.signIn("bob", groups: ["eng-web"])
        #expect(signIn.user?.role == .modelAdmin)
        let held = try #require(signIn.events.first { $0.action == .roleChangeHeld })
        #expect(held.details[.heldBecause] == "override" && held.details[.to] == "user")
        #expect(try await h.user("bob").role == .modelAdmin)

        // So does a reconciliation; the directory's claims are still stored.
        let listing = DirectoryListing(
            entries: [
                DirectoryEntry(key: "root", isActive: true, claims: ["groups": .array(["platform-admins"])]),
                DirectoryEntry(key: "bob", isActive: true, claims: ["groups": .array(["eng-web", "eng-api"])]),
            ],
            ignoresKeyCase: false,
            isComplete: true
        )
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: listing, policy: .init())
        #expect(plan.plan.changes.isEmpty)
        #expect(plan.plan.overridesKept.map { $0.userID } == [bob.id])
        try await h.service.applyReconciliation(plan, as: .reconciler)
        #expect(try await h.user("bob").role == .modelAdmin)
        #expect(try await h.user("bob").lastClaims.values["groups"] == .array(["eng-web", "eng-api"]))
        let reconcilerHeld = try await h.events("bob", action: .roleChangeHeld).filter { $0.actor == .reconciler }
        #expect(reconcilerHeld.count == 1 && reconcilerHeld.first?.details[.via] == "directory")

        // Before the deadline nothing ends; after it, the clock ends it without a sign-in.
        let early = try await h.service.endExpiredOverrides()
        #expect(early.ended.isEmpty && early.next == granted.override?.until)
        h.clock.advance(2 * 3600)
        let late = try await h.service.endExpiredOverrides()
        #expect(late.ended.map(\.id) == [bob.id] && late.next == nil)
        let after = try await h.user("bob")
        #expect(after.role == .user && after.override == nil && after.roleSource == .idp)
        let ended = try #require(try await h.events("bob", action: .overrideEnded).first)
        #expect(ended.actor == .system && ended.details[.reason] == "expired" && ended.details[.to] == "user")
        #expect(ended.details[.rule] == "engineers")
        #expect(try await h.service.endExpiredOverrides().ended.isEmpty)
    }

    @Test("A sign-in after the deadline ends the override first, when the clock has not yet", arguments: ConformanceKind.all)
    func endedBySignIn(kind: ConformanceKind) async throws {
        let (h, bob) = try await Self.populated(kind)
        try await h.service.grantOverride(.providerAdmin, of: bob.id, until: .duration(3600), reason: "vendor outage", by: Self.root)
        h.clock.advance(3601)
        let result = try await h.signIn("bob", groups: ["eng-web"])
        #expect(result.user?.role == .user && result.user?.override == nil)
        #expect(result.events.map(\.action).contains(.overrideEnded))
        #expect(try await h.user("bob").override == nil)
    }

    @Test("A reconciliation after the deadline, before the clock, ends the override with the role change", arguments: ConformanceKind.all)
    func endedByReconciliation(kind: ConformanceKind) async throws {
        let (h, bob) = try await Self.populated(kind)
        try await h.service.grantOverride(.modelAdmin, of: bob.id, until: .duration(3600), reason: "outage", by: Self.root)
        h.clock.advance(7200)
        let listing = DirectoryListing(
            entries: [
                DirectoryEntry(key: "root", isActive: true, claims: ["groups": .array(["platform-admins"])]),
                DirectoryEntry(key: "bob", isActive: true, claims: ["groups": .array(["finance"])]),
            ],
            ignoresKeyCase: false,
            isComplete: true
        )
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: listing, policy: .init())
        #expect(plan.plan.overridesKept.isEmpty && plan.plan.changes.map(\.toRole) == [.billingAdmin])
        try await h.service.applyReconciliation(plan, as: .reconciler)
        let after = try await h.user("bob")
        #expect(after.role == .billingAdmin && after.override == nil)
        let ended = try #require(try await h.events("bob", action: .overrideEnded).first)
        #expect(ended.details[.reason] == "expired" && ended.actor == .system)
    }

    @Test("An admin ends an override early; the mapped role returns at once", arguments: ConformanceKind.all)
    func endedEarly(kind: ConformanceKind) async throws {
        let (h, bob) = try await Self.populated(kind)
        try await h.service.grantOverride(.mcpAdmin, of: bob.id, until: .duration(3600), reason: "debugging MCP", by: Self.root)
        let ended = try await h.service.endOverride(of: bob.id, reason: "fixed", by: Self.root)
        #expect(ended.role == .user && ended.override == nil)
        let event = try #require(try await h.events("bob", action: .overrideEnded).first)
        #expect(event.details[.reason] == "ended_early" && event.details[.detail] == "fixed" && event.actor == .user(UserID(1)))
        await #expect(throws: LedgerError.noOverride(user: "bob@example.com")) {
            try await h.service.endOverride(of: bob.id, reason: nil, by: Self.root)
        }
    }

    @Test("An override never outlives a deactivation: by an admin, or by the IdP at sign-in", arguments: ConformanceKind.all)
    func deactivationEndsIt(kind: ConformanceKind) async throws {
        let (h, bob) = try await Self.populated(kind)
        try await h.service.grantOverride(.userAdmin, of: bob.id, until: .duration(3600), reason: "payroll run", by: Self.root)
        let inactive = try await h.service.setStatus(.inactive, of: bob.id, by: Self.root)
        #expect(inactive.override == nil && inactive.role == .user)
        #expect(try await h.events("bob", action: .overrideEnded).first?.details[.reason] == "deactivated")

        let carol = try #require(try await h.signIn("carol", groups: ["eng-api"]).user)
        try await h.service.grantOverride(.userAdmin, of: carol.id, until: .duration(3600), reason: "payroll run", by: Self.root)
        let refused = try await h.signIn("carol", groups: ["eng-api", "offboarded"])
        #expect(refused.refusal != nil && refused.user?.status == .inactive && refused.user?.override == nil)
        let carolAfter = try await h.user("carol")
        #expect(carolAfter.override == nil && carolAfter.role == .user)
        #expect(try await h.events("carol", action: .overrideEnded).first?.details[.reason] == "deactivated")
    }

    @Test("Overrides are refused, and audited, unless a super_admin asks within the rules", arguments: ConformanceKind.all)
    func refusals(kind: ConformanceKind) async throws {
        let (h, bob) = try await Self.populated(kind)
        let admin = Principal(actor: .user(UserID(999)), role: .userAdmin)
        await #expect(throws: LedgerError.overrideNotPermitted(role: .userAdmin)) {
            try await h.service.grantOverride(.modelAdmin, of: bob.id, until: .duration(60), reason: "x", by: admin)
        }
        await #expect(throws: LedgerError.overrideRefused(field: "for", "at most 8h (override.max_duration); 9h asked")) {
            try await h.service.grantOverride(.modelAdmin, of: bob.id, until: .duration(9 * 3600), reason: "x", by: Self.root)
        }
        await #expect(throws: LedgerError.overrideRefused(field: "until", "the override must end in the future")) {
            try await h.service.grantOverride(.modelAdmin, of: bob.id, until: .until(h.clock.now), reason: "x", by: Self.root)
        }
        await #expect(throws: LedgerError.self) {
            try await h.service.grantOverride(.modelAdmin, of: bob.id, until: .duration(60), reason: "  ", by: Self.root)
        }
        await #expect(throws: LedgerError.self) {
            try await h.service.grantOverride(.user, of: bob.id, until: .duration(60), reason: "same role", by: Self.root)
        }
        // dave is covered by no rule: his role is edited by hand, not overridden.
        let dave = try #require(try await h.signIn("dave").user)
        await #expect(throws: LedgerError.overrideNotNeeded(user: "dave@example.com")) {
            try await h.service.grantOverride(.modelAdmin, of: dave.id, until: .duration(60), reason: "x", by: Self.root)
        }
        // The last active super_admin keeps the role.
        let root = try await h.user("root")
        await #expect(throws: LedgerError.lastSuperAdmin(user: "root@example.com")) {
            try await h.service.grantOverride(.user, of: root.id, until: .duration(60), reason: "x", by: Self.root)
        }
        #expect(try await h.events(action: .editRefused).count == 7)
        #expect(try await h.events(action: .overrideGranted).isEmpty)
        let bobAfter = try await h.user("bob")
        #expect(bobAfter.role == .user && bobAfter.override == nil)
    }

    @Test("super_admin given by override is taken back at the deadline", arguments: ConformanceKind.all)
    func superAdminByOverride(kind: ConformanceKind) async throws {
        let (h, bob) = try await Self.populated(kind)
        try await h.service.grantOverride(
            .superAdmin,
            of: bob.id,
            until: .until(h.clock.now.addingTimeInterval(1800)),
            reason: "root away",
            by: Self.root
        )
        #expect(try await h.user("bob").isActiveSuperAdmin)
        #expect(try await h.store.activeSuperAdminCount() == 2)
        h.clock.advance(1800)
        #expect(try await h.service.endExpiredOverrides().ended.count == 1)
        #expect(try await h.user("bob").role == .user)
        #expect(try await h.store.activeSuperAdminCount() == 1)
    }
}
