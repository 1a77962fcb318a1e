package import Foundation
package import RoleSyncHTTPClient
import RoleSyncJSON
package import Synchronization
package import _CryptoExtras

/// A Google Workspace account in memory, answering the Admin SDK Directory API and Google's token
/// endpoint as Google documents them: `POST /token` with a service account's RS256 assertion
/// (verified against the key's public half: `iss`, `sub`, `aud`, `scope`, lifetime), then
/// `GET /admin/directory/v1/users`, `/groups` and `/groups/{id}/members` (`customer`,
/// `maxResults`, `pageToken`; `includeDerivedMembership` expands nested groups), and Google's error
/// bodies. Scenarios: rate limiting (403 `rateLimitExceeded` or 429), a page that fails, a
/// delegation that was never granted.
package final class FakeGoogle: HTTPTransport, Sendable {
    package struct User: Sendable {
        package var id: String
        package var primaryEmail: String
        package var fullName: String
        package var suspended: Bool
        package var archived: Bool
        package var orgUnitPath: String

        package init(id: String, primaryEmail: String, suspended: Bool = false, archived: Bool = false, orgUnitPath: String = "/") {
            self.id = id
            self.primaryEmail = primaryEmail
            self.fullName = primaryEmail.split(separator: "@").first.map { String($0).capitalized } ?? primaryEmail
            self.suspended = suspended
            self.archived = archived
            self.orgUnitPath = orgUnitPath
        }
    }

    package struct Group: Sendable {
        package var id: String
        package var email: String
        package var name: String
        /// User ids, group ids, or `customer` for the whole account.
        package var members: [String]

        package init(id: String, email: String, name: String, members: [String]) {
            self.id = id
            self.email = email
            self.name = name
            self.members = members
        }
    }

    package struct State: Sendable {
        package var users: [User] = []
        package var groups: [Group] = []
        /// The administrators the service account may act as (domain-wide delegation granted).
        package var administrators: Set<String> = ["admin@example.com"]
        /// Answer this many Directory requests with 403 `rateLimitExceeded` (or 429 when `with429`).
        package var rateLimited = 0
        package var with429 = false
        /// Answer this status to every request whose path and query contain the text.
        package var failing: (text: String, status: Int)?
        package var tokensIssued = 0
        package var requests: [String] = []
    }

    package let state: Mutex<State>
    let publicKey: _RSA.Signing.PublicKey
    let clientEmail: String
    let tokenURL: String
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - publicKey: the service account key's public half, to verify assertions.
    ///   - tokenURL: the audience assertions must name.
    package init(
        publicKey: _RSA.Signing.PublicKey,
        clientEmail: String = "rolesync@project.iam.gserviceaccount.com",
        tokenURL: String = "https://oauth2.googleapis.com/token",
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.publicKey = publicKey
        self.clientEmail = clientEmail
        self.tokenURL = tokenURL
        self.now = now
        state = Mutex(State())
    }

    /// A new service account key and its JSON key file's content.
    package static func serviceAccountKey(
        clientEmail: String = "rolesync@project.iam.gserviceaccount.com",
        tokenURI: String
    )
        throws -> (key: _RSA.Signing.PrivateKey, json: String)
    {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let file: ClaimValue = .object([
            "type": "service_account", "project_id": "project", "private_key_id": "0123456789abcdef",
            "private_key": .string(key.pkcs8PEMRepresentation), "client_email": .string(clientEmail),
            "client_id": "100000000000000000001", "token_uri": .string(tokenURI),
        ])
        return (key, file.jsonText)
    }

    package func with<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    package func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        state.withLock { answer(request, &$0) }
    }

    func answer(_ request: HTTPTransportRequest, _ state: inout State) -> HTTPTransportResponse {
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? ""
        let line = "\(request.method.rawValue) \(path)" + (components?.percentEncodedQuery.map { "?\($0)" } ?? "")
        state.requests.append(line)
        if request.method == .post { return token(request, &state) }
        guard let authorization = request.header("Authorization"), state.tokensIssued > 0,
            authorization == "Bearer google-token-\(state.tokensIssued)"
        else {
            return Self.error(401, reason: "authError", "Invalid Credentials")
        }
        if state.rateLimited > 0 {
            state.rateLimited -= 1
            return state.with429
                ? Self.error(429, reason: "rateLimitExceeded", "Quota exceeded") : Self.error(403, reason: "rateLimitExceeded", "Rate Limit Exceeded")
        }
        if let failing = state.failing, line.removingPercentEncoding?.contains(failing.text) ?? false {
            return Self.error(failing.status, reason: "backendError", "Backend Error")
        }
        let items = components?.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        let base = "/admin/directory/v1"
        let listed: [ClaimValue]
        let field: String
        let limit: Int
        if path == base + "/users" || path == base + "/groups" {
            guard value("customer") == "my_customer" else { return Self.error(400, reason: "badRequest", "Bad Request") }
            if path == base + "/users" {
                field = "users"
                limit = min(Int(value("maxResults") ?? "") ?? 100, 500)
                listed = state.users.sorted { $0.primaryEmail < $1.primaryEmail }.map(Self.json)
            } else {
                field = "groups"
                limit = min(Int(value("maxResults") ?? "") ?? 200, 200)
                listed = state.groups.sorted { $0.email < $1.email }.map { group in
                    .object([
                        "kind": "admin#directory#group", "id": .string(group.id), "email": .string(group.email), "name": .string(group.name),
                        "directMembersCount": .string(String(group.members.count)),
                    ])
                }
            }
        } else if path.hasPrefix(base + "/groups/"), path.hasSuffix("/members") {
            let id = String(path.dropFirst((base + "/groups/").count).dropLast("/members".count))
            guard state.groups.contains(where: { $0.id == id }) else { return Self.error(404, reason: "notFound", "Resource Not Found: groupKey") }
            field = "members"
            limit = min(Int(value("maxResults") ?? "") ?? 200, 200)
            listed = Self.members(of: id, derived: value("includeDerivedMembership") == "true", state)
        } else {
            return Self.error(404, reason: "notFound", "Not Found")
        }
        let start = Int(value("pageToken") ?? "") ?? 0
        let page = Array(listed.dropFirst(start).prefix(limit))
        var body: [String: ClaimValue] = ["kind": .string("admin#directory#\(field)"), "etag": "\"etag\""]
        // Google leaves the list out of an empty page.
        if !page.isEmpty { body[field] = .array(page) }
        if start + limit < listed.count { body["nextPageToken"] = .string(String(start + limit)) }
        return HTTPTransportResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(ClaimValue.object(body).jsonText.utf8))
    }

    /// A group's members, typed; with `derived`, nested groups' members too (each once, cycles ended).
    static func members(of id: String, derived: Bool, _ state: State) -> [ClaimValue] {
        var seen: Set<String> = [id]
        var result: [ClaimValue] = []
        var stack = [id]
        while let current = stack.popLast() {
            guard let group = state.groups.first(where: { $0.id == current }) else { continue }
            for member in group.members where seen.insert(member).inserted {
                if member == "customer" {
                    result.append(.object(["kind": "admin#directory#member", "id": "C0abc123", "type": "CUSTOMER", "role": "MEMBER"]))
                } else if let nested = state.groups.first(where: { $0.id == member }) {
                    result.append(
                        .object(["id": .string(nested.id), "email": .string(nested.email), "type": "GROUP", "role": "MEMBER", "status": "ACTIVE"])
                    )
                    if derived { stack.append(member) }
                } else if let user = state.users.first(where: { $0.id == member }) {
                    result.append(
                        .object(["id": .string(user.id), "email": .string(user.primaryEmail), "type": "USER", "role": "MEMBER", "status": "ACTIVE"])
                    )
                }
            }
        }
        return result
    }

    static func json(_ user: User) -> ClaimValue {
        .object([
            "kind": "admin#directory#user", "id": .string(user.id), "primaryEmail": .string(user.primaryEmail),
            "name": .object(["givenName": .string(user.fullName), "familyName": "Example", "fullName": .string(user.fullName)]),
            "isAdmin": false, "suspended": .bool(user.suspended), "archived": .bool(user.archived), "orgUnitPath": .string(user.orgUnitPath),
            "isEnrolledIn2Sv": true, "creationTime": "2025-01-06T10:00:00.000Z",
        ])
    }

    /// The token endpoint: the assertion's signature and claims checked as Google checks them.
    func token(_ request: HTTPTransportRequest, _ state: inout State) -> HTTPTransportResponse {
        let form = ScenarioProvider.form(request.body ?? Data())
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let assertion = form["assertion"] else {
            return Self.tokenError(400, "unsupported_grant_type", "Invalid grant_type: \(form["grant_type"] ?? "")")
        }
        guard let jws = FakeJWS(assertion), jws.isSigned(by: publicKey, algorithm: "RS256") else {
            return Self.tokenError(400, "invalid_grant", "Invalid JWT Signature.")
        }
        let claims = jws.claims
        let time = now().timeIntervalSince1970
        // Google's audience is always its own token endpoint, wherever the assertion is sent.
        guard claims["iss"]?.stringValue == clientEmail, claims["aud"]?.stringValue == "https://oauth2.googleapis.com/token",
            case .number(let issued)? = claims["iat"], case .number(let expires)? = claims["exp"],
            issued <= time + 60, expires > time, expires - issued <= 3_600
        else {
            return Self.tokenError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
        }
        let scopes = Set((claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
        guard scopes.contains("https://www.googleapis.com/auth/admin.directory.user.readonly"),
            scopes.contains("https://www.googleapis.com/auth/admin.directory.group.readonly"),
            let subject = claims["sub"]?.stringValue, state.administrators.contains(subject)
        else {
            return Self.tokenError(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
            )
        }
        state.tokensIssued += 1
        let body: ClaimValue = .object([
            "access_token": .string("google-token-\(state.tokensIssued)"), "expires_in": 3599, "token_type": "Bearer",
        ])
        return HTTPTransportResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(body.jsonText.utf8))
    }

    static func error(_ status: Int, reason: String, _ message: String) -> HTTPTransportResponse {
        let body: ClaimValue = .object([
            "error": .object([
                "code": .number(Double(status)), "message": .string(message),
                "errors": .array([.object(["message": .string(message), "domain": "global", "reason": .string(reason)])]),
            ])
        ])
        return HTTPTransportResponse(status: status, headers: ["Content-Type": "application/json"], body: Data(body.jsonText.utf8))
    }

    static func tokenError(_ status: Int, _ code: String, _ description: String) -> HTTPTransportResponse {
        let body: ClaimValue = .object(["error": .string(code), "error_description": .string(description)])
        return HTTPTransportResponse(status: status, headers: ["Content-Type": "application/json"], body: Data(body.jsonText.utf8))
    }
}
