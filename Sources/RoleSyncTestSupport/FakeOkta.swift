package import Foundation
package import RoleSyncHTTPClient
import RoleSyncJSON
package import Synchronization
package import _CryptoExtras

/// An Okta org in memory, answering the management API as Okta documents it: `GET /api/v1/users`,
/// `/api/v1/groups`, `/api/v1/groups/{id}/users` and `/api/v1/users/{id}/groups`, the users'
/// `filter=lastUpdated gt "…"` (which lists every status), JSON arrays paged by an `after` cursor (the
/// last id of the page) with `Link: <…>; rel="self"` and `rel="next"`, `Authorization: SSWS`,
/// `X-Rate-Limit-*` headers on every answer, and Okta's error bodies. Its scenarios are what no
/// real org can be made to do on demand: a 429 storm, a page that fails, a `Link` to another host,
/// a user deleted between two pages, a next page that repeats. With a service app it also answers
/// the org's `POST /oauth2/v1/token` (client credentials, `private_key_jwt`, DPoP when required,
/// with a nonce when set) and accepts the access tokens it issued.
package final class FakeOkta: HTTPTransport, Sendable {
    package struct User: Sendable {
        package var id: String
        package var login: String
        package var email: String
        package var firstName: String
        package var lastName: String
        package var status: String
        package var department: String?
        /// When Okta last stamped the user (a status or profile change).
        package var lastUpdated = FakeOkta.longAgo

        package init(id: String, login: String, status: String = "ACTIVE", department: String? = nil) {
            self.id = id
            self.login = login
            self.email = login
            let local = login.split(separator: "@").first.map(String.init) ?? login
            self.firstName = local.capitalized
            self.lastName = "Example"
            self.status = status
            self.department = department
        }
    }

    package struct Group: Sendable {
        package var id: String
        package var name: String
        package var type: String
        package var members: [String]
        /// When its profile (name) and its members last changed.
        package var lastUpdated = FakeOkta.longAgo
        package var lastMembershipUpdated = FakeOkta.longAgo

        package init(id: String, name: String, type: String = "OKTA_GROUP", members: [String]) {
            self.id = id
            self.name = name
            self.type = type
            self.members = members
        }
    }

    package struct State: Sendable {
        package var users: [User] = []
        package var groups: [Group] = []
        /// Okta's default listing leaves DEPROVISIONED users out.
        package var listsDeprovisioned = false
        /// Requests in the current rate-limit window, its size, and when it resets.
        package var window = (limit: 600, used: 0, reset: 0.0)
        /// Answer 429 to this many requests from now on.
        package var tooManyRequests = 0
        /// Answer this status to every request whose path and query contain the text.
        package var failing: (text: String, status: Int)?
        /// Send `rel="next"` links to this origin instead of the org's.
        package var nextOrigin: String?
        /// After serving a page of users that contains this id, delete the next user in order.
        package var deleteAfterServing: String?
        /// Make the next link of `/api/v1/users` point back at the first page.
        package var nextRepeats = false
        /// The service app's tokens must be bound to a DPoP key (Okta's default for new apps).
        package var requireDPoP = false
        /// The nonce DPoP proofs at the token endpoint must carry (`use_dpop_nonce` until they do).
        package var dpopNonce: String?
        /// Access tokens issued, with the modulus of the DPoP key each is bound to (nil: Bearer).
        package var issued: [String: String?] = [:]
        /// Every request, as `METHOD path?query`, and the `Authorization` it carried.
        package var requests: [(line: String, authorization: String?, host: String?)] = []
    }

    /// The stamp of everything not changed since: 2026-11-30T09:00:00Z.
    package static let longAgo = Date(timeIntervalSince1970: 1_764_493_200)

    /// An API service app: its client ID and the public key its assertions are checked with.
    package struct ServiceApp: Sendable {
        package var clientID: String
        package var publicKey: _RSA.Signing.PublicKey

        package init(clientID: String, publicKey: _RSA.Signing.PublicKey) {
            self.clientID = clientID
            self.publicKey = publicKey
        }
    }

    package let state: Mutex<State>
    let origin: String
    let token: String
    let serviceApp: ServiceApp?
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - origin: the org's address, `https://example.okta.com`.
    ///   - token: the API token it accepts (`SSWS <token>`).
    ///   - now: its clock, for `X-Rate-Limit-Reset`.
    package init(
        origin: String = "https://example.okta.com",
        token: String = "okta-api-token",
        serviceApp: ServiceApp? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.origin = origin
        self.token = token
        self.serviceApp = serviceApp
        self.now = now
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
        let line = "\(request.method.rawValue) \(path)" + (query.map { "?\($0)" } ?? "")
        state.requests.append((line, request.header("Authorization"), request.url.host))
        let clock = now().timeIntervalSince1970
        if clock >= state.window.reset {
            state.window.used = 0
            state.window.reset = (clock / 60).rounded(.down) * 60 + 60
        }
        state.window.used += 1
        var headers = [
            "Content-Type": "application/json",
            "X-Rate-Limit-Limit": String(state.window.limit),
            "X-Rate-Limit-Remaining": String(max(0, state.window.limit - state.window.used)),
            "X-Rate-Limit-Reset": String(Int(state.window.reset)),
        ]
        if path == "/oauth2/v1/token", request.method == .post { return oauthToken(request, &state) }
        guard request.header("Authorization") == "SSWS \(token)" || holdsIssuedToken(request, state) else {
            return Self.error(401, "E0000011", "Invalid token provided", headers)
        }
        if state.tooManyRequests > 0 || state.window.used > state.window.limit {
            state.tooManyRequests = max(0, state.tooManyRequests - 1)
            return Self.error(429, "E0000047", "API call exceeded rate limit due to too many requests.", headers)
        }
        if let failing = state.failing, line.contains(failing.text) {
            return Self.error(failing.status, "E0000009", "Internal Server Error", headers)
        }
        let items = components?.queryItems ?? []
        let limit = min(items.first { $0.name == "limit" }?.value.flatMap(Int.init) ?? 200, 200)
        let after = items.first { $0.name == "after" }?.value
        var listed: [(id: String, json: ClaimValue)]
        if path == "/api/v1/users", let filter = items.first(where: { $0.name == "filter" })?.value {
            // The one filter this fake knows: `lastUpdated gt "<time>"`, which lists every status.
            let prefix = "lastUpdated gt \""
            guard filter.hasPrefix(prefix), filter.hasSuffix("\""),
                let since = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(String(filter.dropFirst(prefix.count).dropLast()))
            else {
                return Self.error(400, "E0000031", "Invalid search criteria.", headers)
            }
            listed = state.users.filter { $0.lastUpdated > since }.map { ($0.id, Self.json($0)) }
        } else if path == "/api/v1/users" {
            listed = state.users.filter { state.listsDeprovisioned || $0.status != "DEPROVISIONED" }.map { ($0.id, Self.json($0)) }
        } else if path.hasPrefix("/api/v1/users/"), path.hasSuffix("/groups") {
            let id = String(path.dropFirst("/api/v1/users/".count).dropLast("/groups".count))
            guard state.users.contains(where: { $0.id == id }) else {
                return Self.error(404, "E0000007", "Not found: Resource not found: \(id) (User)", headers)
            }
            listed = state.groups.filter { $0.members.contains(id) }.map { ($0.id, Self.json($0)) }
        } else if path == "/api/v1/groups" {
            listed = state.groups.map { ($0.id, Self.json($0)) }
        } else if path.hasPrefix("/api/v1/groups/"), path.hasSuffix("/users") {
            let id = String(path.dropFirst("/api/v1/groups/".count).dropLast("/users".count))
            guard let group = state.groups.first(where: { $0.id == id }) else {
                return Self.error(404, "E0000007", "Not found: Resource not found: \(id) (UserGroup)", headers)
            }
            listed = state.users.filter { group.members.contains($0.id) }.map { ($0.id, Self.json($0)) }
        } else {
            return Self.error(404, "E0000022", "The endpoint does not support the provided HTTP method", headers)
        }
        listed.sort { $0.id < $1.id }
        let start = after.map { cursor in listed.firstIndex { $0.id > cursor } ?? listed.count } ?? 0
        let page = Array(listed[start..<min(start + limit, listed.count)])
        var links = ["<\(origin)\(line.dropFirst(4))>; rel=\"self\""]
        if start + limit < listed.count, let last = page.last {
            let base = state.nextOrigin ?? origin
            let cursor = state.nextRepeats && path == "/api/v1/users" ? nil : last.id
            var next = URLComponents(string: base + path)!
            next.queryItems =
                (cursor.map { [URLQueryItem(name: "after", value: $0)] } ?? []) + [URLQueryItem(name: "limit", value: String(limit))]
                + items.filter { $0.name == "filter" }
            links.append("<\(next.string!)>; rel=\"next\"")
        }
        headers["Link"] = links.joined(separator: ", ")
        if path == "/api/v1/users", let victim = state.deleteAfterServing, page.contains(where: { $0.id == victim }),
            let index = state.users.sorted(by: { $0.id < $1.id }).firstIndex(where: { $0.id == victim })
        {
            let sorted = state.users.sorted { $0.id < $1.id }
            if index + 1 < sorted.count {
                let gone = sorted[index + 1].id
                state.users.removeAll { $0.id == gone }
            }
            state.deleteAfterServing = nil
        }
        return HTTPTransportResponse(status: 200, headers: headers, body: Data(ClaimValue.array(page.map(\.json)).jsonText.utf8))
    }

    static func json(_ user: User) -> ClaimValue {
        var profile: [String: ClaimValue] = [
            "login": .string(user.login), "email": .string(user.email), "firstName": .string(user.firstName),
            "lastName": .string(user.lastName), "mobilePhone": .null, "secondEmail": .null,
        ]
        if let department = user.department { profile["department"] = .string(department) }
        return .object([
            "id": .string(user.id), "status": .string(user.status), "created": .string("2025-01-06T10:00:00.000Z"),
            "activated": .null, "statusChanged": .null, "lastLogin": .null, "lastUpdated": .string(Self.stamp(user.lastUpdated)),
            "passwordChanged": .null, "type": .object(["id": .string("oty1")]), "profile": .object(profile),
            "credentials": .object(["provider": .object(["type": .string("OKTA"), "name": .string("OKTA")])]),
            "_links": .object(["self": .object(["href": .string("https://example.okta.com/api/v1/users/\(user.id)")])]),
        ])
    }

    static func json(_ group: Group) -> ClaimValue {
        .object([
            "id": .string(group.id), "created": .string("2025-01-06T10:00:00.000Z"), "lastUpdated": .string(Self.stamp(group.lastUpdated)),
            "lastMembershipUpdated": .string(Self.stamp(group.lastMembershipUpdated)), "objectClass": .array([.string("okta:user_group")]),
            "type": .string(group.type), "profile": .object(["name": .string(group.name), "description": .null]),
        ])
    }

    /// A time as Okta writes it, `2026-11-30T09:00:00.000Z`.
    static func stamp(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }

    static func error(_ status: Int, _ code: String, _ summary: String, _ headers: [String: String]) -> HTTPTransportResponse {
        let body: ClaimValue = .object([
            "errorCode": .string(code), "errorSummary": .string(summary), "errorLink": .string(code),
            "errorId": .string("oae\(UUID().uuidString.prefix(8))"), "errorCauses": .array([]),
        ])
        return HTTPTransportResponse(status: status, headers: headers, body: Data(body.jsonText.utf8))
    }

    /// Whether the request carries an access token this org issued: `Bearer` for an unbound one;
    /// `DPoP` with a proof by the bound key for this method and URL, naming the token's hash.
    func holdsIssuedToken(_ request: HTTPTransportRequest, _ state: State) -> Bool {
        guard let authorization = request.header("Authorization"), let space = authorization.firstIndex(of: " ") else { return false }
        let scheme = authorization[..<space]
        let value = String(authorization[authorization.index(after: space)...])
        guard let binding = state.issued[value] else { return false }
        guard let modulus = binding else { return scheme == "Bearer" }
        guard scheme == "DPoP", let proof = request.header("DPoP").flatMap(FakeJWS.init), let key = proof.headerKey,
            proof.isSigned(by: key, algorithm: "RS256"), case .object(let jwk)? = proof.header["jwk"], jwk["n"]?.stringValue == modulus
        else { return false }
        var target = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        target?.query = nil
        return proof.claims["htm"] == "GET" && proof.claims["htu"]?.stringValue == target?.url?.absoluteString
            && proof.claims["ath"]?.stringValue == SignedAssertion.sha256(value)
    }

    /// The org authorization server's token endpoint for the service app: the client credentials
    /// grant with a `private_key_jwt` assertion, checked as Okta documents it.
    func oauthToken(_ request: HTTPTransportRequest, _ state: inout State) -> HTTPTransportResponse {
        let form = ScenarioProvider.form(request.body ?? Data())
        let endpoint = origin + "/oauth2/v1/token"
        guard let app = serviceApp, form["grant_type"] == "client_credentials",
            form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            let assertion = form["client_assertion"].flatMap(FakeJWS.init)
        else { return Self.oauthError(400, "invalid_client", "Client authentication failed.") }
        let time = now().timeIntervalSince1970
        guard assertion.isSigned(by: app.publicKey, algorithm: "RS256"), assertion.claims["iss"]?.stringValue == app.clientID,
            assertion.claims["sub"]?.stringValue == app.clientID, assertion.claims["aud"]?.stringValue == endpoint,
            case .number(let expires)? = assertion.claims["exp"], expires > time, expires - time <= 3_600
        else { return Self.oauthError(401, "invalid_client", "The client_assertion signature is invalid.") }
        let scopes = Set((form["scope"] ?? "").split(separator: " ").map(String.init))
        guard scopes.contains("okta.users.read"), scopes.contains("okta.groups.read") else {
            return Self.oauthError(400, "invalid_scope", "The following scopes are not allowed: \(form["scope"] ?? "")")
        }
        var boundTo: String?
        if let header = request.header("DPoP") {
            guard let proof = FakeJWS(header), proof.header["typ"] == "dpop+jwt", let key = proof.headerKey,
                proof.isSigned(by: key, algorithm: "RS256"), proof.claims["htm"] == "POST", proof.claims["htu"]?.stringValue == endpoint,
                case .object(let jwk)? = proof.header["jwk"]
            else { return Self.oauthError(400, "invalid_dpop_proof", "The DPoP proof JWT is invalid.") }
            if let nonce = state.dpopNonce, proof.claims["nonce"]?.stringValue != nonce {
                var answer = Self.oauthError(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.")
                answer.headers["dpop-nonce"] = nonce
                return answer
            }
            boundTo = jwk["n"]?.stringValue
        } else if state.requireDPoP {
            return Self.oauthError(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
        }
        let issued = "okta-oauth-token-\(state.issued.count + 1)"
        state.issued[issued] = .some(boundTo)
        let body: ClaimValue = .object([
            "token_type": .string(boundTo == nil ? "Bearer" : "DPoP"), "expires_in": 3600, "access_token": .string(issued),
            "scope": .string(form["scope"] ?? ""),
        ])
        return HTTPTransportResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(body.jsonText.utf8))
    }

    static func oauthError(_ status: Int, _ code: String, _ description: String) -> HTTPTransportResponse {
        let body: ClaimValue = .object(["error": .string(code), "error_description": .string(description)])
        return HTTPTransportResponse(status: status, headers: ["Content-Type": "application/json"], body: Data(body.jsonText.utf8))
    }
}
