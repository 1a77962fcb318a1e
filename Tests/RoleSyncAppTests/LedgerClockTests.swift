import Foundation
import Logging
import RoleSyncApp
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import Synchronization
import Testing

/// What `serve` does on the clock: overrides end at their deadline with nobody signing in, and a
/// promotion recorded in the ledger makes a running server reload its mappings.
@Suite("serve's clock and promotions")
struct LedgerClockTests {
    static let issuer = "https://idp.example.com"

    static func mapping(role: String) -> String {
        """
        version: 1
        issuer: \(issuer)
        roles:
          - id: everyone
            role: \(role)
            when: { claim: sub, exists: true }
        unmatched: manual
        """
    }

    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
    }

    @Test("the clock ends an override at its deadline and then waits for the next one, at most its poll")
    func overrideEnds() async throws {
        let store = try SQLiteLedgerStore.inMemory()
        let parsed = try #require(MappingParser.parse(yaml: Self.mapping(role: "user"), file: "idp.yaml").mapping)
        let clock = Clock()
        let sync = SyncService(
            store: store,
            mappings: MappingRegistry(MappingSet.build([parsed]).set),
            logger: Logger(label: "test"),
            now: { clock.now }
        )
        let user = try #require(try await sync.signIn(issuer: Self.issuer, claims: Claims(["sub": "u1"])).user)
        try await sync.grantOverride(.modelAdmin, of: user.id, until: .duration(30), reason: "test", by: .cli)
        let ledgerClock = LedgerClock(sync: sync, shadowStore: store, shadowRetention: 3600, logger: Logger(label: "test"), poll: .seconds(15))

        // Nothing due: wait for the deadline (real time to it here is in the past, so the floor),
        // never longer than the poll.
        let idle = await ledgerClock.tick()
        #expect(idle <= .seconds(15))
        #expect(try await store.user(id: user.id)?.role == .modelAdmin)

        clock.time.withLock { $0 = $0.addingTimeInterval(31) }
        let after = await ledgerClock.tick()
        #expect(after == .seconds(15), "nothing left: the poll")
        let ended = try #require(try await store.user(id: user.id))
        #expect(ended.role == .user && ended.override == nil)
        let events = try await store.auditEvents(matching: AuditQuery(action: .overrideEnded)).events
        #expect(events.count == 1 && events.first?.actor == .system)
    }

    @Test("a mapping.promoted event in the ledger makes the running server reload its mappings")
    func promotionReloads() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("promote-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("idp.yaml")
        try Self.mapping(role: "user").write(to: file, atomically: true, encoding: .utf8)
        let store = try SQLiteLedgerStore.inMemory()
        let registry = MappingRegistry(MappingSet.build([]).set)
        let reloader = MappingReloader(
            path: folder.path,
            issuers: [Self.issuer],
            registry: registry,
            logger: Logger(label: "test"),
            store: store,
            promotionPoll: .milliseconds(50)
        )
        #expect(reloader.reload())
        let claims = Claims(["sub": "u1"])
        let watcher = Task { try await reloader.run() }
        defer { watcher.cancel() }
        try await Task.sleep(for: .milliseconds(200))

        // The file changes, as promote writes it; nothing reloads until the event is recorded.
        try Self.mapping(role: "billing_admin").write(to: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(300))
        #expect(registry.current.mapping(forIssuer: Self.issuer)?.evaluate(claims, tracing: false).role == .user)

        try await store.apply(
            LedgerChanges(audit: [AuditEvent(time: Date(), actor: .cli, action: .mappingPromoted, issuer: Self.issuer)])
        )
        var role: Role?
        for _ in 0..<40 {
            try await Task.sleep(for: .milliseconds(50))
            role = registry.current.mapping(forIssuer: Self.issuer)?.evaluate(claims, tracing: false).role
            if role == .billingAdmin { break }
        }
        #expect(role == .billingAdmin)
    }
}
