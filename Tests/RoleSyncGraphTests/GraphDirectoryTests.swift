import Foundation
import Logging
import RoleSyncGraph
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncSCIM
import RoleSyncTestSupport
import Synchronization
import Testing

/// The waits a client asked for.
final class Waits: Sendable {
    let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

@Suite("Microsoft Graph directory")
struct GraphDirectoryTests {
    let waits = Waits()

    func tenant() -> FakeGraph {
        let graph = FakeGraph()
        graph.with { state in
            state.users = [
                .init(id: "u-ada", userPrincipalName: "ada@contoso.example", department: "Research"),
                .init(id: "u-bob", userPrincipalName: "bob@contoso.example", accountEnabled: false),
                .init(id: "u-cy", userPrincipalName: "cy@contoso.example"),
                .init(id: "u-dee", userPrincipalName: "dee@contoso.example"),
            ]
            state.groups = [
                // Admins holds Platform, which holds ada: ada is in both. Ops and Platform nest in a circle.
                .init(id: "g-admins", displayName: "Admins", members: ["g-platform"]),
                .init(id: "g-platform", displayName: "Platform", members: ["u-ada", "g-ops"]),
                .init(id: "g-ops", displayName: "Ops", members: ["u-cy", "g-platform"]),
                .init(id: "g-all", displayName: "All Staff", members: ["u-ada", "u-bob", "u-cy", "u-dee", "u-gone"]),
            ]
        }
        return graph
    }

    func directory(_ graph: FakeGraph, pageSize: Int = 2, secret: String = "graph-client-secret") -> GraphDirectory {
        let waits = self.waits
        return GraphDirectory(
            root: URL(string: "https://graph.microsoft.com")!,
            tokenURL: URL(string: "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token")!,
            clientID: "rolesync-app",
            clientSecret: secret,
            transport: graph,
            pageSize: pageSize,
            attempts: 3,
            logger: Logger(label: "test"),
            sleep: { waits.append($0) }
        )
    }

    @Test("Every user and group, paged by @odata.nextLink; nested groups count, in a circle too; disabled is inactive")
    func fullListing() async throws {
        let graph = tenant()
        let directory = directory(graph)
        let snapshot = try await directory.snapshot(keeping: ["department"])
        let users = Dictionary(uniqueKeysWithValues: snapshot.users.map { ($0.id, $0) })
        #expect(users.keys.sorted() == ["u-ada", "u-bob", "u-cy", "u-dee"] && snapshot.groupCount == 4)
        let ada = try #require(users["u-ada"])
        #expect(ada.groups == ["Admins", "All Staff", "Ops", "Platform"], "Admins through Platform; Ops through its circle with Platform")
        #expect(ada.groupIDs == ["g-admins", "g-all", "g-ops", "g-platform"])
        #expect(ada.userName == "ada@contoso.example" && ada.email == "ada@contoso.example" && ada.name == "Ada")
        #expect(ada.attributes["department"] == .string("Research"))
        #expect(users["u-bob"]?.isActive == false && users["u-cy"]?.isActive == true)
        #expect(users["u-cy"]?.groups == ["Admins", "All Staff", "Ops", "Platform"])
        #expect(users["u-dee"]?.groups == ["All Staff"])
        let requests = graph.with { $0.requests }
        #expect(requests.first == "POST /contoso.example/oauth2/v2.0/token" && graph.with { $0.tokensIssued } == 1, "one token for the run")
        #expect(requests.contains { $0.hasPrefix("GET /v1.0/users?$select=id,displayName,mail,userPrincipalName,accountEnabled,department") })
        #expect(directory.meter.requests == requests.count)
    }

    @Test("$select carries only property names from attribute paths")
    func select() {
        #expect(
            GraphDirectory.select(keeping: ["department", "onPremisesExtensionAttributes.extensionAttribute1", "a,b", "$x", "id"])
                == "id,displayName,mail,userPrincipalName,accountEnabled,department,onPremisesExtensionAttributes"
        )
    }

    @Test("429 waits for Retry-After and the listing completes; the wait is counted as throttled")
    func throttled() async throws {
        let graph = tenant()
        graph.with { $0.throttle = 2 }
        let directory = directory(graph)
        _ = try await directory.snapshot()
        #expect(waits.all == [.seconds(2), .seconds(2)])
        #expect(directory.meter.throttledSeconds == 4)
    }

    @Test("Throttled past every try: the listing fails, naming the request")
    func throttledForGood() async throws {
        let graph = tenant()
        graph.with { $0.throttle = 100 }
        await #expect(throws: GraphError.throttled(path: "/v1.0/users?$select=id,displayName,mail,userPrincipalName,accountEnabled&$top=2", tries: 3))
        {
            _ = try await directory(graph).snapshot()
        }
    }

    @Test("A token that expires mid-run is renewed once, and the listing completes")
    func tokenRenewed() async throws {
        let graph = tenant()
        graph.with { $0.expireTokenAfter = 3 }
        let snapshot = try await directory(graph).snapshot()
        #expect(snapshot.users.count == 4)
        #expect(graph.with { $0.requests.filter { $0.hasPrefix("POST") }.count } == 2)
    }

    @Test("A wrong secret: the token endpoint's AADSTS code, what to check, and never the secret")
    func wrongSecret() async throws {
        let graph = tenant()
        do {
            _ = try await directory(graph, secret: "a-wrong-secret-value").snapshot()
            Issue.record("a wrong secret listed the directory")
        } catch {
            #expect(error.code == "graph_token")
            #expect("\(error)".contains("AADSTS7000215: Invalid client secret provided") && "\(error)".contains("client_secret_env"))
            #expect(!"\(error)".contains("a-wrong-secret-value") && !"\(error)".contains("Trace ID"))
        }
        #expect(graph.with { $0.graphRequests } == 0)
    }

    @Test("A next link to another host is refused before anything is sent there")
    func foreignLink() async throws {
        let graph = tenant()
        graph.with { $0.nextOrigin = "https://graph.microsoft.com.evil.test" }
        await #expect(
            throws: GraphError.foreignLink(
                path: "/v1.0/users?$select=id,displayName,mail,userPrincipalName,accountEnabled&$top=2",
                target: "https://graph.microsoft.com.evil.test"
            )
        ) {
            _ = try await directory(graph).snapshot()
        }
    }

    @Test("A group's members failing fails the listing, naming the page")
    func membersFail() async throws {
        let graph = tenant()
        graph.with { $0.failing = ("g-ops/transitiveMembers", 500) }
        do {
            _ = try await directory(graph).snapshot()
            Issue.record("a failed page was listed")
        } catch {
            #expect(error.code == "graph_status" && "\(error)".contains("/v1.0/groups/g-ops/transitiveMembers"), "\(error)")
            #expect("\(error)".contains("generalException"))
        }
    }

    @Test("Missing permissions: 403 with the permissions to grant")
    func forbidden() async throws {
        let graph = tenant()
        graph.with { $0.failing = ("/v1.0/groups", 403) }
        do {
            _ = try await directory(graph).snapshot()
            Issue.record("a refused listing was listed")
        } catch {
            #expect("\(error)".contains("User.Read.All and GroupMember.Read.All"), "\(error)")
        }
    }

    @Test(
        "Answers that are not Graph's pages are refused",
        arguments: [#"{"value": 1}"#, #"[1]"#, #"{"value": [1]}"#, #"{"value": [], "@odata.nextLink": "/relative"}"#, "not json"]
    )
    func malformed(body: String) async throws {
        let transport = GraphAnswering { request in
            if request.method == .post {
                return HTTPTransportResponse(status: 200, body: Data(#"{"access_token":"t","expires_in":3600}"#.utf8))
            }
            return HTTPTransportResponse(status: 200, body: Data(body.utf8))
        }
        let directory = GraphDirectory(
            root: URL(string: "https://graph.microsoft.com")!,
            tokenURL: URL(string: "https://login.microsoftonline.com/t/oauth2/v2.0/token")!,
            clientID: "c",
            clientSecret: "s",
            transport: transport,
            logger: Logger(label: "test")
        )
        await #expect(throws: GraphError.self) { _ = try await directory.snapshot() }
    }
}

/// A transport that answers every request with one function.
struct GraphAnswering: HTTPTransport {
    let answer: @Sendable (HTTPTransportRequest) -> HTTPTransportResponse
    init(_ answer: @escaping @Sendable (HTTPTransportRequest) -> HTTPTransportResponse) { self.answer = answer }
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse { answer(request) }
}
