import Foundation
import RoleSyncMapping

/// Renders a ``Decision`` for people (a summary and a trace table) and for scripts (JSON).
enum DecisionReport {
    /// The JSON document scripts depend on; keep these key names.
    struct Document: Encodable {
        struct RefusalInfo: Encodable {
            var code: String
            var message: String
        }

        var allowed: Bool
        var role: String?
        var covered: Bool
        var rule: String?
        var deactivate: Bool
        var profile: Profile
        var refusal: RefusalInfo?
        var unknownClaims: [String]
        var roleDetermined: Bool
        var issuer: String
        var mapping: String
        var input: String
        var trace: [TraceEntry]

        enum CodingKeys: String, CodingKey {
            case allowed, role, covered, rule, deactivate, profile, refusal, issuer, mapping, input, trace
            case unknownClaims = "unknown_claims"
            case roleDetermined = "role_determined"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(allowed, forKey: .allowed)
            try c.encode(role, forKey: .role)
            try c.encode(covered, forKey: .covered)
            try c.encode(rule, forKey: .rule)
            try c.encode(deactivate, forKey: .deactivate)
            try c.encode(profile, forKey: .profile)
            try c.encode(refusal, forKey: .refusal)
            try c.encode(unknownClaims, forKey: .unknownClaims)
            try c.encode(roleDetermined, forKey: .roleDetermined)
            try c.encode(issuer, forKey: .issuer)
            try c.encode(mapping, forKey: .mapping)
            try c.encode(input, forKey: .input)
            try c.encode(trace, forKey: .trace)
        }
    }

    /// - Parameter input: `claims`, or `unverified_id_token` when the claims came from a JWT whose
    ///   signature was not checked.
    static func json(_ d: Decision, input: String) throws -> String {
        let document = Document(
            allowed: d.isAllowed,
            role: d.role?.rawValue,
            covered: d.isCovered,
            rule: d.ruleID,
            deactivate: d.shouldDeactivate,
            profile: d.profile,
            refusal: d.refusal.map { .init(code: $0.code, message: $0.description) },
            unknownClaims: d.unknownClaims,
            roleDetermined: d.isRoleDetermined,
            issuer: d.issuer,
            mapping: d.mappingFile,
            input: input,
            trace: d.trace ?? []
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    static func human(_ d: Decision, claims: Claims) -> String {
        var lines: [String] = []
        func field(_ name: String, _ value: String) {
            lines.append(name.padding(toLength: 12, withPad: " ", startingAt: 0) + value)
        }
        field("Mapping", "\(d.mappingFile) (issuer \(d.issuer))")
        if case .string(let iss)? = claims.values["iss"], iss != d.issuer {
            field("Warning", "the claims' iss '\(iss)' is not this mapping's issuer; at sign-in this mapping would not apply")
        }
        if let refusal = d.refusal {
            var because = ""
            switch refusal {
            case .deactivated(let i):
                because = d.trace?.first { $0.section == .deactivate && $0.index == i + 1 }?.condition.map { ": \($0.check)" } ?? ""
            case .requirementFailed(let i):
                because = d.trace?.first { $0.section == .require && $0.index == i + 1 }?.condition.map { ": \($0.check)" } ?? ""
            default:
                break
            }
            field("Decision", "REFUSED (\(refusal.code)): \(refusal)\(because)")
        } else {
            field("Decision", "allowed")
        }
        switch (d.role, d.ruleID, d.isRoleDetermined) {
        case (let role?, let rule?, true):
            field("Role", "\(role) (rule '\(rule)'): covered, the IdP owns this role; manual edits are refused")
        case (let role?, let rule?, false):
            field(
                "Role",
                "\(role) (rule '\(rule)') if the unknown claims match no earlier rule: covered either way, "
                    + "but the role is not settled, so it stays as it is"
            )
        case (_, _, true):
            field("Role", "none: no role rule matched; not covered, the role is managed by hand (new users start as user)")
        default:
            field("Role", "none on the known claims, but rules depend on unknown claims: coverage is not settled; the role stays as it is")
        }
        field("Deactivate", d.shouldDeactivate ? "yes: the user becomes inactive (reason idp) and their sessions end" : "no")
        let profile = ["email": d.profile.email, "name": d.profile.name, "organization_unit": d.profile.organizationUnit]
            .sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value ?? "-")" }
            .joined(separator: "  ")
        field("Profile", profile)
        if !d.unknownClaims.isEmpty {
            field(
                "Unknown",
                d.unknownClaims.joined(separator: ", ")
                    + ": distributed claims the decision depends on; the user's role and status stay as they are"
            )
        }
        lines.append("")
        lines.append("Trace (every rule tried, in order):")
        lines += traceTable(d.trace ?? [])
        return lines.joined(separator: "\n")
    }

    static func traceTable(_ entries: [TraceEntry]) -> [String] {
        var rows: [[String]] = [["STEP", "RULE", "ROLE", "RESULT", "CHECK", "WHY"]]
        for entry in entries {
            let step = "\(entry.section.rawValue)[\(entry.index)]"
            let result = label(entry.outcome)
            if let condition = entry.condition {
                append(condition, depth: 0, into: &rows, first: [step, entry.rule ?? "-", entry.role?.rawValue ?? "-", result])
            } else {
                rows.append([step, entry.rule ?? "-", entry.role?.rawValue ?? "-", result, "-", entry.reason ?? ""])
            }
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            var line = "  "
            for column in 0..<5 {
                line += row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0) + "  "
            }
            return (line + row[5]).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }

    private static func append(_ c: ConditionTrace, depth: Int, into rows: inout [[String]], first: [String]?) {
        let indent = String(repeating: "  ", count: depth) + (depth > 0 ? "└ " : "")
        let lead = first ?? ["", "", "", label(c.outcome)]
        rows.append(lead + [indent + c.check, c.detail])
        if let source = c.source {
            rows.append(["", "", "", "", "", "source: " + source])
        }
        if let nearMiss = c.nearMiss {
            rows.append(["", "", "", "", "", "near miss: " + nearMiss])
        }
        for child in c.children {
            append(child, depth: depth + 1, into: &rows, first: nil)
        }
    }

    static func label(_ outcome: Outcome) -> String {
        switch outcome {
        case .held: "held"
        case .notHeld: "not held"
        case .unknown: "UNKNOWN"
        case .notTried: "not tried"
        }
    }
}
