package import Foundation
package import RoleSyncLedger

extension WebhookOutboxStore {
    /// Records, as a deliverer would, that every try of `eventID` to `endpoint` failed (503, one
    /// try kept), and optionally that the endpoint answered 410 and is disabled: a ledger with
    /// something for each webhook view and act. - Returns: the endpoint as written.
    @discardableResult
    package func seedWebhookFailure(endpoint name: String, eventID: Int64, disable: Bool = false, at now: Date) async throws -> WebhookEndpoint {
        guard var leased = try await leaseWebhookEndpoint(name, owner: "seed", until: now + 30, at: now) else {
            throw SeedingError(reason: "endpoint \(name) cannot be leased (missing, disabled or leased)")
        }
        let cursor = leased.cursor
        if disable {
            leased.state = .disabled
            leased.disabledAt = now
            leased.disabledReason = "gone"
        }
        let failure = WebhookFailure(endpoint: name, eventID: eventID, failedAt: now, attempts: 8, lastStatus: 503)
        let attempt = WebhookAttempt(
            endpoint: name,
            eventID: eventID,
            time: now,
            status: 503,
            duration: .milliseconds(20),
            responseStart: "busy",
            error: nil
        )
        let progress = WebhookProgress(
            endpoint: leased,
            owner: "seed",
            readAfter: cursor,
            leaseUntil: now + 30,
            attempts: [attempt],
            failures: [failure]
        )
        guard try await recordWebhookProgress(progress, at: now) else { throw SeedingError(reason: "endpoint \(name): the progress was not written") }
        if !disable { try await releaseWebhookEndpoint(name, owner: "seed") }
        return leased
    }
}

/// A fixture that could not be written.
package struct SeedingError: Error, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}
