import Foundation
import Hummingbird
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// API keys over the JSON API, for both the Console (`/api/keys`, the caller's own keys) and the
/// admin API (`/api/admin/keys`, every key).
struct KeyAPIHandlers: Sendable {
    let keys: KeyService
    let now: @Sendable () -> Date

    /// Creates a key owned by the caller: always a `gateway` key from the Console; the admin API
    /// may ask for an `admin` key (its route needs an admin role, and the ledger checks it again).
    func createKey(
        _ request: Request,
        _ context: RoleSyncRequestContext,
        allowingPurpose: Bool
    ) async throws -> EditedResponse<JSONBody<CreatedKeyReport>> {
        let caller = try context.requireIdentity()
        let allowed = allowingPurpose ? ["name", "expires_in", "purpose"] : ["name", "expires_in"]
        let members = try await AdminInput.jsonObject(request, allowed: allowed, what: "'name' and optionally 'expires_in'")
        guard case .string(let name)? = members["name"] else {
            throw AdminInputError.unprocessable("name", "'name' is required: a string of 1 to 100 characters saying what the key is for")
        }
        var lifetime: TimeInterval?
        if let value = members["expires_in"] {
            guard case .string(let text) = value, let seconds = KeyService.lifetime(text) else {
                throw AdminInputError.unprocessable(
                    "expires_in",
                    "'expires_in' is a duration such as \"90d\", \"12h\", \"30m\" or \"3600\" (seconds)"
                )
            }
            lifetime = seconds
        }
        var purpose = APIKeyPurpose.gateway
        if let value = members["purpose"] {
            guard case .string(let text) = value, let parsed = APIKeyPurpose(rawValue: text) else {
                throw AdminInputError.unprocessable("purpose", "'purpose' is gateway or admin")
            }
            purpose = parsed
        }
        let created = try await keys.create(for: caller.user.id, name: name, lifetime: lifetime, purpose: purpose, by: caller.principal.actor)
        let owned = OwnedKey(key: created.key, owner: KeyOwner(caller.user))
        context.logger.info(
            "key created",
            metadata: ["key_id": "\(created.key.id)", "prefix": "\(created.key.prefix)", "owner": "\(caller.user.id)"]
        )
        return EditedResponse(status: .created, response: JSONBody(CreatedKeyReport(owned, value: created.value, at: now())))
    }

    /// Revokes a key: the caller's own (Console; another's is a 404, so ids cannot be probed) with
    /// an optional reason, or any key (admin API) with a required one.
    func revokeKey(_ id: Int64, _ request: Request, _ context: RoleSyncRequestContext, asOwner: Bool) async throws -> JSONBody<KeyReport> {
        let caller = try context.requireIdentity()
        let members = try await AdminInput.jsonObject(request, allowed: ["reason"], what: "'reason'", optional: asOwner)
        var reason: String?
        if let value = members["reason"] {
            guard case .string(let text) = value else { throw AdminInputError.unprocessable("reason", "'reason' is a string") }
            reason = text
        }
        if !asOwner, reason?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
            throw AdminInputError.unprocessable("reason", "'reason' is required: say why the key is revoked (it is audited)")
        }
        let owned = try await keys.revoke(
            id: id,
            ownerID: asOwner ? caller.user.id : nil,
            cause: asOwner ? .owner : .admin,
            reason: reason,
            by: caller.principal.actor
        )
        context.logger.notice(
            "key revoked",
            metadata: [
                "key_id": "\(owned.key.id)", "prefix": "\(owned.key.prefix)", "owner": "\(owned.key.userID)",
                "actor": "\(caller.principal.actor)",
            ]
        )
        return JSONBody(KeyReport(owned, at: now()))
    }

    /// The largest id a JSON number carries exactly (2^53 - 1): a larger one may have been rounded
    /// on the way, so it is refused rather than read as another key's.
    static let largestExactID: Double = 9_007_199_254_740_991

    /// Revokes up to ``KeyService/bulkRevocationLimit`` keys in one transaction, all or none
    /// (`{"ids": [...], "reason": "..."}`); each key gets its own `key.revoked` event.
    func revokeKeys(_ request: Request, _ context: RoleSyncRequestContext) async throws -> JSONBody<RevokedKeysReport> {
        let caller = try context.requireIdentity()
        let members = try await AdminInput.jsonObject(request, allowed: ["ids", "reason"], what: "'ids' and 'reason'")
        let limit = KeyService.bulkRevocationLimit
        guard case .array(let values)? = members["ids"], !values.isEmpty, values.count <= limit else {
            throw AdminInputError.unprocessable("ids", "'ids' is required: an array of 1 to \(limit) key ids")
        }
        let ids = try values.enumerated().map { index, value in
            guard case .number(let number) = value, number <= Self.largestExactID, let id = Int64(exactly: number), id > 0 else {
                throw AdminInputError.unprocessable("ids", "'ids'[\(index)] is not a key id (a positive integer up to 2^53 - 1)")
            }
            return id
        }
        guard case .string(let reason)? = members["reason"], !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw AdminInputError.unprocessable("reason", "'reason' is required: say why the keys are revoked (it is audited)")
        }
        let revoked: [OwnedKey]
        do {
            revoked = try await keys.revoke(ids: ids, reason: reason, by: caller.principal.actor)
        } catch let error as LedgerError {
            switch error {
            case .keyNotFound, .keyAlreadyRevoked:
                throw AdminInputError(status: error.httpStatus, field: "ids", detail: "\(error); nothing was revoked")
            default: throw error
            }
        }
        context.logger.notice(
            "keys revoked",
            metadata: [
                "key_ids": "\(revoked.map(\.key.id))", "count": "\(revoked.count)", "actor": "\(caller.principal.actor)",
            ]
        )
        return JSONBody(RevokedKeysReport(revoked, at: now()))
    }

    /// Rolls a key: the caller's own (Console; another's is a 404) or, on the admin API, any key the
    /// ledger lets the caller roll. The body is optional: `{"old_expires_in": "24h"}` (`now` up to
    /// `7d`). The answer is the new key as creating one answers, its value shown this once.
    func rollKey(
        _ id: Int64,
        _ request: Request,
        _ context: RoleSyncRequestContext,
        asOwner: Bool
    ) async throws -> EditedResponse<JSONBody<CreatedKeyReport>> {
        let caller = try context.requireIdentity()
        let members = try await AdminInput.jsonObject(request, allowed: ["old_expires_in"], what: "'old_expires_in'", optional: true)
        var overlap = KeyService.defaultRollOverlap
        if let value = members["old_expires_in"] {
            guard case .string(let text) = value, let seconds = KeyService.rollOverlap(text) else {
                throw AdminInputError.unprocessable(
                    "old_expires_in",
                    "'old_expires_in' is \"now\" or a duration up to 7 days, such as \"24h\", \"90m\" or \"7d\""
                )
            }
            overlap = seconds
        }
        let authority: KeyRollAuthority = asOwner ? .owner(caller.user.id) : .admin(id: caller.user.id, role: caller.user.role)
        let (rolled, value) = try await keys.roll(id: id, oldExpiresIn: overlap, as: authority, by: caller.principal.actor)
        Self.logRoll(rolled, by: caller, context)
        return EditedResponse(status: .created, response: JSONBody(CreatedKeyReport(rolled.replacement, value: value, at: now())))
    }

    /// The log line of a roll: both keys, never a value.
    static func logRoll(_ rolled: RolledKey, by caller: Caller, _ context: RoleSyncRequestContext) {
        context.logger.notice(
            "key rolled",
            metadata: [
                "key_id": "\(rolled.replaced.key.id)", "new_key_id": "\(rolled.replacement.key.id)",
                "prefix": "\(rolled.replacement.key.prefix)", "owner": "\(rolled.replaced.key.userID)",
                "old_expires_at": "\(Timestamp.format(rolled.replaced.key.expiresAt) ?? "")", "actor": "\(caller.principal.actor)",
            ]
        )
    }

    /// A page of every key, or (`format=csv|jsonl`) all of them as a download.
    func listKeys(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let format = try AdminInput.exportFormat(parameters)
        let query = try await AdminInput.keysQuery(parameters, keys: keys)
        let time = now()
        if let format { return Export.keys(query, format: format, keys: keys, at: time).response(context) }
        let page = try await keys.keys(matching: query)
        return try JSONBody(PageReport(key: "keys", items: page.keys.map { KeyReport($0, at: time) }, nextCursor: page.nextCursor))
            .response(from: request, context: context)
    }

    func showKey(_ id: Int64) async throws -> JSONBody<KeyDetailReport> {
        let owned = try await keys.key(id: id)
        return JSONBody(KeyDetailReport(owned, usage: try await keys.usage(of: id), at: now()))
    }
}
