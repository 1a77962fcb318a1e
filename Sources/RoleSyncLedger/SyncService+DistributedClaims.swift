import Foundation
import RoleSyncJSON
import RoleSyncMapping

extension SyncService {
    /// The claims a sign-in decides on: the token's, with those it sends distributed
    /// (`_claim_names`) looked up by the ``DirectoryClaimResolver`` when there is one and it knows
    /// them, noted with their source. Otherwise the token's claims unchanged (unknown stays unknown).
    func resolvingDistributedClaims(issuer: String, claims: Claims) async -> Claims {
        guard let claimResolver, !claims.unknownNames.isEmpty,
            let found = await claimResolver.resolve(issuer: issuer, claims: claims, unknown: claims.unknownNames)
        else { return claims }
        // Only what was unknown: a directory never overrides a claim the token carries.
        let values = found.values.filter { claims.unknownNames.contains($0.key) }
        return claims.resolving(values, from: found.source)
    }
}

extension AuditKey {
    /// Where the claims a sign-in's decision rests on came from when the token sent them
    /// distributed: `{"groups": {"source": "directory", "via": "scim", "as_of": …, "age_seconds": 240}}`.
    package static let claimSources = AuditKey("claim_sources")
}

extension SignInRules.Plan {
    /// The events that carry a decision's outcome (created, role and status changes and holds,
    /// undetermined, refused).
    static let decisionActions: Set<AuditAction> = [
        .userCreated, .roleChanged, .roleChangeHeld, .statusChanged, .statusChangeHeld, .decisionUndetermined, .signInRefused,
    ]

    /// The plan with a `claim_sources` detail on each event that carries the decision, when some of
    /// its claims came from elsewhere than the token; the plan unchanged otherwise.
    func recordingClaimSources(_ sources: [String: ClaimSource]) -> Self {
        guard !sources.isEmpty else { return self }
        let detail = ClaimValue.object(sources.mapValues(\.auditValue))
        func annotate(_ events: [AuditEvent]) -> [AuditEvent] {
            events.map { event in
                guard Self.decisionActions.contains(event.action) else { return event }
                var annotated = event
                annotated.details[.claimSources] = detail
                return annotated
            }
        }
        var plan = self
        plan.changes.audit = annotate(plan.changes.audit)
        for index in plan.changes.users.indices {
            plan.changes.users[index].audit = annotate(plan.changes.users[index].audit)
        }
        plan.result.events = annotate(plan.result.events)
        return plan
    }
}

extension ClaimSource {
    /// `{"source": "directory", "via": "scim", "as_of": "2026-11-27T12:00:00Z", "age_seconds": 240}`.
    var auditValue: ClaimValue {
        .object([
            "source": .string(origin), "via": .string(via.code), "as_of": .string(asOf.formatted(.iso8601)),
            "age_seconds": .number(Double(ageSeconds)),
        ])
    }
}
