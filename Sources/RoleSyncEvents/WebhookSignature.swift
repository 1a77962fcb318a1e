import Crypto
package import Foundation

/// The headers of a Standard Webhooks request: `webhook-id`, `webhook-timestamp` and
/// `webhook-signature`, the last one `v1,<base64 of HMAC-SHA256(id.timestamp.body)>` per secret,
/// separated by spaces.
package enum WebhookSignature {
    package static func headers(id: String, timestamp: Date, body: Data, secrets: [WebhookSecret]) -> [(String, String)] {
        let seconds = String(Int64(timestamp.timeIntervalSince1970.rounded(.down)))
        var content = Data("\(id).\(seconds).".utf8)
        content.append(body)
        let signatures = secrets.map { secret in
            "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret.key))).base64EncodedString()
        }
        return [("webhook-id", id), ("webhook-timestamp", seconds), ("webhook-signature", signatures.joined(separator: " "))]
    }
}
