import Foundation
import RoleSyncOIDC
import Testing

/// Pending logins: one-time, expiring, bound to the browser that started them.
@Suite("Pending logins")
struct LoginStateStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("A state is taken once; a replay is told apart from a forgery")
    func oneTime() throws {
        let store = LoginStateStore()
        let (login, browser) = store.begin(issuer: "https://idp", returnTo: "/x", browserToken: nil, now: start)
        let taken = try store.finish(state: login.state, browserToken: browser, now: start)
        #expect(taken.nonce == login.nonce && taken.returnTo == "/x")
        #expect(throws: OIDCError.reusedState) { try store.finish(state: login.state, browserToken: browser, now: start) }
        #expect(throws: OIDCError.unknownState) {
            try store.finish(state: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", browserToken: browser, now: start)
        }
        #expect(throws: OIDCError.unknownState) { try store.finish(state: nil, browserToken: browser, now: start) }
        #expect(throws: OIDCError.unknownState) { try store.finish(state: "x<script>", browserToken: browser, now: start) }
    }

    @Test("A state expires after the login lifetime")
    func expiry() throws {
        let store = LoginStateStore(lifetime: 600)
        let (login, browser) = store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
        #expect(throws: OIDCError.expiredState) {
            try store.finish(state: login.state, browserToken: browser, now: start.addingTimeInterval(601))
        }
    }

    @Test("A state used from another browser is refused, and consumed")
    func browserBinding() throws {
        let store = LoginStateStore()
        let (login, browser) = store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
        let (_, otherBrowser) = store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
        #expect(throws: OIDCError.browserMismatch) {
            try store.finish(state: login.state, browserToken: otherBrowser, now: start)
        }
        #expect(throws: OIDCError.reusedState) { try store.finish(state: login.state, browserToken: browser, now: start) }
    }

    @Test("Two tabs of one browser keep one binding token, and both logins complete")
    func twoTabs() throws {
        let store = LoginStateStore()
        let (first, browser) = store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start)
        let (second, sameBrowser) = store.begin(issuer: "https://idp", returnTo: nil, browserToken: browser, now: start)
        #expect(browser == sameBrowser)
        _ = try store.finish(state: second.state, browserToken: browser, now: start)
        _ = try store.finish(state: first.state, browserToken: browser, now: start)
    }

    @Test("The number of waiting logins is bounded; the oldest go first")
    func capacity() throws {
        let store = LoginStateStore(capacity: 3)
        var logins: [(PendingLogin, String)] = []
        for offset in 0..<5 {
            logins.append(store.begin(issuer: "https://idp", returnTo: nil, browserToken: nil, now: start.addingTimeInterval(Double(offset))))
        }
        #expect(store.count == 3)
        #expect(throws: OIDCError.unknownState) { try store.finish(state: logins[0].0.state, browserToken: logins[0].1, now: start) }
        _ = try store.finish(state: logins[4].0.state, browserToken: logins[4].1, now: start.addingTimeInterval(5))
    }
}
