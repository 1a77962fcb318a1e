package import Foundation
package import RoleSyncLedger
import RoleSyncReports

/// The body RoleSync posts for an audit event: `{"type", "timestamp", "data"}` as the Standard
/// Webhooks specification's envelope has it. `type` is the audit action, `data` the event as
/// `GET /api/admin/audit` shows it, plus the Shared Signals event type where CAEP or RISC has the
/// same event (docs/events.md).
package struct WebhookEnvelope: Encodable, Sendable {
    package var event: AuditEvent

    package init(_ event: AuditEvent) {
        self.event = event
    }

    /// The CAEP or RISC event type of the same event, when there is one.
    package var sharedSignalsType: String? {
        let caep = "https://schemas.openid.net/secevent/caep/event-type/"
        let risc = "https://schemas.openid.net/secevent/risc/event-type/"
        switch event.action {
        case .sessionsEnded: return caep + "session-revoked"
        case .keyCreated, .keyRevoked, .keyRolled: return caep + "credential-change"
        case .statusChanged:
            switch event.details[.to] {
            case .string("inactive")?: return risc + "account-disabled"
            case .string("active")?: return risc + "account-enabled"
            default: return nil
            }
        default: return nil
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, timestamp, data
    }

    struct Data: Encodable {
        var report: AuditEventReport
        var sharedSignalsType: String?

        enum CodingKeys: String, CodingKey {
            case sharedSignalsType = "shared_signals_event_type"
        }

        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sharedSignalsType, forKey: .sharedSignalsType)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event.action.rawValue, forKey: .type)
        try c.encode(Timestamp.format(event.time), forKey: .timestamp)
        try c.encode(Data(report: AuditEventReport(event), sharedSignalsType: sharedSignalsType), forKey: .data)
    }

    /// The body's bytes: compact JSON, keys sorted.
    package func body() throws -> Foundation.Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// The body of a test message (`rolesync events test`): `{"type": "ping", "timestamp", "data":
/// {"endpoint", "message"}}`, signed like every other.
package struct WebhookPing: Encodable, Sendable {
    package var endpoint: String
    package var time: Date

    package init(endpoint: String, time: Date) {
        self.endpoint = endpoint
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case type, timestamp, data
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("ping", forKey: .type)
        try c.encode(Timestamp.format(time), forKey: .timestamp)
        try c.encode(["endpoint": endpoint, "message": "a test message from rolesync events test"], forKey: .data)
    }

    package func body() throws -> Foundation.Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
