import Foundation
import GRDB
import RoleSyncLedger
import RoleSyncMapping
import Synchronization
import Testing

@testable import RoleSyncSQLite

/// What only the SQLite store promises beyond the protocol: its transactions under injected
/// faults, and an audit log its triggers keep append-only.
@Suite("SQLite store")
struct StoreTests {
    @Test("A point read never waits for another thread's connection: with every point reader taken it reads another way")
    func pointReadersNeverWait() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-point-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        _ = try SQLiteLedgerStore(path: path)
        let readers = try PointReaders(path: path, count: 1)
        // While the one reader is in use, a second read is not queued behind it (a thread of Swift's
        // pool would block there): it is declined, and the caller suspends on an ordinary read.
        var declined = false
        let outer = try readers.tryRead { db -> Int in
            declined = try readers.tryRead { db in try Int.fetchOne(db, sql: "SELECT 1") } == nil
            return try Int.fetchOne(db, sql: "SELECT 1") ?? 0
        }
        #expect(outer == 1)
        #expect(declined, "the busy reader declined")
        let again: Int?? = try readers.tryRead { db in try Int.fetchOne(db, sql: "SELECT 2") }
        #expect(again == .some(.some(2)), "and is free again after")
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
