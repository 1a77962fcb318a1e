import Foundation
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import Synchronization
import Testing

/// A resolver that answers what it is told, and records what it was asked.
final class ScriptedClaimResolver: DirectoryClaimResolver {
    let answer: ResolvedClaims?
    let asked = Mutex<[Set<String>]>([])

    init(_ answer: ResolvedClaims?) { self.answer = answer }

    func resolve(issuer: String, claims: Claims, unknown: Set<String>) async -> ResolvedClaims? {
        asked.withLock { $0.append(unknown) }
        return answer
    }
}

@Suite("Sign-in: distributed claims resolved by the directory")
struct DistributedClaimsTests {
    /// Entra-like: roles from groups, no `deactivate` rule on them (that one is tested apart).
    static let mapping = """
        version: 1
        issuer: https://idp.example.com
        profile: { email: email, name: name }
        require:
          - { claim: email_verified, equals: true }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: platform-admins } }
          - { id: finance, role: billing_admin, when: { claim: groups, contains: finance } }
        unmatched: manual
        """

    let harness: Harness

    init() throws { harness = try Harness(.memory, mapping: Self.mapping) }

    /// Entra ID's overage: `groups` named in `_claim_names`, not sent.
    static func overage(_ sub: String) -> Claims {
        var values = Harness.claims(sub).values
        values["groups"] = nil
        values["_claim_names"] = .object(["groups": "src1"])
        values["_claim_sources"] = .object(["src1": .object(["endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"])])
        return Claims(values)
    }

    func service(_ resolver: (any DirectoryClaimResolver)?) -> SyncService {
        let clock = harness.clock
        return SyncService(
            store: harness.store,
            mappings: harness.service.mappings,
            logger: Logger(label: "test"),
            now: { clock.now },
            claimResolver: resolver
        )
    }

    func pushed(_ groups: [String], age: Int) -> ResolvedClaims {
        ResolvedClaims(
            values: ["groups": .array(groups.map(ClaimValue.string))],
            source: ClaimSource(via: .scimPush, asOf: harness.clock.now.addingTimeInterval(-Double(age)), ageSeconds: age)
        )
    }

    /// Every condition of a trace, nested ones included.
    static func conditions(_ decision: Decision?) -> [ConditionTrace] {
        func all(_ c: ConditionTrace) -> [ConditionTrace] { [c] + c.children.flatMap(all) }
        return (decision?.trace ?? []).compactMap(\.condition).flatMap(all)
    }

    @Test("A shadow mapping is compared on the directory's groups too, not on the unknown claim")
    func shadowSeesResolvedClaims() async throws {
        let candidate = try #require(
            MappingParser.parse(yaml: Self.mapping.replacingOccurrences(of: "role: billing_admin", with: "role: user_admin"), file: "c.yaml").mapping
        )
        let store = try #require(harness.store as? any ShadowStore)
        let clock = harness.clock
        let sync = SyncService(
            store: harness.store,
            mappings: MappingRegistry(harness.service.mappings.current, shadow: MappingSet.build([candidate]).set),
            logger: Logger(label: "test"),
            shadow: ShadowRecorder(store: store, logger: Logger(label: "test")),
            now: { clock.now },
            claimResolver: ScriptedClaimResolver(pushed(["finance"], age: 60))
        )
        _ = try await sync.signIn(issuer: Harness.issuer, claims: Self.overage("alice"))
        try await sync.shadow?.flush()
        let differences = try await store.shadowDifferences(matching: ShadowQuery()).differences
        #expect(differences.map(\.kinds) == [[.role]])
        #expect(differences.first?.live.role == .billingAdmin && differences.first?.candidate.role == .userAdmin)
    }

    @Test("An overage user is decided on the directory's groups; the audit and the trace say so, with the age")
    func decidedFromDirectory() async throws {
        let resolver = ScriptedClaimResolver(pushed(["finance"], age: 240))
        let result = try await service(resolver).signIn(issuer: Harness.issuer, claims: Self.overage("alice"))
        #expect(result.isAllowed && result.isCreated)
        #expect(result.user?.role == .billingAdmin && result.user?.roleSource == .idp)
        #expect(resolver.asked.withLock { $0 } == [["groups"]])

        let created = try #require(try await harness.events("alice", action: .userCreated).first)
        let asOf = harness.clock.now.addingTimeInterval(-240).formatted(.iso8601)
        #expect(
            created.details[.claimSources]
                == .object([
                    "groups": .object(["source": "directory", "via": "scim", "as_of": .string(asOf), "age_seconds": 240])
                ])
        )
        let sources = Self.conditions(result.decision).compactMap(\.source)
        #expect(sources.contains("claim 'groups' from the directory (SCIM push), 4 min old"))
        #expect(result.decision?.claimSources["groups"]?.via == .scimPush)

        // Stored as the user's last claims, so dry runs and reconciliations see them; the note is not.
        let stored = try await harness.user("alice")
        #expect(stored.lastClaims.values["groups"] == .array(["finance"]))
        #expect(stored.lastClaims.unknownNames.isEmpty && stored.lastClaims.sources.isEmpty)
        #expect(stored.lastClaims.values["_claim_names"] != nil)
    }

    @Test("A role changed by the directory's groups records where they came from")
    func roleChangedFromDirectory() async throws {
        try await harness.signIn("alice", groups: ["finance"])
        let result = try await service(ScriptedClaimResolver(pushed(["platform-admins"], age: 30)))
            .signIn(issuer: Harness.issuer, claims: Self.overage("alice"))
        #expect(result.user?.role == .superAdmin)
        let changed = try #require(try await harness.events("alice", action: .roleChanged).first)
        guard case .object(let sources)? = changed.details[.claimSources], case .object(let groups)? = sources["groups"] else {
            Issue.record("no claim_sources on the role change: \(changed.detailsObject)")
            return
        }
        #expect(groups["via"] == "scim" && groups["age_seconds"] == 30 && groups["source"] == "directory")
    }

    @Test("The same sign-in again changes nothing but the last sign-in")
    func repeatIsTouchOnly() async throws {
        let sync = service(ScriptedClaimResolver(pushed(["finance"], age: 60)))
        _ = try await sync.signIn(issuer: Harness.issuer, claims: Self.overage("alice"))
        let before = try await harness.user("alice")
        harness.clock.advance(60)
        let again = try await sync.signIn(issuer: Harness.issuer, claims: Self.overage("alice"))
        #expect(again.events.isEmpty)
        #expect(try await harness.user("alice").version == before.version)
    }

    @Test("Without a resolver, or when it does not know the user, the claim stays unknown: role kept, audited")
    func staysUnknown() async throws {
        try await harness.signIn("alice", groups: ["finance"])
        let unknowing = ScriptedClaimResolver(nil)
        for sync in [harness.service, service(unknowing)] {
            let result = try await sync.signIn(issuer: Harness.issuer, claims: Self.overage("alice"))
            #expect(result.isAllowed)
            #expect(result.user?.role == .billingAdmin)
            #expect(result.decision?.isRoleDetermined == false && result.decision?.claimSources.isEmpty == true)
            let undetermined = try #require(result.events.first { $0.action == .decisionUndetermined })
            #expect(undetermined.details[.unknownClaims] == .array(["groups"]) && undetermined.details[.roleKept] == "billing_admin")
            #expect(undetermined.details[.claimSources] == nil)
        }
        #expect(unknowing.asked.withLock { $0 } == [["groups"]])
        #expect(try await harness.user("alice").lastClaims.unknownNames == ["groups"])
    }

    @Test("A deactivate rule on a resolved claim decides: the directory's groups deactivate a leaver")
    func deactivateDecided() async throws {
        let harness = try Harness(.memory)
        try await harness.signIn("dora", groups: ["finance"])
        let clock = harness.clock
        let sync = SyncService(
            store: harness.store,
            mappings: harness.service.mappings,
            logger: Logger(label: "test"),
            now: { clock.now },
            claimResolver: ScriptedClaimResolver(pushed(["offboarded"], age: 5))
        )
        let result = try await sync.signIn(issuer: Harness.issuer, claims: Self.overage("dora"))
        #expect(result.refusal?.code == "deactivated")
        #expect(try await harness.user("dora").status == .inactive)
        let changed = try #require(result.events.first { $0.action == .statusChanged })
        #expect(changed.details[.claimSources] != nil)
        #expect(result.events.first { $0.action == .sessionsEnded }?.details[.claimSources] == nil)
        // Without the directory the same token leaves the leaver question open: refused, nothing changed.
        let other = try await harness.signIn("erin", groups: ["finance"])
        let open = try await harness.service.signIn(issuer: Harness.issuer, claims: Self.overage("erin"))
        #expect(open.refusal == .undetermined(claims: ["groups"]))
        #expect(try await harness.user("erin").status == .active && other.user?.role == .billingAdmin)
    }

    @Test("Claims the relying party fetched from the token's own source are decided on and audited as such")
    func fromClaimSource() async throws {
        let resolver = ScriptedClaimResolver(pushed(["platform-admins"], age: 0))
        let graph = ClaimSource(via: .claimSourceEndpoint(host: "graph.microsoft.com"), asOf: harness.clock.now, ageSeconds: 0)
        let claims = Self.overage("gina").resolving(["groups": .array(["finance"])], from: graph)
        let result = try await service(resolver).signIn(issuer: Harness.issuer, claims: claims)
        #expect(result.user?.role == .billingAdmin)
        #expect(resolver.asked.withLock { $0 }.isEmpty, "nothing left unknown for the directory")
        let created = try #require(result.events.first { $0.action == .userCreated })
        guard case .object(let sources)? = created.details[.claimSources], case .object(let groups)? = sources["groups"] else {
            Issue.record("no claim_sources: \(created.detailsObject)")
            return
        }
        #expect(groups["source"] == "claim_source" && groups["via"] == "graph.microsoft.com" && groups["age_seconds"] == 0)
    }

    @Test("The resolver is not asked when the token has no distributed claims")
    func notAskedWithoutUnknownClaims() async throws {
        let resolver = ScriptedClaimResolver(pushed(["platform-admins"], age: 0))
        let result = try await service(resolver).signIn(issuer: Harness.issuer, claims: Harness.claims("bob", groups: ["finance"]))
        #expect(result.user?.role == .billingAdmin)
        #expect(resolver.asked.withLock { $0 }.isEmpty)
    }

    @Test("An answer for a claim the token carries is ignored: the directory fills gaps, it does not override")
    func neverOverridesTheToken() async throws {
        var answer = pushed(["finance"], age: 0)
        answer.values["email"] = "someone-else@example.com"
        answer.values["email_verified"] = .bool(false)
        let result = try await service(ScriptedClaimResolver(answer)).signIn(issuer: Harness.issuer, claims: Self.overage("carol"))
        #expect(result.isAllowed && result.user?.role == .billingAdmin)
        #expect(result.user?.email == "carol@example.com")
        #expect(result.decision?.claimSources.keys.sorted() == ["groups"])
    }
}
