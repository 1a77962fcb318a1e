import Foundation
import Hummingbird
import RoleSyncBuildInfo
import RoleSyncLedger

/// Operations: `GET /healthz` (liveness: the ledger answers a read), `GET /readyz` (readiness: it
/// also writes), `GET /metrics` (Prometheus text) and `GET /openapi.json`.
struct OperationsController: Sendable {
    let sync: SyncService
    /// Renders the Prometheus exposition; `nil` serves 404.
    let metricsExposition: (@Sendable () -> String)?

    /// `GET /healthz` (liveness: the ledger answers a read), `GET /readyz` (readiness: it also
    /// writes), `GET /metrics` (Prometheus text) and `GET /openapi.json`.
    func addRoutes(to group: RouterGroup<RoleSyncRequestContext>) {
        group.get("healthz") { _, context in
            do {
                try await self.sync.ping()
                return EditedResponse(response: JSONBody(["status": "ok", "version": BuildInfo.version, "commit": BuildInfo.commit]))
            } catch {
                context.logger.error("health check failed", metadata: ["error": "\(error)"])
                return EditedResponse(
                    status: .serviceUnavailable,
                    response: JSONBody(["status": "unavailable", "version": BuildInfo.version, "commit": BuildInfo.commit])
                )
            }
        }
        group.get("readyz") { _, context in
            do {
                try await self.sync.ping()
                try await self.sync.probeWrite()
                return EditedResponse(response: JSONBody(["status": "ready"]))
            } catch let error as LedgerStoreError {
                guard let unavailable = LedgerUnavailable(error) else { throw error }
                unavailable.log(context: context)
                let status = unavailable.code == "ledger_not_writable" ? "not_writable" : "unavailable"
                return EditedResponse(
                    status: .serviceUnavailable,
                    headers: LedgerUnavailable.headers,
                    response: JSONBody(["status": status, "detail": unavailable.message])
                )
            }
        }
        if let exposition = metricsExposition {
            group.get("metrics") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: exposition()))
                )
            }
        }
        group.get("openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: Self.openAPIDocument)
            )
        }
    }

    /// `docs/openapi.json`, compiled in as a resource (`Assets/openapi.json` links to it).
    static let openAPIDocument = ByteBuffer(bytes: PackageResources.openapi_json)
}
