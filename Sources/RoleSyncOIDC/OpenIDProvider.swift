package import Foundation
package import Logging
import Metrics
package import RoleSyncHTTPClient
import RoleSyncJSON
package import RoleSyncMapping

/// The relying party's view of one OpenID provider: its discovery document and keys (cached and
/// refreshed), the authorization request, the code exchange, ID-token validation and userinfo.
///
/// An actor because the caches are shared by every sign-in; fetches are single-flight, so a burst
/// of sign-ins after a key rotation causes one JWKS fetch, not one per sign-in.
package actor OpenIDProvider {
    package nonisolated let configuration: ProviderConfiguration
    private let transport: any HTTPTransport
    private let logger: Logger
    private let now: @Sendable () -> Date

    private var metadata: ProviderMetadata?
    private var metadataFetchedAt = Date.distantPast
    private var metadataTask: Task<ProviderMetadata, any Error>?
    private var keys = KeySet.empty
    private var keysTask: Task<KeySet, any Error>?
    private var lastUnknownKeyRefetch = Date.distantPast

    /// - Parameters:
    ///   - configuration: the provider's settings.
    ///   - transport: how to reach it.
    ///   - logger: where fetches and skipped keys are logged (never tokens or secrets).
    ///   - now: the clock; tests pass their own.
    package init(
        configuration: ProviderConfiguration,
        transport: any HTTPTransport,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configuration = configuration
        self.transport = transport
        var logger = logger
        logger[metadataKey: "issuer"] = "\(configuration.issuer)"
        self.logger = logger
        self.now = now
    }

    // MARK: Discovery and keys

    /// The discovery document, fetched when missing or older than its lifetime. When a refresh
    /// fails, the previous document stays in use (and the failure is logged).
    /// - Throws: ``OIDCError/discoveryFailed(_:)`` when there is no usable document at all.
    package func providerMetadata() async throws(OIDCError) -> ProviderMetadata {
        if let metadata, now().timeIntervalSince(metadataFetchedAt) < configuration.metadataLifetime {
            return metadata
        }
        let task: Task<ProviderMetadata, any Error>
        if let running = metadataTask {
            task = running
        } else {
            task = Task { try await self.fetchMetadata() }
            metadataTask = task
        }
        do {
            let fresh = try await task.value
            metadataTask = nil
            return fresh
        } catch {
            metadataTask = nil
            let failure = error as? OIDCError ?? .discoveryFailed("\(error)")
            if let metadata {
                logger.warning("discovery refresh failed; keeping the previous document", metadata: ["error": "\(failure)"])
                metadataFetchedAt = now()
                return metadata
            }
            throw failure
        }
    }

    private func fetchMetadata() async throws -> ProviderMetadata {
        let base = configuration.issuer.hasSuffix("/") ? String(configuration.issuer.dropLast()) : configuration.issuer
        guard let url = URL(string: base + "/.well-known/openid-configuration") else {
            throw OIDCError.discoveryFailed("the issuer is not a URL")
        }
        let response = try await get(url, failure: OIDCError.discoveryFailed)
        let fresh = try ProviderMetadata(
            discovery: response.body,
            expectedIssuer: configuration.issuer,
            allowInsecureHTTP: configuration.allowsInsecureHTTP
        )
        metadata = fresh
        metadataFetchedAt = now()
        logger.debug("fetched the discovery document")
        return fresh
    }

    /// The algorithms ID tokens may be signed with: advertised ∩ RoleSync's allow-list.
    func allowedAlgorithms(_ metadata: ProviderMetadata) -> Set<JWSAlgorithm> {
        var allowed = JWSAlgorithm.asymmetric
        if configuration.allowsHMAC, configuration.clientSecret != nil { allowed.formUnion(JWSAlgorithm.hmac) }
        return metadata.signingAlgorithms.intersection(allowed)
    }

    /// The current key set, fetched when missing or older than its lifetime.
    package func keySet() async throws(OIDCError) -> KeySet {
        if !keys.keys.isEmpty, now().timeIntervalSince(keys.fetchedAt) < configuration.keySetLifetime {
            return keys
        }
        return try await refreshKeys(reason: keys.keys.isEmpty ? "initial" : "expired")
    }

    private func refreshKeys(reason: String) async throws(OIDCError) -> KeySet {
        let task: Task<KeySet, any Error>
        if let running = keysTask {
            task = running
        } else {
            task = Task { try await self.fetchKeys(reason: reason) }
            keysTask = task
        }
        do {
            let fresh = try await task.value
            keysTask = nil
            return fresh
        } catch {
            keysTask = nil
            let failure = error as? OIDCError ?? .keySetFailed("\(error)")
            if !keys.keys.isEmpty {
                logger.warning("JWKS refresh failed; keeping the previous keys", metadata: ["error": "\(failure)"])
                return keys
            }
            throw failure
        }
    }

    private func fetchKeys(reason: String) async throws -> KeySet {
        let metadata = try await providerMetadata()
        let counter = { (result: String) in
            Counter(
                label: "rolesync_jwks_refreshes_total",
                dimensions: [("idp", self.configuration.name), ("reason", reason), ("result", result)]
            ).increment()
        }
        do {
            let response = try await get(metadata.jwksURI, failure: OIDCError.keySetFailed)
            let fresh = try await KeySet.parse(
                response.body,
                allowed: allowedAlgorithms(metadata),
                hmacSecret: configuration.allowsHMAC ? configuration.clientSecret : nil,
                fetchedAt: now()
            )
            for skipped in fresh.skipped {
                logger.warning("JWKS key skipped", metadata: ["key": "\(skipped)"])
            }
            guard !fresh.keys.isEmpty else { throw OIDCError.keySetFailed("no usable key") }
            keys = fresh
            counter("ok")
            logger.info(
                "fetched the JWKS",
                metadata: ["reason": "\(reason)", "keys": "\(fresh.keys.keys.sorted().joined(separator: ","))"]
            )
            return fresh
        } catch {
            counter("failed")
            throw error
        }
    }

    private func get(_ url: URL, failure: (String) -> OIDCError) async throws(OIDCError) -> HTTPTransportResponse {
        let response: HTTPTransportResponse
        do {
            response = try await transport.send(
                HTTPTransportRequest(method: .get, url: url, headers: [("Accept", "application/json")])
            )
        } catch {
            throw failure("\(url.host ?? "the provider") could not be reached (\(type(of: error)))")
        }
        guard response.status == 200 else { throw failure("\(url.path) answered HTTP \(response.status)") }
        return response
    }

    // MARK: Authorization request

    /// The URL to send the browser to: `response_type=code`, the configured scopes, `state`,
    /// `nonce` and an S256 PKCE challenge.
    package func authorizationURL(for login: PendingLogin) async throws(OIDCError) -> URL {
        let metadata = try await providerMetadata()
        guard var components = URLComponents(url: metadata.authorizationEndpoint, resolvingAgainstBaseURL: false)
        else {
            throw .discoveryFailed("'authorization_endpoint' is not a URL")
        }
        var items = components.queryItems ?? []
        items += [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: configuration.clientID),
            URLQueryItem(name: "redirect_uri", value: configuration.redirectURI.absoluteString),
            URLQueryItem(name: "scope", value: configuration.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: login.state),
            URLQueryItem(name: "nonce", value: login.nonce),
            URLQueryItem(name: "code_challenge", value: login.codeChallenge),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        components.percentEncodedQuery = items.map { Self.percentEncode($0.name) + "=" + Self.percentEncode($0.value ?? "") }
            .joined(separator: "&")
        guard let url = components.url else { throw .discoveryFailed("'authorization_endpoint' is not a URL") }
        return url
    }

    /// Checks the callback's `iss` parameter (RFC 9207): when present it must be the issuer; when
    /// the provider advertises that it sends one, it must be present.
    package func checkIssuerParameter(_ iss: String?) async throws(OIDCError) {
        if let iss {
            guard iss == configuration.issuer else { throw .issuerParameterMismatch }
        } else if try await providerMetadata().sendsIssuerParameter {
            throw .issuerParameterMismatch
        }
    }

    // MARK: Code exchange and validation

    /// Redeems an authorization code and validates what comes back.
    /// - Parameters:
    ///   - code: the callback's `code`.
    ///   - login: the pending login the callback's `state` belongs to.
    /// - Returns: the verified identity; with `userinfo: true`, its claims include userinfo's; with
    ///   ``ProviderConfiguration/claimSourceHosts``, distributed claims found at an allowed
    ///   `_claim_sources` endpoint (a failure there leaves them unknown, it never fails the sign-in).
    /// - Throws: the ``OIDCError`` of the first failed step. After a bad ID token, userinfo is
    ///   never called.
    package func redeem(code: String, login: PendingLogin) async throws(OIDCError) -> VerifiedIdentity {
        let metadata = try await providerMetadata()
        let tokens = try await exchange(code: code, login: login, endpoint: metadata.tokenEndpoint)
        let token = try await validate(idToken: tokens.idToken, nonce: login.nonce, metadata: metadata)
        var claims = token.claims
        if configuration.fetchUserinfo {
            guard let endpoint = metadata.userinfoEndpoint else {
                throw .userinfoFailed("the provider has no userinfo endpoint")
            }
            guard let accessToken = tokens.accessToken else {
                throw .userinfoFailed("the token response has no access token")
            }
            let userinfo = try await fetchUserinfo(endpoint: endpoint, accessToken: accessToken)
            guard userinfo["sub"]?.stringValue == token.subject else { throw .userinfoSubjectMismatch }
            claims = Self.merge(idToken: claims, userinfo: userinfo)
        }
        if !configuration.claimSourceHosts.isEmpty, !claims.unknownNames.isEmpty {
            let fetcher = ClaimSourceFetcher(idp: configuration.name, hosts: configuration.claimSourceHosts, transport: transport, logger: logger)
            claims = await fetcher.resolve(claims, accessToken: tokens.accessToken, now: now())
        }
        return VerifiedIdentity(issuer: configuration.issuer, subject: token.subject, claims: claims, idToken: token)
    }

    /// Validates an ID token against the current keys; an unknown key triggers one JWKS refetch
    /// (at most one per ``ProviderConfiguration/keyRefetchInterval``) and one more try.
    package func validate(idToken: String, nonce: String) async throws(OIDCError) -> VerifiedIDToken {
        try await validate(idToken: idToken, nonce: nonce, metadata: try await providerMetadata())
    }

    private func validate(
        idToken: String,
        nonce: String,
        metadata: ProviderMetadata
    ) async throws(OIDCError)
        -> VerifiedIDToken
    {
        let validator = IDTokenValidator(
            .init(
                issuer: configuration.issuer,
                clientID: configuration.clientID,
                trustedAudiences: configuration.trustedAudiences,
                algorithms: allowedAlgorithms(metadata),
                clockSkew: configuration.clockSkew
            )
        )
        let current = try await keySet()
        do {
            return try validator.validate(idToken, keys: current, nonce: nonce, now: now())
        } catch .unknownKey(let kid) {
            let fresh: KeySet
            if keysTask != nil {
                // Another sign-in is fetching the keys right now: wait for that fetch.
                fresh = try await refreshKeys(reason: "unknown_kid")
            } else if keys.fetchedAt > current.fetchedAt {
                // Another sign-in fetched them while this one waited.
                fresh = keys
            } else {
                let time = now()
                guard time.timeIntervalSince(lastUnknownKeyRefetch) >= configuration.keyRefetchInterval else {
                    logger.notice("unknown key id; JWKS refetch skipped (rate limit)")
                    throw .unknownKey(keyID: kid)
                }
                lastUnknownKeyRefetch = time
                fresh = try await refreshKeys(reason: "unknown_kid")
            }
            return try validator.validate(idToken, keys: fresh, nonce: nonce, now: now())
        }
    }

    /// A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3), the members
    /// RoleSync reads, each of its JSON type.
    struct TokenResponse: Decodable {
        var idToken: String?
        var accessToken: String?
        var tokenType: String?

        enum CodingKeys: String, CodingKey {
            case idToken = "id_token"
            case accessToken = "access_token"
            case tokenType = "token_type"
        }
    }

    /// An error response (RFC 6749 §5.2).
    struct TokenErrorResponse: Decodable {
        var error: String
    }

    private func exchange(code: String, login: PendingLogin, endpoint: URL) async throws(OIDCError) -> (idToken: String, accessToken: String?) {
        var form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", configuration.redirectURI.absoluteString),
            ("code_verifier", login.codeVerifier),
        ]
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
        ]
        switch configuration.clientAuthentication {
        case .clientSecretBasic:
            // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
            let pair = Self.formEncode(configuration.clientID) + ":" + Self.formEncode(configuration.clientSecret ?? "")
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        case .clientSecretPost:
            form += [("client_id", configuration.clientID), ("client_secret", configuration.clientSecret ?? "")]
        case .none:
            form.append(("client_id", configuration.clientID))
        }
        let body = form.map { Self.formEncode($0.0) + "=" + Self.formEncode($0.1) }.joined(separator: "&")
        let response: HTTPTransportResponse
        do {
            response = try await transport.send(
                HTTPTransportRequest(method: .post, url: endpoint, headers: headers, body: Data(body.utf8))
            )
        } catch {
            throw .tokenEndpointUnavailable("it could not be reached (\(type(of: error)))")
        }
        let json = try? ClaimValue(json: response.body)
        guard response.status == 200 else {
            // RFC 6749 §5.2: a refusal is a 4xx with an `error`; anything else is the provider failing.
            // The provider's error code is safe to show; its description may echo the request.
            if (400..<500).contains(response.status), let refusal = try? json?.decode(TokenErrorResponse.self) {
                throw .tokenExchangeFailed("HTTP \(response.status), error '\(Self.printable(refusal.error))'")
            }
            throw .tokenEndpointUnavailable("HTTP \(response.status)")
        }
        guard let json, case .object = json else { throw .tokenEndpointUnavailable("the response is not a JSON object") }
        let tokens: TokenResponse
        do {
            tokens = try json.decode(TokenResponse.self)
        } catch {
            throw .tokenExchangeFailed("the response's \(JSONDecodeFailure(error))")
        }
        guard let idToken = tokens.idToken, !idToken.isEmpty else {
            throw .tokenExchangeFailed("the response has no id_token (is 'openid' among the scopes?)")
        }
        if let type = tokens.tokenType, type.lowercased() != "bearer", tokens.accessToken != nil {
            throw .tokenExchangeFailed("token_type '\(Self.printable(type))' is not Bearer")
        }
        return (idToken, tokens.accessToken)
    }

    private func fetchUserinfo(endpoint: URL, accessToken: String) async throws(OIDCError) -> [String: ClaimValue] {
        let response: HTTPTransportResponse
        do {
            response = try await transport.send(
                HTTPTransportRequest(
                    method: .get,
                    url: endpoint,
                    headers: [("Authorization", "Bearer \(accessToken)"), ("Accept", "application/json")]
                )
            )
        } catch {
            throw .userinfoUnavailable("it could not be reached (\(type(of: error)))")
        }
        guard response.status == 200 else { throw .userinfoUnavailable("HTTP \(response.status)") }
        if let type = response.headers["content-type"], type.lowercased().hasPrefix("application/jwt") {
            throw .userinfoFailed("signed userinfo responses are not supported")
        }
        guard case .object(let members)? = try? ClaimValue(json: response.body) else {
            throw .userinfoUnavailable("the response is not a JSON object")
        }
        return members
    }

    /// The claims that only the ID token may carry: userinfo never overrides them.
    static let protocolClaims: Set<String> = [
        "iss", "sub", "aud", "azp", "exp", "iat", "nbf", "nonce", "auth_time", "acr", "amr", "at_hash", "c_hash", "sid",
        "jti",
    ]

    /// Userinfo's claims laid over the ID token's, except the protocol claims.
    static func merge(idToken: Claims, userinfo: [String: ClaimValue]) -> Claims {
        var values = idToken.values
        for (name, value) in userinfo where !protocolClaims.contains(name) {
            values[name] = value
        }
        return Claims(values)
    }

    /// `application/x-www-form-urlencoded` for one name or value (token requests).
    static func formEncode(_ text: String) -> String {
        percentEncode(text).replacingOccurrences(of: "%20", with: "+")
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (query strings).
    static func percentEncode(_ text: String) -> String { OutsideText.percentEncoded(text) }

    /// A provider-sent word, cut to printable ASCII and 64 characters for messages.
    static func printable(_ text: String) -> String { OutsideText.printable(text, limit: 64) }
}

/// Who signed in, as the provider vouched for them.
package struct VerifiedIdentity: Sendable {
    package var issuer: String
    package var subject: String
    /// The ID token's claims, with userinfo's laid over them when configured.
    package var claims: Claims
    package var idToken: VerifiedIDToken
}
