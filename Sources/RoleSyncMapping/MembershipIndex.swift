import RoleSyncJSON
/// For each claim path, which `equals`/`contains`/`in` predicates hold when a list element is a
/// given string. Evaluating a long list claim then costs one look-up per element, once, instead of
/// one set probe per predicate: 200 rules over 150 groups cost 150 look-ups.
///
/// A class, built once by ``MembershipIndex/Builder``, so that each evaluation shares it by reference.
final class MembershipIndex: Sendable {
    /// Per path slot: string operand → ids of exact-case predicates it satisfies.
    let exact: [[String: [Int]]]
    /// Per path slot: lower-cased string operand → ids of `ignore_case` predicates it satisfies.
    let folded: [[String: [Int]]]
    let predicateCount: Int

    var pathCount: Int { exact.count }

    init(exact: [[String: [Int]]], folded: [[String: [Int]]], predicateCount: Int) {
        self.exact = exact
        self.folded = folded
        self.predicateCount = predicateCount
    }

    /// Collects paths and predicates while a mapping is parsed.
    struct Builder {
        private var exact: [[String: [Int]]] = []
        private var folded: [[String: [Int]]] = []
        private var predicateCount = 0

        func build() -> MembershipIndex {
            MembershipIndex(exact: exact, folded: folded, predicateCount: predicateCount)
        }

        /// Reserves a slot for a new path.
        mutating func addPath() -> Int {
            exact.append([:])
            folded.append([:])
            return exact.count - 1
        }

        /// Numbers a predicate and, when it is indexable, records its string operands.
        mutating func register(op: Predicate.Operator, ignoresCase: Bool, slot: Int) -> Int {
            let id = predicateCount
            predicateCount += 1
            let operands: [ClaimValue]
            switch op {
            case .equals(let v), .contains(let v): operands = [v]
            case .isIn(let vs): operands = vs
            case .glob, .regex, .exists: operands = []
            }
            let strings = operands.compactMap(\.stringValue)
            guard !strings.isEmpty, strings.count == operands.count else { return id }
            for s in Set(strings) {
                if ignoresCase {
                    folded[slot][s.lowercased(), default: []].append(id)
                } else {
                    exact[slot][s, default: []].append(id)
                }
            }
            return id
        }
    }

    /// The bit set of indexed predicates on `slot` that some string element satisfies.
    func held(slot: Int, elements: [ClaimValue]) -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: (predicateCount + 63) / 64)
        let exact = self.exact[slot]
        let folded = self.folded[slot]
        for case .string(let s) in elements {
            if !exact.isEmpty, let ids = exact[s] {
                for id in ids { bits[id >> 6] |= 1 << UInt64(id & 63) }
            }
            if !folded.isEmpty, let ids = folded[s.lowercased()] {
                for id in ids { bits[id >> 6] |= 1 << UInt64(id & 63) }
            }
        }
        return bits
    }
}
