/// Per-evaluation state: claim paths resolved once, and string sets of long list claims built
/// once, so that 200 rules over 150 groups cost 200 hash look-ups, not 30,000 comparisons.
struct EvaluationContext {
    private struct Slot {
        var resolution: ClaimPath.Resolution?
        var exact: Set<String>?
        var folded: Set<String>?
    }

    /// Lists at least this long are searched through a set.
    static let setThreshold = 12

    let claims: Claims
    private var slots: [Slot]
    /// Unknown claims the current top-level condition touched.
    var touchedUnknown: [String] = []

    init(claims: Claims, pathCount: Int) {
        self.claims = claims
        self.slots = Array(repeating: Slot(), count: pathCount)
    }

    mutating func resolve(_ p: Predicate) -> ClaimPath.Resolution {
        if let r = slots[p.slot].resolution { return r }
        let r = p.path.resolve(in: claims)
        slots[p.slot].resolution = r
        return r
    }

    private mutating func contains(_ elements: [ClaimValue], string: String, folded: Bool, slot: Int) -> Bool {
        if folded {
            if slots[slot].folded == nil {
                slots[slot].folded = Set(elements.compactMap { $0.stringValue?.lowercased() })
            }
            return slots[slot].folded?.contains(string) ?? false
        }
        if slots[slot].exact == nil {
            slots[slot].exact = Set(elements.compactMap(\.stringValue))
        }
        return slots[slot].exact?.contains(string) ?? false
    }

    /// Evaluates a top-level condition (a `require` or `deactivate` entry, a rule's `when`),
    /// collecting in ``touchedUnknown`` the unknown claims it ran into.
    mutating func top(_ condition: Condition, tracing: Bool) -> (Truth, ConditionTrace?) {
        touchedUnknown.removeAll(keepingCapacity: true)
        if tracing {
            let traced = trace(condition)
            return (traced.truth, traced.trace)
        }
        return (truth(condition), nil)
    }

    // MARK: Fast evaluation

    mutating func truth(_ condition: Condition) -> Truth {
        switch condition {
        case .predicate(let p):
            return truth(p)
        case .any(let cs, _):
            var sawUnknown = false
            for c in cs {
                switch truth(c) {
                case .yes: return .yes
                case .unknown: sawUnknown = true
                case .no: break
                }
            }
            return sawUnknown ? .unknown : .no
        case .all(let cs, _):
            var sawUnknown = false
            for c in cs {
                switch truth(c) {
                case .no: return .no
                case .unknown: sawUnknown = true
                case .yes: break
                }
            }
            return sawUnknown ? .unknown : .yes
        case .not(let c, _):
            return truth(c).negated
        }
    }

    mutating func truth(_ p: Predicate) -> Truth {
        switch resolve(p) {
        case .unknown(let name):
            if case .exists(let wanted) = p.op { return wanted ? .yes : .no }
            touchedUnknown.append(name)
            return .unknown
        case .absent:
            if case .exists(let wanted) = p.op { return wanted ? .no : .yes }
            return .no
        case .value(let value):
            return firstMatch(p, in: value) != nil ? .yes : .no
        }
    }

    /// The element of `value` (or `value` itself) that satisfies the predicate, if any.
    mutating func firstMatch(_ p: Predicate, in value: ClaimValue) -> ClaimValue? {
        switch p.op {
        case .exists(let wanted):
            return wanted ? value : nil
        case .equals(let operand), .contains(let operand):
            return firstEqual(p, value, operands: CollectionOfOne(operand), folded: p.foldedOperands)
        case .isIn(let operands):
            return firstEqual(p, value, operands: operands, folded: p.foldedOperands)
        case .glob(let glob):
            return firstElement(of: value) { $0.stringValue.map(glob.matches) ?? false }
        case .regex(let regex):
            return firstElement(of: value) { $0.stringValue.map(regex.matches) ?? false }
        }
    }

    private mutating func firstEqual(
        _ p: Predicate,
        _ value: ClaimValue,
        operands: some Collection<ClaimValue>,
        folded: [String]
    ) -> ClaimValue? {
        if case .array(let elements) = value, elements.count >= Self.setThreshold {
            // Strings through the set; other operand types (rare) by scanning.
            for (i, operand) in operands.enumerated() {
                if case .string(let s) = operand {
                    let key = p.ignoresCase ? folded[i] : s
                    if contains(elements, string: key, folded: p.ignoresCase, slot: p.slot) {
                        return firstElement(of: value) { Self.equal($0, operand, ignoringCase: p.ignoresCase, folded: key) }
                    }
                } else if let hit = elements.first(where: { $0 == operand }) {
                    return hit
                }
            }
            return nil
        }
        for (i, operand) in operands.enumerated() {
            let key = p.ignoresCase ? folded[i] : ""
            if let hit = firstElement(of: value, where: { Self.equal($0, operand, ignoringCase: p.ignoresCase, folded: key) }) {
                return hit
            }
        }
        return nil
    }

    /// The claim as a list: its elements, or itself when it is not a list.
    private func firstElement(of value: ClaimValue, where matches: (ClaimValue) -> Bool) -> ClaimValue? {
        if case .array(let elements) = value {
            return elements.first(where: matches)
        }
        return matches(value) ? value : nil
    }

    static func equal(_ element: ClaimValue, _ operand: ClaimValue, ignoringCase: Bool, folded: String) -> Bool {
        if ignoringCase, case .string(let s) = element, case .string = operand {
            return s.lowercased() == folded
        }
        return element == operand
    }
}
