import Foundation
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
import Metrics
import RoleSyncLedger
import RoleSyncOIDC

/// An AI gateway allowed to ask whether a key is good, by HTTP Basic credentials.
package struct GatewayCredential: Sendable {
    /// For logs and metrics.
    package var name: String
    let clientID: [UInt8]
    let secret: [UInt8]
    /// `rolesync_introspections_total{gateway, active}`, made once: a counter looked up on every
    /// request cost the hot path a registry look-up.
    let activeAnswers: Counter
    let inactiveAnswers: Counter

    package init(name: String, clientID: String, secret: String) {
        self.name = name
        self.clientID = Array(clientID.utf8)
        self.secret = Array(secret.utf8)
        activeAnswers = Counter(label: "rolesync_introspections_total", dimensions: [("gateway", name), ("active", "true")])
        inactiveAnswers = Counter(label: "rolesync_introspections_total", dimensions: [("gateway", name), ("active", "false")])
    }
}

/// `POST /oauth/introspect` (RFC 7662): the gateway presents a key, RoleSync answers whether it is
/// active and, if so, whose it is and which role they hold now. Nothing is cached: a revocation or a
/// deactivation is seen by the very next introspection, on every replica.
struct IntrospectionController: Sendable {
    let keys: KeyService
    /// The gateways allowed to introspect; none answers every introspection 401.
    let gateways: [GatewayCredential]

    /// The largest form an introspection takes.
    static let maximumIntrospectionBody = 8 * 1024

    func addRoutes(to oauth: RouterGroup<RoleSyncRequestContext>) {
        oauth.post("introspect") { request, context in
            do {
                return try await self.introspect(request, context: context, gateway: try Self.gateway(presenting: request, among: self.gateways))
            } catch let error as LedgerStoreError {
                // Never `active: false` for a key that may well be active: the gateway retries.
                guard let unavailable = LedgerUnavailable(error) else { throw error }
                unavailable.log(context: context)
                throw OAuthError(.serviceUnavailable, "temporarily_unavailable", unavailable.message)
            }
        }
    }

    /// Every answer but an active key's: one constant body.
    static let inactiveBody = ByteBuffer(string: #"{"active":false}"#)

    func introspect(_ request: Request, context: RoleSyncRequestContext, gateway: GatewayCredential) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw OAuthError(.unsupportedMediaType, "invalid_request", "the body must be application/x-www-form-urlencoded")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumIntrospectionBody)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw OAuthError(.contentTooLarge, "invalid_request", "the body is larger than \(Self.maximumIntrospectionBody) bytes")
        }
        // The form's fields, percent-decoded by Hummingbird's own query parser (a key is base62:
        // no `+` or space to tell apart). `token_type_hint` may come too; there is one kind of token.
        guard let token = URI("?" + String(buffer: body)).queryParameters.get("token") else {
            throw OAuthError(.badRequest, "invalid_request", "the form needs 'token' (the key to introspect)")
        }
        guard !token.isEmpty else { throw OAuthError(.badRequest, "invalid_request", "'token' is empty") }
        guard let credential = try await keys.introspect(token) else {
            gateway.inactiveAnswers.increment()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: Self.inactiveBody))
        }
        gateway.activeAnswers.increment()
        return try JSONBody(Introspection(credential)).response(from: request, context: context)
    }

    /// The gateway whose Basic credentials the request carries. Every configured gateway is
    /// compared, client id and secret, each in time that depends only on the lengths, and none is
    /// skipped once one matched.
    static func gateway(presenting request: Request, among gateways: [GatewayCredential]) throws -> GatewayCredential {
        guard let basic = request.headers.basic else { throw OAuthError.invalidClient }
        let id = Array(basic.username.utf8)
        let secret = Array(basic.password.utf8)
        var found: GatewayCredential?
        for gateway in gateways {
            let idMatches = ConstantTime.equal(gateway.clientID, id)
            let secretMatches = ConstantTime.equal(gateway.secret, secret)
            if idMatches && secretMatches && found == nil { found = gateway }
        }
        guard let found else { throw OAuthError.invalidClient }
        return found
    }
}

/// RFC 7662 §2.2: `{"active": false}` and nothing else for any key that is not good, so the answer
/// never tells a malformed key from a revoked one; for a good key, whose it is and their role now.
struct Introspection: Encodable, Sendable {
    var credential: KeyCredential?

    init(_ credential: KeyCredential?) { self.credential = credential }

    enum CodingKeys: String, CodingKey {
        case active, sub, username, role, scope, iat, exp
        case keyID = "key_id"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        guard let credential else {
            try c.encode(false, forKey: .active)
            return
        }
        try c.encode(true, forKey: .active)
        try c.encode(String(credential.owner.id.rawValue), forKey: .sub)
        try c.encode(credential.owner.email, forKey: .username)
        try c.encode(credential.owner.role.rawValue, forKey: .role)
        try c.encode(credential.keyID, forKey: .keyID)
        try c.encode(credential.purpose.rawValue, forKey: .scope)
        try c.encode(Int64(credential.createdAt.timeIntervalSince1970), forKey: .iat)
        if let expiresAt = credential.expiresAt { try c.encode(Int64(expiresAt.timeIntervalSince1970), forKey: .exp) }
    }
}

/// An OAuth error answer (RFC 6749 §5.2, as RFC 7662 §2.3 asks): `{"error", "error_description"}`,
/// with a Basic challenge on 401.
struct OAuthError: HTTPResponseError {
    var status: HTTPResponse.Status
    var error: String
    var description: String

    init(_ status: HTTPResponse.Status, _ error: String, _ description: String) {
        self.status = status
        self.error = error
        self.description = description
    }

    static let invalidClient = OAuthError(
        .unauthorized,
        "invalid_client",
        "the gateway must authenticate with HTTP Basic credentials configured under 'gateways'"
    )

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"rolesync\", charset=\"UTF-8\"" }
        if status == .serviceUnavailable { headers.append(contentsOf: LedgerUnavailable.headers) }
        let body = try JSONEncoder().encode(["error": error, "error_description": description])
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
