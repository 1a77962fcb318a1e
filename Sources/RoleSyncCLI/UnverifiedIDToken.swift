import Foundation
import RoleSyncMapping

/// Decodes a compact JWT's payload WITHOUT checking its signature: for dry runs only.
enum UnverifiedIDToken {
    /// - Parameters:
    ///   - text: the token (surrounding whitespace ignored).
    ///   - file: the file it came from, for errors.
    /// - Throws: ``CLIError`` naming the file when the token is not three base64url parts or its
    ///   payload is not a JSON object.
    static func claims(from text: String, file: String) throws -> Claims {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 5 {
            throw CLIError("\(file): this is an encrypted token (JWE, five parts); give the decrypted ID token or its claims")
        }
        guard parts.count == 3 else {
            throw CLIError("\(file): not a compact JWT: expected three base64url parts separated by '.', found \(parts.count)")
        }
        let names = ["header", "payload", "signature"]
        for (i, part) in parts.enumerated() where !isBase64URL(part) || (i < 2 && part.isEmpty) {
            throw CLIError("\(file): not a compact JWT: the \(names[i]) is not base64url")
        }
        guard let payload = decodeBase64URL(parts[1]) else {
            throw CLIError("\(file): not a compact JWT: the payload is not base64url")
        }
        do {
            return try Claims(json: payload)
        } catch {
            throw CLIError("\(file): the JWT payload is \(error)")
        }
    }

    static func isBase64URL(_ s: Substring) -> Bool {
        s.utf8.allSatisfy { c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
        }
    }

    static func decodeBase64URL(_ s: Substring) -> Data? {
        var base64 = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = base64.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: base64)
    }
}
