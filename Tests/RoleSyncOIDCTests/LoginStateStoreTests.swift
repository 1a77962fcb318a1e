import Foundation
import RoleSyncOIDC
import RoleSyncPostgres
import RoleSyncTestSupport
import Testing

/// Where the pending logins under test live: this process's memory, or (with ROLESYNC_POSTGRES_URL
/// set) a scratch PostgreSQL database that replicas would share.
enum LoginBacking: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, postgres

    static var available: [LoginBacking] { ScratchPostgres.isConfigured ? allCases : [.memory] }
    var testDescription: String { rawValue }

    /// A store over this backing; the scratch database (if any) lives as long as `body` runs.
    func with(lifetime: TimeInterval = 600, capacity: Int = 10_000, _ body: (LoginStateStore) async throws -> Void) async throws {
        switch self {
        case .memory:
            try await body(LoginStateStore(lifetime: lifetime, capacity: capacity))
        case .postgres:
            let scratch = try await ScratchPostgresStore()
            try await body(LoginStateStore(lifetime: lifetime, capacity: capacity, shared: scratch.store))
            withExtendedLifetime(scratch) {}
        }
    }
}

/// Pending logins: one-time, expiring, bound to the browser that started them; the same in memory
/// and in the database replicas share.
@Suite("Pending logins")
struct LoginStateStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("A state is taken once; a replay is told apart from a forgery", arguments: LoginBacking.available)
    func oneTime(_ backing: LoginBacking) async throws {
        try await backing.with { store in
            let (login, browser) = try await store.begin(issuer: "https://idp", returnTo: "/x", browserToken: nil, now: start)
            let taken = try await store.finish(state: login.state, browserToken: browser, now: start)
            #expect(taken.nonce == login.nonce && taken.returnTo == "/x" && taken.codeVerifier == login.codeVerifier)
            await #expect(throws: OIDCError.reusedState) { try await store.finish(state: login.state, browserToken: browser, now: start) }
            await #expect(throws: OIDCError.unknownState) {
                try await store.finish(state: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", browserToken: browser, now: start)
            }
            await #expect(throws: OIDCError.unknownState) { try await store.finish(state: nil, browserToken: browser, now: start) }
            await #expect(throws: OIDCError.unknownState) { try await store.finish(state: "x<script>", browserToken: browser, now: start) }
        }
    }

    @Test("A state expires after the login lifetime", arguments: LoginBacking.available)
    func expiry(_ backing: LoginBacking) async throws {
        try await backing.with(lifetime: 600) { store in
            let (login, browser) = try await store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
            await #expect(throws: OIDCError.expiredState) {
                try await store.finish(state: login.state, browserToken: browser, now: start.addingTimeInterval(601))
            }
        }
    }

    @Test("A state used from another browser is refused, and consumed", arguments: LoginBacking.available)
    func browserBinding(_ backing: LoginBacking) async throws {
        try await backing.with { store in
            let (login, browser) = try await store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
            let (_, otherBrowser) = try await store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
            await #expect(throws: OIDCError.browserMismatch) {
                try await store.finish(state: login.state, browserToken: otherBrowser, now: start)
            }
            await #expect(throws: OIDCError.reusedState) { try await store.finish(state: login.state, browserToken: browser, now: start) }
        }
    }

    @Test("Two tabs of one browser keep one binding token, and both logins complete", arguments: LoginBacking.available)
    func twoTabs(_ backing: LoginBacking) async throws {
        try await backing.with { store in
            let (first, browser) = try await store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
            let (second, sameBrowser) = try await store.begin(issuer: "https://idp", returnTo: nil, browserToken: browser, now: start)
            #expect(browser == sameBrowser)
            _ = try await store.finish(state: second.state, browserToken: browser, now: start)
            _ = try await store.finish(state: first.state, browserToken: browser, now: start)
        }
    }

    @Test("The number of waiting logins is bounded; the oldest go first", arguments: LoginBacking.available)
    func capacity(_ backing: LoginBacking) async throws {
        try await backing.with(capacity: 3) { store in
            var logins: [(PendingLogin, String)] = []
            for offset in 0..<5 {
                logins.append(
                    try await store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start.addingTimeInterval(Double(offset)))
                )
            }
            await #expect(throws: OIDCError.unknownState) {
                try await store.finish(state: logins[0].0.state, browserToken: logins[0].1, now: start)
            }
            await #expect(throws: OIDCError.unknownState) {
                try await store.finish(state: logins[1].0.state, browserToken: logins[1].1, now: start)
            }
            for index in 2..<5 {
                _ = try await store.finish(state: logins[index].0.state, browserToken: logins[index].1, now: start.addingTimeInterval(5))
            }
        }
    }

    @Test("Many callbacks racing for one state: exactly one takes it", arguments: LoginBacking.available)
    func racingCallbacks(_ backing: LoginBacking) async throws {
        try await backing.with { store in
            let (login, browser) = try await store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
            let start = self.start
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await store.finish(state: login.state, browserToken: browser, now: start)
                            return true
                        } catch OIDCError.reusedState {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
        }
    }
}
