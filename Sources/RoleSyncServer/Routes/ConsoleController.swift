import Foundation
import Hummingbird
import Logging
import RoleSyncLedger
import RoleSyncReports

/// The Console (`/console/keys/...`), for every signed-in user: their own API keys, a new one
/// created (its value shown once), one revoked or rolled.
struct ConsoleController: Sendable {
    let keys: KeyService
    let keyPages: KeyPageHandlers
    let now: @Sendable () -> Date

    func addRoutes(to console: RouterGroup<RoleSyncRequestContext>) {
        console.get("keys") { request, context in
            let notice = request.uri.queryParameters.get("done") == "revoked" ? "Key revoked: it no longer works anywhere." : nil
            return try await self.consolePage(context, notice: notice)
        }
        console.post("keys") { request, context in try await self.consoleCreate(request, context) }
        console.get("keys/{id}/revoke") { _, context in
            try await self.keyPages.confirmRevocation(try PageInput.keyID(context), asOwner: true, reason: "", error: nil, context)
        }
        console.post("keys/{id}/revoke") { request, context in
            try await self.keyPages.revokePage(try PageInput.keyID(context), asOwner: true, request, context)
        }
        console.get("keys/{id}/roll") { _, context in
            try await self.keyPages.confirmRoll(try PageInput.keyID(context), asOwner: true, error: nil, context)
        }
        console.post("keys/{id}/roll") { request, context in
            try await self.keyPages.rollPage(try PageInput.keyID(context), asOwner: true, request, context) { _, created, notice, context in
                try await self.consolePage(context, notice: notice, created: created, status: .created)
            }
        }
    }

    func consolePage(
        _ context: RoleSyncRequestContext,
        notice: String? = nil,
        error: String? = nil,
        created: ConsoleKeysModel.Created? = nil,
        draftName: String = "",
        lifetime: String = "",
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let caller = try context.requireIdentity()
        let model = ConsoleKeysModel(
            chrome: try Chrome("Console: API keys", .console, context, notice: notice, error: error),
            keys: try await keys.keys(of: caller.user.id),
            created: created,
            draftName: draftName,
            lifetime: lifetime,
            at: now()
        )
        return PageRenderer.page("console-keys", model, status: status)
    }

    func consoleCreate(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        let name = form.value("name") ?? ""
        let lifetimeText = form.text("expires_in") ?? ""
        var lifetime: TimeInterval?
        if !lifetimeText.isEmpty {
            guard ConsoleKeysModel.lifetimes.contains(where: { $0.0 == lifetimeText }), let seconds = KeyService.lifetime(lifetimeText) else {
                return try await consolePage(
                    context,
                    error: "Expires: choose one of the listed lifetimes.",
                    draftName: name,
                    status: .unprocessableContent
                )
            }
            lifetime = seconds
        }
        let created: KeyService.CreatedKey
        do {
            created = try await keys.create(for: caller.user.id, name: name, lifetime: lifetime, purpose: .gateway, by: caller.principal.actor)
        } catch let error as LedgerError {
            return try await consolePage(
                context,
                error: error.description,
                draftName: name,
                lifetime: lifetimeText,
                status: error.httpStatus
            )
        }
        context.logger.info(
            "key created",
            metadata: ["key_id": "\(created.key.id)", "prefix": "\(created.key.prefix)", "owner": "\(caller.user.id)"]
        )
        return try await consolePage(
            context,
            created: ConsoleKeysModel.Created(name: created.key.name, value: created.value),
            status: .created
        )
    }
}
