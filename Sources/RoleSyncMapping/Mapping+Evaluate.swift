/// A condition's truth value: unknown when it depends on a distributed claim.
enum Truth: Sendable {
    case yes
    case no
    case unknown

    var outcome: Outcome {
        switch self {
        case .yes: .held
        case .no: .notHeld
        case .unknown: .unknown
        }
    }

    static func anyOf(_ values: some Sequence<Truth>) -> Truth {
        var sawUnknown = false
        for v in values {
            if v == .yes { return .yes }
            if v == .unknown { sawUnknown = true }
        }
        return sawUnknown ? .unknown : .no
    }

    static func allOf(_ values: some Sequence<Truth>) -> Truth {
        var sawUnknown = false
        for v in values {
            if v == .no { return .no }
            if v == .unknown { sawUnknown = true }
        }
        return sawUnknown ? .unknown : .yes
    }

    var negated: Truth {
        switch self {
        case .yes: .no
        case .no: .yes
        case .unknown: .unknown
        }
    }
}

extension Mapping {
    /// Evaluates the mapping on one claims set.
    ///
    /// - Parameters:
    ///   - claims: the user's claims (an ID token's payload, or the last claims stored for the user).
    ///   - tracing: also record every condition tried and why; costs time, so sign-in paths that only
    ///     need the decision pass `false`.
    /// - Returns: the ``Decision``; it never throws: absent and unknown claims are outcomes, not errors.
    package func evaluate(_ claims: Claims, tracing: Bool = true) -> Decision {
        var context = EvaluationContext(claims: claims, index: index)
        var entries: [TraceEntry] = []
        if tracing { entries.reserveCapacity(require.count + deactivate.count + roles.count) }

        // require: all must hold; deactivate: any holds. Both stop at the deciding condition unless
        // tracing, which explains every condition.
        let (failedRequirement, requireUnknown) = scan(
            require,
            section: .require,
            stopAt: .no,
            context: &context,
            entries: &entries,
            tracing: tracing
        )
        let (deactivatedBy, deactivateUnknown) = scan(
            deactivate,
            section: .deactivate,
            stopAt: .yes,
            context: &context,
            entries: &entries,
            tracing: tracing
        )

        // roles: first match wins.
        var matched: RoleRule?
        var rolesUnknown: [String] = []
        for (i, rule) in roles.enumerated() {
            if let matched {
                guard tracing else { break }
                entries.append(
                    TraceEntry(
                        section: .roles,
                        index: i + 1,
                        rule: rule.id,
                        role: rule.role,
                        outcome: .notTried,
                        line: rule.location.line,
                        reason: "rule '\(matched.id)' matched first"
                    )
                )
                continue
            }
            guard let when = rule.when else {
                matched = rule
                if tracing {
                    entries.append(
                        TraceEntry(
                            section: .roles,
                            index: i + 1,
                            rule: rule.id,
                            role: rule.role,
                            outcome: .held,
                            line: rule.location.line,
                            reason: "no 'when': the rule always matches"
                        )
                    )
                }
                continue
            }
            let (truth, trace) = tracing ? context.top(when, tracing: true) : (context.top(when), nil)
            if truth == .yes { matched = rule }
            if truth == .unknown { rolesUnknown += context.touchedUnknown }
            if tracing {
                entries.append(
                    TraceEntry(
                        section: .roles,
                        index: i + 1,
                        rule: rule.id,
                        role: rule.role,
                        outcome: truth.outcome,
                        line: rule.location.line,
                        condition: trace
                    )
                )
            }
        }

        var refusal: Decision.Refusal?
        var unknown = Set(rolesUnknown)
        if let deactivatedBy {
            refusal = .deactivated(index: deactivatedBy)
        } else if !deactivateUnknown.isEmpty {
            unknown.formUnion(deactivateUnknown)
            refusal = .undetermined(claims: Set(deactivateUnknown).sorted())
        } else if let failedRequirement {
            refusal = .requirementFailed(index: failedRequirement)
        } else if !requireUnknown.isEmpty {
            unknown.formUnion(requireUnknown)
            refusal = .undetermined(claims: Set(requireUnknown).sorted())
        } else if matched == nil, unmatched == .deny {
            refusal = rolesUnknown.isEmpty ? .unmatchedDenied : .undetermined(claims: Set(rolesUnknown).sorted())
        }

        return Decision(
            issuer: issuer,
            mappingFile: file,
            refusal: refusal,
            role: matched?.role,
            ruleID: matched?.id,
            shouldDeactivate: deactivatedBy != nil,
            profile: derivedProfile(claims),
            unknownClaims: unknown.sorted(),
            isRoleDetermined: rolesUnknown.isEmpty,
            trace: tracing ? entries : nil,
            claimSources: claims.sources
        )
    }

    /// Evaluates a list of top-level conditions in order.
    /// - Returns: the index of the first condition whose truth is `stopAt`, and the unknown claims
    ///   that conditions with an unknown truth ran into.
    private func scan(
        _ conditions: [Condition],
        section: TraceEntry.Section,
        stopAt decisive: Truth,
        context: inout EvaluationContext,
        entries: inout [TraceEntry],
        tracing: Bool
    ) -> (Int?, [String]) {
        var decidedBy: Int?
        var unknown: [String] = []
        for (i, condition) in conditions.enumerated() {
            guard tracing else {
                let truth = context.top(condition)
                if truth == .unknown { unknown += context.touchedUnknown }
                if truth == decisive {
                    decidedBy = i
                    break
                }
                continue
            }
            let (truth, trace) = context.top(condition, tracing: true)
            if truth == decisive, decidedBy == nil { decidedBy = i }
            if truth == .unknown { unknown += context.touchedUnknown }
            do {
                entries.append(
                    TraceEntry(section: section, index: i + 1, outcome: truth.outcome, line: condition.location.line, condition: trace)
                )
            }
        }
        return (decidedBy, unknown)
    }

    /// The profile attributes the mapping's `profile:` finds in the claims.
    package func derivedProfile(_ claims: Claims) -> Profile {
        func first(_ paths: [ClaimPath]) -> String? {
            for path in paths {
                if case .value(let v) = path.resolve(in: claims), let text = v.scalarText, !text.isEmpty {
                    return text
                }
            }
            return nil
        }
        return Profile(
            email: first(profile.email),
            name: first(profile.name),
            organizationUnit: first(profile.organizationUnit)
        )
    }
}
