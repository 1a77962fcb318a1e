package import Foundation
import RoleSyncHTTPClient
import RoleSyncJSON
import Synchronization

extension OktaDirectory {
    /// How the directory proves itself to Okta.
    package enum Credential: Sendable, Equatable {
        /// An API token (an administrator's), sent as `Authorization: SSWS <token>`.
        case apiToken(String)
        /// An API service app (OAuth 2.0 for Okta): the client credentials grant at the org's
        /// `/oauth2/v1/token`, authenticated by a `private_key_jwt` assertion signed with the
        /// app's private key (RS256, `kid` when given), for the scopes ``scopes``.
        case privateKey(clientID: String, privateKey: String, keyID: String?)
    }

    /// The read-only scopes the service app must be granted.
    package static let scopes = ["okta.users.read", "okta.groups.read"]

    /// The org authorization server's token endpoint.
    package var tokenURL: URL { orgURL.appendingPathComponent("oauth2/v1/token") }

    /// The headers that authorize a request to `url`: the API token, or the service app's access
    /// token (with a DPoP proof when Okta bound the token to the run's key).
    func authorization(_ method: String, _ url: URL) async throws(OktaError) -> [(String, String)] {
        switch credential {
        case .apiToken(let token):
            return [("Authorization", "SSWS \(token)")]
        case .privateKey:
            let token = try await accessToken()
            guard token.type.lowercased() == "dpop" else { return [("Authorization", "Bearer \(token.value)")] }
            return [("Authorization", "DPoP \(token.value)"), ("DPoP", try proof(method, url, accessToken: token.value))]
        }
    }

    /// After a 401 from the API: whether to try once more, with a new token (the kept one expired
    /// or was revoked) or with the nonce Okta asked the DPoP proof to carry.
    func renewAfterRefusal(_ response: HTTPTransportResponse) -> Bool {
        guard case .privateKey = credential else { return false }
        if let nonce = response.headers["dpop-nonce"], !nonce.isEmpty {
            oauth.state.withLock { $0.nonce = nonce }
        } else {
            oauth.state.withLock { $0.token = nil }
        }
        return true
    }

    /// The run's access token: the one kept unless it expires within a minute; else a new one.
    /// Okta answers `invalid_dpop_proof` to an app that requires DPoP (the default for new service
    /// apps) and `use_dpop_nonce` with a `DPoP-Nonce` header before it accepts a proof: both are
    /// followed, at most twice.
    func accessToken() async throws(OktaError) -> (value: String, type: String) {
        guard case .privateKey(let clientID, let privateKey, let keyID) = credential else { return ("", "") }
        let moment = now()
        if let kept = oauth.state.withLock({ $0.token }), kept.expires.timeIntervalSince(moment) > 60 { return (kept.value, kept.type) }
        let shown = RequestURL.shown(tokenURL)
        var tries = 0
        var answers = 0
        while true {
            let issued = Int(moment.timeIntervalSince1970)
            let claims: [String: any Sendable] = [
                "iss": clientID, "sub": clientID, "aud": tokenURL.absoluteString, "iat": issued, "exp": issued + 300,
                "jti": UUID().uuidString,
            ]
            let assertion: String
            do {
                assertion = try SignedAssertion.sign(
                    header: keyID.map { ["kid": $0] } ?? [:],
                    claims: claims,
                    algorithm: .rs256,
                    privateKey: privateKey
                )
            } catch {
                throw .key(error.reason)
            }
            let form = [
                ("grant_type", "client_credentials"), ("scope", Self.scopes.joined(separator: " ")),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", assertion),
            ].map { "\($0.0)=\(OutsideText.percentEncoded($0.1))" }.joined(separator: "&")
            var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
            if oauth.state.withLock({ $0.usesDPoP }) { headers.append(("DPoP", try proof("POST", tokenURL, accessToken: nil))) }
            let request = HTTPTransportRequest(method: .post, url: tokenURL, headers: headers, body: Data(form.utf8))
            let response: HTTPTransportResponse
            do {
                meter.request()
                response = try await transport.send(request)
            } catch {
                tries += 1
                guard tries < attempts else { throw .unreachable(path: shown, reason: "\(type(of: error))") }
                await sleep(RequestURL.backOff(tries))
                continue
            }
            if response.status == 429 || response.status >= 500 {
                tries += 1
                guard tries < attempts else { throw .token(status: response.status, detail: Self.tokenDetail(response.body)) }
                await sleep(untilReset(response.headers) ?? RequestURL.backOff(tries))
                continue
            }
            var body: [String: ClaimValue] = [:]
            if case .object(let object)? = try? ClaimValue(json: response.body) { body = object }
            let error = body["error"]?.stringValue
            if response.status == 400, answers < 2, error == "use_dpop_nonce" || error == "invalid_dpop_proof" {
                answers += 1
                let nonce = response.headers["dpop-nonce"]
                let alreadyDPoP = oauth.state.withLock { state in
                    defer {
                        state.usesDPoP = true
                        if let nonce { state.nonce = nonce }
                    }
                    return state.usesDPoP
                }
                // A refused proof that carried no news (no nonce, DPoP already on) is final.
                if !(error == "invalid_dpop_proof" && alreadyDPoP && nonce == nil) { continue }
            }
            guard response.status == 200 else { throw .token(status: response.status, detail: Self.tokenDetail(response.body)) }
            guard let value = body["access_token"]?.stringValue, !value.isEmpty else { throw .malformed(path: shown, reason: "no access_token") }
            let type = body["token_type"]?.stringValue ?? "Bearer"
            let lifetime: Double = if case .number(let seconds)? = body["expires_in"] { seconds } else { 3_600 }
            oauth.state.withLock { $0.token = (value, type, moment.addingTimeInterval(max(0, lifetime))) }
            return (value, type)
        }
    }

    /// A DPoP proof (RFC 9449 §4.2) for one request, signed with the run's own key: `htm`, `htu`
    /// (the URL without query or fragment), `iat`, a fresh `jti`, Okta's latest nonce, and for an
    /// API request `ath`, the access token's hash.
    func proof(_ method: String, _ url: URL, accessToken: String?) throws(OktaError) -> String {
        let key = oauth.key
        var target = URLComponents(url: url, resolvingAgainstBaseURL: false)
        target?.query = nil
        target?.fragment = nil
        var claims: [String: any Sendable] = [
            "htm": method, "htu": target?.url?.absoluteString ?? url.absoluteString, "iat": Int(now().timeIntervalSince1970),
            "jti": UUID().uuidString,
        ]
        if let nonce = oauth.state.withLock({ $0.nonce }) { claims["nonce"] = nonce }
        if let accessToken { claims["ath"] = SignedAssertion.sha256(accessToken) }
        do {
            let header: [String: any Sendable] = ["typ": "dpop+jwt", "jwk": try SignedAssertion.publicJWK(of: key)]
            return try SignedAssertion.sign(header: header, claims: claims, algorithm: .rs256, privateKey: key)
        } catch {
            throw .key("the DPoP key cannot sign: \(error.reason)")
        }
    }

    /// The token endpoint's `error: error_description`.
    static func tokenDetail(_ body: Data) -> String? {
        guard case .object(let answer)? = try? ClaimValue(json: body) else { return nil }
        let parts = [answer["error"]?.stringValue, answer["error_description"]?.stringValue].compactMap { $0 }
        return parts.isEmpty ? nil : OutsideText.printable(parts.joined(separator: ": "), limit: 200)
    }
}

/// What a run signed in to Okta with a service app keeps: the access token, whether Okta binds
/// tokens to a DPoP key, its latest nonce, and the key itself (made for this process, never
/// written). Shared by the copies of one reader. Never printed.
package final class OktaOAuthState: Sendable {
    struct State {
        var token: (value: String, type: String, expires: Date)?
        var usesDPoP = false
        var nonce: String?
    }

    let state = Mutex(State())
    /// The DPoP key, made on first use.
    private let made = Mutex<String?>(nil)

    package init() {}

    var key: String {
        made.withLock { key in
            if let key { return key }
            let fresh = SignedAssertion.ephemeralKey()
            key = fresh
            return fresh
        }
    }
}
