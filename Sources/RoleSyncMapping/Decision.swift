/// What a mapping decides for one claims set.
package struct Decision: Sendable, Hashable {
    /// Why sign-in is refused.
    package enum Refusal: Sendable, Hashable, CustomStringConvertible {
        /// `deactivate` condition number `index` (0-based) holds.
        case deactivated(index: Int)
        /// `require` condition number `index` (0-based) does not hold.
        case requirementFailed(index: Int)
        /// No role rule matched and the mapping says `unmatched: deny`.
        case unmatchedDenied
        /// A `require` or `deactivate` condition (or, with `unmatched: deny`, the role rules)
        /// depends on claims whose value the token does not carry.
        case undetermined(claims: [String])

        /// A stable code for logs, audit events and JSON.
        package var code: String {
            switch self {
            case .deactivated: "deactivated"
            case .requirementFailed: "requirement_failed"
            case .unmatchedDenied: "unmatched_denied"
            case .undetermined: "undetermined"
            }
        }

        package var description: String {
            switch self {
            case .deactivated(let i): "deactivate condition \(i + 1) holds"
            case .requirementFailed(let i): "require condition \(i + 1) does not hold"
            case .unmatchedDenied: "no role rule matched and the mapping says unmatched: deny"
            case .undetermined(let claims):
                "the decision depends on unknown (distributed) claims: " + claims.joined(separator: ", ")
            }
        }
    }

    /// The mapping's issuer and file.
    package var issuer: String
    package var mappingFile: String
    /// `nil` when sign-in is allowed.
    package var refusal: Refusal?
    /// The role of the matching rule; `nil` when no rule matched.
    package var role: Role?
    /// The id of the matching rule; `nil` when no rule matched.
    package var ruleID: String?
    /// A `deactivate` condition holds: the user must become inactive (reason `idp`).
    package var shouldDeactivate: Bool
    package var profile: Profile
    /// The unknown (distributed) claims some part of the decision depends on, sorted. Which part:
    /// ``isRoleDetermined`` is false when the role does (then the role must not change), and the
    /// refusal is ``Refusal/undetermined(claims:)`` when sign-in and status do. A `deactivate`
    /// condition that holds on known claims still deactivates.
    package var unknownClaims: [String]
    /// Whether the role is settled: no rule before the matching one (or, with no match, no rule at
    /// all) depends on an unknown claim. When a rule matched, the user is covered either way; only
    /// which rule decides may be open.
    package var isRoleDetermined: Bool
    /// Every condition tried and why it held or not; `nil` when evaluated without tracing.
    package var trace: [TraceEntry]?
    /// Where the claims resolved from elsewhere (the token sent them distributed) came from, by
    /// claim name: the evaluated claims' ``Claims/sources``. Empty for claims as the IdP sent them.
    package var claimSources: [String: ClaimSource] = [:]

    /// Sign-in may go ahead.
    package var isAllowed: Bool { refusal == nil }
    /// A role rule matched: the role belongs to the IdP, and manual edits are refused.
    package var isCovered: Bool { ruleID != nil }
}
