import Foundation
import GRDB
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import Synchronization
import Testing

/// What only the SQLite store promises beyond the protocol: its transactions under injected
/// faults, and an audit log its triggers keep append-only.
@Suite("SQLite store")
struct StoreTests {
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
                try await (try h.sqlite).writer.write { db in try db.execute(sql: sql) }
            }
        }
        #expect(try await h.allEvents().count == 1)
    }
}

/// A flag tests flip from outside a `@Sendable` closure.
final class TestFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
