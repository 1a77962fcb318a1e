package import Foundation
package import RoleSyncHTTPClient
import RoleSyncOIDC
import Synchronization

/// A scripted OpenID provider for tests: discovery, JWKS, token and userinfo endpoints whose
/// answers the test sets, and a log of every request. It is an ``HTTPTransport`` itself (for the
/// relying party's unit tests) and the engine of the loopback provider in the server's tests.
package final class ScenarioProvider: HTTPTransport, Sendable {
    package struct State: Sendable {
        package var issuer: String
        /// The discovery document's members, as JSON texts.
        package var discovery: [String: String]
        /// The JWKS's key objects, as JSON texts.
        package var keys: [String]
        /// What the token endpoint answers, by code; an unknown code gets `invalid_grant`.
        package var tokenResponses: [String: (status: Int, body: String)] = [:]
        /// When set, the token endpoint answers this to every code (a failing provider).
        package var tokenFailure: (status: Int, body: String)?
        /// What the userinfo endpoint answers.
        package var userinfo: (status: Int, body: String) = (200, "{}")
        /// Every request, in order.
        package var requests: [HTTPTransportRequest] = []
        /// When set, the JWKS endpoint answers with this status.
        package var jwksStatus: Int = 200
    }

    private let state: Mutex<State>

    /// - Parameter issuer: the issuer; endpoints live under it.
    package init(issuer: String, keys: [String] = [], algorithms: [String] = ["RS256", "ES256", "EdDSA", "PS256"]) {
        state = Mutex(
            State(
                issuer: issuer,
                discovery: Self.discovery(issuer: issuer, algorithms: algorithms),
                keys: keys
            )
        )
    }

    /// Moves the provider to another issuer (a loopback provider learns its port only once running).
    package func move(to issuer: String, algorithms: [String] = ["RS256", "ES256", "EdDSA", "PS256"]) {
        with {
            $0.issuer = issuer
            $0.discovery = Self.discovery(issuer: issuer, algorithms: algorithms)
        }
    }

    static func discovery(issuer: String, algorithms: [String]) -> [String: String] {
        let algs = algorithms.map { "\"\($0)\"" }.joined(separator: ",")
        return [
            "issuer": "\"\(issuer)\"",
            "authorization_endpoint": "\"\(issuer)/authorize\"",
            "token_endpoint": "\"\(issuer)/token\"",
            "jwks_uri": "\"\(issuer)/jwks\"",
            "userinfo_endpoint": "\"\(issuer)/userinfo\"",
            "id_token_signing_alg_values_supported": "[\(algs)]",
            "code_challenge_methods_supported": "[\"S256\"]",
        ]
    }

    /// Reads or changes the scenario.
    package func with<T>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// The requests made to a path.
    package func requests(to path: String) -> [HTTPTransportRequest] {
        with { $0.requests.filter { $0.url.path.hasSuffix(path) } }
    }

    /// Sets the token endpoint's answer for a code: a 200 with this ID token.
    package func issue(code: String, idToken: String, accessToken: String = "at-\(UUID().uuidString)") {
        with {
            $0.tokenResponses[code] = (
                200, "{\"id_token\":\"\(idToken)\",\"access_token\":\"\(accessToken)\",\"token_type\":\"Bearer\"}"
            )
        }
    }

    package func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        let (status, body) = answer(request)
        return HTTPTransportResponse(status: status, headers: ["content-type": "application/json"], body: Data(body.utf8))
    }

    /// The status and body for a request to one of the endpoints.
    package func answer(_ request: HTTPTransportRequest) -> (Int, String) {
        with { state in
            state.requests.append(request)
            let path = request.url.path
            if path.hasSuffix("/.well-known/openid-configuration") {
                return (
                    200,
                    "{"
                        + state.discovery.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }
                        .joined(separator: ",") + "}"
                )
            }
            if path.hasSuffix("/jwks") {
                return (state.jwksStatus, "{\"keys\":[" + state.keys.joined(separator: ",") + "]}")
            }
            if path.hasSuffix("/token") {
                if let failure = state.tokenFailure { return failure }
                let form = Self.form(request.body ?? Data())
                guard let code = form["code"], let answer = state.tokenResponses.removeValue(forKey: code) else {
                    return (400, "{\"error\":\"invalid_grant\"}")
                }
                return answer
            }
            if path.hasSuffix("/userinfo") {
                return state.userinfo
            }
            return (404, "{}")
        }
    }

    /// Decodes an `application/x-www-form-urlencoded` body.
    package static func form(_ body: Data) -> [String: String] {
        var result: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }
}
