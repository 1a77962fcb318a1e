package import Foundation

/// An endpoint's signing secret as the Standard Webhooks specification writes it: `whsec_` and the
/// base64 of the key, so that a receiver passes the same string to any Standard Webhooks library.
/// The key is 24 to 64 random bytes (the specification's bounds).
package struct WebhookSecret: Sendable, Hashable, CustomStringConvertible {
    /// The HMAC-SHA256 key.
    package let key: Data

    package static let prefix = "whsec_"
    package static let keyBytes = 24...64

    /// Parses one `whsec_…` value. - Throws: ``FormatError`` saying what is wrong, never the value.
    package init(_ text: String) throws(FormatError) {
        guard text.hasPrefix(Self.prefix) else { throw .missingPrefix }
        guard let key = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))) else { throw .notBase64 }
        guard Self.keyBytes.contains(key.count) else { throw .wrongLength(key.count) }
        self.key = key
    }

    /// The secrets of a `secret_env` value: one, or several separated by spaces (the new one first
    /// while receivers move over; each request then carries a signature per secret).
    package static func list(_ text: String) throws(FormatError) -> [WebhookSecret] {
        let parts = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !parts.isEmpty else { throw .empty }
        var secrets: [WebhookSecret] = []
        for part in parts { secrets.append(try WebhookSecret(part)) }
        return secrets
    }

    /// A new secret of 32 random bytes, written as the specification writes it.
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + Data(bytes).base64EncodedString()
    }

    /// Never the key.
    package var description: String { "whsec_… (\(key.count) bytes)" }

    /// What is wrong with a secret.
    package enum FormatError: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case missingPrefix
        case notBase64
        case wrongLength(Int)

        package var description: String {
            switch self {
            case .empty: "is empty"
            case .missingPrefix: "does not start with whsec_ (make one with: rolesync events secret)"
            case .notBase64: "is not whsec_ followed by base64"
            case .wrongLength(let count): "holds a \(count)-byte key; Standard Webhooks keys are 24 to 64 bytes (rolesync events secret makes 32)"
            }
        }
    }
}
