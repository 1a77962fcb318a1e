import Foundation
import Hummingbird
import HummingbirdAuth
import RoleSyncLedger

/// Finds the caller of a JSON API request: an `Authorization: Bearer` admin key or, without that
/// header, the session cookie. A malformed or unknown key, or a `gateway` key (only introspection
/// takes those), never falls back to the cookie. The user and role are read fresh on every request:
/// an admin key acts only while its owner holds `user_admin` or `super_admin`.
struct CallerAuthenticator: AuthenticatorMiddleware {
    typealias Context = RoleSyncRequestContext

    let sessions: SessionService
    let keys: KeyService
    let cookies: ServerCookies

    func authenticate(request: Request, context: Context) async throws -> Caller? {
        if let authorization = request.headers[.authorization] {
            guard let token = Self.bearerToken(authorization) else { return nil }
            return try await keys.adminUser(presenting: token).map { Caller(user: $0, credential: .apiKey) }
        }
        guard let token = request.cookies[cookies.session]?.value else { return nil }
        return try await sessions.user(forToken: token).map { Caller(user: $0, credential: .session) }
    }
}

extension CallerAuthenticator {
    /// The token of an `Authorization: Bearer …` value (the scheme in any case, RFC 9110 §11.1);
    /// `nil` for another scheme. hummingbird-auth's `headers.bearer` takes only `Bearer`.
    static func bearerToken(_ authorization: String) -> String? {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].utf8.count == 6,
            zip(parts[0].utf8, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 })
        else { return nil }
        return parts[1].trimmingSpaces()
    }
}

extension StringProtocol {
    /// The text without the spaces and tabs around it (Foundation's `CharacterSet.whitespaces`:
    /// tab and Unicode's space separators), without Foundation's cost when there are none, as on
    /// every gateway check's credential.
    func trimmingSpaces() -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return "" }
        if !isSpace(first), !isSpace(last) { return String(self) }
        return trimmingCharacters(in: .whitespaces)
    }
}

/// A change made with the session cookie must come from this site: `Origin` equal to the public
/// URL's origin, or `Sec-Fetch-Site: same-origin` (browsers send at least one on every write). API
/// keys are not sent by browsers on their own, so they need no such check.
struct SameOriginWritesMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    let publicOrigin: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.identity?.credential == .session, request.method != .get, request.method != .head, !isSameOrigin(request) {
            throw ProblemError.crossSite
        }
        return try await next(request, context)
    }

    func isSameOrigin(_ request: Request) -> Bool {
        if let origin = request.headers[.origin] { return origin == publicOrigin }
        if let site = request.headers[.init("Sec-Fetch-Site")!] { return site == "same-origin" }
        return false
    }
}
