import Hummingbird

/// The cookies RoleSync sets. With an https public URL they are `Secure` and use the `__Host-`
/// prefix (host-only, path `/`, so no sibling domain can set or read them); always `HttpOnly` and
/// `SameSite=Lax` (sent on the IdP's top-level redirect back to the callback, never on cross-site
/// subrequests or POSTs).
package struct ServerCookies: Sendable {
    package let isSecure: Bool

    package init(isSecure: Bool) {
        self.isSecure = isSecure
    }

    /// The session cookie's name.
    package var session: String { isSecure ? "__Host-rolesync_session" : "rolesync_session" }
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
}
