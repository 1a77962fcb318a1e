package import Logging
package import RoleSyncLedger
import ServiceLifecycle

/// Writes the sign-ins the store deferred (last sign-in time and count) every second, and once
/// more on shutdown: a crash loses at most a second of them, never a role, status or audit event.
package struct SignInFlusher: Service {
    let store: any LedgerStore
    let logger: Logger

    package init(store: any LedgerStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            await flush()
        }
        await flush()
    }

    private func flush() async {
        do {
            try await store.flushSignIns()
        } catch {
            logger.error("deferred sign-ins could not be written; retrying in a second", metadata: ["error": "\(error)"])
        }
    }
}
