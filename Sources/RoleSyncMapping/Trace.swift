/// The result of one condition: three-valued, since a claim can be unknown.
package enum Outcome: String, Sendable, Hashable, Codable {
    case held
    case notHeld = "not_held"
    /// Depends on an unknown (distributed) claim.
    case unknown
    /// Not evaluated: an earlier role rule matched.
    case notTried = "not_tried"
}

/// One line of a decision's trace: a `require` or `deactivate` condition, or a role rule.
package struct TraceEntry: Sendable, Hashable, Codable {
    package enum Section: String, Sendable, Hashable, Codable {
        case require
        case deactivate
        case roles
    }

    package var section: Section
    /// 1-based position in its section.
    package var index: Int
    /// The rule id (roles only).
    package var rule: String?
    /// The rule's role (roles only).
    package var role: Role?
    package var outcome: Outcome
    /// Line of the condition or rule in the mapping file.
    package var line: Int
    /// Why, in a sentence, when there is no condition to show (catch-all, not tried).
    package var reason: String?
    package var condition: ConditionTrace?
}

/// How one condition came out, with its sub-conditions.
package struct ConditionTrace: Sendable, Hashable, Codable {
    /// The condition in one line (`groups contains "admins"`, `any`, `all`, `not`).
    package var check: String
    package var outcome: Outcome
    /// What the claim held and why that did or did not satisfy the check.
    package var detail: String
    /// A value that would have matched but for case, surrounding whitespace or JSON type.
    package var nearMiss: String?
    package var children: [ConditionTrace]
    /// Where the claim's value came from when the token sent it distributed:
    /// `claim 'groups' from the directory (SCIM push), 4 min old`; `nil` for the token's own claims.
    package var source: String?

    enum CodingKeys: String, CodingKey {
        case check
        case outcome
        case detail
        case nearMiss = "near_miss"
        case children
        case source
    }
}
