package import RoleSyncLedger

/// What a mapping change would do (`rolesync mapping dry-run --database` and
/// `POST /api/admin/mapping/dry-run`), in JSON: the same keys on both surfaces.
package struct PlanReport: Encodable, Sendable {
    package struct Change: Encodable, Sendable {
        var userID: Int64
        var user: String
        var issuer: String
        var changes: [String]
        var role: [String: String]
        var covered: [String: Bool]
        var status: [String: String]
        var rule: String?
        var mapping: String?
        var held: Bool

        enum CodingKeys: String, CodingKey {
            case user, issuer, changes, role, covered, status, rule, mapping, held
            case userID = "user_id"
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(userID, forKey: .userID)
            try c.encode(user, forKey: .user)
            try c.encode(issuer, forKey: .issuer)
            try c.encode(changes, forKey: .changes)
            try c.encode(role, forKey: .role)
            try c.encode(covered, forKey: .covered)
            try c.encode(status, forKey: .status)
            try c.encode(rule, forKey: .rule)
            try c.encode(mapping, forKey: .mapping)
            try c.encode(held, forKey: .held)
        }
    }

    /// A user whose mapped role waits for their break-glass override to end.
    package struct KeptOverride: Encodable, Sendable {
        var userID: Int64
        var user: String
        var role: String
        var mappedRole: String
        var until: String?

        enum CodingKeys: String, CodingKey {
            case user, role, until
            case userID = "user_id"
            case mappedRole = "mapped_role"
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(userID, forKey: .userID)
            try c.encode(user, forKey: .user)
            try c.encode(role, forKey: .role)
            try c.encode(mappedRole, forKey: .mappedRole)
            try c.encode(until, forKey: .until)
        }
    }

    var usersEvaluated: Int
    var undetermined: Int
    var held: Int
    var summary: [String: Int]
    var changes: [Change]
    var overridesKept: [KeptOverride]

    package init(_ plan: ReevaluationPlan) {
        usersEvaluated = plan.usersEvaluated
        undetermined = plan.undetermined
        held = plan.heldCount
        let counts = plan.counts
        summary = Dictionary(uniqueKeysWithValues: ReevaluationPlan.Kind.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
        changes = plan.changes.map { c in
            Change(
                userID: c.userID.rawValue,
                user: c.user,
                issuer: c.issuer,
                changes: c.kinds.map(\.rawValue),
                role: ["from": c.fromRole.rawValue, "to": c.toRole.rawValue],
                covered: ["from": c.wasCovered, "to": c.isCovered],
                status: ["from": c.fromStatus.rawValue, "to": c.toStatus.rawValue],
                rule: c.rule,
                mapping: c.mappingFile,
                held: c.isHeld
            )
        }
        overridesKept = plan.overridesKept.map { k in
            KeptOverride(
                userID: k.userID.rawValue,
                user: k.user,
                role: k.fromRole.rawValue,
                mappedRole: k.toRole.rawValue,
                until: k.overrideUntil.map { Timestamp.format($0) }
            )
        }
    }

    enum CodingKeys: String, CodingKey {
        case undetermined, held, summary, changes
        case usersEvaluated = "users_evaluated"
        case overridesKept = "overrides_kept"
    }
}
