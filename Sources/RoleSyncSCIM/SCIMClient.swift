package import Foundation
package import Logging
package import RoleSyncHTTPClient
package import RoleSyncJSON
import RoleSyncMapping

/// Reads an IdP's directory over SCIM 2.0 (RFC 7644): whole listings of `/Users` and `/Groups`,
/// page by page with `startIndex`/`count`, with a bearer token.
///
/// A listing is all or nothing: a page that fails after its retries, or a listing whose
/// `totalResults` moves or whose pages come short, throws, so a partial directory is never taken for
/// the whole one (reconciliation would read the missing users as gone).
package struct SCIMClient: Sendable {
    package var baseURL: URL
    var token: String
    var transport: any HTTPTransport
    /// Resources asked for per page; lowered to the directory's `filter.maxResults` when it says so.
    package var pageSize: Int
    /// Tries per request for 429 and 5xx answers and transport failures.
    package var attempts: Int
    /// Waits between tries; tests pass one that does not sleep.
    var sleep: @Sendable (Duration) async -> Void
    var logger: Logger
    /// Counts the requests sent and the waits a 429 asked for.
    package var meter = DirectoryReadMeter()

    /// - Parameters:
    ///   - baseURL: the SCIM base (`https://idp.example.com/scim/v2`).
    ///   - token: the bearer token (never logged).
    ///   - transport: how to reach the directory.
    ///   - pageSize: resources per page (default 500).
    ///   - attempts: tries per request (default 5).
    ///   - logger: where retries are logged.
    package init(
        baseURL: URL,
        token: String,
        transport: any HTTPTransport,
        pageSize: Int = 500,
        attempts: Int = 5,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) {
        self.baseURL = baseURL
        self.token = token
        self.transport = transport
        self.pageSize = max(1, pageSize)
        self.attempts = max(1, attempts)
        self.logger = logger
        self.sleep = sleep
    }

    /// The directory's `ServiceProviderConfig`; `nil` when it has none (404).
    package func serviceProviderConfig() async throws(SCIMError) -> [String: ClaimValue]? {
        let (status, body) = try await get("ServiceProviderConfig", query: [], allowNotFound: true)
        guard status != 404 else { return nil }
        guard case .object(let members) = body else { throw .malformed("ServiceProviderConfig is not an object") }
        return members
    }

    /// Every resource of a type, in the directory's order.
    /// - Parameter resource: `Users` or `Groups`.
    /// - Throws: ``SCIMError`` when any page fails or the listing is inconsistent.
    package func list(_ resource: String) async throws(SCIMError) -> [[String: ClaimValue]] {
        var size = pageSize
        if let config = try await serviceProviderConfig(), case .object(let filter)? = config["filter"],
            case .number(let maximum)? = filter["maxResults"], maximum >= 1
        {
            size = min(size, Int(maximum))
        }
        return try await pages(of: resource, filter: nil, size: size)
    }

    /// Every resource of a type that a filter selects (RFC 7644 §3.4.2.2), page by page, with the
    /// same consistency checks as ``list(_:)``; for look-ups of one person, so it does not ask for
    /// `ServiceProviderConfig` first. The caller checks what comes back: a directory may ignore a
    /// filter it does not support.
    /// - Parameters:
    ///   - resource: `Users` or `Groups`.
    ///   - filter: a SCIM filter, e.g. from ``equalityFilter(_:_:)``.
    /// - Throws: ``SCIMError`` when any page fails or the listing is inconsistent.
    package func search(_ resource: String, filter: String) async throws(SCIMError) -> [[String: ClaimValue]] {
        try await pages(of: resource, filter: filter, size: pageSize)
    }

    /// `attribute eq "value"`, the value quoted as a JSON string (RFC 7644 §3.4.2.2).
    package static func equalityFilter(_ attribute: String, _ value: String) -> String {
        "\(attribute) eq \(ClaimValue.string(value).jsonText)"
    }

    private func pages(of resource: String, filter: String?, size: Int) async throws(SCIMError) -> [[String: ClaimValue]] {
        var resources: [[String: ClaimValue]] = []
        var total: Int?
        var startIndex = 1
        while true {
            let paging = [("startIndex", "\(startIndex)"), ("count", "\(size)")]
            let (_, body) = try await get(resource, query: (filter.map { [("filter", $0)] } ?? []) + paging)
            guard case .object(let page) = body, case .number(let pageTotal)? = page["totalResults"], pageTotal >= 0,
                pageTotal == pageTotal.rounded()
            else {
                throw .malformed("\(resource) page at \(startIndex) is not a ListResponse with totalResults")
            }
            let items: [ClaimValue]
            switch page["Resources"] {
            case .array(let list)?: items = list
            case nil, .null?: items = []
            default: throw .malformed("\(resource) page at \(startIndex): Resources is not a list")
            }
            if let total, Int(pageTotal) != total {
                throw .inconsistent("\(resource): totalResults went from \(total) to \(Int(pageTotal)) between pages")
            }
            total = Int(pageTotal)
            for item in items {
                guard case .object(let object) = item else { throw .malformed("\(resource): a resource is not an object") }
                resources.append(object)
            }
            if resources.count >= Int(pageTotal) {
                guard resources.count == Int(pageTotal) else {
                    throw .inconsistent("\(resource): \(resources.count) resources listed, totalResults says \(Int(pageTotal))")
                }
                return resources
            }
            guard !items.isEmpty else {
                throw .inconsistent("\(resource): a page came back empty at \(startIndex) of \(Int(pageTotal))")
            }
            startIndex += items.count
        }
    }

    /// One GET with retries for 429 and 5xx (honouring `Retry-After` seconds, capped at a minute)
    /// and transport failures, with exponential backoff otherwise.
    func get(
        _ path: String,
        query: [(String, String)],
        allowNotFound: Bool = false
    ) async throws(SCIMError) -> (Int, ClaimValue) {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)
        if !query.isEmpty {
            components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            // URLComponents leaves `+` as it is, which servers read as a space (`a+b@example.com`).
            let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
            components?.percentEncodedQuery = encoded
        }
        guard let url = components?.url else { throw .malformed("\(path) is not a valid URL") }
        let request = HTTPTransportRequest(
            method: .get,
            url: url,
            headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/scim+json, application/json")]
        )
        var lastFailure = SCIMError.unreachable("no attempt made")
        for attempt in 1...attempts {
            let response: HTTPTransportResponse
            do {
                meter.request()
                response = try await transport.send(request)
            } catch {
                lastFailure = .unreachable("\(type(of: error))")
                if attempt < attempts { await backOff(attempt, retryAfter: nil, path: path, reason: "unreachable") }
                continue
            }
            if response.status == 200 {
                do {
                    return (200, try ClaimValue(json: response.body))
                } catch {
                    throw .malformed("\(path): not JSON (\(error))")
                }
            }
            if response.status == 404, allowNotFound { return (404, .null) }
            let detail = Self.detail(response.body)
            lastFailure = .status(response.status, path: path, detail: detail)
            guard response.status == 429 || response.status >= 500 else { throw lastFailure }
            if attempt < attempts {
                await backOff(
                    attempt,
                    retryAfter: response.headers["retry-after"],
                    path: path,
                    reason: "HTTP \(response.status)",
                    throttled: response.status == 429
                )
            }
        }
        throw lastFailure
    }

    private func backOff(_ attempt: Int, retryAfter: String?, path: String, reason: String, throttled: Bool = false) async {
        let seconds: Double
        if let retryAfter, let value = Double(retryAfter.trimmingCharacters(in: .whitespaces)), value >= 0 {
            seconds = min(value, 60)
        } else {
            seconds = min(0.5 * Double(1 << min(attempt - 1, 6)), 30)
        }
        logger.warning(
            "SCIM request failed; retrying",
            metadata: ["path": "\(path)", "reason": "\(reason)", "attempt": "\(attempt)", "wait_s": "\(seconds)"]
        )
        if throttled { meter.throttled(.milliseconds(Int(seconds * 1000))) }
        await sleep(.milliseconds(Int(seconds * 1000)))
    }

    /// A SCIM error's `detail` (and `scimType`), cut to printable ASCII.
    static func detail(_ body: Data) -> String? {
        guard case .object(let error)? = try? ClaimValue(json: body) else { return nil }
        let parts = [error["scimType"]?.stringValue, error["detail"]?.stringValue].compactMap { $0 }
        guard !parts.isEmpty else { return nil }
        let text = parts.joined(separator: ": ")
        return OutsideText.printable(text, limit: 200)
    }
}
