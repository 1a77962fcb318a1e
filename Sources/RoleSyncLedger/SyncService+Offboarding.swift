import Foundation
import RoleSyncJSON
import RoleSyncMapping

/// What offboarding a leaver took away.
package struct Offboarding: Sendable {
    /// The user after it: inactive, reason `manual`.
    package var user: User
    /// The keys it revoked, newest first (none when the user was already offboarded).
    package var revokedKeys: [APIKey]
    package var sessionsEnded: Int
}

extension SyncService {
    /// Cuts a leaver off as one operation, in one transaction (SPEC §7): every unrevoked API key
    /// revoked (a `key.revoked` event each, cause `offboarding`), their sessions ended, then the
    /// user deactivated with reason `manual`. The audit log shows them in that order.
    ///
    /// A user who is already manually inactive holds no credential: nothing is written and the
    /// answer lists nothing. One the IdP deactivated becomes manually inactive.
    /// - Parameters:
    ///   - reason: why (1 to 500 characters), recorded on every event.
    ///   - principal: who asks; needs `user_admin` or `super_admin` (`super_admin` to offboard one).
    /// - Throws: ``LedgerError`` as ``setStatus(_:of:by:)`` does (the last active `super_admin`
    ///   guard included), or `invalidKey` for a missing reason.
    package func offboard(_ userID: UserID, reason: String, by principal: Principal) async throws -> Offboarding {
        // The reason each revoked key records, so it is held to a revocation's rules.
        guard let reason = try KeyService.validatedReason(reason) else {
            throw LedgerError.invalidKey(field: "reason", "offboarding needs a reason of 1 to 500 characters")
        }
        var decidedAt: Date?
        let user = try await edit(userID, by: principal, field: "status", to: "inactive", from: { $0.status.rawValue }) { user, time in
            if let refusal = try await statusRefusal(.inactive, for: user, by: principal) { return .refused(refusal) }
            let plan = manualDeactivationPlan(for: user, by: principal, time: time, offboarding: reason)
            if case .change = plan { decidedAt = time }
            return plan
        }
        guard let time = decidedAt else { return Offboarding(user: user, revokedKeys: [], sessionsEnded: 0) }
        // What this transaction revoked and ended, read back from what it wrote (a stored time
        // comes back within a microsecond).
        func isThisOne(_ other: Date?) -> Bool { other.map { abs($0.timeIntervalSince(time)) < 0.001 } ?? false }
        let revoked = try await store.keys(ownerID: userID).filter {
            isThisOne($0.revokedAt) && $0.revocationCause == .offboarding && $0.revokedBy == principal.actor
        }
        let ended = try await store.auditEvents(matching: AuditQuery(userID: userID, action: .sessionsEnded, limit: 1)).events.first
        var sessions = 0
        if let ended, isThisOne(ended.time), case .number(let count) = ended.details[.sessions] { sessions = Int(count) }
        return Offboarding(user: user, revokedKeys: revoked, sessionsEnded: sessions)
    }
}
