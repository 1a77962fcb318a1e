import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@Suite("Reconciliation against a directory")
struct ReconciliationTests {
    static func entry(_ key: String, groups: [String], active: Bool = true) -> DirectoryEntry {
        DirectoryEntry(key: key, isActive: active, claims: ["groups": .array(groups.map(ClaimValue.string)), "active": .bool(active)])
    }

    static func listing(_ entries: [DirectoryEntry], complete: Bool = true) -> DirectoryListing {
        DirectoryListing(entries: entries, ignoresKeyCase: false, isComplete: complete)
    }

    /// root (super_admin), alice (finance → billing_admin), bob and carol (engineers), dave (no rule).
    static func populated(_ kind: ConformanceKind) async throws -> Harness {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        try await h.signIn("alice", groups: ["finance"])
        try await h.signIn("bob", groups: ["eng-web"])
        try await h.signIn("carol", groups: ["eng-api"])
        try await h.signIn("dave", groups: [])
        return h
    }

    static let everyone = [
        entry("root", groups: ["platform-admins"]), entry("alice", groups: ["finance"]), entry("bob", groups: ["eng-web"]),
        entry("carol", groups: ["eng-api"]), entry("dave", groups: []),
    ]

    @Test("An unchanged directory plans nothing", arguments: ConformanceKind.all)
    func unchanged(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(Self.everyone), policy: .init())
        #expect(plan.plan.changes.isEmpty)
        #expect(plan.matched == 5 && plan.missing == 0 && plan.ledgerUsers == 5 && plan.activeUsers == 5)
        #expect(plan.safetyValve == nil)
        // Sign-in claims lack `active`: the first run stores the directory's claims, the next has nothing to do.
        #expect(plan.plan.claimUpdates.map(\.changedClaims) == Array(repeating: ["active"], count: 5))
        try await h.service.applyReconciliation(plan, as: .reconciler)
        let again = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(Self.everyone), policy: .init())
        #expect(again.plan.changes.isEmpty && again.plan.claimUpdates.isEmpty)
        #expect(try await h.store.auditEvents(matching: AuditQuery(action: .profileUpdated, actor: .reconciler)).events.count == 5)
    }

    @Test("A group removed in the directory demotes a covered user, audited with actor reconciler", arguments: ConformanceKind.all)
    func groupRemoved(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        var entries = Self.everyone
        entries[1] = Self.entry("alice", groups: ["eng-finance"])
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(entries), policy: .init())
        let change = try #require(plan.plan.changes.first)
        #expect(plan.plan.changes.count == 1)
        #expect(change.kinds == [.roleChange])
        #expect(change.fromRole == .billingAdmin && change.toRole == .user)
        #expect(change.changedClaims == ["active", "groups"])
        try await h.service.applyReconciliation(plan, as: .reconciler)
        let alice = try await h.user("alice")
        #expect(alice.role == .user && alice.roleSource == .idp)
        #expect(alice.lastClaims.values["groups"] == .array(["eng-finance"]))
        let events = try await h.events("alice").filter { $0.actor == .reconciler }
        #expect(events.map(\.action).sorted { $0.rawValue < $1.rawValue } == [.profileUpdated, .roleChanged])
        #expect(events.allSatisfy { $0.details[.via] == "directory" })
    }

    @Test("Losing the only rule uncovers a user and keeps their role", arguments: ConformanceKind.all)
    func uncovered(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        var entries = Self.everyone
        entries[2] = Self.entry("bob", groups: ["sales"])
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(entries), policy: .init())
        let change = try #require(plan.plan.changes.first)
        #expect(change.kinds == [.coverageLost])
        #expect(change.toRole == .user)
        try await h.service.applyReconciliation(plan, as: .reconciler)
        #expect(try await h.user("bob").lastClaims.values["groups"] == .array(["sales"]))
    }

    @Test("A user gone from the directory, or inactive there, is deactivated: sessions end first", arguments: ConformanceKind.all)
    func goneAndInactive(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let bob = try await h.user("bob")
        _ = try await h.sessions.create(for: bob.id)
        var entries = Self.everyone.filter { $0.key != "bob" }
        entries[entries.firstIndex { $0.key == "carol" }!] = Self.entry("carol", groups: ["eng-api"], active: false)
        let plan = try await h.service.planReconciliation(
            issuer: Harness.issuer,
            listing: Self.listing(entries),
            policy: .init(maxDeactivationShare: 0.5)
        )
        #expect(plan.missing == 1)
        let causes = Dictionary(uniqueKeysWithValues: plan.plan.changes.map { ($0.user, $0.deactivationCause) })
        #expect(causes == ["bob@example.com": "absent_from_directory", "carol@example.com": "inactive_in_directory"])
        try await h.service.applyReconciliation(plan, as: .reconciler)
        let after = try await h.user("bob")
        #expect(after.status == .inactive && after.deactivationReason == .idp && after.deactivationSource == .directory)
        #expect(try await h.store.sessionCount(userID: bob.id) == 0)
        let actions = try await h.events("bob").filter { $0.actor == .reconciler }.reversed().map(\.action)
        #expect(actions == [.sessionsEnded, .statusChanged])
        // The directory shows bob again: the deactivation lifts.
        let back = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(Self.everyone), policy: .init())
        #expect(back.plan.changes.filter { $0.kinds.contains(.reactivation) }.count == 2)
        try await h.service.applyReconciliation(back, as: .reconciler)
        #expect(try await h.user("bob").status == .active)
    }

    @Test("A manual deactivation is never lifted by the directory", arguments: ConformanceKind.all)
    func manualHolds(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let carol = try await h.user("carol")
        #expect(carol.status == .active)
        try await h.service.update(carol.id, role: nil, status: .inactive, by: Principal(actor: .cli, role: .superAdmin))
        // Given: carol is deactivated by hand, and the directory lists her as active.
        let deactivated = try await h.user("carol")
        try #require(deactivated.status == .inactive)
        try #require(deactivated.deactivationReason == .manual)
        #expect(Self.everyone.contains { $0.key == "carol" && $0.isActive })
        // When: the directory is reconciled.
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(Self.everyone), policy: .init())
        #expect(plan.matched == 5)
        #expect(plan.plan.changes.isEmpty)
        try await h.service.applyReconciliation(plan, as: .reconciler)
        // Then: she stays deactivated.
        #expect(try await h.user("carol").status == .inactive)
        #expect(try await h.user("carol").deactivationReason == .manual)
    }

    @Test("A failing require never deactivates; a deactivate rule does", arguments: ConformanceKind.all)
    func requireAndDeactivateRule(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        var entries = Self.everyone
        entries[2].claims["email_verified"] = .bool(false)
        entries[3] = Self.entry("carol", groups: ["eng-api", "offboarded"])
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(entries), policy: .init())
        #expect(plan.plan.changes.map(\.user) == ["carol@example.com"])
        #expect(plan.plan.changes.first?.deactivationSource == .mapping)
    }

    @Test("Directory entries nobody signed in as are never created", arguments: ConformanceKind.all)
    func neverCreates(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let plan = try await h.service.planReconciliation(
            issuer: Harness.issuer,
            listing: Self.listing(Self.everyone + [Self.entry("erin", groups: ["finance"])]),
            policy: .init()
        )
        #expect(plan.notSignedIn == 1)
        try await h.service.applyReconciliation(plan, as: .reconciler)
        #expect(try await h.store.userCount() == 5)
    }

    @Test("The safety valve trips on a mass deactivation and applies nothing, unless forced", arguments: ConformanceKind.all)
    func safetyValve(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let survivors = Self.listing([Self.everyone[0], Self.everyone[1]])
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: survivors, policy: .init())
        #expect(plan.deactivations == 3)
        #expect(plan.safetyValve?.code == "max_share")
        await #expect(throws: LedgerError.self) { try await h.service.applyReconciliation(plan, as: .reconciler) }
        #expect(try await h.user("bob").status == .active)
        let counted = try await h.service.planReconciliation(
            issuer: Harness.issuer,
            listing: survivors,
            policy: .init(maxDeactivationShare: 1, maxDeactivations: 2)
        )
        #expect(counted.safetyValve?.code == "max_count")
        let forced = try await h.service.planReconciliation(issuer: Harness.issuer, listing: survivors, policy: .init(force: true))
        #expect(forced.safetyValve == nil)
        try await h.service.applyReconciliation(forced, as: .reconciler)
        #expect(try await h.user("bob").status == .inactive)
    }

    @Test("One leaver is always allowed through the share", arguments: ConformanceKind.all)
    func oneLeaver(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let plan = try await h.service.planReconciliation(
            issuer: Harness.issuer,
            listing: Self.listing(Self.everyone.filter { $0.key != "dave" }),
            policy: .init()
        )
        #expect(plan.deactivations == 1 && plan.safetyValve == nil)
    }

    @Test("An empty directory never deactivates anyone, even forced", arguments: ConformanceKind.all)
    func emptyDirectory(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing([]), policy: .init(force: true))
        #expect(plan.safetyValve?.code == "empty_directory")
        await #expect(throws: LedgerError.self) { try await h.service.applyReconciliation(plan, as: .reconciler) }
        #expect(try await h.store.auditEvents(matching: AuditQuery(actor: .reconciler)).events.isEmpty)
    }

    @Test("The last active super_admin gone from the directory is held, not deactivated", arguments: ConformanceKind.all)
    func lastSuperAdminHeld(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let plan = try await h.service.planReconciliation(
            issuer: Harness.issuer,
            listing: Self.listing(Array(Self.everyone.dropFirst())),
            policy: .init()
        )
        let change = try #require(plan.plan.changes.first)
        #expect(change.isHeld && plan.deactivations == 0)
        try await h.service.applyReconciliation(plan, as: .reconciler)
        #expect(try await h.user("root").status == .active)
        #expect(try await h.events("root", action: .statusChangeHeld).count == 1)
    }

    @Test("A partial listing (a push) leaves unlisted users alone; keys by userName ignore case", arguments: ConformanceKind.all)
    func partialListing(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        let listing = DirectoryListing(entries: [Self.entry("BOB", groups: [], active: false)], ignoresKeyCase: true, isComplete: false)
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: listing, policy: .init(source: .scim))
        #expect(plan.plan.changes.map(\.user) == ["bob@example.com"])
        #expect(plan.plan.changes.first?.deactivationSource == .scim)
        #expect(plan.ledgerUsers == 5, "the IdP's users, as the safety valve's share counts them, not only those listed")
    }

    @Test("A match claim other than sub; users without it are left alone", arguments: ConformanceKind.all)
    func matchClaim(kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        try await h.signIn("alice", groups: ["finance"], extra: ["oid": "0001"])
        let plan = try await h.service.planReconciliation(
            issuer: Harness.issuer,
            listing: Self.listing([Self.entry("0001", groups: [])]),
            policy: .init(matchClaim: "oid")
        )
        #expect(plan.unmatchable == 1 && plan.matched == 1)
        #expect(plan.plan.changes.map(\.user) == ["alice@example.com"])
    }

    @Test("A user who changed since the plan makes applying fail whole", arguments: ConformanceKind.all)
    func staleUser(kind: ConformanceKind) async throws {
        let h = try await Self.populated(kind)
        var entries = Self.everyone
        entries[1] = Self.entry("alice", groups: [])
        entries[2] = Self.entry("bob", groups: ["finance"])
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: Self.listing(entries), policy: .init())
        try await h.signIn("alice", groups: ["finance", "x"])
        await #expect(throws: LedgerStoreError.self) { try await h.service.applyReconciliation(plan, as: .reconciler) }
        #expect(try await h.user("bob").role == .user)
    }

    @Test("The directory's group order is not a change", arguments: ConformanceKind.all)
    func groupOrder(kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        try await h.signIn("alice", groups: ["finance", "eng-web"], extra: ["active": true])
        let listing = Self.listing([Self.entry("root", groups: ["platform-admins"]), Self.entry("alice", groups: ["eng-web", "finance"])])
        let plan = try await h.service.planReconciliation(issuer: Harness.issuer, listing: listing, policy: .init())
        #expect(plan.plan.claimUpdates.map(\.user) == ["root@example.com"])
        #expect(plan.plan.changes.isEmpty)
    }
}
