import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping

/// ISO 8601 in UTC, seconds precision, as every admin API time is written.
func isoTime(_ date: Date?) -> String? {
    date.map { $0.formatted(.iso8601) }
}

/// Who decides a user's role: the IdP (with the mapping file and rule) or an admin.
struct RoleManagedBy: Encodable {
    var kind: String
    var mappingFile: String?
    var rule: String?

    init(_ eligibility: Eligibility) {
        if eligibility.isCovered {
            kind = "idp"
            mappingFile = eligibility.mappingFile
            rule = eligibility.ruleID
        } else {
            kind = "manual"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, rule
        case mappingFile = "mapping_file"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        if kind == "idp" {
            try c.encode(mappingFile, forKey: .mappingFile)
            try c.encode(rule, forKey: .rule)
        }
    }
}

/// A row of the users list; the detail adds the identity and the counts.
struct UserView: Encodable {
    var user: User
    var eligibility: Eligibility
    var detailed: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, email, role, status, issuer, subject
        case organizationUnit = "organization_unit"
        case lastSignInAt = "last_sign_in_at"
        case registeredAt = "registered_at"
        case roleManagedBy = "role_managed_by"
        case manualRoleEditable = "manual_role_editable"
        case roleSource = "role_source"
        case deactivationReason = "deactivation_reason"
        case signInCount = "sign_in_count"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(user.id.rawValue, forKey: .id)
        try c.encode(user.name, forKey: .name)
        try c.encode(user.email, forKey: .email)
        try c.encode(user.role.rawValue, forKey: .role)
        try c.encode(user.organizationUnit, forKey: .organizationUnit)
        try c.encode(isoTime(user.lastSignInAt), forKey: .lastSignInAt)
        try c.encode(user.status.rawValue, forKey: .status)
        try c.encode(isoTime(user.registeredAt), forKey: .registeredAt)
        try c.encode(RoleManagedBy(eligibility), forKey: .roleManagedBy)
        try c.encode(eligibility.isManualRoleEditable, forKey: .manualRoleEditable)
        if detailed {
            try c.encode(user.issuer, forKey: .issuer)
            try c.encode(user.subject, forKey: .subject)
            try c.encode(user.roleSource.rawValue, forKey: .roleSource)
            try c.encode(user.deactivationReason?.rawValue, forKey: .deactivationReason)
            try c.encode(user.signInCount, forKey: .signInCount)
        }
    }
}

/// A page of a listing: `{"users": [...], "next_cursor": …}` or `{"events": [...], …}`, the cursor
/// always present (null on the last page).
struct PageView<Item: Encodable>: Encodable {
    /// The key the items go under.
    var name: String
    var items: [Item]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONValue.AnyKey.self)
        try c.encode(items, forKey: JSONValue.AnyKey(name))
        try c.encode(nextCursor, forKey: JSONValue.AnyKey("next_cursor"))
    }
}

/// One audit event.
struct AuditEventView: Encodable {
    var event: AuditEvent

    enum CodingKeys: String, CodingKey {
        case id, time, actor, action, issuer, subject, details
        case userID = "user_id"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event.id, forKey: .id)
        try c.encode(isoTime(event.time), forKey: .time)
        try c.encode(event.actor.description, forKey: .actor)
        try c.encode(event.action.rawValue, forKey: .action)
        try c.encode(event.userID?.rawValue, forKey: .userID)
        try c.encode(event.issuer, forKey: .issuer)
        try c.encode(event.subject, forKey: .subject)
        try c.encode(JSONValue(.object(event.detailsObject)), forKey: .details)
    }
}

/// A claim value as JSON.
struct JSONValue: Encodable {
    var value: ClaimValue

    init(_ value: ClaimValue) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        switch value {
        case .object(let members):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (key, member) in members { try c.encode(JSONValue(member), forKey: AnyKey(key)) }
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(JSONValue(item)) }
        default:
            var c = encoder.singleValueContainer()
            switch value {
            case .string(let s): try c.encode(s)
            case .number(let n): try c.encode(n)
            case .bool(let b): try c.encode(b)
            default: try c.encodeNil()
            }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// `GET /api/admin/users/{id}`: the profile, an activity summary and recent activity.
struct UserDetailView: Encodable {
    struct Activity: Encodable {
        var signIns: Int
        var roleChanges: Int
        var refusals: Int
        var activeSessions: Int
        var lastRefusal: AuditEventView?

        enum CodingKeys: String, CodingKey {
            case refusals
            case signIns = "sign_ins"
            case roleChanges = "role_changes"
            case activeSessions = "active_sessions"
            case lastRefusal = "last_refusal"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(signIns, forKey: .signIns)
            try c.encode(roleChanges, forKey: .roleChanges)
            try c.encode(refusals, forKey: .refusals)
            try c.encode(activeSessions, forKey: .activeSessions)
            try c.encode(lastRefusal, forKey: .lastRefusal)
        }
    }

    var user: UserView
    var activity: Activity
    var recentActivity: [AuditEventView]

    enum CodingKeys: String, CodingKey {
        case user, activity
        case recentActivity = "recent_activity"
    }
}

/// `GET /api/admin/mapping`.
struct MappingsView: Encodable {
    struct Rule: Encodable {
        var id: String
        var role: String
    }

    struct Entry: Encodable {
        var issuer: String
        var file: String
        var unmatched: String
        var requireConditions: Int
        var deactivateRules: Int
        var rules: [Rule]
        var tests: Int

        enum CodingKeys: String, CodingKey {
            case issuer, file, unmatched, rules, tests
            case requireConditions = "require_conditions"
            case deactivateRules = "deactivate_rules"
        }
    }

    var mappings: [Entry]

    init(_ set: MappingSet) {
        mappings = set.mappings.map { mapping in
            Entry(
                issuer: mapping.issuer,
                file: URL(fileURLWithPath: mapping.file).lastPathComponent,
                unmatched: mapping.unmatched.rawValue,
                requireConditions: mapping.require.count,
                deactivateRules: mapping.deactivate.count,
                rules: mapping.roles.map { Rule(id: $0.id, role: $0.role.rawValue) },
                tests: mapping.tests.count
            )
        }
    }
}
