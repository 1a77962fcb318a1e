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
        let parameters = PageInput.filledParameters(request)
        var query = try await AdminInput.keysQuery(parameters, keys: keys)
        // Last used, oldest first is the hygiene view: long-revoked keys would lead it, so it shows
        // the active keys unless a status (or "any") is chosen.
        if parameters.get("status") == nil, query.sort == .lastUsed, query.order == .ascending { query.status = .active }
        if let format = try AdminInput.exportFormat(parameters) {
            return Export.keys(query, format: format, keys: keys, at: now()).response(context)
        }
        let page = try await keys.keys(matching: query)
        // The owner choices only matter to the whole page; the results region does without them.
        let owners = PageInput.wantsFragment(request) ? [] : try await keys.owners()
        let staleCount = PageInput.wantsFragment(request) ? nil : try await keys.staleKeyCount()
        let model = KeysPageModel(
            chrome: try Chrome("API Keys", .keys, context, notice: Self.notice(request.uri.queryParameters)),
            query: query,
            anyStatus: parameters.get("status") == AdminInput.anyStatus,
            page: page,
            owners: owners,
            policy: keys.policy,
            staleCount: staleCount,
            at: now()
        )
        return PageRenderer.listing(request, template: "keys", fragment: "keys-results", model)
    }

    /// The notice a redirect after a bulk revocation asks for (`?done=revoked&count=N`).
    static func notice(_ query: Parameters) -> String? {
        guard query.get("done") == "revoked", let count = query.get("count").flatMap(Int.init), count > 0 else { return nil }
        return (count == 1 ? "1 key revoked: it no longer works" : "\(count) keys revoked: they no longer work")
            + " anywhere. Each revocation is in the audit log."
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

    // MARK: Revoking several

    /// The keys chosen on API Keys (`id`, once per key): at least one, at most
    /// ``KeyService/bulkRevocationLimit``, each a key id.
    static func chosenKeys(_ values: [String]) throws -> [Int64] {
        guard !values.isEmpty else {
            throw PageError(
                .badRequest,
                title: "No keys chosen",
                code: "no_keys_chosen",
                message: "Tick the keys to revoke on API Keys, then press Revoke selected."
            )
        }
        guard values.count <= KeyService.bulkRevocationLimit else {
            throw PageError(
                .badRequest,
                title: "Too many keys",
                code: "too_many_keys",
                message: "At most \(KeyService.bulkRevocationLimit) keys are revoked at once; \(values.count) were chosen."
            )
        }
        return try values.map { value in
            guard let id = Int64(value), id > 0 else {
                throw PageError(.badRequest, title: "Not a key", code: "invalid_key_id", message: "'\(value)' is not a key id.")
            }
            return id
        }
    }

    /// The confirmation before revoking the chosen keys: each key with its owner, prefix and last
    /// use, one reason for all. Keys already revoked are left out, and said so.
    func confirmBulkRevocation(
        _ ids: [Int64],
        reason: String,
        error: String?,
        status: HTTPResponse.Status = .ok,
        _ context: RoleSyncRequestContext
    ) async throws -> Response {
        var chosen: [OwnedKey] = []
        var leftOut: [OwnedKey] = []
        var seen = Set<Int64>()
        for id in ids where seen.insert(id).inserted {
            let owned = try await keys.key(id: id)
            if owned.key.revokedAt == nil { chosen.append(owned) } else { leftOut.append(owned) }
        }
        guard !chosen.isEmpty else {
            throw PageError(
                .conflict,
                title: "Already revoked",
                code: "key_already_revoked",
                message: "Every chosen key is already revoked; there is nothing to revoke."
            )
        }
        let count = chosen.count == 1 ? "1 key" : "\(chosen.count) keys"
        let model = BulkRevocationModel(
            chrome: try Chrome("Revoke \(count)?", .keys, context, error: error),
            keys: chosen,
            leftOut: leftOut,
            reason: reason,
            at: now()
        )
        return PageRenderer.page("keys-revoke", model, status: status)
    }

    /// Revokes the chosen keys in one transaction, then shows API Keys with how many were revoked.
    /// A key revoked meanwhile refuses the whole batch: the confirmation comes back without it.
    func bulkRevokePage(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        let ids = try Self.chosenKeys(form.values("id"))
        guard let reason = form.text("reason") else {
            return try await confirmBulkRevocation(ids, reason: "", error: "Give a reason: it is audited.", status: .unprocessableContent, context)
        }
        let revoked: [OwnedKey]
        do {
            revoked = try await keys.revoke(ids: ids, reason: reason, by: caller.principal.actor)
        } catch let error as LedgerError {
            switch error {
            case .keyAlreadyRevoked, .invalidKey:
                return try await confirmBulkRevocation(
                    ids,
                    reason: reason,
                    error: "Nothing was revoked: \(error). Check the list again and confirm.",
                    status: error.httpStatus,
                    context
                )
            default: throw error
            }
        }
        context.logger.notice(
            "keys revoked",
            metadata: ["key_ids": "\(revoked.map(\.key.id))", "count": "\(revoked.count)", "actor": "\(caller.principal.actor)"]
        )
        return PageRenderer.seeOther("/admin/keys?sort=last_used&order=asc&done=revoked&count=\(revoked.count)")
    }

    // MARK: Rolling

    /// The overlaps the roll form offers (`old_expires_in` values), the default first.
    static let overlaps: [(String, String)] = [
        ("24h", "In 24 hours"), ("1h", "In 1 hour"), ("7d", "In 7 days"), ("now", "At once (callers still on it fail)"),
    ]

    /// The confirmation before a roll: the new key, and how long the old one keeps working.
    func confirmRoll(
        _ id: Int64,
        asOwner: Bool,
        error: String?,
        _ context: RoleSyncRequestContext,
        overlap: String = "24h"
    ) async throws
        -> Response
    {
        let caller = try context.requireIdentity()
        let owned = try await keys.key(id: id)
        if asOwner, owned.key.userID != caller.user.id { throw LedgerError.keyNotFound(id) }
        let key = owned.key
        guard key.status(at: now()) == .active, key.rolledTo == nil else {
            throw PageError(
                .conflict,
                title: "Cannot be rolled",
                code: "key_not_rollable",
                message: key.rolledTo.map { "The key \(key.name) (\(key.prefix)) was rolled already, to key \($0); roll that one." }
                    ?? "The key \(key.name) (\(key.prefix)) is \(key.status(at: now()).rawValue); only an active key is rolled."
            )
        }
        let base = asOwner ? "/console/keys" : "/admin/keys"
        let whose = asOwner ? "your key" : "the key of \(owned.owner.displayName)"
        let model = ConfirmModel(
            chrome: try Chrome("Roll key \(key.name)?", asOwner ? .console : .keys, context, error: error),
            confirm: .init(
                lead:
                    "A new key replaces \(whose) \(key.prefix): same name and purpose, shown once. The old key keeps working until the time you choose, so callers can move over without downtime.",
                consequences: [
                    "The new key "
                        + (key.expiresAt == nil
                            ? "lives until revoked, as the old one." : "lives as long as the old one was made to live, from now."),
                    "The old key's page shows whether it is still used after the roll.",
                    "The roll is audited (key.rolled) with you as the actor and both keys' prefixes.",
                ],
                action: "\(base)/\(id)/roll",
                askReason: false,
                reasonRequired: false,
                reasonHelp: "",
                reason: "",
                button: "Roll key",
                cancelHref: asOwner ? "/console/keys" : "/admin/keys/\(id)",
                choice: .init(
                    name: "old_expires_in",
                    label: "The old key stops working",
                    help: "At most 7 days; sooner if the old key expires sooner.",
                    options: Self.overlaps.map { Option(value: $0.0, label: $0.1, selected: $0.0 == overlap) }
                ),
                buttonClass: "primary"
            )
        )
        return PageRenderer.page("confirm", model, status: error == nil ? .ok : .unprocessableContent)
    }

    /// Rolls a key from a form; `answer` renders the page that shows the new key's value this once
    /// (201): the Console's list, or the new key's page (``rolledKeyPage(_:created:notice:_:)``).
    func rollPage(
        _ id: Int64,
        asOwner: Bool,
        _ request: Request,
        _ context: RoleSyncRequestContext,
        answer: @Sendable (RolledKey, ConsoleKeysModel.Created, String, RoleSyncRequestContext) async throws -> Response
    ) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        let overlapText = form.text("old_expires_in") ?? "24h"
        guard Self.overlaps.contains(where: { $0.0 == overlapText }), let overlap = KeyService.rollOverlap(overlapText) else {
            return try await confirmRoll(id, asOwner: asOwner, error: "The old key stops working: choose one of the listed times.", context)
        }
        let authority: KeyRollAuthority = asOwner ? .owner(caller.user.id) : .admin(id: caller.user.id, role: caller.user.role)
        let (rolled, value) = try await keys.roll(id: id, oldExpiresIn: overlap, as: authority, by: caller.principal.actor)
        KeyAPIHandlers.logRoll(rolled, by: caller, context)
        let created = ConsoleKeysModel.Created(name: rolled.replacement.key.name, value: value)
        let notice =
            "Key \(rolled.replaced.key.prefix) rolled: it works until "
            + (rolled.replaced.key.expiresAt.map { PageTime($0).text } ?? "") + "; the new key \(rolled.replacement.key.prefix) works now."
        return try await answer(rolled, created, notice, context)
    }

    /// The dashboard's answer to a roll: the new key's page, with its value this once.
    func rolledKeyPage(
        _ rolled: RolledKey,
        created: ConsoleKeysModel.Created,
        notice: String,
        _ context: RoleSyncRequestContext
    ) async throws -> Response {
        let model = KeyPageModel(
            chrome: try Chrome(rolled.replacement.key.name, .keys, context, notice: notice),
            owned: rolled.replacement,
            usage: try await keys.usage(of: rolled.replacement.key.id),
            at: now(),
            created: created
        )
        return PageRenderer.page("key", model, status: .created)
    }
}
