package import Foundation
package import Logging
import Metrics
package import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncMapping

/// Follows an ID token's distributed claims (OpenID Connect Core §5.6.2) to the endpoint its
/// `_claim_sources` names, with the sign-in's access token, where RoleSync knows what that endpoint
/// answers: Microsoft Graph's `getMemberObjects`, which Entra ID names when a user's groups
/// overflow the token (`POST {"securityEnabledOnly": false}`, answer `{"value": [ids…]}`).
///
/// The access token goes only to an endpoint that is `https` on the default port, without a user
/// part, query or fragment, on one of the configured ``hosts``, whose path ends in
/// `/getMemberObjects`; anything else is refused before any request, so a token's claims cannot
/// send the access token to a URL an attacker chose (and the transport follows no redirect). A
/// refusal or failure leaves the claim unknown: it is logged (never the token, the URL or a claim's
/// value) and counted in `rolesync_claims_resolved_total{source="claim_source"}`.
package struct ClaimSourceFetcher: Sendable {
    /// Why a distributed claim was not fetched.
    package enum Failure: Error, Sendable, Hashable {
        /// The token response had no access token.
        case noAccessToken
        /// The claim names no source, or its source has no `endpoint` (an aggregated claim).
        case noEndpoint
        /// Not `https`, or with a port, user part, query or fragment.
        case notHTTPS
        /// The host is not allowed.
        case hostNotAllowed
        /// Not an endpoint whose answer RoleSync can read.
        case unsupportedEndpoint
        /// No answer (connection, TLS, timeout).
        case unreachable
        /// An answer other than 200 (a 403: the access token lacks the Graph permission).
        case refused(status: Int)
        /// A 200 that is not `{"value": [strings…]}`.
        case malformed

        /// The metric's `outcome` and the log's `reason`.
        package var code: String {
            switch self {
            case .noAccessToken: "no_access_token"
            case .noEndpoint: "no_endpoint"
            case .notHTTPS: "not_https"
            case .hostNotAllowed: "host_not_allowed"
            case .unsupportedEndpoint: "unsupported_endpoint"
            case .unreachable: "unreachable"
            case .refused: "http_error"
            case .malformed: "malformed"
            }
        }
    }

    /// The provider's name, for logs and metrics.
    package var idp: String
    /// The hosts an endpoint may be on, lower-cased.
    package var hosts: Set<String>
    var transport: any HTTPTransport
    var logger: Logger

    /// - Parameters:
    ///   - idp: the provider's name.
    ///   - hosts: the allowed hosts (compared ignoring case).
    ///   - transport: how to reach them (no redirects, bounded, timed out).
    ///   - logger: where failures are logged.
    package init(idp: String, hosts: Set<String>, transport: any HTTPTransport, logger: Logger) {
        self.idp = idp
        self.hosts = Set(hosts.map { $0.lowercased() })
        self.transport = transport
        self.logger = logger
    }

    /// The claims with each unknown one fetched from its source where allowed, noted with the
    /// endpoint's host and read now; the others stay unknown.
    /// - Parameters:
    ///   - claims: the ID token's (and userinfo's) claims.
    ///   - accessToken: the token response's access token.
    ///   - now: the time of the read.
    package func resolve(_ claims: Claims, accessToken: String?, now: Date) async -> Claims {
        var resolved = claims
        for name in claims.unknownNames.sorted() {
            var logger = logger
            logger[metadataKey: "claim"] = "\(name)"
            do throws(Failure) {
                guard let accessToken else { throw .noAccessToken }
                let url = try Self.endpoint(Self.source(of: name, in: claims), hosts: hosts)
                let value = try await fetch(url, accessToken: accessToken)
                let host = url.host ?? ""
                resolved = resolved.resolving([name: value], from: ClaimSource(via: .claimSourceEndpoint(host: host), asOf: now, ageSeconds: 0))
                count("resolved")
                logger.info("distributed claim fetched from its source", metadata: ["host": "\(host)"])
            } catch {
                count(error.code)
                var metadata: Logger.Metadata = ["reason": "\(error.code)"]
                if case .refused(let status) = error { metadata["status"] = "\(status)" }
                logger.warning("distributed claim not fetched from its source; left unknown", metadata: metadata)
            }
        }
        return resolved
    }

    /// The endpoint the token names for a distributed claim.
    static func source(of name: String, in claims: Claims) throws(Failure) -> String {
        guard case .string(let source)? = claims.values["_claim_names"]?.objectValue?[name],
            case .object(let description)? = claims.values["_claim_sources"]?.objectValue?[source],
            case .string(let endpoint)? = description["endpoint"]
        else { throw .noEndpoint }
        return endpoint
    }

    /// The endpoint as it will be called, or why it must not be.
    /// - Parameters:
    ///   - text: the `endpoint` of a `_claim_sources` entry.
    ///   - hosts: the allowed hosts, lower-cased.
    /// - Throws: ``Failure/notHTTPS``, ``Failure/hostNotAllowed`` or ``Failure/unsupportedEndpoint``.
    package static func endpoint(_ text: String, hosts: Set<String>) throws(Failure) -> URL {
        guard let parts = URLComponents(string: text), parts.scheme?.lowercased() == "https", parts.user == nil,
            parts.password == nil, parts.port == nil, parts.query == nil, parts.fragment == nil
        else { throw .notHTTPS }
        guard let host = parts.percentEncodedHost?.lowercased(), hosts.contains(host) else { throw .hostNotAllowed }
        let path = parts.percentEncodedPath
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
        guard path.hasSuffix("/getMemberObjects"), path.unicodeScalars.allSatisfy(allowed.contains), !path.contains("/../"),
            let url = URL(string: "https://\(host)\(path)")
        else { throw .unsupportedEndpoint }
        return url
    }

    private func fetch(_ url: URL, accessToken: String) async throws(Failure) -> ClaimValue {
        let response: HTTPTransportResponse
        do {
            response = try await transport.send(
                HTTPTransportRequest(
                    method: .post,
                    url: url,
                    headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "application/json"), ("Accept", "application/json")],
                    body: Data(#"{"securityEnabledOnly":false}"#.utf8)
                )
            )
        } catch {
            throw .unreachable
        }
        guard response.status == 200 else { throw .refused(status: response.status) }
        guard case .object(let body)? = try? ClaimValue(json: response.body), case .array(let ids)? = body["value"],
            ids.allSatisfy({ $0.stringValue != nil })
        else { throw .malformed }
        return .array(ids)
    }

    private func count(_ outcome: String) {
        Counter(label: "rolesync_claims_resolved_total", dimensions: [("idp", idp), ("source", "claim_source"), ("outcome", outcome)])
            .increment()
    }
}
