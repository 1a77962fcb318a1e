import Foundation
package import Logging
package import RoleSyncLedger
import ServiceLifecycle

/// Writes what the ledger defers: sign-ins that changed nothing but the last sign-in time (every
/// second) and API key uses (every ``KeyUsageRecorder/flushInterval`` seconds: the documented
/// precision of last used), and the shadow mapping's differences (every second). All are written
/// once more at shutdown: a crash loses at most a second of sign-ins and shadow differences and ten
/// seconds of key uses, never a role, status, revocation or audit event.
package struct DeferredWriteFlusher: Service {
    let store: any LedgerStore
    let keyUsage: KeyUsageRecorder
    let shadow: ShadowRecorder?
    let logger: Logger

    package init(store: any LedgerStore, keyUsage: KeyUsageRecorder, shadow: ShadowRecorder? = nil, logger: Logger) {
        self.store = store
        self.keyUsage = keyUsage
        self.shadow = shadow
        self.logger = logger
    }

    package func run() async throws {
        let keyUsageEvery = max(1, Int(KeyUsageRecorder.flushInterval))
        var tick = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            tick += 1
            await flushSignIns()
            if tick % keyUsageEvery == 0 { await flushKeyUsage() }
            try? await shadow?.flush()
        }
        await flushSignIns()
        await flushKeyUsage()
        try? await shadow?.flush()
    }

    private func flushSignIns() async {
        do {
            try await store.flushSignIns()
        } catch {
            logger.error("deferred sign-ins could not be written; retrying in a second", metadata: ["error": "\(error)"])
        }
    }

    private func flushKeyUsage() async {
        do {
            try await keyUsage.flush(to: store)
        } catch {
            logger.error(
                "API key usage could not be written; counted again at the next flush",
                metadata: ["error": "\(error)"]
            )
        }
    }
}
