import Foundation
import RoleSyncLedger
import RoleSyncMapping
import Testing

@Suite("Audit search: events about or by the people a text names, and about the keys it names")
struct AuditSearchTests {
    @Test(
        "A person's name finds what was done to them and what they did; a key's name or prefix finds that key's events only",
        arguments: ConformanceKind.all
    )
    func subjects(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let root = try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["staff"]).user)
        let carol = try #require(try await h.signIn("carol", groups: ["staff"]).user)
        let keys = KeyService(store: h.store, now: { h.clock.now })
        let exporter = try await keys.create(for: bob.id, name: "grafana-exporter-11", lifetime: nil, purpose: .gateway, by: .user(bob.id))
        let deploy = try await keys.create(for: bob.id, name: "deploy", lifetime: nil, purpose: .gateway, by: .user(bob.id))
        _ = try await keys.revoke(id: exporter.key.id, cause: .admin, reason: "found in a public repository", by: .user(root.id))
        _ = try await h.service.setRole(.modelAdmin, of: carol.id, by: Principal(actor: .user(root.id), role: .superAdmin))

        func search(_ text: String) async throws -> [AuditEvent] {
            let found = try await h.service.auditSubjects(matching: text, at: h.clock.now)
            #expect(!found.isTruncated)
            return try await h.service.auditEvents(matching: AuditQuery(about: found.subjects, limit: 100)).events
        }

        // The key, by name and by prefix: its creation and revocation, not the other key's.
        let byName = try await search("grafana-exporter")
        #expect(byName.map(\.action) == [.keyRevoked, .keyCreated])
        #expect(byName.allSatisfy { $0.details[.prefix] == .string(exporter.key.prefix) })
        #expect(try await search(String(deploy.key.prefix.prefix(8))).map(\.action) == [.keyCreated])

        // Carol: only what was done to her (her creation, the role root set).
        let aboutCarol = try await search("carol@example.com")
        #expect(Set(aboutCarol.map(\.action)) == [.userCreated, .roleChanged])
        #expect(aboutCarol.allSatisfy { $0.userID == carol.id })

        // Root: created, and what root did to bob's key and to carol, though neither is root's.
        let byRoot = try await search("User root")
        #expect(byRoot.contains { $0.action == .roleChanged && $0.userID == carol.id })
        #expect(byRoot.contains { $0.action == .keyRevoked && $0.userID == bob.id })
        #expect(byRoot.contains { $0.action == .userCreated && $0.userID == root.id })
        #expect(!byRoot.contains { $0.action == .keyCreated }, "bob created his keys himself")

        // Nobody and nothing: no events, not all of them.
        #expect(try await search("nobody-by-that-name").isEmpty)
        // Combined with the other filters.
        let found = try await h.service.auditSubjects(matching: "User root", at: h.clock.now)
        let revocations = try await h.service.auditEvents(matching: AuditQuery(action: .keyRevoked, about: found.subjects, limit: 100)).events
        #expect(revocations.map(\.userID) == [bob.id])
    }

    @Test("More matches than a search takes is said, not searched for some of them", arguments: [ConformanceKind.memory])
    func truncated(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        for index in 0...SyncService.auditSearchLimit { try await h.signIn("tenant-\(index)", groups: ["staff"]) }
        #expect(try await h.service.auditSubjects(matching: "tenant-", at: h.clock.now).isTruncated)
        let one = try await h.service.auditSubjects(matching: "tenant-17@", at: h.clock.now)
        #expect(!one.isTruncated && one.subjects.users.count == 1)
    }
}
