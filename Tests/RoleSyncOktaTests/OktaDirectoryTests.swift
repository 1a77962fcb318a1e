import Foundation
import Logging
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncOkta
import RoleSyncSCIM
import RoleSyncTestSupport
import Synchronization
import Testing

/// A clock the client's waits move forward, so rate-limit resets arrive without sleeping.
final class WaitingClock: Sendable {
    let state = Mutex((now: Date(timeIntervalSince1970: 1_800_000_010), waits: [Duration]()))
    var now: Date { state.withLock { $0.now } }
    var waits: [Duration] { state.withLock { $0.waits } }
    func sleep(_ duration: Duration) {
        state.withLock {
            $0.waits.append(duration)
            $0.now += Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
    }
}

@Suite("Okta directory")
struct OktaDirectoryTests {
    let clock = WaitingClock()

    func org() -> FakeOkta {
        let clock = self.clock
        let okta = FakeOkta(now: { clock.now })
        okta.with { state in
            state.users = [
                .init(id: "00u1", login: "ada@example.com", department: "Research"),
                .init(id: "00u2", login: "bob@example.com", status: "SUSPENDED"),
                .init(id: "00u3", login: "cy@example.com", status: "LOCKED_OUT"),
                .init(id: "00u4", login: "dee@example.com"),
                .init(id: "00u5", login: "eve@example.com", status: "DEPROVISIONED"),
            ]
            state.groups = [
                .init(id: "00g1", name: "Everyone", type: "BUILT_IN", members: ["00u1", "00u2", "00u3", "00u4"]),
                .init(id: "00g2", name: "ml-platform-admins", members: ["00u1"]),
                .init(id: "00g3", name: "engineering", members: ["00u1", "00u3", "00u9"]),
            ]
        }
        return okta
    }

    func directory(_ okta: FakeOkta, pageSize: Int = 2, token: String = "okta-api-token") -> OktaDirectory {
        let clock = self.clock
        return OktaDirectory(
            orgURL: URL(string: "https://example.okta.com")!,
            credential: .apiToken(token),
            transport: okta,
            pageSize: pageSize,
            attempts: 3,
            rateLimitedTries: 4,
            logger: Logger(label: "test"),
            sleep: { clock.sleep($0) },
            now: { clock.now }
        )
    }

    @Test("Every user and group, page by page through Link headers; suspended inactive, deprovisioned not listed")
    func fullListing() async throws {
        let okta = org()
        let directory = directory(okta)
        let snapshot = try await directory.snapshot(keeping: ["profile.department"])
        let users = Dictionary(uniqueKeysWithValues: snapshot.users.map { ($0.id, $0) })
        #expect(users.keys.sorted() == ["00u1", "00u2", "00u3", "00u4"])
        #expect(snapshot.groupCount == 3)
        let ada = try #require(users["00u1"])
        #expect(ada.userName == "ada@example.com" && ada.email == "ada@example.com" && ada.name == "Ada Example")
        #expect(ada.groups == ["Everyone", "engineering", "ml-platform-admins"])
        #expect(ada.groupIDs == ["00g1", "00g2", "00g3"])
        #expect(ada.attributes["profile.department"] == .string("Research"))
        #expect(ada.isActive && users["00u3"]?.isActive == true, "locked out is still employed")
        #expect(users["00u2"]?.isActive == false, "suspended")
        #expect(users["00u4"]?.groups == ["Everyone"])
        let requests = okta.with { $0.requests }
        // Users: 4 listed by 2 (2 pages); groups: 3 by 2 (2); members: 4, 1 and 2 by 2 (2 + 1 + 1).
        #expect(requests.count == 8 && directory.meter.requests == 8)
        #expect(requests.allSatisfy { $0.authorization == "SSWS okta-api-token" })
        #expect(requests.map(\.line).contains("GET /api/v1/users?after=00u2&limit=2"))
        #expect(directory.meter.throttledSeconds == 0)
    }

    @Test("A next link to another host is refused before anything is sent there")
    func foreignLink() async throws {
        let okta = org()
        okta.with { $0.nextOrigin = "https://example.okta.com.evil.test" }
        await #expect(throws: OktaError.foreignLink(path: "/api/v1/users?limit=2", target: "https://example.okta.com.evil.test")) {
            _ = try await directory(okta).snapshot()
        }
        #expect(okta.with { $0.requests }.allSatisfy { $0.host == "example.okta.com" })
        #expect(okta.with { $0.requests.count } == 1)
    }

    @Test("Another port or scheme on the same host is another origin")
    func origins() {
        let org = URL(string: "https://example.okta.com")!
        #expect(RequestURL.sameOrigin(URL(string: "https://EXAMPLE.okta.com:443/api/v1/users")!, org))
        #expect(!RequestURL.sameOrigin(URL(string: "http://example.okta.com/api/v1/users")!, org))
        #expect(!RequestURL.sameOrigin(URL(string: "https://example.okta.com:8443/api/v1/users")!, org))
        #expect(!RequestURL.sameOrigin(URL(string: "https://user@example.okta.com/api/v1/users")!, org))
    }

    @Test("A 429 storm: each 429 waits until X-Rate-Limit-Reset, and the listing completes")
    func rateLimitStorm() async throws {
        let okta = org()
        okta.with { $0.tooManyRequests = 3 }
        let directory = directory(okta)
        let snapshot = try await directory.snapshot()
        #expect(snapshot.users.count == 4)
        // The fake's window resets on the whole minute: the clock starts 50 s before the first
        // reset (51 s with the one-second margin); each later 429 comes in a fresh window, a minute
        // from its reset, one second past it.
        #expect(clock.waits == [.seconds(51), .seconds(60), .seconds(60)])
        #expect(directory.meter.requests == 11)
        #expect(directory.meter.throttledSeconds >= 51)
    }

    @Test("A storm that outlasts every try fails the listing, naming the request")
    func rateLimitedForGood() async throws {
        let okta = org()
        okta.with { $0.tooManyRequests = 100 }
        await #expect(throws: OktaError.rateLimited(path: "/api/v1/users?limit=2", tries: 4)) {
            _ = try await directory(okta).snapshot()
        }
    }

    @Test("Close to the limit, the next request waits for the window to reset instead of drawing a 429")
    func slowsDownBeforeZero() async throws {
        let okta = org()
        okta.with { $0.window.limit = 4 }
        let directory = directory(okta)
        _ = try await directory.snapshot()
        #expect(okta.with { $0.requests.count } == 8, "no 429 was drawn: every request was answered once")
        #expect(!clock.waits.isEmpty && directory.meter.throttledSeconds > 0)
    }

    @Test("A page failing mid-listing fails the whole listing, naming that page")
    func pageFails() async throws {
        let okta = org()
        okta.with { $0.failing = ("after=00u2", 500) }
        await #expect(throws: OktaError.status(500, path: "/api/v1/users?after=00u2&limit=2", detail: "E0000009: Internal Server Error")) {
            _ = try await directory(okta).snapshot()
        }
        #expect(clock.waits.count == 2, "tried three times")
    }

    @Test("A group's members failing fails the listing too")
    func membersFail() async throws {
        let okta = org()
        okta.with { $0.failing = ("/api/v1/groups/00g3/users", 403) }
        await #expect(throws: OktaError.self) { _ = try await directory(okta).snapshot() }
    }

    @Test("A wrong token: 401 at once, with what to check, and never the token")
    func wrongToken() async throws {
        let okta = org()
        do {
            _ = try await directory(okta, token: "a-wrong-token-value").snapshot()
            Issue.record("a wrong token listed the directory")
        } catch {
            #expect(error == .status(401, path: "/api/v1/users?limit=2", detail: "E0000011: Invalid token provided"))
            #expect(error.description.contains("directory.token_env"))
            #expect(!error.description.contains("a-wrong-token-value"))
        }
        #expect(okta.with { $0.requests.count } == 1)
    }

    @Test("A user deleted between two pages: the others are all listed, and the gone user's memberships ignored")
    func deletedBetweenPages() async throws {
        let okta = org()
        okta.with { $0.deleteAfterServing = "00u2" }
        let snapshot = try await directory(okta).snapshot()
        #expect(snapshot.users.map(\.id).sorted() == ["00u1", "00u2", "00u4"])
    }

    @Test("A next page that repeats an earlier one ends the listing as inconsistent")
    func pagingRepeats() async throws {
        let okta = org()
        okta.with { $0.nextRepeats = true }
        await #expect(throws: OktaError.inconsistent("/api/v1/users: the next page repeats /api/v1/users?limit=2")) {
            _ = try await directory(okta).snapshot()
        }
    }

    @Test(
        "Answers that are not Okta's lists are refused",
        arguments: [#"{"errorCode":"E0"}"#, "[1, 2]", "not json", #"[{"status":"ACTIVE"}]"#]
    )
    func malformed(body: String) async throws {
        let transport = Answering { _ in HTTPTransportResponse(status: 200, body: Data(body.utf8)) }
        let directory = OktaDirectory(
            orgURL: URL(string: "https://example.okta.com")!,
            token: "t",
            transport: transport,
            logger: Logger(label: "test")
        )
        await #expect(throws: OktaError.self) { _ = try await directory.snapshot() }
    }

    @Test("Statuses: suspended and deprovisioned are inactive, everything else a current employee")
    func statuses() {
        for status in ["ACTIVE", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "STAGED", "PROVISIONED"] {
            #expect(OktaDirectory.isActive(status), "\(status)")
        }
        #expect(!OktaDirectory.isActive("SUSPENDED") && !OktaDirectory.isActive("DEPROVISIONED"))
    }
}

/// A transport that answers every request with one function.
struct Answering: HTTPTransport {
    let answer: @Sendable (HTTPTransportRequest) -> HTTPTransportResponse
    init(_ answer: @escaping @Sendable (HTTPTransportRequest) -> HTTPTransportResponse) { self.answer = answer }
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse { answer(request) }
}
