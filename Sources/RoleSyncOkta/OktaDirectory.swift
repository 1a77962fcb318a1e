package import Foundation
package import Logging
package import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncSCIM

/// Reads an Okta org's directory through its management API, as Okta documents it: every user
/// (`GET /api/v1/users`), every group (`GET /api/v1/groups`) and each group's members
/// (`GET /api/v1/groups/{id}/users`), each list paged by `Link: <…>; rel="next"`.
///
/// - An API token authenticates as `Authorization: SSWS <token>`; an API service app with the
///   client credentials grant and a `private_key_jwt` assertion (OAuth 2.0 for Okta, DPoP when the
///   app requires it). Neither a token, the key nor an assertion is logged or put in an error.
/// - A next page is fetched only from the configured org (scheme, host and port); a `Link` to
///   anywhere else fails the listing, so a token is never sent elsewhere.
/// - Rate limits: when `X-Rate-Limit-Remaining` falls to ``reserve`` or below, the next request
///   waits until `X-Rate-Limit-Reset`; a 429 waits until the reset too (else backs off), up to
///   ``rateLimitedTries`` times. 5xx and transport failures are tried ``attempts`` times.
/// - Users `SUSPENDED` or `DEPROVISIONED` are inactive; Okta's default listing leaves
///   deprovisioned users out, so they are missing, which reconciliation also deactivates.
/// - A member listed by a group but absent from the user listing (deleted between the two) is
///   ignored. Okta's groups do not nest.
///
/// Any failure throws ``OktaError``: the listing is incomplete and must decide nothing.
package struct OktaDirectory: Sendable {
    /// The org's address, `https://example.okta.com`.
    package var orgURL: URL
    var credential: Credential
    var transport: any HTTPTransport
    /// Users, groups and members asked for per page (Okta's `limit`; at most 200).
    package var pageSize: Int
    /// Tries per request for 5xx answers and transport failures.
    package var attempts: Int
    /// Tries per request for 429 answers, each after the wait Okta asked for.
    package var rateLimitedTries: Int
    /// Requests left in Okta's window at which the client waits for the window to reset.
    package var reserve: Int
    /// The longest single wait for a rate-limit reset (Okta's windows are one minute).
    package var longestWait: Duration
    var logger: Logger
    var sleep: @Sendable (Duration) async -> Void
    var now: @Sendable () -> Date
    /// Requests sent, and seconds waited for rate limits.
    package let meter = DirectoryReadMeter()
    /// A service app's access token and DPoP state for the run.
    let oauth = OktaOAuthState()
    /// Pages a single list may have before the listing is judged to be going in circles.
    static let maximumPages = 100_000

    package init(
        orgURL: URL,
        credential: Credential,
        transport: any HTTPTransport,
        pageSize: Int = 200,
        attempts: Int = 5,
        rateLimitedTries: Int = 10,
        reserve: Int = 2,
        longestWait: Duration = .seconds(61),
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.orgURL = orgURL
        self.credential = credential
        self.transport = transport
        self.pageSize = min(max(1, pageSize), 200)
        self.attempts = max(1, attempts)
        self.rateLimitedTries = max(1, rateLimitedTries)
        self.reserve = max(0, reserve)
        self.longestWait = longestWait
        self.logger = logger
        self.sleep = sleep
        self.now = now
    }

    /// A reader that signs in with an API token.
    package init(
        orgURL: URL,
        token: String,
        transport: any HTTPTransport,
        pageSize: Int = 200,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) {
        self.init(orgURL: orgURL, credential: .apiToken(token), transport: transport, pageSize: pageSize, logger: logger, sleep: sleep)
    }

    /// The whole directory: users with their groups' names and ids, and `attributes` (paths into
    /// Okta's user object, `profile.department`) kept for the mapping.
    package func snapshot(keeping attributes: [String] = []) async throws(OktaError) -> DirectorySnapshot {
        let limit = [("limit", String(pageSize))]
        // Each page is turned into directory users as it arrives, so a listing holds one page of
        // Okta's JSON at a time, never all of it.
        var users: [DirectoryUser] = []
        var position: [String: Int] = [:]
        var pause = try await list("/api/v1/users", query: limit) { (object) throws(OktaError) in
            let user = try Self.user(object, keeping: attributes, path: "/api/v1/users")
            position[user.id] = users.count
            users.append(user)
        }
        var groups: [(id: String, name: String)] = []
        pause = try await list("/api/v1/groups", query: limit, pause: pause) { (group) throws(OktaError) in
            guard let id = group["id"]?.stringValue, !id.isEmpty else {
                throw .malformed(path: "/api/v1/groups", reason: "a group has no id")
            }
            guard case .object(let profile)? = group["profile"], let name = profile["name"]?.stringValue else {
                throw .malformed(path: "/api/v1/groups", reason: "group \(id) has no profile.name")
            }
            groups.append((id, name))
        }
        // Every group's member list draws on one rate limit: a window nearly spent by one group's
        // last page is waited out before the next group's first.
        for group in groups {
            let path = "/api/v1/groups/\(Self.pathSegment(group.id))/users"
            pause = try await list(path, query: limit, pause: pause) { (member) throws(OktaError) in
                guard let userID = member["id"]?.stringValue else { throw .malformed(path: path, reason: "a member has no id") }
                // A member the user listing did not have (deleted or created since) is not in this snapshot.
                guard let index = position[userID] else { return }
                users[index].add(group: group.name, id: group.id)
            }
        }
        return DirectorySnapshot(sortingMembershipsOf: users, groupCount: groups.count)
    }

    /// A directory user from Okta's user object, without groups yet.
    static func user(_ user: [String: ClaimValue], keeping attributes: [String], path: String) throws(OktaError) -> DirectoryUser {
        guard let id = user["id"]?.stringValue, !id.isEmpty else { throw .malformed(path: path, reason: "a user has no id") }
        let profile: [String: ClaimValue]
        if case .object(let object)? = user["profile"] { profile = object } else { profile = [:] }
        var kept: [String: ClaimValue] = [:]
        for path in attributes {
            if let value = DirectorySnapshot.attribute(path, of: user) { kept[path] = value }
        }
        return DirectoryUser(
            id: id,
            externalId: nil,
            userName: profile["login"]?.stringValue,
            isActive: isActive(user["status"]?.stringValue),
            email: profile["email"]?.stringValue,
            name: name(profile),
            groups: [],
            attributes: kept
        )
    }

    /// `SUSPENDED` and `DEPROVISIONED` are inactive; every other status (`ACTIVE`, `RECOVERY`,
    /// `LOCKED_OUT`, `PASSWORD_EXPIRED`, `STAGED`, `PROVISIONED`) is a person still employed.
    package static func isActive(_ status: String?) -> Bool {
        switch status?.uppercased() {
        case "SUSPENDED", "DEPROVISIONED": false
        default: true
        }
    }

    /// `profile.displayName`, else first and last name.
    static func name(_ profile: [String: ClaimValue]) -> String? {
        if let name = profile["displayName"]?.stringValue, !name.isEmpty { return name }
        let parts = [profile["firstName"]?.stringValue, profile["lastName"]?.stringValue].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// An id as one path segment: Okta's ids are letters and digits, but nothing in an answer is
    /// trusted to stay inside its segment.
    static func pathSegment(_ id: String) -> String { OutsideText.percentEncoded(id) }

    /// Every item of a paged list, handed to `each` page by page, following `rel="next"` within
    /// the org; returns the wait the last answer's rate-limit headers ask of the next request
    /// (`nil`: none).
    /// - Parameter pause: a wait before the first request (the previous list's last answer asked it).
    func list(
        _ path: String,
        query: [(String, String)],
        pause first: Duration? = nil,
        each: (_ item: [String: ClaimValue]) throws(OktaError) -> Void
    ) async throws(OktaError) -> Duration? {
        guard var components = URLComponents(url: orgURL, resolvingAgainstBaseURL: false) else {
            throw .malformed(path: path, reason: "the org's address cannot take a path")
        }
        components.percentEncodedPath = path
        components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        guard var url = components.url else { throw .malformed(path: path, reason: "not a valid URL") }
        var seen: Set<String> = []
        var pause = first
        while true {
            let shown = RequestURL.shown(url)
            guard seen.insert(url.absoluteString).inserted else { throw .inconsistent("\(path): the next page repeats \(shown)") }
            guard seen.count <= Self.maximumPages else { throw .inconsistent("\(path): more than \(Self.maximumPages) pages") }
            if let pause {
                meter.throttled(pause)
                logger.info("near Okta's rate limit; waiting for the window to reset", metadata: ["path": "\(shown)", "wait_s": "\(pause)"])
                await sleep(pause)
            }
            let (page, response) = try await get(url, shown: shown)
            for item in page { try each(item) }
            pause = rateLimitPause(response.headers)
            guard let field = response.headers["link"], let next = LinkHeader.target(field, relation: "next", base: url) else {
                return pause
            }
            guard RequestURL.sameOrigin(next, orgURL) else { throw .foreignLink(path: shown, target: RequestURL.origin(next)) }
            url = next
        }
    }

    /// One GET of a list page: 429 waits for the reset (up to ``rateLimitedTries``), 5xx and
    /// transport failures back off (up to ``attempts``), anything else but 200 fails at once.
    func get(_ url: URL, shown: String) async throws(OktaError) -> ([[String: ClaimValue]], HTTPTransportResponse) {
        var failures = 0
        var throttled = 0
        var renewed = false
        while true {
            let request = HTTPTransportRequest(
                method: .get,
                url: url,
                headers: try await authorization("GET", url) + [("Accept", "application/json")]
            )
            let response: HTTPTransportResponse
            do {
                meter.request()
                response = try await transport.send(request)
            } catch {
                failures += 1
                guard failures < attempts else { throw .unreachable(path: shown, reason: "\(type(of: error))") }
                await backOff(failures, shown: shown, reason: "unreachable")
                continue
            }
            switch response.status {
            case 200:
                guard case .array(let values) = try? ClaimValue(json: response.body) else {
                    throw .malformed(path: shown, reason: "not a JSON array")
                }
                var page: [[String: ClaimValue]] = []
                page.reserveCapacity(values.count)
                for value in values {
                    guard case .object(let object) = value else { throw .malformed(path: shown, reason: "an item is not an object") }
                    page.append(object)
                }
                return (page, response)
            case 429:
                throttled += 1
                guard throttled < rateLimitedTries else { throw .rateLimited(path: shown, tries: throttled) }
                let wait = untilReset(response.headers) ?? RequestURL.backOff(throttled)
                meter.throttled(wait)
                logger.warning("Okta rate-limited the listing; waiting", metadata: ["path": "\(shown)", "wait_s": "\(wait)"])
                await sleep(wait)
            case 500...599:
                failures += 1
                guard failures < attempts else { throw .status(response.status, path: shown, detail: Self.detail(response.body)) }
                await backOff(failures, shown: shown, reason: "HTTP \(response.status)")
            case 401 where !renewed && renewAfterRefusal(response):
                renewed = true
            default:
                throw .status(response.status, path: shown, detail: Self.detail(response.body))
            }
        }
    }

    /// The wait before the next request when the window is nearly spent: until its reset.
    func rateLimitPause(_ headers: [String: String]) -> Duration? {
        guard let remaining = headers["x-rate-limit-remaining"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
            remaining <= reserve
        else { return nil }
        return untilReset(headers)
    }

    /// From now to `X-Rate-Limit-Reset` (seconds since 1970) and one second more for clocks that
    /// disagree, at most ``longestWait``; `nil` without a usable header.
    func untilReset(_ headers: [String: String]) -> Duration? {
        guard let reset = headers["x-rate-limit-reset"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), reset.isFinite
        else { return nil }
        let seconds = max(0, reset - now().timeIntervalSince1970) + 1
        return min(.milliseconds(Int((seconds * 1000).rounded(.up))), longestWait)
    }

    private func backOff(_ attempt: Int, shown: String, reason: String) async {
        let wait = RequestURL.backOff(attempt)
        logger.warning(
            "Okta request failed; retrying",
            metadata: ["path": "\(shown)", "reason": "\(reason)", "attempt": "\(attempt)", "wait_s": "\(wait)"]
        )
        await sleep(wait)
    }

    /// Okta's `errorCode: errorSummary`, cut to printable ASCII.
    static func detail(_ body: Data) -> String? {
        guard case .object(let error)? = try? ClaimValue(json: body) else { return nil }
        let parts = [error["errorCode"]?.stringValue, error["errorSummary"]?.stringValue].compactMap { $0 }
        guard !parts.isEmpty else { return nil }
        let text = parts.joined(separator: ": ")
        return OutsideText.printable(text, limit: 200)
    }
}
