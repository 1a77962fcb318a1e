import Foundation
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncTestSupport
import Synchronization
import Testing

/// The scripted provider, plus Microsoft Graph: requests to `graph.microsoft.com` get the scripted
/// answer; every request, to any host, is recorded.
final class GraphScenario: HTTPTransport {
    let provider: ScenarioProvider
    let graphAnswer: Mutex<(status: Int, body: String)>
    let sent = Mutex<[HTTPTransportRequest]>([])

    init(_ provider: ScenarioProvider, answer: (status: Int, body: String)) {
        self.provider = provider
        self.graphAnswer = Mutex(answer)
    }

    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        sent.withLock { $0.append(request) }
        guard request.url.host == "graph.microsoft.com" else { return try await provider.send(request) }
        let (status, body) = graphAnswer.withLock { $0 }
        return HTTPTransportResponse(status: status, headers: ["content-type": "application/json"], body: Data(body.utf8))
    }

    /// The hosts asked, other than the provider's own.
    var otherHosts: [String] {
        sent.withLock { $0.compactMap(\.url.host).filter { $0 != "idp.example.com" } }
    }
}

/// Following `_claim_sources` to Microsoft Graph: opt-in, allowed hosts only, never failing a sign-in.
extension OpenIDProviderTests {
    static let graphEndpoint = "https://graph.microsoft.com/v1.0/users/6f1c/getMemberObjects"

    /// An ID token whose `groups` is distributed to `endpoint` (Entra ID's overage).
    func overageToken(nonce: String, endpoint: String = graphEndpoint) -> String {
        idToken(
            nonce: nonce,
            extra: [
                "_claim_names": #"{"groups":"src1"}"#,
                "_claim_sources": #"{"src1":{"endpoint":\#(ClaimValue.string(endpoint).jsonText)}}"#,
            ]
        )
    }

    func redeemOverage(
        hosts: Set<String>,
        endpoint: String = graphEndpoint,
        graph: (status: Int, body: String) = (200, #"{"@odata.context":"x","value":["g-1","g-2"]}"#)
    ) async throws -> (VerifiedIdentity, GraphScenario) {
        let transport = GraphScenario(scenario, answer: graph)
        let provider = provider(claimSourceHosts: hosts, transport: transport)
        let login = try await login()
        scenario.issue(code: "c1", idToken: overageToken(nonce: login.nonce, endpoint: endpoint), accessToken: "at-graph")
        return (try await provider.redeem(code: "c1", login: login), transport)
    }

    @Test("Opted in, an overage user's groups come from Graph's getMemberObjects, with the access token")
    func graphGroups() async throws {
        let (identity, transport) = try await redeemOverage(hosts: ["graph.microsoft.com"])
        #expect(identity.claims.values["groups"] == .array(["g-1", "g-2"]))
        #expect(identity.claims.unknownNames.isEmpty)
        #expect(identity.claims.sources["groups"]?.via == .claimSourceEndpoint(host: "graph.microsoft.com"))
        #expect(identity.claims.sources["groups"]?.asOf == clock.now && identity.claims.sources["groups"]?.ageSeconds == 0)
        let call = try #require(transport.sent.withLock { $0 }.first { $0.url.host == "graph.microsoft.com" })
        #expect(call.method == .post && call.url.absoluteString == Self.graphEndpoint)
        #expect(call.header("Authorization") == "Bearer at-graph" && call.header("Content-Type") == "application/json")
        #expect(try ClaimValue(json: try #require(call.body)) == .object(["securityEnabledOnly": .bool(false)]))
    }

    @Test("Not opted in, the token's source is never called and the claim stays unknown")
    func notOptedIn() async throws {
        let (identity, transport) = try await redeemOverage(hosts: [])
        #expect(identity.claims.unknownNames == ["groups"] && identity.claims.sources.isEmpty)
        #expect(transport.otherHosts.isEmpty)
    }

    @Test(
        "A hostile or unknown endpoint is refused before any request; the claim stays unknown",
        arguments: [
            "https://evil.example.com/v1.0/users/6f1c/getMemberObjects",
            "http://graph.microsoft.com/v1.0/users/6f1c/getMemberObjects",
            "https://graph.microsoft.com.evil.example.com/v1.0/users/6f1c/getMemberObjects",
            "https://graph.microsoft.com@evil.example.com/v1.0/users/6f1c/getMemberObjects",
            "https://evil.example.com#@graph.microsoft.com/v1.0/users/6f1c/getMemberObjects",
            "https://user:pass@graph.microsoft.com/v1.0/users/6f1c/getMemberObjects",
            "https://graph.microsoft.com:8443/v1.0/users/6f1c/getMemberObjects",
            "https://graph.microsoft.com./v1.0/users/6f1c/getMemberObjects",
            "https://graph%2Emicrosoft%2Ecom/v1.0/users/6f1c/getMemberObjects",
            "https://graph.windows.net/tenant/users/6f1c/getMemberObjects",
            "https://graph.microsoft.com/v1.0/users/6f1c/getMemberObjects?redirect=https://evil.example.com",
            "https://graph.microsoft.com/v1.0/users/6f1c/transitiveMemberOf",
            "https://graph.microsoft.com/v1.0/users/6f1c/%2E%2E/getMemberObjects",
            "javascript:alert(1)//graph.microsoft.com/getMemberObjects",
        ]
    )
    func hostileEndpoint(endpoint: String) async throws {
        let (identity, transport) = try await redeemOverage(hosts: ["graph.microsoft.com"], endpoint: endpoint)
        #expect(identity.claims.unknownNames == ["groups"] && identity.claims.sources.isEmpty)
        #expect(transport.otherHosts.isEmpty, "the access token went to \(transport.otherHosts)")
        #expect(throws: ClaimSourceFetcher.Failure.self) { try ClaimSourceFetcher.endpoint(endpoint, hosts: ["graph.microsoft.com"]) }
    }

    @Test("The allow-list decides: a configured host is followed, graph.microsoft.com then is not")
    func allowList() async throws {
        #expect(throws: ClaimSourceFetcher.Failure.hostNotAllowed) {
            try ClaimSourceFetcher.endpoint(Self.graphEndpoint, hosts: ["graph.example.test"])
        }
        let url = try ClaimSourceFetcher.endpoint("https://Graph.Example.Test/v1.0/users/x/getMemberObjects", hosts: ["graph.example.test"])
        #expect(url.absoluteString == "https://graph.example.test/v1.0/users/x/getMemberObjects")
        let (identity, transport) = try await redeemOverage(hosts: ["graph.example.test"])
        #expect(identity.claims.unknownNames == ["groups"] && transport.otherHosts.isEmpty)
    }

    @Test(
        "Graph refusing, failing or answering nonsense leaves the claim unknown; the sign-in goes on",
        arguments: [
            (403, #"{"error":{"code":"Authorization_RequestDenied"}}"#),
            (503, "{}"),
            (200, #"{"value":"g-1"}"#),
            (200, #"{"value":[1,2]}"#),
            (200, "not json"),
        ]
    )
    func graphFails(status: Int, body: String) async throws {
        let (identity, transport) = try await redeemOverage(hosts: ["graph.microsoft.com"], graph: (status, body))
        #expect(identity.subject == "00u1")
        #expect(identity.claims.unknownNames == ["groups"] && identity.claims.sources.isEmpty)
        #expect(transport.otherHosts == ["graph.microsoft.com"])
    }
}
