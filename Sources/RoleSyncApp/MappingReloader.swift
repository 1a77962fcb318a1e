import Foundation
package import Logging
import RoleSyncConfig
package import RoleSyncLedger
import ServiceLifecycle
import UnixSignals

/// Reloads the mappings and their candidates on SIGHUP, and after `rolesync mapping promote`
/// (seen as a newer `mapping.promoted` event in the ledger, which every replica reads). A reload
/// that fails validation, or that would leave a configured provider without a mapping, keeps the
/// running mappings and logs every error.
package struct MappingReloader: Service {
    let path: String
    let shadow: String?
    let issuers: [String]
    let registry: MappingRegistry
    let logger: Logger
    /// Where promotions are announced; `nil` watches for SIGHUP only.
    let store: (any LedgerStore)?
    let promotionPoll: Duration

    package init(
        path: String,
        shadow: String? = nil,
        issuers: [String],
        registry: MappingRegistry,
        logger: Logger,
        store: (any LedgerStore)? = nil,
        promotionPoll: Duration = .seconds(5)
    ) {
        self.path = path
        self.shadow = shadow
        self.issuers = issuers
        self.registry = registry
        self.logger = logger
        self.store = store
        self.promotionPoll = promotionPoll
    }

    package func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let signals = await UnixSignalsSequence(trapping: .sighup)
                for await _ in signals.cancelOnGracefulShutdown() {
                    reload()
                }
            }
            if let store {
                group.addTask { await watchPromotions(store) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Reloads when a promotion newer than the last one seen is in the audit log.
    func watchPromotions(_ store: any LedgerStore) async {
        // Unreadable at start: the first promotion read later reloads once, which is harmless.
        var seen = (try? await latestPromotion(store)) ?? 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: promotionPoll) }
            } catch {
                return
            }
            guard let latest = try? await latestPromotion(store), latest > seen else { continue }
            seen = latest
            logger.notice("a mapping was promoted; reloading", metadata: ["event_id": "\(latest)"])
            reload()
        }
    }

    /// The id of the newest `mapping.promoted` event; 0 when there is none.
    private func latestPromotion(_ store: any LedgerStore) async throws -> Int64 {
        try await store.auditEvents(matching: AuditQuery(action: .mappingPromoted, limit: 1)).events.first?.id ?? 0
    }

    /// Loads and checks the mappings and candidates, and swaps them in only when all are valid.
    /// - Returns: whether the new mappings are in force.
    @discardableResult
    package func reload() -> Bool {
        let loaded: LoadedMappings
        do {
            loaded = try LoadedMappings.load(mappings: path, shadow: shadow, issuers: issuers)
        } catch {
            logger.error("mapping reload failed; the running mappings stay", metadata: ["error": "\(error)"])
            return false
        }
        guard loaded.errors.isEmpty else {
            for error in loaded.errors { logger.error("mapping reload rejected", metadata: ["diagnostic": "\(error)"]) }
            logger.error("mapping reload failed; the running mappings stay", metadata: ["errors": "\(loaded.errors.count)"])
            return false
        }
        registry.replace(with: loaded.live.set, shadow: loaded.shadow?.set)
        logger.notice(
            "mappings reloaded",
            metadata: ["files": "\(loaded.live.files.count)", "candidates": "\(loaded.shadow?.files.count ?? 0)"]
        )
        return true
    }
}
