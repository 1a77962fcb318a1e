package import Foundation
package import RoleSyncHTTPClient
import RoleSyncJSON
package import Synchronization

/// An Entra ID tenant in memory, answering Microsoft Graph and the tenant's token endpoint as
/// Microsoft documents them: `POST /{tenant}/oauth2/v2.0/token` (client credentials),
/// `GET /v1.0/users`, `/v1.0/groups` and `/v1.0/groups/{id}/transitiveMembers`, `{"value": [...]}`
/// pages of at most `$top` (999) with an absolute `@odata.nextLink`, `$select` honoured, nested
/// groups expanded (cycles included), members typed by `@odata.type`, and Graph's error bodies.
/// Its scenarios are what no real tenant can be made to do on demand: throttling, a page that
/// fails, a next link to another host, a token that expires mid-run, a wrong secret.
package final class FakeGraph: HTTPTransport, Sendable {
    package struct User: Sendable {
        package var id: String
        package var userPrincipalName: String
        package var displayName: String
        package var accountEnabled: Bool
        package var department: String?

        package init(id: String, userPrincipalName: String, accountEnabled: Bool = true, department: String? = nil) {
            self.id = id
            self.userPrincipalName = userPrincipalName
            self.displayName = userPrincipalName.split(separator: "@").first.map { String($0).capitalized } ?? userPrincipalName
            self.accountEnabled = accountEnabled
            self.department = department
        }
    }

    package struct Group: Sendable {
        package var id: String
        package var displayName: String
        /// Users' and groups' ids.
        package var members: [String]

        package init(id: String, displayName: String, members: [String]) {
            self.id = id
            self.displayName = displayName
            self.members = members
        }
    }

    package struct State: Sendable {
        package var users: [User] = []
        package var groups: [Group] = []
        /// Answer 429 with `Retry-After: retryAfter` to this many Graph requests from now on.
        package var throttle = 0
        package var retryAfter = "2"
        /// Answer this status to every Graph request whose path and query contain the text.
        package var failing: (text: String, status: Int)?
        /// Send `@odata.nextLink` to this origin instead of Graph's.
        package var nextOrigin: String?
        /// Refuse the token issued so far (401 InvalidAuthenticationToken) after this many Graph requests.
        package var expireTokenAfter: Int?
        /// Tokens issued, and every request as `METHOD path?query`.
        package var tokensIssued = 0
        package var requests: [String] = []
        package var graphRequests = 0
    }

    package let state: Mutex<State>
    let root: String
    let clientID: String
    let clientSecret: String

    package init(root: String = "https://graph.microsoft.com", clientID: String = "rolesync-app", clientSecret: String = "graph-client-secret") {
        self.root = root
        self.clientID = clientID
        self.clientSecret = clientSecret
        state = Mutex(State())
    }

    package func with<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    package func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        state.withLock { answer(request, &$0) }
    }

    func answer(_ request: HTTPTransportRequest, _ state: inout State) -> HTTPTransportResponse {
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? ""
        let query = components?.percentEncodedQuery
        state.requests.append("\(request.method.rawValue) \(path)" + (query.map { "?\($0)" } ?? ""))
        if request.method == .post, path.hasSuffix("/oauth2/v2.0/token") { return token(request, &state) }
        state.graphRequests += 1
        guard let authorization = request.header("Authorization"), authorization == "Bearer token-\(state.tokensIssued)",
            state.tokensIssued > 0
        else {
            return Self.error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        }
        if let after = state.expireTokenAfter, state.graphRequests > after {
            state.expireTokenAfter = nil
            state.tokensIssued += 1  // the token presented is no longer the current one
            return Self.error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        }
        if state.throttle > 0 {
            state.throttle -= 1
            return HTTPTransportResponse(
                status: 429,
                headers: ["Retry-After": state.retryAfter, "Content-Type": "application/json"],
                body: Self.errorBody("TooManyRequests", "Too many requests.")
            )
        }
        let line = path + (query.map { "?\($0)" } ?? "")
        if let failing = state.failing, line.removingPercentEncoding?.contains(failing.text) ?? false {
            return Self.error(failing.status, "generalException", "An error occurred.")
        }
        let items = components?.queryItems ?? []
        let top = min(items.first { $0.name == "$top" }?.value.flatMap(Int.init) ?? 100, 999)
        let skip = items.first { $0.name == "$skiptoken" }?.value.flatMap(Int.init) ?? 0
        let select = items.first { $0.name == "$select" }?.value.map { Set($0.split(separator: ",").map(String.init)) }
        var listed: [ClaimValue]
        if path == "/v1.0/users" {
            listed = state.users.sorted { $0.id < $1.id }.map { Self.json($0, select: select) }
        } else if path == "/v1.0/groups" {
            listed = state.groups.sorted { $0.id < $1.id }.map { .object(["id": .string($0.id), "displayName": .string($0.displayName)]) }
        } else if path.hasPrefix("/v1.0/groups/"), path.hasSuffix("/transitiveMembers") {
            let id = String(path.dropFirst("/v1.0/groups/".count).dropLast("/transitiveMembers".count))
            guard state.groups.contains(where: { $0.id == id }) else {
                return Self.error(
                    404,
                    "Request_ResourceNotFound",
                    "Resource '\(id)' does not exist or one of its queried reference-property objects are not present."
                )
            }
            listed = Self.transitive(id, state).map { member in
                let type = state.users.contains { $0.id == member } ? "#microsoft.graph.user" : "#microsoft.graph.group"
                return .object(["@odata.type": .string(type), "id": .string(member)])
            }
        } else {
            return Self.error(400, "Request_BadRequest", "Unsupported resource: \(path)")
        }
        let page = Array(listed.dropFirst(skip).prefix(top))
        var body: [String: ClaimValue] = [
            "@odata.context": .string("\(root)/v1.0/$metadata#directoryObjects"), "value": .array(page),
        ]
        if skip + top < listed.count {
            var next = URLComponents(string: (state.nextOrigin ?? root) + path)!
            next.queryItems = items.filter { $0.name != "$skiptoken" } + [URLQueryItem(name: "$skiptoken", value: String(skip + top))]
            body["@odata.nextLink"] = .string(next.string!)
        }
        return HTTPTransportResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(ClaimValue.object(body).jsonText.utf8))
    }

    func token(_ request: HTTPTransportRequest, _ state: inout State) -> HTTPTransportResponse {
        let form = ScenarioProvider.form(request.body ?? Data())
        guard form["grant_type"] == "client_credentials", form["scope"] == "\(root)/.default" else {
            return Self.tokenError(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
        }
        guard form["client_id"] == clientID else {
            return Self.tokenError(
                400,
                "unauthorized_client",
                "AADSTS700016: Application with identifier '\(form["client_id"] ?? "")' was not found in the directory."
            )
        }
        guard form["client_secret"] == clientSecret else {
            return Self.tokenError(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0000"
            )
        }
        state.tokensIssued += 1
        let body: ClaimValue = .object([
            "token_type": .string("Bearer"), "expires_in": .number(3599), "ext_expires_in": .number(3599),
            "access_token": .string("token-\(state.tokensIssued)"),
        ])
        return HTTPTransportResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(body.jsonText.utf8))
    }

    /// Every user a group holds, through nested groups, each once; groups that nest one another
    /// in a circle end.
    static func transitive(_ id: String, _ state: State) -> [String] {
        var seen: Set<String> = [id]
        var result: [String] = []
        var stack = [id]
        while let current = stack.popLast() {
            guard let group = state.groups.first(where: { $0.id == current }) else { continue }
            for member in group.members where seen.insert(member).inserted {
                result.append(member)
                if state.groups.contains(where: { $0.id == member }) { stack.append(member) }
            }
        }
        return result.sorted()
    }

    static func json(_ user: User, select: Set<String>?) -> ClaimValue {
        var all: [String: ClaimValue] = [
            "id": .string(user.id), "userPrincipalName": .string(user.userPrincipalName), "displayName": .string(user.displayName),
            "mail": .string(user.userPrincipalName), "accountEnabled": .bool(user.accountEnabled),
            "department": user.department.map(ClaimValue.string) ?? .null, "givenName": .null, "surname": .null,
        ]
        if let select { all = all.filter { select.contains($0.key) } }
        return .object(all)
    }

    static func errorBody(_ code: String, _ message: String) -> Data {
        let body: ClaimValue = .object([
            "error": .object([
                "code": .string(code), "message": .string(message),
                "innerError": .object(["date": .string("2026-12-06T10:00:00"), "request-id": .string("00000000-0000-0000-0000-000000000000")]),
            ])
        ])
        return Data(body.jsonText.utf8)
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> HTTPTransportResponse {
        HTTPTransportResponse(status: status, headers: ["Content-Type": "application/json"], body: errorBody(code, message))
    }

    static func tokenError(_ status: Int, _ code: String, _ description: String) -> HTTPTransportResponse {
        let body: ClaimValue = .object([
            "error": .string(code), "error_description": .string(description), "error_codes": .array([.number(7_000_215)]),
        ])
        return HTTPTransportResponse(status: status, headers: ["Content-Type": "application/json"], body: Data(body.jsonText.utf8))
    }
}
