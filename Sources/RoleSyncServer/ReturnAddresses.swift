import Foundation

/// Where sign-in may send a browser back to (`return_to`): a path on this site, or, when the
/// configuration's `session.allowed_return_hosts` names hosts, an `https` URL on one of them (the
/// pages a gateway protects with RoleSync's sign-in). Anything else is refused, so `/auth/login`
/// can never become an open redirect.
package struct ReturnAddresses: Sendable, Hashable {
    /// `grafana.example.com` (that host) or `*.tools.example.com` (any one label under it), lower case.
    package var allowedHosts: [String]

    package init(allowedHosts: [String] = []) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
    }

    /// `text` when it is a same-site path or an allowed https URL; `nil` for anything else.
    package func validated(_ text: String) -> String? {
        Self.path(text) ?? url(text)
    }

    /// A same-origin path: one leading `/` (not `//`), no backslash, printable ASCII only, no scheme
    /// or host as `URLComponents` reads it.
    package static func path(_ text: String) -> String? {
        guard text.hasPrefix("/"), !text.hasPrefix("//"), text.utf8.count <= 2048, !text.contains("\\"),
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
            let components = URLComponents(string: text), components.scheme == nil, components.host == nil
        else { return nil }
        return text
    }

    /// An absolute `https` URL on an allowed host: the authority is exactly a host (letters, digits,
    /// hyphens and dots) and perhaps a port: no user information (`https://allowed@evil.test`), no
    /// percent-encoding, no IP literal; printable ASCII only and no backslash anywhere, so no
    /// parser, the browser's included, can read another host out of it.
    package func url(_ text: String) -> String? {
        guard !allowedHosts.isEmpty, text.utf8.count <= 2048, !text.contains("\\"),
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
            text.lowercased().hasPrefix("https://")
        else { return nil }
        let rest = text.dropFirst("https://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var host = Substring(authority)
        if let colon = authority.firstIndex(of: ":") {
            let port = authority[authority.index(after: colon)...]
            guard port.utf8.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), (1...65535).contains(number)
            else { return nil }
            host = authority[..<colon]
        }
        guard !host.isEmpty, host.utf8.count <= 253,
            host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "." }),
            !host.hasPrefix("."), !host.hasSuffix("."), !host.contains("..")
        else { return nil }
        return allows(host: host.lowercased()) ? text : nil
    }

    /// Whether `host` (lower case) is one of the allowed hosts.
    func allows(host: String) -> Bool {
        allowedHosts.contains { pattern in
            guard pattern.hasPrefix("*.") else { return host == pattern }
            let suffix = pattern.dropFirst(1)  // ".tools.example.com"
            guard host.hasSuffix(suffix) else { return false }
            let label = host.dropLast(suffix.count)
            return !label.isEmpty && !label.contains(".")
        }
    }
}
