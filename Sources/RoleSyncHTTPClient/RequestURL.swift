package import Foundation

/// What every directory client needs of the URLs it follows.
package enum RequestURL {
    /// A request as errors and logs show it: path and query, never the host's credentials.
    package static func shown(_ url: URL) -> String {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? url.path
        return components?.percentEncodedQuery.map { path + "?" + $0 } ?? path
    }

    /// Whether `a` is on `b`'s origin (scheme, host ignoring case, and port, the scheme's default
    /// when none is written), with no userinfo: where a next-page link may lead with a credential.
    package static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && effectivePort(a) == effectivePort(b) && a.user == nil && a.password == nil
    }

    static func effectivePort(_ url: URL) -> Int? {
        url.port ?? (url.scheme?.lowercased() == "https" ? 443 : url.scheme?.lowercased() == "http" ? 80 : nil)
    }

    /// `scheme://host[:port]`, for messages.
    package static func origin(_ url: URL) -> String {
        "\(url.scheme ?? "?")://\(url.host ?? "?")" + (url.port.map { ":\($0)" } ?? "")
    }

    /// The wait before try `attempt + 1` after a failure: 0.5 s doubling, at most 30 s.
    package static func backOff(_ attempt: Int) -> Duration {
        .milliseconds(min(500 * (1 << min(max(attempt, 1) - 1, 6)), 30_000))
    }
}
