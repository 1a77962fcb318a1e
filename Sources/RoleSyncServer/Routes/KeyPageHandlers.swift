import Foundation
import Hummingbird
import Logging
import RoleSyncLedger
import RoleSyncReports

/// The key pages both the dashboard's API Keys section (`/admin/keys/...`) and the Console
/// (`/console/keys/...`) show: the same ``KeyService`` as the JSON API, as pages.
struct KeyPageHandlers: Sendable {
    let keys: KeyService
    let now: @Sendable () -> Date

    func keysPage(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let query = try await AdminInput.keysQuery(PageInput.filledParameters(request), keys: keys)
        let page = try await keys.keys(matching: query)
        // The owner choices only matter to the whole page; the results region does without them.
        let owners = PageInput.wantsFragment(request) ? [] : try await keys.owners()
        let model = KeysPageModel(chrome: try Chrome("API Keys", .keys, context), query: query, page: page, owners: owners, at: now())
        return PageRenderer.listing(request, template: "keys", fragment: "keys-results", model)
    }

    func keyPage(_ id: Int64, _ context: RoleSyncRequestContext, notice: String? = nil) async throws -> Response {
        let owned = try await keys.key(id: id)
        let model = KeyPageModel(
            chrome: try Chrome(owned.key.name, .keys, context, notice: notice),
            owned: owned,
            usage: try await keys.usage(of: id),
            at: now()
        )
        return PageRenderer.page("key", model)
    }

    /// The confirmation before a revocation: an admin's (a reason required) or the owner's own in
    /// the Console (a reason optional; another's key is a 404, as on the JSON API).
    func confirmRevocation(
        _ id: Int64,
        asOwner: Bool,
        reason: String,
        error: String?,
        _ context: RoleSyncRequestContext
    ) async throws
        -> Response
    {
        let caller = try context.requireIdentity()
        let owned = try await keys.key(id: id)
        if asOwner, owned.key.userID != caller.user.id { throw LedgerError.keyNotFound(id) }
        let key = owned.key
        let owner = owned.owner.email ?? owned.owner.name ?? "user \(owned.owner.id)"
        let status = key.status(at: now())
        guard status == .active else {
            throw PageError(
                .conflict,
                title: "Already \(status.rawValue)",
                code: status == .revoked ? "key_already_revoked" : "key_expired",
                message: "The key \(key.name) (\(key.prefix)) is already \(status.rawValue); there is nothing to revoke."
            )
        }
        let base = asOwner ? "/console/keys" : "/admin/keys"
        let model = ConfirmModel(
            chrome: try Chrome("Revoke key \(key.name)?", asOwner ? .console : .keys, context, error: error),
            confirm: .init(
                lead: asOwner
                    ? "Your key \(key.prefix) stops working at once, on every gateway. Revocation is permanent."
                    : "The key \(key.prefix) of \(owner) stops working at once, on every gateway. Revocation is permanent: there is no un-revoke.",
                consequences: [
                    "The next introspection of this key answers inactive.",
                    "The revocation is audited with you as the actor" + (asOwner ? "." : ", the owner, the cause and your reason."),
                ],
                action: "\(base)/\(id)/revoke",
                askReason: true,
                reasonRequired: !asOwner,
                reasonHelp: asOwner ? "Optional; it is written to the audit log." : "Required; it is written to the audit log.",
                reason: reason,
                button: "Revoke key",
                cancelHref: asOwner ? "/console/keys" : "/admin/keys/\(id)"
            )
        )
        return PageRenderer.page("confirm", model, status: error == nil ? .ok : .unprocessableContent)
    }

    func revokePage(_ id: Int64, asOwner: Bool, _ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        let reason = form.text("reason")
        if !asOwner, reason == nil {
            return try await confirmRevocation(id, asOwner: asOwner, reason: "", error: "Give a reason: it is audited.", context)
        }
        let owned: OwnedKey
        do {
            owned = try await keys.revoke(
                id: id,
                ownerID: asOwner ? caller.user.id : nil,
                cause: asOwner ? .owner : .admin,
                reason: reason,
                by: caller.principal.actor
            )
        } catch let error as LedgerError {
            guard case .invalidKey = error else { throw error }
            return try await confirmRevocation(id, asOwner: asOwner, reason: reason ?? "", error: error.description, context)
        }
        context.logger.notice(
            "key revoked",
            metadata: [
                "key_id": "\(owned.key.id)", "prefix": "\(owned.key.prefix)", "owner": "\(owned.key.userID)", "actor": "\(caller.principal.actor)",
            ]
        )
        return PageRenderer.seeOther(asOwner ? "/console/keys?done=revoked" : "/admin/keys/\(id)?done=revoked")
    }
}
