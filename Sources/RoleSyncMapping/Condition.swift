package import RoleSyncJSON
package import RoleSyncYAML

/// A condition of a mapping: a predicate on one claim, or `any`/`all`/`not` of conditions.
package indirect enum Condition: Sendable, Hashable {
    case predicate(Predicate)
    case any([Condition], at: SourceLocation)
    case all([Condition], at: SourceLocation)
    case not(Condition, at: SourceLocation)

    /// Where the condition starts in its file.
    package var location: SourceLocation {
        switch self {
        case .predicate(let p): p.location
        case .any(_, let at), .all(_, let at), .not(_, let at): at
        }
    }

    /// A one-line rendering (`groups contains "admins"`, `any(…)`), used in traces and to spot duplicates.
    package var summary: String {
        switch self {
        case .predicate(let p): p.summary
        case .any(let cs, _): "any(" + cs.map(\.summary).joined(separator: ", ") + ")"
        case .all(let cs, _): "all(" + cs.map(\.summary).joined(separator: ", ") + ")"
        case .not(let c, _): "not(" + c.summary + ")"
        }
    }
}

/// A test on one claim: `{ claim: groups, contains: admins, ignore_case: true }`.
///
/// A class so that walking a condition tree retains one reference instead of copying every field.
package final class Predicate: Sendable, Hashable {
    /// The operator and its operand.
    package enum Operator: Sendable, Hashable {
        case equals(ClaimValue)
        case isIn([ClaimValue])
        case contains(ClaimValue)
        case glob(GlobPattern)
        case regex(RegexPattern)
        case exists(Bool)

        /// The operator's name as written in a mapping.
        package var name: String {
            switch self {
            case .equals: "equals"
            case .isIn: "in"
            case .contains: "contains"
            case .glob: "glob"
            case .regex: "regex"
            case .exists: "exists"
            }
        }

        var operandText: String {
            switch self {
            case .equals(let v), .contains(let v): v.jsonText
            case .isIn(let vs): ClaimValue.array(vs).jsonText
            case .glob(let g): ClaimValue.quoted(g.source)
            case .regex(let r): ClaimValue.quoted(r.source)
            case .exists(let b): b ? "true" : "false"
            }
        }
    }

    package let path: ClaimPath
    package let op: Operator
    package let ignoresCase: Bool
    package let location: SourceLocation
    /// Index of this predicate's path in the mapping's per-evaluation cache.
    let slot: Int
    /// This predicate's number in its mapping, for the membership index's bit set.
    let id: Int
    /// Whether the membership index answers it: `equals`, `contains` or `in` with string operands.
    let isIndexed: Bool
    /// The string operands folded to lower case, computed once (empty strings for other operands).
    let foldedOperands: [String]

    package init(path: ClaimPath, op: Operator, ignoresCase: Bool, location: SourceLocation, slot: Int = 0, id: Int = 0) {
        self.path = path
        self.op = op
        self.ignoresCase = ignoresCase
        self.location = location
        self.slot = slot
        self.id = id
        switch op {
        case .equals(let v), .contains(let v): isIndexed = v.stringValue != nil
        case .isIn(let vs): isIndexed = !vs.isEmpty && vs.allSatisfy { $0.stringValue != nil }
        case .glob, .regex, .exists: isIndexed = false
        }
        switch op {
        case .equals(let v), .contains(let v): foldedOperands = [v.stringValue?.lowercased() ?? ""]
        case .isIn(let vs): foldedOperands = vs.map { $0.stringValue?.lowercased() ?? "" }
        case .glob, .regex, .exists: foldedOperands = []
        }
    }

    /// `groups contains "admins" (ignore_case)`.
    package var summary: String {
        "\(path.raw) \(op.name) \(op.operandText)" + (ignoresCase ? " (ignore_case)" : "")
    }

    package static func == (lhs: Predicate, rhs: Predicate) -> Bool {
        lhs.path == rhs.path && lhs.op == rhs.op && lhs.ignoresCase == rhs.ignoresCase
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(path)
        hasher.combine(op)
        hasher.combine(ignoresCase)
    }
}
