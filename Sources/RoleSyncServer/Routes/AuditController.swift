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
        admin.on(.audit) { request, context in try await self.audit(request, context) }
    }

    /// A page of the audit log, or (`format=csv|jsonl`) every matching event as a download, each
    /// with its sentence.
    func audit(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let format = try AdminInput.exportFormat(request.uri.queryParameters)
        var audit = try await AdminInput.auditQuery(request.uri.queryParameters, sync: sync, at: now())
        if let user = request.uri.queryParameters.get("user") {
            guard let id = Int64(user), id > 0 else { throw AdminInputError.badRequest("user", "'user' is a user id") }
            audit.userID = UserID(id)
        }
        if let format { return Export.audit(audit, format: format, sync: sync, at: now()).response(context) }
        let page = try await sync.auditEvents(matching: audit)
        return try JSONBody(PageReport(key: "events", items: page.events.map { AuditEventReport($0) }, nextCursor: page.nextCursor))
            .response(from: request, context: context)
    }
}
