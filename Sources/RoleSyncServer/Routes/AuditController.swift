import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// `GET /api/admin/audit`: the audit log, filtered and paged.
struct AuditController: Sendable {
    let sync: SyncService
    let now: @Sendable () -> Date

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.on(.audit) { request, _ in try await self.audit(request) }
    }

    func audit(_ request: Request) async throws -> JSONBody<PageReport<AuditEventReport>> {
        var audit = try await AdminInput.auditQuery(request.uri.queryParameters, sync: sync, at: now())
        if let user = request.uri.queryParameters.get("user") {
            guard let id = Int64(user), id > 0 else { throw AdminInputError.badRequest("user", "'user' is a user id") }
            audit.userID = UserID(id)
        }
        let page = try await sync.auditEvents(matching: audit)
        return JSONBody(PageReport(key: "events", items: page.events.map(AuditEventReport.init), nextCursor: page.nextCursor))
    }
}
