package import Foundation
package import Logging
package import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncSCIM

/// Reads a Google Workspace account's directory through the Admin SDK Directory API, as Google
/// documents it: every user (`users.list`), every group (`groups.list`) and each group's members
/// with nested groups' members included (`members.list` with `includeDerivedMembership=true`),
/// each list paged by `pageToken`.
///
/// - Signs in as the service account acting for an administrator (domain-wide delegation): a JWT
///   assertion signed with the key's RSA private key (RS256), `sub` the administrator, exchanged at
///   the token endpoint (RFC 7523). Neither the key, the assertion nor a token is logged or put
///   in an error.
/// - Google has no listing of changes: every run is full.
/// - `suspended` and `archived` users are inactive; a deleted user is missing.
/// - A group whose member is the whole account (`type: CUSTOMER`) holds every user.
/// - 429 and 403 `rateLimitExceeded` / `userRateLimitExceeded` back off exponentially, as Google
///   asks; 5xx and connection failures too; a 401 asks for a new token once.
///
/// Any failure throws ``GoogleError``: the listing is incomplete and must decide nothing.
package struct GoogleDirectory: Sendable {
    /// The API's root, `https://admin.googleapis.com`.
    package var root: URL
    package var tokenURL: URL
    var clientEmail: String
    var privateKey: String
    var privateKeyID: String?
    var subject: String
    /// `my_customer`, or the account's customer id.
    package var customer: String
    var transport: any HTTPTransport
    /// Users per page (`maxResults`, at most 500); groups and members at most 200.
    package var pageSize: Int
    package var attempts: Int
    var logger: Logger
    var sleep: @Sendable (Duration) async -> Void
    var now: @Sendable () -> Date
    package let meter = DirectoryReadMeter()
    let token = TokenSlot()
    static let maximumPages = 100_000
    /// What every assertion names as its audience: Google's documents it as always this value,
    /// whichever token endpoint the assertion is sent to (and Google's own libraries send it).
    package static let audience = "https://oauth2.googleapis.com/token"
    /// The read-only scopes the client id's domain-wide delegation must grant.
    package static let scopes = [
        "https://www.googleapis.com/auth/admin.directory.user.readonly",
        "https://www.googleapis.com/auth/admin.directory.group.readonly",
    ]

    package init(
        root: URL,
        tokenURL: URL,
        clientEmail: String,
        privateKey: String,
        privateKeyID: String?,
        subject: String,
        customer: String,
        transport: any HTTPTransport,
        pageSize: Int = 500,
        attempts: Int = 6,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.root = root
        self.tokenURL = tokenURL
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.privateKeyID = privateKeyID
        self.subject = subject
        self.customer = customer
        self.transport = transport
        self.pageSize = min(max(1, pageSize), 500)
        self.attempts = max(1, attempts)
        self.logger = logger
        self.sleep = sleep
        self.now = now
    }

    /// The whole directory: users with their groups' names, ids and email addresses (the latter as
    /// `group_external_ids`), and `attributes` (paths into Google's user object) kept.
    package func snapshot(keeping attributes: [String] = []) async throws(GoogleError) -> DirectorySnapshot {
        let base = "/admin/directory/v1"
        var users: [DirectoryUser] = []
        var position: [String: Int] = [:]
        try await list(base + "/users", field: "users", query: [("customer", customer), ("maxResults", String(pageSize)), ("projection", "basic")]) {
            (object) throws(GoogleError) in
            let user = try Self.user(object, keeping: attributes)
            position[user.id] = users.count
            users.append(user)
        }
        var groups: [(id: String, name: String, email: String?)] = []
        try await list(base + "/groups", field: "groups", query: [("customer", customer), ("maxResults", String(min(pageSize, 200)))]) {
            (group) throws(GoogleError) in
            guard let id = group["id"]?.stringValue, !id.isEmpty else { throw .malformed(path: base + "/groups", reason: "a group has no id") }
            let email = group["email"]?.stringValue
            groups.append((id, group["name"]?.stringValue ?? email ?? id, email))
        }
        for group in groups {
            let path = "\(base)/groups/\(OutsideText.percentEncoded(group.id))/members"
            var seen: Set<String> = []
            var everyone = false
            try await list(path, field: "members", query: [("includeDerivedMembership", "true"), ("maxResults", String(min(pageSize, 200)))]) {
                (member) throws(GoogleError) in
                switch member["type"]?.stringValue {
                case "CUSTOMER": everyone = true
                case "USER":
                    guard let id = member["id"]?.stringValue else { throw .malformed(path: path, reason: "a member has no id") }
                    // A member the user listing did not have (created since) is not in this snapshot.
                    guard seen.insert(id).inserted, let index = position[id] else { return }
                    users[index].add(group: group.name, id: group.id)
                    if let email = group.email { users[index].groupExternalIDs.append(email) }
                default: return  // nested groups: their members are listed too (derived)
                }
            }
            if everyone {
                for index in users.indices where !seen.contains(users[index].id) {
                    users[index].add(group: group.name, id: group.id)
                    if let email = group.email { users[index].groupExternalIDs.append(email) }
                }
            }
        }
        for index in users.indices { users[index].groupExternalIDs.sort() }
        return DirectorySnapshot(sortingMembershipsOf: users, groupCount: groups.count)
    }

    /// A directory user from Google's user object.
    static func user(_ object: [String: ClaimValue], keeping attributes: [String]) throws(GoogleError) -> DirectoryUser {
        guard let id = object["id"]?.stringValue, !id.isEmpty else {
            throw .malformed(path: "/admin/directory/v1/users", reason: "a user has no id")
        }
        var kept: [String: ClaimValue] = [:]
        for path in attributes {
            if let value = DirectorySnapshot.attribute(path, of: object) { kept[path] = value }
        }
        var name: String?
        if case .object(let parts)? = object["name"] {
            name =
                parts["fullName"]?.stringValue
                ?? [parts["givenName"]?.stringValue, parts["familyName"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        }
        let email = object["primaryEmail"]?.stringValue
        return DirectoryUser(
            id: id,
            externalId: nil,
            userName: email,
            isActive: object["suspended"] != .bool(true) && object["archived"] != .bool(true),
            email: email,
            name: name.flatMap { $0.isEmpty ? nil : $0 },
            groups: [],
            attributes: kept
        )
    }

    /// Every item of a paged list under `field`, following `nextPageToken`.
    func list(
        _ path: String,
        field: String,
        query: [(String, String)],
        each: (_ item: [String: ClaimValue]) throws(GoogleError) -> Void
    ) async throws(GoogleError) {
        var tokens: Set<String> = []
        var pageToken: String?
        while true {
            guard var components = URLComponents(url: root, resolvingAgainstBaseURL: false) else {
                throw .malformed(path: path, reason: "the root cannot take a path")
            }
            components.percentEncodedPath = path
            components.queryItems = (query + (pageToken.map { [("pageToken", $0)] } ?? [])).map { URLQueryItem(name: $0.0, value: $0.1) }
            guard let url = components.url else { throw .malformed(path: path, reason: "not a valid URL") }
            let shown = RequestURL.shown(url)
            let page = try await get(url, shown: shown)
            if let items = page[field] {
                guard case .array(let values) = items else { throw .malformed(path: shown, reason: "'\(field)' is not an array") }
                for value in values {
                    guard case .object(let object) = value else { throw .malformed(path: shown, reason: "an item is not an object") }
                    try each(object)
                }
            }
            guard let next = page["nextPageToken"]?.stringValue, !next.isEmpty else { return }
            guard tokens.insert(next).inserted else { throw .inconsistent("\(path): the next page token repeats") }
            guard tokens.count <= Self.maximumPages else { throw .inconsistent("\(path): more than \(Self.maximumPages) pages") }
            pageToken = next
        }
    }

    /// One GET of a page, with the run's token: a 401 asks for a new token once; rate limits,
    /// 5xx and connection failures back off; anything else but 200 fails.
    func get(_ url: URL, shown: String) async throws(GoogleError) -> [String: ClaimValue] {
        var tries = 0
        var renewed = false
        while true {
            tries += 1
            let bearer = try await accessToken()
            let request = HTTPTransportRequest(
                method: .get,
                url: url,
                headers: [("Authorization", "Bearer \(bearer)"), ("Accept", "application/json")]
            )
            guard let response = try await send(request, shown: shown, try: tries) else { continue }
            let (reason, detail) = Self.problem(response.body)
            let limited = response.status == 429 || (response.status == 403 && (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded"))
            if limited {
                guard tries < attempts else { throw .throttled(path: shown, tries: tries) }
                await wait(RequestURL.backOff(tries), shown: shown, reason: "HTTP \(response.status)", throttled: true)
                continue
            }
            switch response.status {
            case 200:
                guard case .object(let page)? = try? ClaimValue(json: response.body) else {
                    throw .malformed(path: shown, reason: "not a JSON object")
                }
                return page
            case 401 where !renewed:
                renewed = true
                token.slot.withLock { $0 = nil }
                tries -= 1
            case 500...599:
                guard tries < attempts else { throw .status(response.status, path: shown, detail: detail) }
                await wait(RequestURL.backOff(tries), shown: shown, reason: "HTTP \(response.status)", throttled: false)
            default:
                throw .status(response.status, path: shown, detail: detail)
            }
        }
    }

    /// The run's access token: the one kept unless it expires within a minute; else a new one for
    /// a freshly signed assertion.
    func accessToken() async throws(GoogleError) -> String {
        let moment = now()
        if let kept = token.slot.withLock({ $0 }), kept.expires.timeIntervalSince(moment) > 60 { return kept.value }
        let assertion = try Self.assertion(
            issuer: clientEmail,
            subject: subject,
            audience: Self.audience,
            keyID: privateKeyID,
            privateKey: privateKey,
            at: moment
        )
        let form = [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)]
            .map { "\($0.0)=\(OutsideText.percentEncoded($0.1))" }.joined(separator: "&")
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
                await wait(RequestURL.backOff(tries), shown: shown, reason: "HTTP \(response.status)", throttled: response.status == 429)
                continue
            }
            guard response.status == 200 else { throw .token(status: response.status, detail: Self.tokenDetail(response.body)) }
            guard case .object(let body)? = try? ClaimValue(json: response.body), let value = body["access_token"]?.stringValue, !value.isEmpty
            else { throw .malformed(path: shown, reason: "no access_token") }
            let lifetime: Double = if case .number(let seconds)? = body["expires_in"] { seconds } else { 3_600 }
            token.slot.withLock { $0 = (value, moment.addingTimeInterval(max(0, lifetime))) }
            return value
        }
    }

    /// The service account's signed assertion (RFC 7523 §2.1, as Google's OAuth 2.0 for service
    /// accounts describes it): RS256, `iss` the service account, `sub` the administrator, `scope`
    /// the read-only Directory scopes, `aud` Google's token endpoint (``audience``), valid one hour.
    package static func assertion(
        issuer: String,
        subject: String,
        audience: String,
        keyID: String?,
        privateKey: String,
        at time: Date
    ) throws(GoogleError) -> String {
        let issued = Int(time.timeIntervalSince1970)
        let claims: [String: any Sendable] = [
            "iss": issuer, "sub": subject, "aud": audience, "scope": scopes.joined(separator: " "), "iat": issued, "exp": issued + 3_600,
        ]
        do {
            return try SignedAssertion.sign(header: keyID.map { ["kid": $0] } ?? [:], claims: claims, algorithm: .rs256, privateKey: privateKey)
        } catch {
            throw .key(error.reason)
        }
    }

    /// One try of a request: its answer, or `nil` after a connection failure and the backoff
    /// before the next try.
    /// - Throws: ``GoogleError/unreachable(path:reason:)`` when that was the last try.
    private func send(_ request: HTTPTransportRequest, shown: String, try number: Int) async throws(GoogleError) -> HTTPTransportResponse? {
        do {
            meter.request()
            return try await transport.send(request)
        } catch {
            guard number < attempts else { throw .unreachable(path: shown, reason: "\(type(of: error))") }
            await wait(RequestURL.backOff(number), shown: shown, reason: "unreachable", throttled: false)
            return nil
        }
    }

    private func wait(_ duration: Duration, shown: String, reason: String, throttled: Bool) async {
        if throttled { meter.throttled(duration) }
        logger.warning(
            throttled ? "Google rate-limited the listing; backing off" : "Google request failed; retrying",
            metadata: ["path": "\(shown)", "reason": "\(reason)", "wait_s": "\(duration)"]
        )
        await sleep(duration)
    }

    /// Google's error body: the first `errors[].reason`, and `error.message` (with that reason), cut
    /// to printable ASCII.
    static func problem(_ body: Data) -> (reason: String?, detail: String?) {
        guard case .object(let answer)? = try? ClaimValue(json: body), case .object(let error)? = answer["error"] else { return (nil, nil) }
        var reason: String?
        if case .array(let errors)? = error["errors"], case .object(let first)? = errors.first { reason = first["reason"]?.stringValue }
        let parts = [reason, error["message"]?.stringValue].compactMap { $0 }
        return (reason, parts.isEmpty ? nil : OutsideText.printable(parts.joined(separator: ": "), limit: 200))
    }

    /// The token endpoint's `error: error_description`.
    static func tokenDetail(_ body: Data) -> String? {
        guard case .object(let answer)? = try? ClaimValue(json: body) else { return nil }
        let parts = [answer["error"]?.stringValue, answer["error_description"]?.stringValue].compactMap { $0 }
        return parts.isEmpty ? nil : OutsideText.printable(parts.joined(separator: ": "), limit: 200)
    }
}
