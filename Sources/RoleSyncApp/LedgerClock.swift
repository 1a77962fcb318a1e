package import Foundation
package import Logging
import Metrics
package import RoleSyncLedger
import ServiceLifecycle

/// What the ledger does on the clock rather than on a request: ends break-glass overrides at their
/// deadline, with no sign-in needed, and forgets shadow differences older than the retention.
///
/// Every replica runs it: ending an override is a write at the user's version, so two replicas
/// racing for one end it once (the other finds it ended).
package struct LedgerClock: Service {
    let sync: SyncService
    let shadowStore: (any ShadowStore)?
    let shadowRetention: TimeInterval
    let logger: Logger
    /// The longest wait between looks for overrides: one given on another replica (or by the
    /// command line) is found within this.
    let poll: Duration
    let sleep: @Sendable (Duration) async throws -> Void

    package init(
        sync: SyncService,
        shadowStore: (any ShadowStore)?,
        shadowRetention: TimeInterval,
        logger: Logger,
        poll: Duration = .seconds(15),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.sync = sync
        self.shadowStore = shadowStore
        self.shadowRetention = shadowRetention
        self.logger = logger
        self.poll = poll
        self.sleep = sleep
    }

    package func run() async throws {
        var nextPrune = Date.distantPast
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wait = await tick()
            if let shadowStore, Date() >= nextPrune {
                nextPrune = Date().addingTimeInterval(3600)
                do {
                    let pruned = try await shadowStore.pruneShadowDifferences(before: Date().addingTimeInterval(-shadowRetention))
                    if pruned > 0 { logger.info("shadow differences past their retention removed", metadata: ["removed": "\(pruned)"]) }
                } catch {
                    logger.error("shadow differences could not be pruned; trying again in an hour", metadata: ["error": "\(error)"])
                }
            }
            do {
                try await sleep(wait)
            } catch {
                return
            }
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
