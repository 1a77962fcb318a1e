import Foundation
import Logging
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncReconciler
import RoleSyncSQLite
import RoleSyncTestSupport
import Synchronization
import Testing

/// Incremental reconciliation through Microsoft Graph's delta queries, with the cursor and the
/// last run kept in the ledger (``DirectorySyncState``).
extension GraphReconciliationTests {
    /// A clock the test moves.
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
        var now: Date { time.withLock { $0 } }
    }

    func incremental(clock: Clock, tenant: String = "contoso", fullEvery: String = "24h", maxShare: String = "10%") throws -> Reconciler {
        let idp = try Self.idp(tenant: tenant, extra: ["full_every: \(fullEvery)", "safety_valve: { max_share: \(maxShare) }"])
        return try Reconciler(
            idp: idp,
            sync: sync,
            transport: graph,
            states: store,
            logger: Logger(label: "test"),
            sleep: { _ in },
            now: { clock.now }
        )
    }

    func state() async throws -> DirectorySyncState {
        try #require(try await store.directorySyncState(issuer: Self.issuer))
    }

    @Test("The first run lists everything and stores a cursor; the next reads only the changes: a leaver cut off, a joiner's role")
    func incrementalRun() async throws {
        let clock = Clock()
        let first = try await incremental(clock: clock).run(dryRun: false)
        #expect(first.mode == "full" && first.fullReason?.hasPrefix("no cursor yet") == true)
        var stored = try await state()
        #expect(stored.cursor != nil && stored.lastFullAt == clock.now && stored.lastSuccessAt == clock.now)
        #expect(
            stored.lastRun?.outcome == "applied" && stored.lastRun?.mode == "full"
                && stored.source == "microsoft_graph https://graph.microsoft.com contoso"
        )
        #expect(try await user("root").role == .superAdmin)

        clock.advance(900)
        graph.change { state in
            state.users[state.users.firstIndex { $0.id == "oid-bob" }!].accountEnabled = false
            state.groups[0].members.append("oid-cy")
            return [.user("oid-bob"), .member(group: "g-admins", member: "oid-cy", removed: false)]
        }
        let before = graph.with { $0.requests.count }
        let second = try await incremental(clock: clock).run(dryRun: false)
        #expect(second.mode == "incremental" && second.fullReason == nil && second.applied)
        #expect(second.plan.directoryUsers == 2 && second.plan.ledgerUsers == 4 && second.plan.activeUsers == 4)
        #expect(try await user("bob").status == .inactive)
        #expect(try await user("cy").role == .superAdmin)
        #expect(try await user("ada").role == .modelAdmin, "a user the increment does not name is left as the full run set it")
        let sent = graph.with { Array($0.requests.dropFirst(before)) }
        #expect(!sent.contains { $0.hasPrefix("GET /v1.0/users?") || $0.hasPrefix("GET /v1.0/groups?") }, "no full listing: \(sent)")
        stored = try await state()
        #expect(stored.lastFullAt == clock.now.addingTimeInterval(-900) && stored.lastSuccessAt == clock.now)
        #expect(stored.lastRun?.mode == "incremental" && stored.lastRun?.deactivated == 1 && stored.lastRun?.changed == 2)

        // A dry run reads from the cursor and records nothing.
        clock.advance(900)
        let dry = try await incremental(clock: clock).run(dryRun: true)
        #expect(dry.mode == "incremental" && dry.plan.directoryUsers == 0)
        #expect(try await state() == stored)
    }

    @Test("An increment deactivating more than the safety valve's share of all active users is held; the cursor stays, so the next run sees it again")
    func heldIncrement() async throws {
        let clock = Clock()
        _ = try await incremental(clock: clock, maxShare: "25%").run(dryRun: false)
        let cursor = try await state().cursor
        graph.change { state in
            for id in ["oid-ada", "oid-bob"] { state.users[state.users.firstIndex { $0.id == id }!].accountEnabled = false }
            return [.user("oid-ada"), .user("oid-bob")]
        }
        let held = try await incremental(clock: clock, maxShare: "25%").run(dryRun: false)
        #expect(held.mode == "incremental" && !held.applied && held.plan.safetyValve?.code == "max_share")
        #expect(held.plan.activeUsers == 4, "the share is of the IdP's active users, not of those the increment names")
        #expect(try await user("ada").status == .active)
        #expect(try await user("bob").status == .active)
        let stored = try await state()
        #expect(stored.cursor == cursor && stored.lastRun?.outcome == "safety_valve" && stored.lastRun?.safetyValveCode == "max_share")
        #expect(stored.lastRun?.deactivated == 2)

        let forced = try await incremental(clock: clock, maxShare: "25%").run(dryRun: false, force: true)
        #expect(forced.mode == "incremental" && forced.applied && forced.plan.directoryUsers == 2)
        #expect(try await user("ada").status == .inactive)
        #expect(try await user("bob").status == .inactive)
        #expect(try await state().cursor != cursor)
    }

    @Test("--full, full_every elapsed and another tenant's cursor each list everything, saying why")
    func fullReasons() async throws {
        let clock = Clock()
        _ = try await incremental(clock: clock, fullEvery: "1h").run(dryRun: false)
        clock.advance(600)
        let asked = try await incremental(clock: clock, fullEvery: "1h").run(dryRun: false, full: true)
        #expect(asked.mode == "full" && asked.fullReason == "asked for (--full)")
        #expect(try await state().lastFullAt == clock.now)
        clock.advance(3_600)
        let elapsed = try await incremental(clock: clock, fullEvery: "1h").run(dryRun: false)
        #expect(elapsed.mode == "full" && elapsed.fullReason == "the last full listing is older than full_every (1h)")
        let moved = try await incremental(clock: clock, tenant: "fabrikam", fullEvery: "1h").run(dryRun: false)
        #expect(moved.mode == "full" && moved.fullReason == "the directory's kind or address changed since the cursor was stored")
        #expect(try await state().source.hasSuffix("fabrikam"))
    }

    @Test("A delta token Graph forgot makes the run full, not failed")
    func forgottenToken() async throws {
        let clock = Clock()
        _ = try await incremental(clock: clock).run(dryRun: false)
        graph.change { state in
            state.forgottenBefore = state.log.count + 1
            return [.user("oid-ada")]
        }
        let run = try await incremental(clock: clock).run(dryRun: false)
        #expect(run.mode == "full" && run.fullReason?.contains("syncStateNotFound") == true && run.applied == false)
    }

    @Test("A failed run is recorded with its error; the cursor and the last success stay")
    func failedRun() async throws {
        let clock = Clock()
        _ = try await incremental(clock: clock).run(dryRun: false)
        let before = try await state()
        clock.advance(900)
        graph.with { $0.failing = (text: "/v1.0/users/delta", status: 403) }
        await #expect(throws: ReconcileError.self) { _ = try await incremental(clock: clock).run(dryRun: false) }
        let after = try await state()
        #expect(after.cursor == before.cursor && after.lastSuccessAt == before.lastSuccessAt && after.lastFullAt == before.lastFullAt)
        #expect(after.lastRun?.outcome == "failed" && after.lastRun?.errorCode == "graph_status" && after.lastRun?.startedAt == clock.now)
        #expect(after.lastRun?.error?.contains("HTTP 403") == true)
        #expect(after.lastRun?.error?.contains("graph-client-secret") == false && after.lastRun?.error?.contains("token-") == false)
    }
}
