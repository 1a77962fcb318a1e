package import Foundation
package import Logging
package import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncSCIM

/// Reads an Entra ID tenant's directory through Microsoft Graph, as Microsoft documents it: every
/// user (`GET /v1.0/users`), every group (`GET /v1.0/groups`) and each group's members, nested
/// groups included (`GET /v1.0/groups/{id}/transitiveMembers`), each list paged by
/// `@odata.nextLink`.
///
/// - Signs in with the app registration's client credentials (OAuth 2.0 client credentials grant,
///   scope `{root}/.default`); the token is kept for the run and asked again when Graph answers
///   401 or it is about to expire. Neither the secret nor a token is logged or put in an error.
/// - A next page is fetched only from the configured root (scheme, host and port).
/// - 429, 503 and 504 wait for `Retry-After` (at most ``longestWait``), else back off, up to
///   ``attempts`` tries; other 5xx and connection failures back off the same way.
/// - `accountEnabled: false` is inactive; a deleted user is missing.
/// - Nested groups count: a member of a group that is a member of `Admins` is in `Admins`.
///
/// Any failure throws ``GraphError``: the listing is incomplete and must decide nothing.
package struct GraphDirectory: Sendable {
    /// Graph's root, `https://graph.microsoft.com`.
    package var root: URL
    /// The tenant's token endpoint.
    package var tokenURL: URL
    var clientID: String
    var credential: Credential
    var transport: any HTTPTransport
    /// Users, groups and members asked for per page (`$top`; at most 999).
    package var pageSize: Int
    /// Tries per request for throttling, 5xx answers and transport failures.
    package var attempts: Int
    /// The longest single wait a `Retry-After` may ask for.
    package var longestWait: Duration
    var logger: Logger
    var sleep: @Sendable (Duration) async -> Void
    var now: @Sendable () -> Date
    /// Requests sent (token requests included), and seconds waited for throttling.
    package let meter = DirectoryReadMeter()
    let token = TokenSlot()
    /// Pages a single list may have before the listing is judged to be going in circles.
    static let maximumPages = 100_000
    /// The user properties every listing selects.
    static let userProperties = ["id", "displayName", "mail", "userPrincipalName", "accountEnabled"]

    /// How the app proves who it is at the token endpoint.
    package enum Credential: Sendable {
        /// A client secret.
        case secret(String)
        /// A certificate: a client assertion (PS256, `x5t#S256` the certificate's SHA-256
        /// thumbprint) signed with its private key, as Microsoft documents certificate credentials.
        case certificate(der: Data, privateKey: String)
    }

    package init(
        root: URL,
        tokenURL: URL,
        clientID: String,
        clientSecret: String,
        transport: any HTTPTransport,
        pageSize: Int = 999,
        attempts: Int = 6,
        longestWait: Duration = .seconds(120),
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.init(
            root: root,
            tokenURL: tokenURL,
            clientID: clientID,
            credential: .secret(clientSecret),
            transport: transport,
            pageSize: pageSize,
            attempts: attempts,
            longestWait: longestWait,
            logger: logger,
            sleep: sleep,
            now: now
        )
    }

    package init(
        root: URL,
        tokenURL: URL,
        clientID: String,
        credential: Credential,
        transport: any HTTPTransport,
        pageSize: Int = 999,
        attempts: Int = 6,
        longestWait: Duration = .seconds(120),
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.root = root
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.credential = credential
        self.transport = transport
        self.pageSize = min(max(1, pageSize), 999)
        self.attempts = max(1, attempts)
        self.longestWait = longestWait
        self.logger = logger
        self.sleep = sleep
        self.now = now
    }

    /// The whole directory: users with their groups' display names and object ids (nested groups
    /// included), and `attributes` (paths into Graph's user object, `department`,
    /// `onPremisesExtensionAttributes.extensionAttribute1`) kept for the mapping.
    package func snapshot(keeping attributes: [String] = []) async throws(GraphError) -> DirectorySnapshot {
        let top = ("$top", String(pageSize))
        // Each page is turned into directory users as it arrives, so a listing holds one page of
        // Graph's JSON at a time, never all of it.
        var users: [DirectoryUser] = []
        var position: [String: Int] = [:]
        try await list("/v1.0/users", query: [("$select", Self.select(keeping: attributes)), top]) { (object) throws(GraphError) in
            let user = try Self.user(object, keeping: attributes, path: "/v1.0/users")
            position[user.id] = users.count
            users.append(user)
        }
        var groups: [(id: String, name: String)] = []
        try await list("/v1.0/groups", query: [("$select", "id,displayName"), top]) { (group) throws(GraphError) in
            guard let id = group["id"]?.stringValue, !id.isEmpty else { throw .malformed(path: "/v1.0/groups", reason: "a group has no id") }
            groups.append((id, group["displayName"]?.stringValue ?? id))
        }
        for group in groups {
            let path = "/v1.0/groups/\(OutsideText.percentEncoded(group.id))/transitiveMembers"
            var seen: Set<String> = []
            try await list(path, query: [("$select", "id"), top]) { (member) throws(GraphError) in
                // Only people: nested groups, devices and service principals are listed too.
                guard member["@odata.type"]?.stringValue == "#microsoft.graph.user" else { return }
                guard let userID = member["id"]?.stringValue else { throw .malformed(path: path, reason: "a member has no id") }
                // A member the user listing did not have (created since) is not in this snapshot.
                guard seen.insert(userID).inserted, let index = position[userID] else { return }
                users[index].add(group: group.name, id: group.id)
            }
        }
        return DirectorySnapshot(sortingMembershipsOf: users, groupCount: groups.count)
    }

    /// A directory user from Graph's user object, without groups yet.
    static func user(_ object: [String: ClaimValue], keeping attributes: [String], path: String) throws(GraphError) -> DirectoryUser {
        guard let id = object["id"]?.stringValue, !id.isEmpty else { throw .malformed(path: path, reason: "a user has no id") }
        var kept: [String: ClaimValue] = [:]
        for path in attributes {
            if let value = DirectorySnapshot.attribute(path, of: object) { kept[path] = value }
        }
        return DirectoryUser(
            id: id,
            externalId: nil,
            userName: object["userPrincipalName"]?.stringValue,
            isActive: object["accountEnabled"] != .bool(false),
            email: object["mail"]?.stringValue,
            name: object["displayName"]?.stringValue,
            groups: [],
            attributes: kept
        )
    }

    /// `$select` for users: the properties every listing reads, and the first segment of each
    /// attribute path the mapping keeps (only property names: letters, digits and `_`).
    package static func select(keeping attributes: [String]) -> String {
        var properties = userProperties
        for path in attributes {
            guard let first = path.split(separator: ".").first.map(String.init), !first.isEmpty,
                first.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !properties.contains(first)
            else { continue }
            properties.append(first)
        }
        return properties.joined(separator: ",")
    }

    /// Every item of a paged list, handed to `each` page by page, following `@odata.nextLink`
    /// within the root.
    /// - Returns: the last page's `@odata.deltaLink` (a delta query's end), if it has one.
    @discardableResult
    func list(
        _ path: String,
        query: [(String, String)],
        headers: [(String, String)] = [],
        each: (_ item: [String: ClaimValue]) throws(GraphError) -> Void
    ) async throws(GraphError) -> URL? {
        try await list(from: try url(path, query: query), headers: headers, each: each)
    }

    /// `path` and `query` under the root.
    func url(_ path: String, query: [(String, String)]) throws(GraphError) -> URL {
        guard var components = URLComponents(url: root, resolvingAgainstBaseURL: false) else {
            throw .malformed(path: path, reason: "the Graph root cannot take a path")
        }
        components.percentEncodedPath = path
        components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        guard let url = components.url else { throw .malformed(path: path, reason: "not a valid URL") }
        return url
    }

    /// Every item of the paged list starting at `start` (within the root).
    /// - Returns: the last page's `@odata.deltaLink`, if it has one.
    func list(
        from start: URL,
        headers: [(String, String)] = [],
        each: (_ item: [String: ClaimValue]) throws(GraphError) -> Void
    ) async throws(GraphError) -> URL? {
        var url = start
        let path = start.path
        var seen: Set<String> = []
        while true {
            let shown = RequestURL.shown(url)
            guard seen.insert(url.absoluteString).inserted else { throw .inconsistent("\(path): the next page repeats \(shown)") }
            guard seen.count <= Self.maximumPages else { throw .inconsistent("\(path): more than \(Self.maximumPages) pages") }
            let page = try await get(url, shown: shown, headers: headers)
            guard case .array(let values)? = page["value"] else { throw .malformed(path: shown, reason: "no 'value' array") }
            for value in values {
                guard case .object(let object) = value else { throw .malformed(path: shown, reason: "an item is not an object") }
                try each(object)
            }
            guard let next = page["@odata.nextLink"] else {
                guard let delta = page["@odata.deltaLink"] else { return nil }
                return try link(delta, name: "@odata.deltaLink", shown: shown)
            }
            url = try link(next, name: "@odata.nextLink", shown: shown)
        }
    }

    /// A link an answer gives: absolute, and within the root.
    func link(_ value: ClaimValue, name: String, shown: String) throws(GraphError) -> URL {
        guard let text = value.stringValue, let target = URL(string: text), target.scheme != nil else {
            throw .malformed(path: shown, reason: "\(name) is not an absolute URL")
        }
        guard RequestURL.sameOrigin(target, root) else { throw .foreignLink(path: shown, target: RequestURL.origin(target)) }
        return target
    }

    /// One GET of a page: a 401 asks for a new token once; 429, 503 and 504 wait for
    /// `Retry-After`; other 5xx and transport failures back off; anything else but 200 fails.
    func get(_ url: URL, shown: String, headers extra: [(String, String)] = []) async throws(GraphError) -> [String: ClaimValue] {
        var tries = 0
        var renewed = false
        while true {
            tries += 1
            let bearer = try await accessToken()
            let request = HTTPTransportRequest(
                method: .get,
                url: url,
                headers: [("Authorization", "Bearer \(bearer)"), ("Accept", "application/json")] + extra
            )
            guard let response = try await send(request, shown: shown, try: tries) else { continue }
            switch response.status {
            case 200:
                guard case .object(let page)? = try? ClaimValue(json: response.body) else {
                    throw .malformed(path: shown, reason: "not a JSON object")
                }
                return page
            case 401 where !renewed:
                // The token expired or was revoked during the run: one new one.
                renewed = true
                token.slot.withLock { $0 = nil }
                tries -= 1
            case 429, 503, 504:
                guard tries < attempts else {
                    throw response.status == 429
                        ? .throttled(path: shown, tries: tries) : .status(response.status, path: shown, detail: Self.detail(response.body))
                }
                let pause = retryAfter(response.headers) ?? RequestURL.backOff(tries)
                await wait(pause, shown: shown, reason: "HTTP \(response.status)", throttled: true)
            case 500...599:
                guard tries < attempts else { throw .status(response.status, path: shown, detail: Self.detail(response.body)) }
                await wait(RequestURL.backOff(tries), shown: shown, reason: "HTTP \(response.status)", throttled: false)
            default:
                throw .status(response.status, path: shown, detail: Self.detail(response.body))
            }
        }
    }

    /// The run's access token: the one kept, unless it expires within a minute; else a new one
    /// from the token endpoint.
    func accessToken() async throws(GraphError) -> String {
        let moment = now()
        if let kept = token.slot.withLock({ $0 }), kept.expires.timeIntervalSince(moment) > 60 { return kept.value }
        let scope = RequestURL.origin(root) + "/.default"
        var fields = [("client_id", clientID), ("scope", scope), ("grant_type", "client_credentials")]
        switch credential {
        case .secret(let secret):
            fields.append(("client_secret", secret))
        case .certificate(let der, let privateKey):
            fields.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            fields.append(("client_assertion", try clientAssertion(certificate: der, privateKey: privateKey, at: moment)))
        }
        let form = fields.map { "\($0.0)=\(OutsideText.percentEncoded($0.1))" }.joined(separator: "&")
        let request = HTTPTransportRequest(
            method: .post,
            url: tokenURL,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Data(form.utf8)
        )
        let shown = RequestURL.shown(tokenURL)
        var tries = 0
        while true {
            tries += 1
            guard let response = try await send(request, shown: shown, try: tries) else { continue }
            if response.status == 429 || response.status >= 500, tries < attempts {
                await wait(
                    retryAfter(response.headers) ?? RequestURL.backOff(tries),
                    shown: shown,
                    reason: "HTTP \(response.status)",
                    throttled: response.status == 429
                )
                continue
            }
            guard response.status == 200 else { throw .token(status: response.status, detail: Self.tokenDetail(response.body)) }
            guard case .object(let body)? = try? ClaimValue(json: response.body), let value = body["access_token"]?.stringValue, !value.isEmpty
            else { throw .malformed(path: shown, reason: "no access_token") }
            let lifetime: Double =
                switch body["expires_in"] {
                case .number(let seconds)?: seconds
                case .string(let text)?: Double(text) ?? 300
                default: 300
                }
            token.slot.withLock { $0 = (value, moment.addingTimeInterval(max(0, lifetime))) }
            return value
        }
    }

    /// The certificate credential's client assertion, as Microsoft documents it: PS256, `x5t#S256`
    /// the certificate's SHA-256 thumbprint; `aud` the token endpoint, `iss` and `sub` the app's
    /// client id, a fresh `jti`, valid from now for ten minutes.
    func clientAssertion(certificate der: Data, privateKey: String, at time: Date) throws(GraphError) -> String {
        let now = Int(time.timeIntervalSince1970)
        let claims: [String: any Sendable] = [
            "aud": tokenURL.absoluteString, "iss": clientID, "sub": clientID, "jti": UUID().uuidString.lowercased(), "nbf": now, "iat": now,
            "exp": now + 600,
        ]
        do {
            return try SignedAssertion.sign(
                header: ["x5t#S256": SignedAssertion.thumbprintSHA256(der)],
                claims: claims,
                algorithm: .ps256,
                privateKey: privateKey
            )
        } catch {
            throw .certificate(error.reason)
        }
    }

    /// One try of a request: its answer, or `nil` after a connection failure and the backoff
    /// before the next try.
    /// - Throws: ``GraphError/unreachable(path:reason:)`` when that was the last try.
    private func send(_ request: HTTPTransportRequest, shown: String, try number: Int) async throws(GraphError) -> HTTPTransportResponse? {
        do {
            meter.request()
            return try await transport.send(request)
        } catch {
            guard number < attempts else { throw .unreachable(path: shown, reason: "\(type(of: error))") }
            await wait(RequestURL.backOff(number), shown: shown, reason: "unreachable", throttled: false)
            return nil
        }
    }

    /// `Retry-After` in seconds (Graph sends seconds), at most ``longestWait``.
    func retryAfter(_ headers: [String: String]) -> Duration? {
        guard let text = headers["retry-after"], let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0
        else { return nil }
        return min(.milliseconds(Int((seconds * 1000).rounded(.up))), longestWait)
    }

    private func wait(_ duration: Duration, shown: String, reason: String, throttled: Bool) async {
        if throttled { meter.throttled(duration) }
        logger.warning(
            throttled ? "Microsoft Graph throttled the listing; waiting" : "Microsoft Graph request failed; retrying",
            metadata: ["path": "\(shown)", "reason": "\(reason)", "wait_s": "\(duration)"]
        )
        await sleep(duration)
    }

    /// Graph's `error.code: error.message`, cut to printable ASCII.
    static func detail(_ body: Data) -> String? {
        guard case .object(let answer)? = try? ClaimValue(json: body), case .object(let error)? = answer["error"] else { return nil }
        let parts = [error["code"]?.stringValue, error["message"]?.stringValue].compactMap { $0 }
        return parts.isEmpty ? nil : OutsideText.printable(parts.joined(separator: ": "), limit: 200)
    }

    /// The token endpoint's `error: error_description` (its first line: the rest is trace ids).
    static func tokenDetail(_ body: Data) -> String? {
        guard case .object(let answer)? = try? ClaimValue(json: body) else { return nil }
        let description = answer["error_description"]?.stringValue?.split(whereSeparator: \.isNewline).first.map(String.init)
        let parts = [answer["error"]?.stringValue, description].compactMap { $0 }
        return parts.isEmpty ? nil : OutsideText.printable(parts.joined(separator: ": "), limit: 200)
    }
}
