import RoleSyncYAML

/// Warnings for rules that cannot do what their author meant: shadowed by an earlier catch-all or
/// an identical condition, or unable ever to match.
extension MappingBuilder {
    mutating func analyse(require: [Condition], deactivate: [Condition], roles: [RoleRule]) {
        for condition in require {
            if let why = Self.contradiction(condition) {
                warn(condition.location, "this requirement can never hold (\(why)), so every sign-in will be refused")
            }
        }
        for condition in deactivate {
            if let why = Self.contradiction(condition) {
                warn(condition.location, "this deactivate condition can never hold (\(why))")
            } else if Self.isTautology(condition) {
                warn(condition.location, "this deactivate condition always holds: every user would be deactivated")
            }
        }
        var catchAll: RoleRule?
        var earlierByCondition: [String: RoleRule] = [:]
        for rule in roles {
            if let catchAll {
                warn(
                    rule.location,
                    "rule '\(rule.id)' can never match: the catch-all rule '\(catchAll.id)' on line \(catchAll.location.line) matches everyone first"
                )
                continue
            }
            guard let when = rule.when else {
                catchAll = rule
                continue
            }
            if let why = Self.contradiction(when) {
                warn(rule.location, "rule '\(rule.id)' can never match (\(why))")
            } else if Self.isTautology(when) {
                catchAll = rule
            } else if let earlier = earlierByCondition[when.summary] {
                warn(
                    rule.location,
                    "rule '\(rule.id)' can never match: rule '\(earlier.id)' on line \(earlier.location.line) has the same condition and comes first"
                )
            } else {
                earlierByCondition[when.summary] = rule
            }
        }
    }

    private mutating func warn(_ location: SourceLocation, _ message: String) {
        reader.report(Diagnostic(.warning, at: location, message))
    }

    /// Whether a condition holds for every claims set (conservatively: only forms that obviously do).
    static func isTautology(_ condition: Condition) -> Bool {
        switch condition {
        case .predicate:
            // Every operator needs the claim present, and `exists: false` needs it absent.
            return false
        case .all(let cs, _): return cs.allSatisfy(isTautology)
        case .any(let cs, _): return cs.contains(where: isTautology)
        case .not(let c, _): return contradiction(c) != nil
        }
    }

    /// Why a condition can never hold, when it obviously cannot.
    static func contradiction(_ condition: Condition) -> String? {
        switch condition {
        case .predicate(let p):
            if case .isIn(let values) = p.op, values.isEmpty { return "'in' with an empty list" }
            return nil
        case .any(let cs, _):
            if cs.isEmpty { return "an empty 'any'" }
            let reasons = cs.compactMap(contradiction)
            return reasons.count == cs.count ? reasons.first : nil
        case .all(let cs, _):
            if let reason = cs.lazy.compactMap(contradiction).first { return reason }
            // exists: false next to a test that needs the same claim present.
            var absent = Set<String>()
            var needed = Set<String>()
            for case .predicate(let p) in cs {
                if case .exists(let wanted) = p.op {
                    if wanted { needed.insert(p.path.raw) } else { absent.insert(p.path.raw) }
                } else {
                    needed.insert(p.path.raw)
                }
            }
            if let claim = absent.intersection(needed).sorted().first {
                return "it needs claim '\(claim)' both absent and present"
            }
            return nil
        case .not(let c, _):
            return isTautology(c) ? "'not' of a condition that always holds" : nil
        }
    }
}
