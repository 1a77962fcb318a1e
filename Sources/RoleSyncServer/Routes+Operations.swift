import Foundation
public import Hummingbird

extension ServerContext {
    /// `GET /healthz` (the ledger answers) and `GET /metrics` (Prometheus text).
    func addOperationsRoutes(to router: Router<RoleSyncRequestContext>) {
        router.get("/healthz") { _, context in
            do {
                _ = try await self.sync.store.session(tokenHash: "")
                return try Self.json(["status": "ok"])
            } catch {
                context.logger.error("health check failed", metadata: ["error": "\(error)"])
                return try Self.json(["status": "unavailable"], status: .serviceUnavailable)
            }
        }
        router.get("/metrics") { _, _ in
            guard let exposition = self.metricsExposition else { throw HTTPError(.notFound) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: exposition()))
            )
        }
    }

    /// The router with every route of this server.
    public func makeRouter() -> Router<RoleSyncRequestContext> {
        let router = Router(context: RoleSyncRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(openAPI: OpenAPIDocument.json))
        addOperationsRoutes(to: router)
        addSignInRoutes(to: router)
        addAccountRoutes(to: router)
        addAdminRoutes(to: router)
        addSCIMRoutes(to: router)
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json))
            )
        }
        return router
    }
}
