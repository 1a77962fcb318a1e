import Foundation
import Logging
import RoleSyncLedger
import RoleSyncMapping
import Testing

/// Access reviews (issue 27): every admin role holder with why they hold it, and the reviewer's
/// decisions kept with a digest in the audit log.
@Suite("Access reviews")
struct AccessReviewTests {
    @Test(
        "Holders grouped by role with their basis: the IdP's rule, a manual edit by whom and when, an override until when",
        arguments: ConformanceKind.all
    )
    func holders(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let root = try await h.makeSuperAdmin()
        let boss = Principal(actor: .user(root.id), role: .superAdmin)
        let dan = try #require(try await h.signIn("dan", groups: ["sales"]).user)
        h.clock.advance(60)
        _ = try await h.service.setRole(.userAdmin, of: dan.id, by: boss)
        let changedAt = h.clock.now
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        try await h.service.grantOverride(.modelAdmin, of: bob.id, until: .duration(3600), reason: "incident 42", by: boss)
        _ = try await h.signIn("eve", groups: ["eng-web"])  // a plain user: not in the review
        let keys = KeyService(store: h.store, now: { h.clock.now })
        _ = try await keys.create(for: dan.id, name: "ci", lifetime: nil, purpose: .gateway, by: .cli)
        let lapsed = try await keys.create(for: dan.id, name: "old", lifetime: nil, purpose: .gateway, by: .cli)
        _ = try await keys.revoke(id: lapsed.key.id, cause: .owner, reason: nil, by: .cli)
        _ = try await keys.create(for: dan.id, name: "brief", lifetime: 60, purpose: .gateway, by: .cli)
        h.clock.advance(61)  // "brief" has expired: neither it nor the revoked key counts as active

        let rows = try await h.service.accessReviewHolders()
        #expect(rows.map(\.role) == [.superAdmin, .modelAdmin, .userAdmin], "grouped in the role table's order, users left out")
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.userID, $0) })
        let rootRow = try #require(byID[root.id])
        #expect(rootRow.basis == .idp && rootRow.rule == "admins" && rootRow.why.hasPrefix("IdP rule admins in "))
        let danRow = try #require(byID[dan.id])
        #expect(danRow.basis == .manual && danRow.changedBy == "user:\(root.id.rawValue)" && danRow.changedAt == changedAt)
        #expect(danRow.why.contains("manual: set by ") && danRow.why.contains("root@example.com"), "\(danRow.why)")
        #expect(danRow.activeKeys == 1 && danRow.lastSignInAt != nil)
        let bobRow = try #require(byID[bob.id])
        #expect(
            bobRow.basis == .override && bobRow.overrideReason == "incident 42" && bobRow.overrideUntil == h.clock.now.addingTimeInterval(3600 - 61)
        )
        #expect(bobRow.why.hasPrefix("break-glass override until "))
    }

    @Test("Without the mapping of a holder's issuer (the command line without --config) the basis is unknown, not manual")
    func unknownBasis() async throws {
        let h = try await Harness(conformance: .memory)
        let root = try await h.makeSuperAdmin()
        let blind = SyncService(
            store: h.store,
            mappings: MappingRegistry(MappingSet.build([]).set, isConfigurations: false),
            logger: Logger(label: "test")
        )
        let rows = try await blind.accessReviewHolders()
        #expect(rows.map(\.userID) == [root.id])
        #expect(rows.first?.basis == .unknown && rows.first?.issuer == "https://idp.example.com")
        #expect(rows.first?.why.hasPrefix("unknown: no mapping for https://idp.example.com is loaded here") == true)
    }

    @Test(
        "Completing a review needs a decision for every holder as they were shown; it stores the rows and audits the digest",
        arguments: ConformanceKind.all
    )
    func complete(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let root = try await h.makeSuperAdmin()
        let boss = Principal(actor: .user(root.id), role: .superAdmin)
        let dan = try #require(try await h.signIn("dan", groups: ["sales"]).user)
        _ = try await h.service.setRole(.userAdmin, of: dan.id, by: boss)
        let shown = try await h.service.accessReviewHolders()
        let fingerprint = AccessReview.fingerprint(of: shown)

        await #expect(throws: LedgerError.reviewIncomplete(1)) {
            try await h.service.completeAccessReview(decisions: [root.id: .keep], fingerprint: fingerprint, by: .user(root.id))
        }
        // The holders change before the decision is sent: it is refused, nothing recorded.
        let ann = try #require(try await h.signIn("ann", groups: ["finance"]).user)
        await #expect(throws: LedgerError.reviewOutdated) {
            try await h.service.completeAccessReview(
                decisions: [root.id: .keep, dan.id: .revoke, ann.id: .keep],
                fingerprint: fingerprint,
                by: .user(root.id)
            )
        }
        #expect(try await h.service.accessReviews().isEmpty)
        #expect(try await h.allEvents().allSatisfy { $0.action != .reviewCompleted })

        let now = try await h.service.accessReviewHolders()
        let review = try await h.service.completeAccessReview(
            decisions: [root.id: .keep, dan.id: .revoke, ann.id: .keep],
            fingerprint: AccessReview.fingerprint(of: now),
            by: .user(root.id)
        )
        #expect(review.summary.holders == 3 && review.summary.kept == 2 && review.summary.revoked == 1)
        #expect(review.rows.first { $0.userID == dan.id }?.decision == .revoke)
        let listed = try await h.service.accessReviews()
        #expect(listed.map(\.id) == [review.summary.id] && listed.first?.reviewerName == root.name)
        let stored = try await h.service.accessReview(id: review.summary.id)
        #expect(stored.rows == review.rows)
        let event = try #require(try await h.allEvents().last { $0.action == .reviewCompleted })
        #expect(event.actor == .user(root.id) && event.details[.digest] == .string(review.summary.digest))
        #expect(event.details[.reviewID] == .number(Double(review.summary.id)) && event.details[.revoked] == .number(1))
        #expect(try AccessReview.digest(of: stored.rows) == review.summary.digest)
        await #expect(throws: LedgerError.reviewNotFound(999)) { try await h.service.accessReview(id: 999) }
        // Nothing else changed: a review records decisions; revoking is the usual role edit.
        #expect(try await h.user("dan").role == .userAdmin)
    }
}
