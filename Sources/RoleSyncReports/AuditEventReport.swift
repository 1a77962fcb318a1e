import RoleSyncJSON
package import RoleSyncLedger

/// An audit event as every surface shows one in JSON: the admin API and `rolesync audit`, `users
/// show` and `users sign-in`.
package struct AuditEventReport: Encodable, Sendable {
    package var event: AuditEvent
    /// The sentence the Audit page shows for the event: only exports carry it.
    package var sentence: String?

    package init(_ event: AuditEvent) {
        self.event = event
    }

    package init(_ event: AuditEvent, sentence: String) {
        self.event = event
        self.sentence = sentence
    }

    enum CodingKeys: String, CodingKey {
        case id, time, actor, action, issuer, subject, details, sentence
        case userID = "user_id"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event.id, forKey: .id)
        try c.encode(Timestamp.format(event.time), forKey: .time)
        try c.encode(event.actor.description, forKey: .actor)
        try c.encode(event.action.rawValue, forKey: .action)
        try c.encode(event.userID?.rawValue, forKey: .userID)
        try c.encode(event.issuer, forKey: .issuer)
        try c.encode(event.subject, forKey: .subject)
        try c.encode(ClaimValue.object(event.detailsObject), forKey: .details)
        try c.encodeIfPresent(sentence, forKey: .sentence)
    }
}

/// A page of a listing: `{"users": [...], "next_cursor": …}` or `{"events": [...], …}`; the cursor is
/// always present (null on the last page).
package struct PageReport<Item: Encodable & Sendable>: Encodable, Sendable {
    /// The key the items go under.
    package var key: String
    package var items: [Item]
    package var nextCursor: String?

    package init(key: String, items: [Item], nextCursor: String?) {
        self.key = key
        self.items = items
        self.nextCursor = nextCursor
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(items, forKey: Key(key))
        try c.encode(nextCursor, forKey: Key("next_cursor"))
    }
}

extension AuditEventReport {
    /// An event's details as people read them in a line or a table cell: compact JSON, keys sorted.
    package static func detailsText(_ event: AuditEvent) -> String {
        ClaimValue.object(event.detailsObject).jsonText
    }
}
