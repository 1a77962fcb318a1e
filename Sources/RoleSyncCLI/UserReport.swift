import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping

/// A user as `users list` and `users show` print it in JSON; scripts depend on these keys.
struct UserReport: Encodable {
    var id: Int64
    var issuer: String
    var subject: String
    var email: String?
    var name: String?
    var organizationUnit: String?
    var role: String
    var roleSource: String
    var manualRoleEditable: Bool
    var governingRule: String?
    var mappingFile: String?
    var status: String
    var deactivationReason: String?
    var registeredAt: String?
    var lastSignInAt: String?
    var signInCount: Int

    init(_ user: User, eligibility: Eligibility) {
        id = user.id.rawValue
        issuer = user.issuer
        subject = user.subject
        email = user.email
        name = user.name
        organizationUnit = user.organizationUnit
        role = user.role.rawValue
        roleSource = user.roleSource.rawValue
        manualRoleEditable = eligibility.isManualRoleEditable
        governingRule = eligibility.isCovered ? eligibility.ruleID : nil
        mappingFile = eligibility.isCovered ? eligibility.mappingFile : nil
        status = user.status.rawValue
        deactivationReason = user.deactivationReason?.rawValue
        registeredAt = iso(user.registeredAt)
        lastSignInAt = iso(user.lastSignInAt)
        signInCount = user.signInCount
    }

    enum CodingKeys: String, CodingKey {
        case id, issuer, subject, email, name, role, status
        case organizationUnit = "organization_unit"
        case roleSource = "role_source"
        case manualRoleEditable = "manual_role_editable"
        case governingRule = "governing_rule"
        case mappingFile = "mapping_file"
        case deactivationReason = "deactivation_reason"
        case registeredAt = "registered_at"
        case lastSignInAt = "last_sign_in_at"
        case signInCount = "sign_in_count"
    }

    // Keys are always present: null rather than missing.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(subject, forKey: .subject)
        try c.encode(email, forKey: .email)
        try c.encode(name, forKey: .name)
        try c.encode(organizationUnit, forKey: .organizationUnit)
        try c.encode(role, forKey: .role)
        try c.encode(roleSource, forKey: .roleSource)
        try c.encode(manualRoleEditable, forKey: .manualRoleEditable)
        try c.encode(governingRule, forKey: .governingRule)
        try c.encode(mappingFile, forKey: .mappingFile)
        try c.encode(status, forKey: .status)
        try c.encode(deactivationReason, forKey: .deactivationReason)
        try c.encode(registeredAt, forKey: .registeredAt)
        try c.encode(lastSignInAt, forKey: .lastSignInAt)
        try c.encode(signInCount, forKey: .signInCount)
    }

    /// `super_admin (idp: okta.yaml#platform-admins)`, `user (manual, editable)`.
    static func roleLine(_ user: User, _ eligibility: Eligibility) -> String {
        if eligibility.isCovered {
            return "\(user.role) (IdP-managed: \(eligibility.mappingFile ?? "?") rule '\(eligibility.ruleID ?? "?")')"
        }
        return "\(user.role) (\(user.roleSource.rawValue), editable by hand)"
    }
}

/// An audit event in JSON.
struct AuditReport: Encodable {
    var id: Int64?
    var time: String?
    var actor: String
    var action: String
    var userID: Int64?
    var issuer: String?
    var subject: String?
    var details: [String: ClaimValue]

    init(_ event: AuditEvent) {
        id = event.id
        time = iso(event.time)
        actor = event.actor.description
        action = event.action.rawValue
        userID = event.userID?.rawValue
        issuer = event.issuer
        subject = event.subject
        details = event.detailsObject
    }

    enum CodingKeys: String, CodingKey {
        case id, time, actor, action, issuer, subject, details
        case userID = "user_id"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(time, forKey: .time)
        try c.encode(actor, forKey: .actor)
        try c.encode(action, forKey: .action)
        try c.encode(userID, forKey: .userID)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(subject, forKey: .subject)
        try c.encode(details, forKey: .details)
    }

    /// One line: `2026-11-27T08:00:00Z  idp  user.role_changed  user 3  {"from":"user",…}`.
    static func line(_ event: AuditEvent) -> String {
        let who = event.userID.map { "user \($0)" } ?? (event.subject.map { "sub \($0)" } ?? "-")
        return [iso(event.time) ?? "", event.actor.description, event.action.rawValue, who, event.detailsJSON]
            .joined(separator: "  ")
    }
}

/// A page of a listing in JSON: `{"<key>": [...], "next_cursor": "..." | null}`.
struct PageReport<Item: Encodable>: Encodable {
    var key: String
    var items: [Item]
    var nextCursor: String?

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(items, forKey: Key(stringValue: key))
        try c.encode(nextCursor, forKey: Key(stringValue: "next_cursor"))
    }
}
