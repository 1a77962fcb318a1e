package import RoleSyncYAML

/// Runs a mapping's `tests:` cases.
package enum MappingTestRunner {
    /// How one case came out.
    package struct CaseResult: Sendable, Hashable {
        package var name: String
        package var location: SourceLocation
        /// Each expectation that did not hold, in words; empty when the case passed.
        package var failures: [String]
        package var isPassed: Bool { failures.isEmpty }
    }

    /// Evaluates every test case of a mapping and compares the decision with its `expect`.
    /// - Parameter mapping: a validated mapping.
    /// - Returns: one result per case, in file order.
    package static func run(_ mapping: Mapping) -> [CaseResult] {
        mapping.tests.map { test in
            let decision = mapping.evaluate(test.claims, tracing: false)
            return CaseResult(
                name: test.name,
                location: test.location,
                failures: test.expect.map { check($0, decision) } ?? []
            )
        }
    }

    static func check(_ e: MappingTestCase.Expectation, _ d: Decision) -> [String] {
        var failures: [String] = []
        func show(_ s: String?) -> String { s.map { "'\($0)'" } ?? "none" }
        let matched = d.ruleID.map { " (rule '\($0)')" } ?? " (no rule matched)"
        if let allowed = e.allowed, allowed != d.isAllowed {
            failures.append(
                "expected allowed \(allowed), got \(d.isAllowed)" + (d.refusal.map { ": \($0)" } ?? "")
            )
        }
        if let role = e.role, role != d.role {
            failures.append("expected role \(show(role?.rawValue)), got \(show(d.role?.rawValue))\(matched)")
        }
        if let rule = e.rule, rule != d.ruleID {
            failures.append("expected rule \(show(rule)), got \(show(d.ruleID))")
        }
        if let covered = e.covered, covered != d.isCovered {
            failures.append("expected covered \(covered), got \(d.isCovered)\(matched)")
        }
        if let deactivate = e.deactivate, deactivate != d.shouldDeactivate {
            failures.append("expected deactivate \(deactivate), got \(d.shouldDeactivate)")
        }
        if let profile = e.profile {
            for (attribute, expected) in profile.sorted(by: { $0.key < $1.key }) where d.profile[attribute] != expected {
                failures.append(
                    "expected profile.\(attribute) \(show(expected)), got \(show(d.profile[attribute]))"
                )
            }
        }
        if let unknown = e.unknownClaims, unknown.sorted() != d.unknownClaims {
            failures.append(
                "expected unknown_claims [\(unknown.sorted().joined(separator: ", "))], got [\(d.unknownClaims.joined(separator: ", "))]"
            )
        }
        return failures
    }
}
