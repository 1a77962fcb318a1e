import Foundation
import RoleSyncLedger
import RoleSyncMapping
import Testing

@Suite("Sessions")
struct SessionTests {
    @Test("Tokens are random, stored hashed, and resolve to the user with the role read fresh", arguments: ConformanceKind.all)
    func resolveAndFreshRole(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let bob = try #require(try await h.signIn("bob", groups: ["sales"]).user)
        let token = try await h.sessions.create(for: bob.id)
        let other = try await h.sessions.create(for: bob.id)
        #expect(token != other)
        #expect(token.count >= 43)  // 256 bits in base64url
        #expect(try await h.store.session(tokenHash: token) == nil)
        #expect(try await h.store.session(tokenHash: SessionService.hash(token))?.userID == bob.id)
        #expect(try await h.sessions.user(forToken: token)?.role == .user)
        try await h.service.setRole(.mcpAdmin, of: bob.id, by: .cli)
        #expect(try await h.sessions.user(forToken: token)?.role == .mcpAdmin)
        #expect(try await h.sessions.user(forToken: "forged") == nil)
    }

    @Test("Sessions end at the idle timeout and the absolute lifetime, and on sign-out", arguments: ConformanceKind.all)
    func expiry(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let bob = try #require(try await h.signIn("bob", groups: ["sales"]).user)
        let idle = try await h.sessions.create(for: bob.id)
        h.clock.advance(3_600)
        #expect(try await h.sessions.user(forToken: idle) == nil)

        let active = try await h.sessions.create(for: bob.id)
        for _ in 0..<30 {
            h.clock.advance(3_000)
            if h.clock.now.timeIntervalSince1970 < 1_800_000_000 + 3_600 + 86_400 - 3_000 {
                #expect(try await h.sessions.user(forToken: active) != nil)
            }
        }
        #expect(try await h.sessions.user(forToken: active) == nil)

        let signedOut = try await h.sessions.create(for: bob.id)
        #expect(try await h.sessions.end(token: signedOut))
        #expect(try await h.sessions.user(forToken: signedOut) == nil)
    }
}
