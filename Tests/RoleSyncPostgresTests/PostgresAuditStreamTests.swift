import Foundation
import RoleSyncLedger
import RoleSyncPostgres
import RoleSyncTestSupport
import Synchronization
import Testing

/// The audit stream on PostgreSQL, where writers commit concurrently: an event whose transaction
/// took its id first but commits after a newer one must be handed out later, not skipped
/// (decision 135).
@Suite(.enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL (scripts/peers/postgres start; .ci/run does)"))
struct PostgresAuditStreamTests {
    static func event(_ action: AuditAction) -> AuditEvent {
        AuditEvent(time: Date(timeIntervalSince1970: 1_800_000_000), actor: .cli, action: action, details: [:])
    }

    @Test("An event committed after a newer id is handed out once its transaction commits, in the writers' order")
    func lateCommit() async throws {
        let postgres = try await ScratchPostgresStore()
        let store = postgres.store
        try await store.apply(LedgerChanges(audit: [Self.event(.mappingPromoted)]))
        let start = try #require(try await store.auditStream(after: .start, atLeast: 1).last?.position)

        // A transaction writes its event (the lower id), then waits, open, until released.
        let written = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let slow = Task {
            try await store.engine.write(.serializable) { transaction in
                try await transaction.insertEvent(Self.event(.keyRevoked))
                written.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in written.stream { break }
        // Another transaction writes a newer id and commits first.
        try await store.apply(LedgerChanges(audit: [Self.event(.keyCreated)]))
        let newest = try await store.auditEvents(matching: AuditQuery(limit: 1)).events.first
        #expect(newest?.action == .keyCreated, "the newer id is committed and visible to a listing")

        // While the first is open, the stream hands out neither: the newer one would let a reader
        // move past the older id that has not committed yet.
        #expect(try await store.auditStream(after: start, limit: 10).isEmpty)
        let head = try await store.auditStreamHead()
        let newestID = try #require(newest?.id)
        let newestPosition = try #require(try await store.auditStreamPosition(ofEvent: newestID))
        #expect(head < newestPosition)

        release.continuation.yield()
        try await slow.value
        let both = try await store.auditStream(after: start, atLeast: 2)
        #expect(both.map(\.event.action) == [.keyRevoked, .keyCreated])
        #expect(try await store.auditStream(after: try #require(both.last).position, limit: 10).isEmpty)
        // A head read while the slow transaction ran still reads what it committed afterwards.
        #expect(try await store.auditStream(after: head, atLeast: 2).map(\.event.action) == [.keyRevoked, .keyCreated])
    }
}
