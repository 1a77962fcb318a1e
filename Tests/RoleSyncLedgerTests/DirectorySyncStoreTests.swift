import Foundation
import RoleSyncLedger
import Testing

/// ``DirectorySyncStore`` on every engine: one row per IdP, written whole, read back as written.
@Suite("Directory reading state conformance")
struct DirectorySyncStoreTests {
    @Test("Each IdP's cursor and last run are stored whole, replaced whole, and read back exactly", arguments: ConformanceKind.all)
    func roundTrip(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        #expect(try await s.store.directorySyncStates().isEmpty)
        #expect(try await s.store.directorySyncState(issuer: StoreUnderTest.issuer) == nil)
        let started = Date(timeIntervalSince1970: 1_800_000_000.25)
        let failed = DirectoryRunSummary(
            startedAt: started,
            durationSeconds: 1.5,
            mode: "incremental",
            outcome: "failed",
            requests: 3,
            throttledSeconds: 0.5,
            errorCode: "graph_status",
            error: "Microsoft Graph answered /v1.0/users/delta with HTTP 403 — 'quoted' \"text\""
        )
        let first = DirectorySyncState(issuer: StoreUnderTest.issuer, source: "microsoft_graph https://graph.microsoft.com contoso", lastRun: failed)
        try await s.store.saveDirectorySyncState(first)
        #expect(try await s.store.directorySyncState(issuer: StoreUnderTest.issuer) == first)

        let applied = DirectoryRunSummary(
            startedAt: started.addingTimeInterval(900),
            durationSeconds: 0.25,
            mode: "full",
            fullReason: "no cursor yet",
            outcome: "applied",
            directoryUsers: 100_000,
            matched: 99_000,
            changed: 12,
            deactivated: 3,
            claimUpdates: 40,
            requests: 2_103
        )
        let second = DirectorySyncState(
            issuer: StoreUnderTest.issuer,
            source: first.source,
            cursor: #"{"groups":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=x","users":"…"}"#,
            lastFullAt: started.addingTimeInterval(900),
            lastSuccessAt: started.addingTimeInterval(900),
            lastRun: applied
        )
        try await s.store.saveDirectorySyncState(second)
        let other = DirectorySyncState(issuer: "https://other.example.com", source: "okta https://example.okta.com")
        try await s.store.saveDirectorySyncState(other)
        #expect(try await s.store.directorySyncState(issuer: StoreUnderTest.issuer) == second)
        #expect(try await s.store.directorySyncStates() == [other, second].sorted { $0.issuer < $1.issuer })
    }

    @Test("An IdP's users and active users are counted apart from every other IdP's", arguments: ConformanceKind.all)
    func userCounts(_ kind: ConformanceKind) async throws {
        let s = try await StoreUnderTest(kind)
        var gone = StoreUnderTest.user("gone")
        gone.status = .inactive
        gone.deactivationReason = .idp
        _ = try await s.insert(StoreUnderTest.user("ann"), StoreUnderTest.user("bob"), gone)
        let counts = try await s.store.userCounts(issuer: StoreUnderTest.issuer)
        #expect(counts.users == 3 && counts.active == 2)
        let none = try await s.store.userCounts(issuer: "https://other.example.com")
        #expect(none.users == 0 && none.active == 0)
    }
}
