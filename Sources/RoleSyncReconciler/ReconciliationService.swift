package import Logging
import Metrics
package import RoleSyncLedger
import ServiceLifecycle

/// Runs each reconciler on its directory's interval inside `rolesync serve`: one run at a time per
/// IdP, on one replica at a time (the IdP's elected leader, ``LeaderElection``), each start delayed
/// by a random 0–10% of the interval so that several IdPs do not hit directories in step. A failed
/// run changes nothing and is tried again next interval.
///
/// A replica that does not lead an IdP asks again every quarter interval (at most a minute apart),
/// so when the leader dies another replica takes over well within one interval, and runs at once.
/// `rolesync_reconcile_leader{idp}` is 1 on the replica that leads, 0 on the others.
package struct ReconciliationService: Service {
    let reconcilers: [Reconciler]
    let election: any LeaderElection
    let logger: Logger

    package init(reconcilers: [Reconciler], election: any LeaderElection, logger: Logger) {
        self.reconcilers = reconcilers
        self.election = election
        self.logger = logger
    }

    package func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for reconciler in reconcilers {
                group.addTask { await Self.loop(reconciler, election: election, logger: logger) }
            }
        }
        // A service group takes a service that returns early for a failure: stay until shutdown.
        try? await gracefulShutdown()
        // Let another replica take over at once rather than at its next poll.
        await election.resign()
        for reconciler in reconcilers {
            Gauge(label: "rolesync_reconcile_leader", dimensions: [("idp", reconciler.idp.name)]).record(0)
        }
    }

    /// The job's name in the election: the issuer, the same on every replica whatever the IdP's name.
    static func job(_ reconciler: Reconciler) -> String { "reconcile " + reconciler.idp.issuer }

    /// How long a replica that does not lead waits before asking again.
    static func followerPoll(interval: Double) -> Double { min(max(interval / 4, 1), 60) }

    static func loop(_ reconciler: Reconciler, election: any LeaderElection, logger: Logger) async {
        let interval = reconciler.settings.interval
        let dimensions = [("idp", reconciler.idp.name)]
        let leaderGauge = Gauge(label: "rolesync_reconcile_leader", dimensions: dimensions)
        let takeovers = Counter(label: "rolesync_reconcile_leadership_acquired_total", dimensions: dimensions)
        leaderGauge.record(0)
        var leading = false
        do {
            try await gracefulShutdownSleep(seconds: Double.random(in: 0...(interval * 0.1)))
        } catch {
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let leads = await election.lead(job(reconciler))
            if leads != leading {
                leading = leads
                leaderGauge.record(leads ? 1 : 0)
                if leads { takeovers.increment() }
                logger.notice(
                    leads ? "this replica runs the scheduled reconciliation" : "another replica runs the scheduled reconciliation",
                    metadata: ["idp": "\(reconciler.idp.name)"]
                )
            }
            do {
                if leads {
                    do {
                        _ = try await reconciler.run(dryRun: false)
                    } catch is CancellationError {
                        return
                    } catch {
                        // Logged and counted by the reconciler; the next interval tries again.
                    }
                    try await gracefulShutdownSleep(seconds: interval + Double.random(in: 0...(interval * 0.1)))
                } else {
                    try await gracefulShutdownSleep(seconds: followerPoll(interval: interval))
                }
            } catch {
                return
            }
        }
    }

    /// Sleeps, ending early (with `CancellationError`) on graceful shutdown or cancellation.
    static func gracefulShutdownSleep(seconds: Double) async throws {
        try await cancelWhenGracefulShutdown {
            try await Task.sleep(for: .seconds(seconds))
        }
    }
}
