package import Foundation
package import RoleSyncHTTPClient
package import RoleSyncJSON
package import Synchronization
package import _CryptoExtras

/// An Entra ID tenant in memory, answering Microsoft Graph and the tenant's token endpoint as
/// Microsoft documents them: `POST /{tenant}/oauth2/v2.0/token` (client credentials),
/// `GET /v1.0/users`, `/v1.0/groups` and `/v1.0/groups/{id}/transitiveMembers`, `{"value": [...]}`
/// pages of at most `$top` (999) with an absolute `@odata.nextLink`, `$select` honoured, nested
/// groups expanded (cycles included), members typed by `@odata.type`, and Graph's error bodies;
/// delta queries (`/v1.0/users/delta`, `/v1.0/groups/delta` with `members@delta`,
/// `$deltatoken=latest`, minimal answers), `/v1.0/users/{id}` and its `transitiveMemberOf`, over a
/// log of the changes made through ``change(_:)``.
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
        /// Every change made through ``FakeGraph/change(_:)``; a delta token is a position in it.
        package var log: [Change] = []
        /// Delta tokens below this position are forgotten: 410 `syncStateNotFound`.
        package var forgottenBefore = 0
        /// The certificate registered on the app (its DER and public key): client assertions it
        /// signs are accepted instead of the secret.
        package var certificate: (der: Data, publicKey: _RSA.Signing.PublicKey)?
        /// The client assertions accepted, decoded (header, claims).
        package var assertions: [(header: [String: ClaimValue], claims: [String: ClaimValue])] = []
    }

    /// One change as the delta queries report it.
    package enum Change: Sendable, Equatable {
        /// A user's properties changed (or the user was created).
        case user(String)
        /// A user was deleted.
        case userRemoved(String)
        /// A member joined (`removed: false`) or left a group.
        case member(group: String, member: String, removed: Bool)
        /// A group was created or renamed.
        case group(String)
        /// A group was deleted.
        case groupRemoved(String)
    }

    /// Changes the tenant and logs what the delta queries report: `body` edits the state, and
    /// returns the changes it made.
    package func change(_ body: (inout State) -> [Change]) {
        state.withLock { state in
            let changes = body(&state)
            state.log.append(contentsOf: changes)
        }
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
        var deltaPosition: Int?
        if path == "/v1.0/users/delta" || path == "/v1.0/groups/delta" {
            let token = items.first { $0.name == "$deltatoken" }?.value
            guard let token else { return Self.error(400, "Request_BadRequest", "This fake serves delta queries from a $deltatoken only.") }
            if token == "latest" {
                listed = []
                deltaPosition = state.log.count
            } else {
                guard let position = Int(token), position >= state.forgottenBefore, position <= state.log.count else {
                    return Self.error(410, "syncStateNotFound", "The specified sync state is invalid or expired. Restart the sync.")
                }
                let changes = state.log[position...]
                listed = path == "/v1.0/users/delta" ? Self.userDelta(changes) : Self.groupDelta(changes, state)
                deltaPosition = state.log.count
            }
        } else if path.hasPrefix("/v1.0/users/"), path.hasSuffix("/transitiveMemberOf") {
            let id = String(path.dropFirst("/v1.0/users/".count).dropLast("/transitiveMemberOf".count))
            guard state.users.contains(where: { $0.id == id }) else {
                return Self.error(
                    404,
                    "Request_ResourceNotFound",
                    "Resource '\(id)' does not exist or one of its queried reference-property objects are not present."
                )
            }
            listed = state.groups.filter { Self.transitive($0.id, state).contains(id) }.sorted { $0.id < $1.id }.map {
                .object(["@odata.type": .string("#microsoft.graph.group"), "id": .string($0.id), "displayName": .string($0.displayName)])
            }
            // Entra lists directory roles among them too.
            listed.append(.object(["@odata.type": .string("#microsoft.graph.directoryRole"), "id": .string("role-\(id)")]))
        } else if path.hasPrefix("/v1.0/users/") {
            let id = String(path.dropFirst("/v1.0/users/".count))
            guard let user = state.users.first(where: { $0.id == id }) else {
                return Self.error(
                    404,
                    "Request_ResourceNotFound",
                    "Resource '\(id)' does not exist or one of its queried reference-property objects are not present."
                )
            }
            return HTTPTransportResponse(
                status: 200,
                headers: ["Content-Type": "application/json"],
                body: Data(Self.json(user, select: select).jsonText.utf8)
            )
        } else if path == "/v1.0/users" {
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
        } else if let deltaPosition {
            var end = URLComponents(string: root + path)!
            end.queryItems = [URLQueryItem(name: "$deltatoken", value: String(deltaPosition))]
            body["@odata.deltaLink"] = .string(end.string!)
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
        if let assertion = form["client_assertion"] {
            return tokenForAssertion(assertion, type: form["client_assertion_type"], url: request.url, &state)
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

    /// `/users/delta`'s items for these changes: each user once, minimal (`id` alone), or
    /// `@removed`.
    static func userDelta(_ changes: ArraySlice<Change>) -> [ClaimValue] {
        var order: [String] = []
        var removed: [String: Bool] = [:]
        for change in changes {
            switch change {
            case .user(let id):
                if removed[id] == nil { order.append(id) }
                removed[id] = false
            case .userRemoved(let id):
                if removed[id] == nil { order.append(id) }
                removed[id] = true
            default: continue
            }
        }
        return order.map { id in
            removed[id] == true
                ? .object(["id": .string(id), "@removed": .object(["reason": .string("deleted")])])
                : .object(["id": .string(id)])
        }
    }

    /// `/groups/delta`'s items for these changes: per group, `displayName` when it was created or
    /// renamed, `members@delta` for its member changes, or `@removed`.
    static func groupDelta(_ changes: ArraySlice<Change>, _ state: State) -> [ClaimValue] {
        var order: [String] = []
        var items: [String: [String: ClaimValue]] = [:]
        func item(_ id: String) -> [String: ClaimValue] {
            if items[id] == nil { order.append(id) }
            return items[id] ?? ["id": .string(id)]
        }
        for change in changes {
            switch change {
            case .group(let id):
                var group = item(id)
                group["displayName"] = .string(state.groups.first { $0.id == id }?.displayName ?? id)
                items[id] = group
            case .groupRemoved(let id):
                items[id] = ["id": .string(id), "@removed": .object(["reason": .string("deleted")])]
                if !order.contains(id) { order.append(id) }
            case .member(let groupID, let member, let removed):
                var group = item(groupID)
                var members: [ClaimValue] = []
                if case .array(let written)? = group["members@delta"] { members = written }
                let type = state.groups.contains { $0.id == member } ? "#microsoft.graph.group" : "#microsoft.graph.user"
                var entry: [String: ClaimValue] = ["@odata.type": .string(type), "id": .string(member)]
                if removed { entry["@removed"] = .object(["reason": .string("deleted")]) }
                members.append(.object(entry))
                group["members@delta"] = .array(members)
                items[groupID] = group
            default: continue
            }
        }
        return order.compactMap { items[$0].map(ClaimValue.object) }
    }

    /// The certificate credential's check, as Entra ID makes it: the assertion's type, its PS256
    /// signature by the registered certificate's key, its `x5t#S256`, `aud` (this token endpoint),
    /// `iss` = `sub` = the client id, and its lifetime.
    func tokenForAssertion(_ assertion: String, type: String?, url: URL, _ state: inout State) -> HTTPTransportResponse {
        guard type == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
            return Self.tokenError(400, "invalid_request", "AADSTS50027: Invalid client_assertion_type.")
        }
        guard let certificate = state.certificate, let jws = FakeJWS(assertion) else {
            return Self.tokenError(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation.")
        }
        guard jws.header["x5t#S256"]?.stringValue == SignedAssertion.thumbprintSHA256(certificate.der) else {
            return Self.tokenError(
                401,
                "invalid_client",
                "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."
            )
        }
        guard jws.isSigned(by: certificate.publicKey, algorithm: "PS256") else {
            return Self.tokenError(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation.")
        }
        let claims = jws.claims
        let time = Date().timeIntervalSince1970
        guard claims["aud"]?.stringValue == url.absoluteString, claims["iss"]?.stringValue == clientID, claims["sub"]?.stringValue == clientID,
            claims["jti"]?.stringValue?.isEmpty == false, case .number(let expires)? = claims["exp"], expires > time,
            case .number(let notBefore)? = claims["nbf"], notBefore <= time + 60
        else {
            return Self.tokenError(
                401,
                "invalid_client",
                "AADSTS700024: Client assertion is not within its valid time range, or names another audience."
            )
        }
        state.assertions.append((jws.header, claims))
        state.tokensIssued += 1
        let body: ClaimValue = .object([
            "token_type": .string("Bearer"), "expires_in": .number(3599), "access_token": .string("token-\(state.tokensIssued)"),
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
