import Foundation
package import RoleSyncLedger
package import RoleSyncMapping

extension LedgerFixtures {
    /// Fills a ledger with users `0..<users` whose last claims are ``claims(_:)``, each as their
    /// first sign-in under `mappings` would have left them, in batches of 1,000 through the store
    /// (the sign-in path would take minutes for 100,000).
    /// - Parameter claimsOf: user `i`'s last claims (default ``claims(_:)``).
    package static func populate(
        _ store: any LedgerStore,
        users: Int,
        under mappings: MappingSet,
        claimsOf: (Int) -> Claims = claims
    ) async throws {
        let mapping = mappings.mapping(forIssuer: issuer)
        var i = 0
        while i < users {
            var changes = LedgerChanges()
            let now = Date()
            for j in i..<min(i + 1_000, users) {
                let claims = claimsOf(j)
                let decision = mapping?.evaluate(claims, tracing: false)
                let covered = decision?.isCovered == true
                changes.users.append(
                    .init(
                        write: .insert(
                            User(
                                id: UserID(0),
                                issuer: issuer,
                                subject: "sub-\(j)",
                                email: decision?.profile.email,
                                name: decision?.profile.name,
                                organizationUnit: decision?.profile.organizationUnit,
                                role: covered ? (decision?.role ?? .user) : .user,
                                roleSource: covered ? .idp : .default,
                                status: .active,
                                deactivationReason: nil,
                                registeredAt: now,
                                lastSignInAt: now,
                                signInCount: 1,
                                lastClaims: claims,
                                version: 1
                            )
                        )
                    )
                )
            }
            try await store.apply(changes)
            i += 1_000
        }
    }
}
