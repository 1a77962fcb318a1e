package import Logging
import RoleSyncConfig
package import RoleSyncLedger
import ServiceLifecycle
import UnixSignals

/// Reloads the mappings on SIGHUP. A reload that fails validation, or that would leave a configured
/// provider without a mapping, keeps the running mappings and logs every error.
package struct MappingReloader: Service {
    let path: String
    let issuers: [String]
    let registry: MappingRegistry
    let logger: Logger

    package init(path: String, issuers: [String], registry: MappingRegistry, logger: Logger) {
        self.path = path
        self.issuers = issuers
        self.registry = registry
        self.logger = logger
    }

    package func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Loads and checks the mappings, and swaps them in only when they are all valid.
    /// - Returns: whether the new mappings are in force.
    @discardableResult
    package func reload() -> Bool {
        let loaded: MappingFiles
        do {
            loaded = try MappingFiles.load([path], naming: .relativeToLocation)
        } catch {
            logger.error("mapping reload failed; the running mappings stay", metadata: ["error": "\(error)"])
            return false
        }
        var errors = loaded.diagnostics.filter { $0.severity == .error }.map(\.description)
        for issuer in issuers where loaded.set.mapping(forIssuer: issuer) == nil {
            errors.append("\(path): no mapping has issuer '\(issuer)', which the configuration signs in with")
        }
        guard errors.isEmpty else {
            for error in errors { logger.error("mapping reload rejected", metadata: ["diagnostic": "\(error)"]) }
            logger.error("mapping reload failed; the running mappings stay", metadata: ["errors": "\(errors.count)"])
            return false
        }
        registry.replace(with: loaded.set)
        logger.notice("mappings reloaded", metadata: ["files": "\(loaded.files.count)"])
        return true
    }
}
