import RoleSyncJSON
/// Per-evaluation state: claim paths resolved once, and string sets of long list claims built
/// once, so that 200 rules over 150 groups cost 200 hash look-ups, not 30,000 comparisons.
struct EvaluationContext {
    /// What a long list claim on one path was turned into, built on first need.
    private struct Slot {
        var exact: Set<String>?
        var folded: Set<String>?
        /// The list's strings by their first byte (ASCII-lower-cased), for globs with a literal start.
        var byFirstByte: [UInt8: [String]]?
        /// Which indexed predicates on this path a long list satisfies (see ``MembershipIndex``).
        var held: [UInt64]?
    }

    /// Lists at least this long are searched through a set.
    static let setThreshold = 12

    let claims: Claims
    private let index: MembershipIndex
    /// Each path's resolution, once looked up.
    private var resolutions: [ClaimPath.Resolution?]
    /// Allocated only when a long list claim is met (most sign-ins never need it).
    private var slotStorage: [Slot] = []
    /// Unknown claims the current top-level condition touched.
    var touchedUnknown: [String] = []

    init(claims: Claims, index: MembershipIndex) {
        self.claims = claims
        self.index = index
        self.resolutions = Array(repeating: nil, count: index.pathCount)
    }

    private mutating func ensureSlots() {
        if slotStorage.isEmpty { slotStorage = Array(repeating: Slot(), count: index.pathCount) }
    }

    mutating func resolve(_ p: Predicate) -> ClaimPath.Resolution {
        if let r = resolutions[p.slot] { return r }
        let r = p.path.resolve(in: claims)
        resolutions[p.slot] = r
        return r
    }

    private mutating func contains(_ elements: [ClaimValue], string: String, folded: Bool, slot: Int) -> Bool {
        ensureSlots()
        if folded {
            if slotStorage[slot].folded == nil {
                slotStorage[slot].folded = Set(elements.compactMap { $0.stringValue?.lowercased() })
            }
            return slotStorage[slot].folded?.contains(string) ?? false
        }
        if slotStorage[slot].exact == nil {
            slotStorage[slot].exact = Set(elements.compactMap(\.stringValue))
        }
        return slotStorage[slot].exact?.contains(string) ?? false
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

    /// ``top(_:tracing:)`` without a trace: the sign-in path.
    mutating func top(_ condition: Condition) -> Truth {
        if !touchedUnknown.isEmpty { touchedUnknown.removeAll(keepingCapacity: true) }
        return truth(condition)
    }

    /// The first string of a long list claim that a glob with a literal start matches, looking only
    /// at strings that start with that byte in either ASCII case. The buckets are built once per
    /// evaluation. When the glob ignores case, strings that start with a non-ASCII character are
    /// checked too, since one of them may fold to ASCII (the Kelvin sign folds to "k").
    private mutating func firstGlobMatch(_ glob: GlobPattern, firstByte: UInt8, in elements: [ClaimValue], slot: Int) -> String? {
        @inline(__always) func key(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }
        ensureSlots()
        if slotStorage[slot].byFirstByte == nil {
            var buckets: [UInt8: [String]] = [:]
            for case .string(let s) in elements {
                guard let byte = s.utf8.first else { continue }
                buckets[key(byte), default: []].append(s)
            }
            slotStorage[slot].byFirstByte = buckets
        }
        guard let buckets = slotStorage[slot].byFirstByte else { return nil }
        if let hit = buckets[key(firstByte)]?.first(where: glob.matches) { return hit }
        guard glob.ignoresCase else { return nil }
        for (byte, strings) in buckets where byte >= 0x80 {
            if let hit = strings.first(where: glob.matches) { return hit }
        }
        return nil
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
        if p.isIndexed, !slotStorage.isEmpty, let held = slotStorage[p.slot].held {
            return held[p.id >> 6] & (1 << UInt64(p.id & 63)) != 0 ? .yes : .no
        }
        switch resolve(p) {
        case .unknown(let name):
            if case .exists(let wanted) = p.op { return wanted ? .yes : .no }
            touchedUnknown.append(name)
            return .unknown
        case .absent:
            if case .exists(let wanted) = p.op { return wanted ? .no : .yes }
            return .no
        case .value(let value):
            if p.isIndexed, case .array(let elements) = value, elements.count >= Self.setThreshold {
                let held = index.held(slot: p.slot, elements: elements)
                ensureSlots()
                slotStorage[p.slot].held = held
                return held[p.id >> 6] & (1 << UInt64(p.id & 63)) != 0 ? .yes : .no
            }
            return holds(p, value) ? .yes : .no
        }
    }

    /// Whether the predicate holds on a present value: ``firstMatch(_:in:)`` without building the
    /// matching element, and with direct loops for the common exact-case string operators.
    private mutating func holds(_ p: Predicate, _ value: ClaimValue) -> Bool {
        switch p.op {
        case .equals(.string(let operand)) where !p.ignoresCase, .contains(.string(let operand)) where !p.ignoresCase:
            switch value {
            case .string(let s): return s == operand
            case .array(let elements) where elements.count < Self.setThreshold:
                for case .string(let s) in elements where s == operand { return true }
                return false
            default: break
            }
        case .equals(.bool(let operand)):
            if case .bool(let b) = value { return b == operand }
        // Globs and regexes fold case themselves.
        case .glob(let glob):
            switch value {
            case .string(let s): return glob.matches(s)
            case .array(let elements) where elements.count < Self.setThreshold:
                for case .string(let s) in elements where glob.matches(s) { return true }
                return false
            default: break
            }
        case .regex(let regex):
            switch value {
            case .string(let s): return regex.matches(s)
            case .array(let elements) where elements.count < Self.setThreshold:
                for case .string(let s) in elements where regex.matches(s) { return true }
                return false
            default: break
            }
        default:
            break
        }
        return firstMatch(p, in: value) != nil
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
            if case .array(let elements) = value, elements.count >= Self.setThreshold, let first = glob.firstByte {
                return firstGlobMatch(glob, firstByte: first, in: elements, slot: p.slot).map(ClaimValue.string)
            }
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
