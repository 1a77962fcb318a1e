import Crypto
import Foundation
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncOIDC

/// The signed-in browser of a page request: its session cookie, and nothing else (pages never take
/// an `Authorization` header, so a form token is tied to a cookie). The user and role are read
/// fresh on every request: a deactivation or a role change shows at the next click.
struct PageSessionAuthenticator: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    let sessions: SessionService
    let cookies: ServerCookies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let token = request.cookies[cookies.session]?.value, let user = try await sessions.user(forToken: token) {
            context.identity = Caller(user: user, credential: .session)
            context.formToken = FormToken.derive(fromSession: token)
        }
        return try await next(request, context)
    }
}

/// A page needs a signed-in browser: without one, a redirect to sign-in that comes back here.
struct RequireSignInMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.identity != nil else {
            var target = request.uri.path
            if request.method == .get, let query = request.uri.query, !query.isEmpty { target += "?" + query }
            let returnTo = ReturnAddresses.path(target) ?? "/"
            var components = URLComponents()
            components.path = "/auth/login"
            components.queryItems = [URLQueryItem(name: "return_to", value: returnTo)]
            return Response(status: .found, headers: [.location: components.string ?? "/auth/login", .cacheControl: "no-store"])
        }
        return try await next(request, context)
    }
}

/// The dashboard's forms are protected twice against cross-site requests: every POST carries the
/// form token of the signed-in browser (``FormToken``, compared in constant time), and a browser's
/// `Origin`, when sent, must be this site's. The body is collected here (at most
/// ``maximumBody`` bytes) and handed on, so handlers read the same form.
struct FormProtectionMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    /// The largest form a page posts: a candidate mapping (1 MiB) and its fields.
    static let maximumBody = 1024 * 1024 + 16 * 1024

    let publicOrigin: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head else { return try await next(request, context) }
        if let origin = request.headers[.origin], origin != publicOrigin {
            throw FormToken.refusal("The form was sent from another site (\(origin.prefix(100))).")
        }
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw PageError(
                .unsupportedMediaType,
                title: "Unsupported form",
                code: "unsupported_media_type",
                message: "Dashboard forms are sent as application/x-www-form-urlencoded."
            )
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumBody)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw PageError(
                .contentTooLarge,
                title: "Form too large",
                code: "body_too_large",
                message: "The form is larger than \(Self.maximumBody / 1024) KiB."
            )
        }
        let sent = PageForm(body).value("csrf_token")
        guard let expected = context.formToken, let sent, FormToken.matches(sent, expected) else {
            throw FormToken.refusal("The form's token is missing or belongs to another session.")
        }
        return try await next(request, context)
    }
}

/// A form token: HMAC-SHA256 of a fixed label keyed with the session token, base64url. It is bound
/// to the session (a new sign-in makes a new one), needs no server state and is the same on every
/// replica; the session token itself stays in its `HttpOnly` cookie and cannot be derived back.
enum FormToken {
    static func derive(fromSession token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("rolesync form token v1".utf8), using: SymmetricKey(data: Data(token.utf8)))
        return Base64URL.encode(Data(mac))
    }

    static func matches(_ sent: String, _ expected: String) -> Bool {
        ConstantTime.equal(Array(sent.utf8), Array(expected.utf8))
    }

    static func refusal(_ why: String) -> PageError {
        PageError(
            .forbidden,
            title: "Form refused",
            code: "csrf_failed",
            message: "\(why) Nothing was changed. Reload the page and try again."
        )
    }
}

/// The fields of an `application/x-www-form-urlencoded` body, percent- and `+`-decoded by
/// Hummingbird's own parser.
struct PageForm: Sendable {
    /// Each field's values, in the order sent.
    private let fields: [String: [String]]

    init(_ body: ByteBuffer) {
        let text = String(buffer: body).replacingOccurrences(of: "+", with: "%20")
        var fields: [String: [String]] = [:]
        for (key, value) in URI("?" + text).queryParameters { fields[String(key), default: []].append(String(value)) }
        self.fields = fields
    }

    /// The request's form (its body was collected by ``FormProtectionMiddleware``).
    init(_ request: Request) async throws {
        self.init(try await request.body.collect(upTo: FormProtectionMiddleware.maximumBody))
    }

    /// A field's first value.
    func value(_ name: String) -> String? { fields[name]?.first }

    /// The fields whose names start with `prefix`, by the rest of their name, each with its first
    /// value (the review form's `decision-<user id>`).
    func fields(prefixed prefix: String) -> [(String, String)] {
        fields.compactMap { name, values in
            guard name.hasPrefix(prefix), let value = values.first else { return nil }
            return (String(name.dropFirst(prefix.count)), value)
        }
    }

    /// Every value of a field sent more than once (checkboxes of one name), in the order sent.
    func values(_ name: String) -> [String] { fields[name] ?? [] }

    /// A field's text, trimmed; `nil` when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = fields[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}
