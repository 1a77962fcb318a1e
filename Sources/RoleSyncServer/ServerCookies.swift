import Hummingbird

/// The cookies RoleSync sets. With an https public URL they are `Secure` and use the `__Host-`
/// prefix (host-only, path `/`, so no sibling domain can set or read them); always `HttpOnly` and
/// `SameSite=Lax` (sent on the IdP's top-level redirect back to the callback, never on cross-site
/// subrequests or POSTs).
///
/// With `session.cookie_domain` (gateways putting RoleSync's sign-in in front of other hosts), the
/// session cookie covers that domain instead: `Domain=` set, so the prefix is `__Secure-` (which
/// still demands `Secure`); the login cookie stays `__Host-`.
package struct ServerCookies: Sendable {
    package let isSecure: Bool
    /// The session cookie's `Domain` (`example.com`); `nil`: host-only.
    package let domain: String?

    package init(isSecure: Bool, domain: String? = nil) {
        self.isSecure = isSecure
        self.domain = domain
    }

    /// The session cookie's name.
    package var session: String {
        guard isSecure else { return "rolesync_session" }
        return domain == nil ? "__Host-rolesync_session" : "__Secure-rolesync_session"
    }
    /// The cookie binding a pending login to the browser that started it.
    package var login: String { isSecure ? "__Host-rolesync_login" : "rolesync_login" }

    func make(name: String, value: String, maxAge: Int?) -> Cookie {
        Cookie(
            name: name,
            value: value,
            maxAge: maxAge,
            path: "/",
            secure: isSecure,
            httpOnly: true,
            sameSite: .lax
        )
    }

    /// A cookie that deletes `name`.
    func expired(_ name: String) -> Cookie {
        make(name: name, value: "", maxAge: 0)
    }

    /// The session cookie, over ``domain`` when one is configured.
    func session(value: String, maxAge: Int) -> Cookie {
        Cookie(name: session, value: value, maxAge: maxAge, domain: domain, path: "/", secure: isSecure, httpOnly: true, sameSite: .lax)
    }

    /// A cookie that deletes the session cookie (with its domain: a browser keys cookies by it).
    func expiredSession() -> Cookie {
        session(value: "", maxAge: 0)
    }
}
