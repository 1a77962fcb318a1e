import Foundation
import GRDB
import RoleSyncLedger
import RoleSyncMapping
import Synchronization
import Testing

@testable import RoleSyncSQLite

@Suite("SQLite store")
struct StoreTests {
    @Test("100 concurrent first sign-ins of one identity create exactly one user", arguments: StoreKind.allCases)
    func concurrentFirstSignIns(_ kind: StoreKind) async throws {
        let h = try Harness(kind)
        let results = try await withThrowingTaskGroup(of: SignInResult.self) { group in
            for _ in 0..<100 { group.addTask { try await h.signIn("same", groups: ["finance"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.isAllowed })
        #expect(results.filter(\.isCreated).count == 1)
        #expect(Set(results.compactMap { $0.user?.id }).count == 1)
        #expect(try await h.store.userCount() == 1)
        #expect(try await h.user("same").signInCount == 100)
        #expect(try await h.events("same", action: .userCreated).count == 1)
    }

    @Test("1,000 concurrent sign-ins of different users all land", arguments: StoreKind.allCases)
    func concurrentDistinctSignIns(_ kind: StoreKind) async throws {
        let h = try Harness(kind)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1_000 { group.addTask { try await h.signIn("u\(i)", groups: i % 2 == 0 ? ["finance"] : ["sales"]) } }
            try await group.waitForAll()
        }
        #expect(try await h.store.userCount() == 1_000)
        #expect(try await h.store.users(matching: UsersQuery(role: .billingAdmin, limit: 500)).users.count == 500)
    }

    @Test(
        "A failure injected mid-transaction leaves no partial user, role change or audit event",
        arguments: [SQLiteLedgerStore.FaultPoint.afterUserWrite, .afterAuditEvents]
    )
    func faultInjection(_ point: SQLiteLedgerStore.FaultPoint) async throws {
        struct Injected: Error {}
        let armed = TestFlag()
        let h = try Harness(.disk) { p in if armed.isSet, p == point { throw Injected() } }
        try await h.signIn("ann", groups: ["finance"])
        let before = try await h.allEvents()
        armed.set()
        await #expect(throws: Injected.self) { try await h.signIn("new", groups: ["finance"]) }
        await #expect(throws: Injected.self) { try await h.signIn("ann", groups: ["eng-web"]) }
        #expect(try await h.store.user(issuer: Harness.issuer, subject: "new") == nil)
        #expect(try await h.user("ann").role == .billingAdmin)
        #expect(try await h.user("ann").signInCount == 1)
        #expect(try await h.allEvents() == before)
    }

    @Test("The audit log is never updated or deleted", arguments: StoreKind.allCases)
    func auditIsAppendOnly(_ kind: StoreKind) async throws {
        let h = try Harness(kind)
        try await h.signIn("ann", groups: ["finance"])
        for sql in ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"] {
            await #expect(throws: DatabaseError.self) {
                try await h.store.writer.write { db in try db.execute(sql: sql) }
            }
        }
        #expect(try await h.allEvents().count == 1)
    }

    @Test("An update at a stale version is a conflict and writes nothing", arguments: StoreKind.allCases)
    func staleVersion(_ kind: StoreKind) async throws {
        let h = try Harness(kind)
        var ann = try #require(try await h.signIn("ann", groups: ["finance"]).user)
        ann.name = "Changed"
        await #expect(throws: LedgerStoreError.conflict(.staleUser(ann.id))) {
            try await h.store.apply(LedgerChanges(users: [.init(write: .update(ann, expectedVersion: ann.version + 5))]))
        }
        #expect(try await h.user("ann").name == "User ann")
    }

    @Test("Users search, filter, sort and paginate", arguments: StoreKind.allCases)
    func usersQuery(_ kind: StoreKind) async throws {
        let h = try Harness(kind)
        let names = ["Zoë Adams", "adam Brown", "Carla Diaz", "Dan Evans", "Erin Adamson"]
        for (i, name) in names.enumerated() {
            h.clock.advance(10)
            _ = try await h.service.signIn(
                issuer: Harness.issuer,
                claims: Harness.claims("s\(i)", groups: i == 2 ? ["finance"] : [], email: "p\(i)@corp.example", extra: ["name": .string(name)])
            )
        }
        let adam = try await h.store.users(matching: UsersQuery(search: "ADAM"))
        #expect(adam.users.map(\.name) == ["adam Brown", "Erin Adamson", "Zoë Adams"])
        #expect(try await h.store.users(matching: UsersQuery(search: "p3@corp")).users.map(\.name) == ["Dan Evans"])
        #expect(try await h.store.users(matching: UsersQuery(search: "100%")).users.isEmpty)
        // Two characters go through LIKE, three or more through the trigram index: same answers.
        #expect(try await h.store.users(matching: UsersQuery(search: "aR")).users.compactMap(\.name) == ["Carla Diaz"])
        #expect(try await h.store.users(matching: UsersQuery(search: "arl")).users.compactMap(\.name) == ["Carla Diaz"])
        // A renamed user is found by the new name only.
        _ = try await h.service.signIn(
            issuer: Harness.issuer,
            claims: Harness.claims("s3", email: "p3@corp.example", extra: ["name": "Daniel Evans-Smythe"])
        )
        #expect(try await h.store.users(matching: UsersQuery(search: "smythe")).users.compactMap(\.name) == ["Daniel Evans-Smythe"])
        #expect(try await h.store.users(matching: UsersQuery(search: "Dan Evans")).users.isEmpty)
        #expect(try await h.store.users(matching: UsersQuery(role: .billingAdmin)).users.map(\.name) == ["Carla Diaz"])
        let newest = try await h.store.users(matching: UsersQuery(sort: .registered, order: .descending, limit: 2))
        #expect(newest.users.map(\.name) == ["Erin Adamson", "Daniel Evans-Smythe"])
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await h.store.users(matching: UsersQuery(sort: .name, limit: 2, cursor: cursor))
            seen += page.users.compactMap(\.name)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ["adam Brown", "Carla Diaz", "Daniel Evans-Smythe", "Erin Adamson", "Zoë Adams"])
        await #expect(throws: LedgerStoreError.invalidCursor) {
            try await h.store.users(matching: UsersQuery(sort: .email, cursor: "bm9wZQ"))
        }
        let byRole = try await h.store.users(matching: UsersQuery(sort: .role, limit: 1))
        #expect(byRole.users.first?.role == .billingAdmin)
        let second = try await h.store.users(matching: UsersQuery(sort: .role, limit: 1, cursor: byRole.nextCursor))
        #expect(second.users.first?.role == .user)
    }
}

/// A flag tests flip from outside a `@Sendable` closure.
final class TestFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
