import Foundation
import Hummingbird

extension ServerContext {
    /// `GET /healthz` (the ledger answers), `GET /metrics` (Prometheus text) and `GET /openapi.json`.
    func addOperationsRoutes(to group: RouterGroup<RoleSyncRequestContext>) {
        group.get("healthz") { _, context in
            do {
                _ = try await self.sync.store.session(tokenHash: "")
                return EditedResponse(response: JSONBody(["status": "ok"]))
            } catch {
                context.logger.error("health check failed", metadata: ["error": "\(error)"])
                return EditedResponse(status: .serviceUnavailable, response: JSONBody(["status": "unavailable"]))
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
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json))
            )
        }
    }
}
