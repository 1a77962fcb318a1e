import Foundation
import RoleSyncEvents
import RoleSyncJSON
import RoleSyncLedger
import Testing

@Suite("Standard Webhooks secrets, signatures and bodies")
struct WebhookSignatureTests {
    /// The specification's own example: its reference library (PyPI standardwebhooks 1.1.0) signs
    /// this message with this secret as `v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=`.
    @Test("A message is signed as the reference library signs it")
    func referenceVector() throws {
        let secret = try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let headers = WebhookSignature.headers(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: Date(timeIntervalSince1970: 1_614_265_330.9),
            body: Data(#"{"test": 2432232314}"#.utf8),
            secrets: [secret]
        )
        #expect(headers.map(\.0) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers[1].1 == "1614265330", "whole seconds")
        #expect(headers[2].1 == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("During a rotation each secret signs: one v1 signature per secret, separated by spaces")
    func rotation() throws {
        let secrets = try WebhookSecret.list("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw  \(WebhookSecret.generate())")
        #expect(secrets.count == 2)
        let signature = WebhookSignature.headers(id: "msg_1", timestamp: Date(timeIntervalSince1970: 1), body: Data("{}".utf8), secrets: secrets)[2].1
        let parts = signature.split(separator: " ")
        #expect(parts.count == 2 && parts.allSatisfy { $0.hasPrefix("v1,") } && parts[0] != parts[1])
    }

    @Test("Secrets are whsec_ and base64 of 24 to 64 bytes; errors say so without the value")
    func secrets() throws {
        let made = WebhookSecret.generate()
        #expect(made.hasPrefix("whsec_"))
        #expect(try WebhookSecret(made).key.count == 32)
        #expect(WebhookSecret.generate() != made)
        #expect(throws: WebhookSecret.FormatError.missingPrefix) { try WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") }
        #expect(throws: WebhookSecret.FormatError.notBase64) { try WebhookSecret("whsec_not base64!") }
        #expect(throws: WebhookSecret.FormatError.wrongLength(12)) { try WebhookSecret("whsec_" + Data(count: 12).base64EncodedString()) }
        #expect(throws: WebhookSecret.FormatError.empty) { try WebhookSecret.list("  ") }
        let secret = try WebhookSecret(made)
        #expect(!"\(secret)".contains(made.dropFirst(6)), "a secret never prints its key")
    }

    @Test("The body is {type, timestamp, data}: the audit event as the admin API shows it, with its Shared Signals type")
    func envelope() throws {
        let event = AuditEvent(
            id: 57,
            time: Date(timeIntervalSince1970: 1_800_000_000),
            actor: .cli,
            action: .statusChanged,
            userID: UserID(3),
            details: [.from: "active", .to: "inactive", .reason: "manual"]
        )
        let body = try WebhookEnvelope(event).body()
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(object["type"] as? String == "user.status_changed")
        #expect(object["timestamp"] as? String == "2027-01-15T08:00:00Z")
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["id"] as? Int == 57 && data["user_id"] as? Int == 3 && data["actor"] as? String == "cli")
        #expect((data["details"] as? [String: String])?["to"] == "inactive")
        #expect(data["shared_signals_event_type"] as? String == "https://schemas.openid.net/secevent/risc/event-type/account-disabled")

        func type(_ action: AuditAction, _ details: [AuditKey: ClaimValue] = [:]) -> String? {
            WebhookEnvelope(AuditEvent(time: Date(), actor: .cli, action: action, details: details)).sharedSignalsType
        }
        #expect(type(.sessionsEnded) == "https://schemas.openid.net/secevent/caep/event-type/session-revoked")
        #expect(type(.keyRevoked) == "https://schemas.openid.net/secevent/caep/event-type/credential-change")
        #expect(type(.statusChanged, [.to: "active"]) == "https://schemas.openid.net/secevent/risc/event-type/account-enabled")
        #expect(type(.roleChanged) == nil)
        #expect(!String(decoding: body, as: UTF8.self).contains("\\/"), "slashes are not escaped")
    }
}
