import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Testing

@Suite("Shadow mappings")
struct ShadowTests {
    /// The harness mapping with finance made model_admin (rule finance-models), eng-* no longer
    /// covered, and a new requirement that refuses contractors.
    static let candidate = Harness.mappingYAML
        .replacingOccurrences(of: "  - id: finance\n    role: billing_admin", with: "  - id: finance-models\n    role: model_admin")
        .replacingOccurrences(of: "  - id: engineers\n    role: user\n    when: { claim: groups, glob: \"eng-*\" }\n", with: "")
        .replacingOccurrences(
            of: "  - { claim: email_verified, equals: true }\n",
            with: "  - { claim: email_verified, equals: true }\n  - { not: { claim: groups, contains: contractors } }\n"
        )

    static func stored(_ h: Harness) async throws -> [ShadowDifference] {
        try await h.service.shadow?.flush()
        let store = try #require(h.store as? any ShadowStore)
        return try await store.shadowDifferences(matching: ShadowQuery(limit: 1_000)).differences
    }

    @Test("Sign-ins record each difference with both decisions and rules, and write nothing else", arguments: ConformanceKind.all)
    func signIns(kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind, shadow: Self.candidate)
        try await h.makeSuperAdmin()
        let alice = try #require(try await h.signIn("alice", groups: ["finance"]).user)
        try await h.signIn("bob", groups: ["eng-web"])
        try await h.signIn("carol", groups: ["eng-web", "contractors"])
        // Live decisions only: the candidate changed nobody.
        #expect(alice.role == .billingAdmin)
        let bob = try await h.user("bob")
        #expect(bob.role == .user && bob.roleSource == .idp)
        #expect(try await h.user("carol").status == .active)

        let differences = try await Self.stored(h).sorted { $0.subject < $1.subject }
        #expect(differences.map(\.subject) == ["alice", "bob", "carol"])
        let a = differences[0]
        #expect(a.kinds == [.role] && a.via == .signIn && a.userID == alice.id && a.user == "alice@example.com")
        #expect(a.live.role == .billingAdmin && a.live.rule == "finance" && a.live.file == "test.yaml")
        #expect(a.candidate.role == .modelAdmin && a.candidate.rule == "finance-models" && a.candidate.file == "candidate.yaml")
        #expect(differences[1].kinds == [.coverage] && differences[1].candidate.covered == false)
        #expect(differences[2].kinds == [.coverage, .access] && differences[2].candidate.refusal == "requirement_failed")
        // Nothing but sign-ins and their events reached the ledger.
        #expect(try await h.allEvents().allSatisfy { $0.actor == .idp })

        // A second disagreement updates the row and counts it; an agreeing user adds nothing.
        h.clock.advance(60)
        try await h.signIn("alice", groups: ["finance"])
        try await h.signIn("root", groups: ["platform-admins"])
        let again = try await Self.stored(h)
        let alice2 = try #require(again.first { $0.subject == "alice" })
        #expect(again.count == 3 && alice2.occurrences == 2 && alice2.lastSeen == h.clock.now && alice2.firstSeen < alice2.lastSeen)
    }

    @Test("A real reconciliation and a push record differences; a dry run records none", arguments: ConformanceKind.all)
    func reconcileAndPush(kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind, shadow: Self.candidate)
        try await h.makeSuperAdmin()
        try await h.signIn("alice", groups: ["eng-web"])
        try await h.service.shadow?.flush()
        let store = try #require(h.store as? any ShadowStore)
        #expect(try await store.clearShadowDifferences(issuers: [Harness.issuer]) == 1)
        let before = try await h.user("alice")

        // The directory now puts alice in finance: live billing_admin, candidate model_admin.
        let listing = DirectoryListing(
            entries: [
                DirectoryEntry(key: "root", isActive: true, claims: ["groups": .array(["platform-admins"])]),
                DirectoryEntry(key: "alice", isActive: true, claims: ["groups": .array(["finance"])]),
            ],
            ignoresKeyCase: false,
            isComplete: true
        )
        _ = try await h.service.planReconciliation(issuer: Harness.issuer, listing: listing, policy: .init())
        #expect(try await Self.stored(h).isEmpty)
        var policy = ReconciliationPolicy()
        policy.recordsShadow = true
        _ = try await h.service.planReconciliation(issuer: Harness.issuer, listing: listing, policy: policy)
        let reconciled = try await Self.stored(h)
        #expect(reconciled.map(\.via) == [.reconcile] && reconciled.first?.kinds == [.role])
        #expect(reconciled.first?.live.role == .billingAdmin && reconciled.first?.candidate.role == .modelAdmin)
        #expect(try await h.user("alice") == before)

        var push = ReconciliationPolicy(force: true, source: .scim)
        push.recordsShadow = true
        let partial = DirectoryListing(entries: [listing.entries[1]], ignoresKeyCase: false, isComplete: false)
        _ = try await h.service.planPush(issuer: Harness.issuer, listing: partial, policy: push)
        let pushed = try await Self.stored(h)
        #expect(pushed.map(\.via) == [.push] && pushed.first?.occurrences == 2)
        #expect(try await h.user("alice") == before)
    }

    @Test("Differences older than the window are pruned; filters by kind and time", arguments: ConformanceKind.all)
    func pruneAndFilter(kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind, shadow: Self.candidate)
        try await h.signIn("alice", groups: ["finance"])
        try await h.service.shadow?.flush()
        h.clock.advance(3600)
        try await h.signIn("bob", groups: ["eng-web"])
        try await h.service.shadow?.flush()
        let store = try #require(h.store as? any ShadowStore)
        let page = try await store.shadowDifferences(matching: ShadowQuery(kind: .coverage))
        #expect(page.differences.map(\.subject) == ["bob"] && page.total == 1)
        let all = try await store.shadowDifferences(matching: ShadowQuery(limit: 1))
        #expect(all.differences.map(\.subject) == ["bob"] && all.total == 2 && all.counts == [.role: 1, .coverage: 1])
        #expect(try await store.shadowDifferences(matching: ShadowQuery(since: h.clock.now.addingTimeInterval(-60))).total == 1)
        #expect(try await store.pruneShadowDifferences(before: h.clock.now.addingTimeInterval(-60)) == 1)
        #expect(try await store.shadowDifferences(matching: ShadowQuery()).differences.map(\.subject) == ["bob"])
    }
}
