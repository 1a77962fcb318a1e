import Foundation

/// Text that came from, or goes to, another service, made safe for where it goes next.
package enum OutsideText {
    /// An answer's words (an error code, a summary) made fit for a message or a log: printable
    /// ASCII only, at most `limit` characters. Nothing a service sends can break a log line.
    package static func printable(_ text: String, limit: Int) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(limit)))
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (letters, digits,
    /// `-`, `.`, `_`, `~`): a value that stays inside its query parameter or path segment.
    package static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
