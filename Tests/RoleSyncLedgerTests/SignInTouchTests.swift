import Foundation
import Logging
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import RoleSyncTestSupport
import Testing

/// A sign-in that changes nothing but the last sign-in is recorded without its own transaction, and
/// a server's store may batch those writes; search indexes new users when it next runs.
@Suite("Sign-in touches and deferred search indexing")
struct SignInTouchTests {
    @Test("An unchanged sign-in writes no event and moves last sign-in and count", arguments: ConformanceKind.all)
    func touch(kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.signIn("ann", groups: ["finance"])
        let before = try await h.user("ann")
        let eventsBefore = try await h.allEvents().count
        h.clock.advance(60)
        let result = try await h.signIn("ann", groups: ["finance"])
        #expect(result.user?.signInCount == 2)
        let after = try await h.user("ann")
        #expect(after.signInCount == 2)
        #expect(after.lastSignInAt == h.clock.now)
        #expect(after.version == before.version)
        #expect(try await h.allEvents().count == eventsBefore)

        // Changed claims (a new group, still the same role) go through the full write and are stored.
        h.clock.advance(60)
        try await h.signIn("ann", groups: ["finance", "eng-web"])
        let changed = try await h.user("ann")
        #expect(changed.signInCount == 3)
        #expect(changed.lastClaims.values["groups"] == .array(["finance", "eng-web"]))
        #expect(changed.version == before.version + 1)
    }

    @Test("A role changed behind the service's back is still reset by the next sign-in")
    func touchDoesNotHideChanges() async throws {
        let h = try Harness(.memory)
        try await h.makeSuperAdmin()
        let ann = try #require(try await h.signIn("ann", groups: ["finance"]).user)
        var tampered = ann
        tampered.role = .mcpAdmin
        tampered.version += 1
        _ = try await h.store.apply(LedgerChanges(users: [.init(write: .update(tampered, expectedVersion: ann.version))]))
        try await h.signIn("ann", groups: ["finance"])
        #expect(try await h.user("ann").role == .billingAdmin)
        #expect(try await h.events("ann", action: .roleChanged).count == 1)
    }

    @Test("A deferring store batches sign-ins until flushed; full writes in between lose nothing")
    func deferred() async throws {
        let scratch = try ScratchFolder("defer")
        let file = scratch.path("ledger.sqlite")
        let store = try SQLiteLedgerStore(path: file, defersSignIns: true)
        let clock = TestClock()
        let mapping = try #require(MappingParser.parse(yaml: Harness.mappingYAML, file: "test.yaml").mapping)
        let service = SyncService(
            store: store,
            mappings: MappingRegistry(MappingSet.build([mapping]).set),
            logger: Logger(label: "test"),
            now: { clock.now }
        )
        let claims = Harness.claims("bo", groups: ["finance"])
        let first = try #require(try await service.signIn(issuer: Harness.issuer, claims: claims).user)
        for _ in 0..<3 {
            clock.advance(10)
            _ = try await service.signIn(issuer: Harness.issuer, claims: claims)
        }
        // Not written yet: the store still shows the first sign-in.
        #expect(try await store.user(id: first.id)?.signInCount == 1)
        // A sign-in with new claims writes its row at once (count from what it read, plus one).
        clock.advance(10)
        _ = try await service.signIn(issuer: Harness.issuer, claims: Harness.claims("bo", groups: ["finance", "eng-x"]))
        #expect(try await store.user(id: first.id)?.signInCount == 2)
        try await store.flushSignIns()
        let user = try #require(try await store.user(id: first.id))
        #expect(user.signInCount == 5)
        #expect(user.lastSignInAt == clock.now)
        try await store.flushSignIns()
        #expect(try await store.user(id: first.id)?.signInCount == 5)
    }

    @Test("Search finds users signed in since the last search, and renamed ones", arguments: ConformanceKind.all)
    func searchCatchesUp(kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.signIn("ann", extra: ["name": "Annabel Lee"])
        #expect(try await h.store.users(matching: UsersQuery(search: "nabel")).users.count == 1)
        try await h.signIn("cy", extra: ["name": "Cyrus Annabelle"])
        try await h.signIn("di", extra: ["name": "Diane Foster"])
        #expect(try await h.store.users(matching: UsersQuery(search: "nabel")).users.count == 2)
        // An indexed user renamed, and one renamed before the index saw them.
        try await h.signIn("ann", extra: ["name": "Anne Rice"])
        try await h.signIn("ed", extra: ["name": "Edgar Poe"])
        try await h.signIn("ed", extra: ["name": "Edgar Allan"])
        #expect(try await h.store.users(matching: UsersQuery(search: "nabel")).users.map(\.name) == ["Cyrus Annabelle"])
        #expect(try await h.store.users(matching: UsersQuery(search: "allan")).users.count == 1)
        #expect(try await h.store.users(matching: UsersQuery(search: "edgar poe")).users.isEmpty)
        #expect(try await h.store.users(matching: UsersQuery(search: "rice")).users.count == 1)
    }
}
