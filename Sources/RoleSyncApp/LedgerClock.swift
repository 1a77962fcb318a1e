package import Foundation
package import Logging
import Metrics
package import RoleSyncLedger
import ServiceLifecycle

/// What the ledger does on the clock rather than on a request: ends break-glass overrides at their
/// deadline, with no sign-in needed, forgets shadow differences older than the retention, and
/// applies the stale-key policy (counts stale keys for `rolesync_api_keys_stale`, and revokes those
/// unused for `keys.revoke_stale_after`) every ``stalePoll``.
///
/// Every replica runs it: ending an override is a write at the user's version, and a stale key is
/// revoked in a transaction that checks it again, so two replicas racing for one end it once (the
/// other finds it ended).
package struct LedgerClock: Service {
    let sync: SyncService
    let keys: KeyService?
    let shadowStore: (any ShadowStore)?
    let shadowRetention: TimeInterval
    /// Where webhook tries are kept; those older than ``webhookAttemptRetention`` are pruned hourly.
    let webhookStore: (any WebhookOutboxStore)?
    let logger: Logger
    /// The longest wait between looks for overrides: one given on another replica (or by the
    /// command line) is found within this.
    let poll: Duration
    let sleep: @Sendable (Duration) async throws -> Void

    /// How long a webhook try is kept (the Events page's history; failed messages stay until delivered).
    package static let webhookAttemptRetention: TimeInterval = 30 * 86_400

    /// How often the stale-key policy runs.
    package static let stalePoll: TimeInterval = 600

    package init(
        sync: SyncService,
        keys: KeyService? = nil,
        shadowStore: (any ShadowStore)?,
        shadowRetention: TimeInterval,
        webhookStore: (any WebhookOutboxStore)? = nil,
        logger: Logger,
        poll: Duration = .seconds(15),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.sync = sync
        self.keys = keys
        self.shadowStore = shadowStore
        self.shadowRetention = shadowRetention
        self.webhookStore = webhookStore
        self.logger = logger
        self.poll = poll
        self.sleep = sleep
    }

    package func run() async throws {
        var nextPrune = Date.distantPast
        var nextStaleSweep = Date.distantPast
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wait = await tick()
            if let keys, Date() >= nextStaleSweep {
                nextStaleSweep = Date().addingTimeInterval(Self.stalePoll)
                await sweepStaleKeys(keys)
            }
            if Date() >= nextPrune {
                nextPrune = Date().addingTimeInterval(3600)
                await prune()
            }
            // SIGTERM ends the wait at once: a plain sleep held the shutdown up to `poll` (15 s).
            do {
                try await cancelWhenGracefulShutdown { try await sleep(wait) }
            } catch {
                return
            }
        }
    }

    /// Forgets shadow differences past their retention and webhook tries older than 30 days.
    func prune() async {
        if let webhookStore {
            do {
                let pruned = try await webhookStore.pruneWebhookAttempts(before: Date().addingTimeInterval(-Self.webhookAttemptRetention))
                if pruned > 0 { logger.info("webhook tries older than 30 days removed", metadata: ["removed": "\(pruned)"]) }
            } catch {
                logger.error("webhook tries could not be pruned; trying again in an hour", metadata: ["error": "\(error)"])
            }
        }
        if let shadowStore {
            do {
                let pruned = try await shadowStore.pruneShadowDifferences(before: Date().addingTimeInterval(-shadowRetention))
                if pruned > 0 { logger.info("shadow differences past their retention removed", metadata: ["removed": "\(pruned)"]) }
            } catch {
                logger.error("shadow differences could not be pruned; trying again in an hour", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Revokes the keys the policy says to, then measures how many stale keys are left.
    package func sweepStaleKeys(_ keys: KeyService) async {
        do {
            let revoked = try await keys.revokeStaleKeys()
            if !revoked.isEmpty {
                Counter(label: "rolesync_api_keys_revoked_stale_total").increment(by: revoked.count)
                logger.notice(
                    "stale keys revoked (keys.revoke_stale_after)",
                    metadata: ["revoked": "\(revoked.count)", "key_ids": "\(revoked.map(\.key.id).map(String.init).joined(separator: ","))"]
                )
            }
            if let stale = try await keys.staleKeyCount() { Gauge(label: "rolesync_api_keys_stale").record(stale) }
        } catch {
            logger.error("the stale-key policy could not run; trying again later", metadata: ["error": "\(error)"])
        }
    }

    /// Ends the overrides due; returns how long to wait before looking again: until the next
    /// deadline, at most ``poll``, at least 100 ms.
    package func tick() async -> Duration {
        do {
            let (ended, next) = try await sync.endExpiredOverrides()
            if !ended.isEmpty { Counter(label: "rolesync_overrides_expired_total").increment(by: ended.count) }
            guard let next else { return poll }
            let seconds = max(0.1, next.timeIntervalSinceNow)
            return min(poll, .milliseconds(Int64(seconds * 1000)))
        } catch {
            logger.error("break-glass overrides could not be ended; trying again", metadata: ["error": "\(error)"])
            return .seconds(1)
        }
    }
}
