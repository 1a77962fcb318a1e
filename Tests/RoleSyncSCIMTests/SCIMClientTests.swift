import Foundation
import Logging
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncMapping
import RoleSyncSCIM
import Synchronization
import Testing

/// A scripted directory: answers by path, and records what it was asked.
final class ScriptedDirectory: HTTPTransport, Sendable {
    let answers: Mutex<[(path: String, startIndex: Int?, status: Int, headers: [String: String], body: String)]>
    let asked = Mutex<[HTTPTransportRequest]>([])

    init(_ answers: [(path: String, startIndex: Int?, status: Int, headers: [String: String], body: String)]) {
        self.answers = Mutex(answers)
    }

    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        asked.withLock { $0.append(request) }
        let items = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let start = items.first { $0.name == "startIndex" }?.value.flatMap(Int.init)
        let answer = answers.withLock { answers -> (Int, [String: String], String)? in
            guard let index = answers.firstIndex(where: { request.url.path.hasSuffix($0.path) && ($0.startIndex == nil || $0.startIndex == start) })
            else { return nil }
            let answer = answers.remove(at: index)
            return (answer.status, answer.headers, answer.body)
        }
        guard let (status, headers, body) = answer else {
            return HTTPTransportResponse(status: 404, body: Data("{\"detail\":\"no such path\"}".utf8))
        }
        return HTTPTransportResponse(status: status, headers: headers, body: Data(body.utf8))
    }

    static func page(total: Int, _ ids: [String]) -> String {
        let resources = ids.map { "{\"id\":\"\($0)\",\"userName\":\"\($0)@example.com\"}" }.joined(separator: ",")
        return "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\"totalResults\":\(total),\"Resources\":[\(resources)]}"
    }
}

/// The waits a client asked for.
final class Waits: Sendable {
    let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

@Suite("SCIM client")
struct SCIMClientTests {
    let waits = Waits()

    func client(_ directory: ScriptedDirectory, pageSize: Int = 2) -> SCIMClient {
        let waits = self.waits
        return SCIMClient(
            baseURL: URL(string: "https://idp.example.com/scim/v2")!,
            token: "s3cret",
            transport: directory,
            pageSize: pageSize,
            attempts: 3,
            logger: Logger(label: "test"),
            sleep: { duration in waits.append(duration) }
        )
    }

    @Test("A listing is read page by page with the bearer token")
    func paging() async throws {
        let directory = ScriptedDirectory([
            ("ServiceProviderConfig", nil, 404, [:], "{}"),
            ("Users", 1, 200, [:], ScriptedDirectory.page(total: 5, ["a", "b"])),
            ("Users", 3, 200, [:], ScriptedDirectory.page(total: 5, ["c", "d"])),
            ("Users", 5, 200, [:], ScriptedDirectory.page(total: 5, ["e"])),
        ])
        let users = try await client(directory).list("Users")
        #expect(users.compactMap { $0["id"]?.stringValue } == ["a", "b", "c", "d", "e"])
        let asked = directory.asked.withLock { $0 }
        #expect(asked.allSatisfy { $0.header("Authorization") == "Bearer s3cret" })
        #expect(asked.last?.url.query == "startIndex=5&count=2")
    }

    @Test("A search sends its filter, quoted and with '+' escaped, and skips ServiceProviderConfig")
    func search() async throws {
        let directory = ScriptedDirectory([
            ("Users", 1, 200, [:], ScriptedDirectory.page(total: 3, ["a", "b"])),
            ("Users", 3, 200, [:], ScriptedDirectory.page(total: 3, ["c"])),
        ])
        let filter = SCIMClient.equalityFilter("userName", #"a+b"c@example.com"#)
        #expect(filter == #"userName eq "a+b\"c@example.com""#)
        let users = try await client(directory).search("Users", filter: filter)
        #expect(users.compactMap { $0["id"]?.stringValue } == ["a", "b", "c"])
        let asked = directory.asked.withLock { $0 }
        #expect(asked.map(\.url.path) == ["/scim/v2/Users", "/scim/v2/Users"])
        #expect(asked.first?.url.query == "filter=userName%20eq%20%22a%2Bb%5C%22c@example.com%22&startIndex=1&count=2")
        let decoded = URLComponents(url: try #require(asked.first?.url), resolvingAgainstBaseURL: false)?.queryItems?.first?.value
        #expect(decoded == filter)
    }

    @Test("The directory's maxResults lowers the page size")
    func maxResults() async throws {
        let directory = ScriptedDirectory([
            ("ServiceProviderConfig", nil, 200, [:], "{\"filter\":{\"supported\":true,\"maxResults\":1}}"),
            ("Users", 1, 200, [:], ScriptedDirectory.page(total: 2, ["a"])),
            ("Users", 2, 200, [:], ScriptedDirectory.page(total: 2, ["b"])),
        ])
        #expect(try await client(directory, pageSize: 100).list("Users").count == 2)
        #expect(directory.asked.withLock { $0 }.last?.url.query == "startIndex=2&count=1")
    }

    @Test("A listing whose totalResults shrinks mid-run is refused, not half-read")
    func shrinking() async throws {
        let directory = ScriptedDirectory([
            ("ServiceProviderConfig", nil, 404, [:], "{}"),
            ("Users", 1, 200, [:], ScriptedDirectory.page(total: 4, ["a", "b"])),
            ("Users", 3, 200, [:], ScriptedDirectory.page(total: 3, ["c"])),
        ])
        await #expect(throws: SCIMError.inconsistent("Users: totalResults went from 4 to 3 between pages")) {
            try await client(directory).list("Users")
        }
    }

    @Test("A short listing (an empty page before the total) is refused")
    func short() async throws {
        let directory = ScriptedDirectory([
            ("ServiceProviderConfig", nil, 404, [:], "{}"),
            ("Users", 1, 200, [:], ScriptedDirectory.page(total: 3, ["a", "b"])),
            ("Users", 3, 200, [:], ScriptedDirectory.page(total: 3, [])),
        ])
        await #expect(throws: SCIMError.self) { try await client(directory).list("Users") }
    }

    @Test("429 and 5xx are retried, honouring Retry-After; a page failing every try fails the listing")
    func retries() async throws {
        let recovering = ScriptedDirectory([
            ("ServiceProviderConfig", nil, 404, [:], "{}"),
            ("Users", 1, 429, ["Retry-After": "7"], "{\"detail\":\"slow down\"}"),
            ("Users", 1, 503, [:], "{}"),
            ("Users", 1, 200, [:], ScriptedDirectory.page(total: 1, ["a"])),
        ])
        #expect(try await client(recovering).list("Users").count == 1)
        #expect(waits.all == [.seconds(7), .seconds(1)])

        let failing = ScriptedDirectory([
            ("ServiceProviderConfig", nil, 404, [:], "{}"),
            ("Users", 1, 200, [:], ScriptedDirectory.page(total: 3, ["a", "b"])),
            ("Users", 3, 500, [:], "{\"detail\":\"boom\"}"),
            ("Users", 3, 500, [:], "{\"detail\":\"boom\"}"),
            ("Users", 3, 500, [:], "{\"detail\":\"boom\"}"),
        ])
        await #expect(throws: SCIMError.status(500, path: "Users", detail: "boom")) {
            try await client(failing).list("Users")
        }
    }

    @Test("A 4xx other than 429 is not retried")
    func noRetryOnClientError() async throws {
        let directory = ScriptedDirectory([
            ("ServiceProviderConfig", nil, 404, [:], "{}"),
            ("Users", 1, 401, [:], "{\"scimType\":\"invalidToken\",\"detail\":\"bad token\"}"),
        ])
        await #expect(throws: SCIMError.status(401, path: "Users", detail: "invalidToken: bad token")) {
            try await client(directory).list("Users")
        }
        #expect(directory.asked.withLock { $0 }.count == 2)
    }

    @Test("The snapshot joins users with their groups' display names")
    func snapshot() throws {
        let users: [[String: ClaimValue]] = [
            [
                "id": "u1", "userName": "ada", "externalId": "00u1", "displayName": "Ada Lovelace",
                "emails": .array([.object(["value": "a@work.example", "primary": true]), .object(["value": "a@home.example"])]),
            ],
            ["id": "u2", "userName": "bo", "active": false, "name": .object(["givenName": "Bo", "familyName": "Li"])],
        ]
        let groups: [[String: ClaimValue]] = [
            ["id": "g1", "displayName": "engineers", "members": .array([.object(["value": "u1"]), .object(["value": "u2"])])],
            ["id": "g2", "displayName": "admins", "members": .array([.object(["value": "u1"])])],
        ]
        let snapshot = try DirectorySnapshot.build(users: users, groups: groups)
        #expect(snapshot.users[0].groups == ["admins", "engineers"])
        #expect(snapshot.users[0].email == "a@work.example")
        #expect(snapshot.users[0].isActive)
        #expect(snapshot.users[1].name == "Bo Li")
        #expect(!snapshot.users[1].isActive)
        #expect(snapshot.groupCount == 2)
    }
}
