import Foundation
import RoleSyncJSON

/// Traced evaluation: the same truth as ``EvaluationContext/truth(_:)-(Condition)``, plus why.
/// Combinators evaluate every child so the trace explains all of them.
extension EvaluationContext {
    struct Traced {
        var truth: Truth
        var trace: ConditionTrace
    }

    mutating func trace(_ condition: Condition) -> Traced {
        switch condition {
        case .predicate(let p):
            return trace(p)
        case .any(let cs, _):
            let children = cs.map { trace($0) }
            let truth = Truth.anyOf(children.map(\.truth))
            let held = children.filter { $0.truth == .yes }.count
            return Traced(
                truth: truth,
                trace: ConditionTrace(
                    check: "any",
                    outcome: truth.outcome,
                    detail: cs.isEmpty ? "an empty 'any' never holds" : "\(held) of \(cs.count) held; any one is enough",
                    nearMiss: nil,
                    children: children.map(\.trace)
                )
            )
        case .all(let cs, _):
            let children = cs.map { trace($0) }
            let truth = Truth.allOf(children.map(\.truth))
            let held = children.filter { $0.truth == .yes }.count
            return Traced(
                truth: truth,
                trace: ConditionTrace(
                    check: "all",
                    outcome: truth.outcome,
                    detail: cs.isEmpty ? "an empty 'all' always holds" : "\(held) of \(cs.count) held; all are needed",
                    nearMiss: nil,
                    children: children.map(\.trace)
                )
            )
        case .not(let c, _):
            let child = trace(c)
            let truth = child.truth.negated
            let detail: String =
                switch child.truth {
                case .yes: "the inner condition held"
                case .no: "the inner condition did not hold"
                case .unknown: "the inner condition is unknown"
                }
            return Traced(
                truth: truth,
                trace: ConditionTrace(
                    check: "not",
                    outcome: truth.outcome,
                    detail: detail,
                    nearMiss: nil,
                    children: [child.trace]
                )
            )
        }
    }

    mutating func trace(_ p: Predicate) -> Traced {
        let truth = truth(p)
        var nearMiss: String?
        var source: String?
        let detail: String
        switch resolve(p) {
        case .unknown(let name):
            detail =
                "claim '\(name)' is unknown: the IdP sent it as a distributed claim (_claim_names), "
                + "so its value is not in the token"
        case .absent:
            detail = "claim absent"
            nearMiss = claimNameNearMiss(p.path)
        case .value(let value):
            source = p.path.sourcedName(in: claims).flatMap { name in
                claims.sources[name].map { "claim '\(name)' from \($0.summary)" }
            }
            let shown = value.abbreviated()
            if case .exists = p.op {
                detail = value.isEmpty ? "claim present but empty: \(shown)" : "claim present: \(shown)"
            } else if let hit = firstMatch(p, in: value) {
                if case .array = value {
                    detail = "element \(hit.abbreviated()) of \(shown) matches"
                } else {
                    detail = "value \(shown) matches"
                }
            } else if value.isEmpty {
                detail = "claim present but empty: \(shown)"
            } else {
                if case .array = value {
                    detail = "no element of \(shown) matches"
                } else {
                    detail = "value \(shown) does not match"
                }
                nearMiss = Self.nearMiss(p, value)
            }
        }
        return Traced(
            truth: truth,
            trace: ConditionTrace(
                check: p.summary,
                outcome: truth.outcome,
                detail: detail,
                nearMiss: nearMiss,
                children: [],
                source: source
            )
        )
    }

    private func claimNameNearMiss(_ path: ClaimPath) -> String? {
        let wanted = path.firstSegment.lowercased()
        guard let other = claims.values.keys.sorted().first(where: { $0 != path.firstSegment && $0.lowercased() == wanted })
        else { return nil }
        return "the token has a claim '\(other)', which differs only in case (claim names are case-sensitive)"
    }

    /// A value that would have matched but for case, surrounding whitespace or JSON type.
    static func nearMiss(_ p: Predicate, _ value: ClaimValue) -> String? {
        let elements: [ClaimValue]
        if case .array(let a) = value { elements = a } else { elements = [value] }
        let operands: [ClaimValue]
        switch p.op {
        case .equals(let v), .contains(let v): operands = [v]
        case .isIn(let vs): operands = vs
        case .glob(let g):
            let folded = try? GlobPattern(g.source, ignoringCase: true)
            return patternNearMiss(elements, ignoresCase: p.ignoresCase, kind: "glob") { s, fold in
                fold ? (folded?.matches(s) ?? false) : g.matches(s)
            }
        case .regex(let r):
            for case .string(let s) in elements where s.utf16.count > RegexPattern.maximumValueLength {
                return "\(ClaimValue.string(s).abbreviated(maxLength: 20)) is longer than \(RegexPattern.maximumValueLength) "
                    + "characters; a regex never matches so long a value"
            }
            return patternNearMiss(elements, ignoresCase: p.ignoresCase, kind: "regex") { s, fold in
                fold ? r.matchesIgnoringCase(s) : r.matches(s)
            }
        case .exists:
            return nil
        }
        for element in elements {
            for operand in operands {
                switch (element, operand) {
                case (.string(let e), .string(let o)):
                    let trimmed = e.trimmingCharacters(in: .whitespacesAndNewlines)
                    let caseOnly = !p.ignoresCase && e.lowercased() == o.lowercased()
                    let spaceOnly = trimmed == o || (p.ignoresCase && trimmed.lowercased() == o.lowercased())
                    let both = !p.ignoresCase && trimmed.lowercased() == o.lowercased()
                    if caseOnly {
                        return "\(element.jsonText) differs from \(operand.jsonText) only in case (add ignore_case: true to accept it)"
                    } else if spaceOnly {
                        return "\(element.jsonText) differs from \(operand.jsonText) only in surrounding whitespace"
                    } else if both {
                        return "\(element.jsonText) differs from \(operand.jsonText) only in case and surrounding whitespace"
                    }
                case (.string, .bool), (.string, .number), (.bool, .string), (.number, .string):
                    if element.scalarText == operand.scalarText {
                        return "the claim holds the \(element.typeName) \(element.jsonText) but the rule expects the "
                            + "\(operand.typeName) \(operand.jsonText); JSON types must match"
                    }
                default:
                    continue
                }
            }
        }
        return nil
    }

    private static func patternNearMiss(
        _ elements: [ClaimValue],
        ignoresCase: Bool,
        kind: String,
        matches: (String, Bool) -> Bool
    ) -> String? {
        for element in elements {
            guard case .string(let s) = element else {
                if element.scalarText != nil {
                    return "the claim holds the \(element.typeName) \(element.jsonText); a \(kind) only matches strings"
                }
                continue
            }
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if !ignoresCase, matches(s, true) {
                return "\(element.jsonText) would match but for case (add ignore_case: true to accept it)"
            }
            if trimmed != s, matches(trimmed, ignoresCase) {
                return "\(element.jsonText) would match but for surrounding whitespace"
            }
        }
        return nil
    }
}
