public import Logging
public import ServiceLifecycle

/// Runs each reconciler on its directory's interval inside `rolesync serve`: one run at a time per
/// IdP, each start delayed by a random 0–10% of the interval so that several RoleSync instances or
/// IdPs do not hit directories in step. A failed run changes nothing and is tried again next interval.
public struct ReconciliationService: Service {
    let reconcilers: [Reconciler]
    let logger: Logger

    public init(reconcilers: [Reconciler], logger: Logger) {
        self.reconcilers = reconcilers
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for reconciler in reconcilers {
                group.addTask { await Self.loop(reconciler, logger: logger) }
            }
        }
        // A service group takes a service that returns early for a failure: stay until shutdown.
        try? await gracefulShutdown()
    }

    static func loop(_ reconciler: Reconciler, logger: Logger) async {
        let interval = reconciler.settings.interval
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let jitter = Double.random(in: 0...(interval * 0.1))
            do {
                try await gracefulShutdownSleep(seconds: jitter)
                _ = try await reconciler.run(dryRun: false)
            } catch is CancellationError {
                return
            } catch {
                // Logged and counted by the reconciler; the next interval tries again.
            }
            do {
                try await gracefulShutdownSleep(seconds: interval)
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
