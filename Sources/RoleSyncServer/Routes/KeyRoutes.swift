import Foundation
import Hummingbird
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// API keys on the JSON API: the Console's own keys (`/api/keys`, any signed-in user) and the
/// platform-wide governance of the admin API (`/api/admin/keys`, offboarding).
extension ServerContext {
    /// `GET /api/keys`, `POST /api/keys`, `POST /api/keys/{id}/revoke`: the caller's own keys.
    func addConsoleKeyRoutes(to api: RouterGroup<RoleSyncRequestContext>) {
        api.get("keys") { _, context in
            let caller = try context.requireIdentity()
            let owner = KeyOwner(caller.user)
            let time = self.now()
            let keys = try await self.keys.keys(of: caller.user.id)
            return JSONBody(KeyList(keys: keys.map { KeyReport(OwnedKey(key: $0, owner: owner), at: time) }))
        }
        api.post("keys") { request, context in
            try await self.createKey(request, context, allowingPurpose: false)
        }
        api.post("keys/{id}/revoke") { request, context in
            try await self.revokeKey(try Self.keyID(context), request, context, asOwner: true)
        }
    }

    /// Creates a key owned by the caller: always a `gateway` key from the Console; the admin API
    /// may ask for an `admin` key (its route needs an admin role, and the ledger checks it again).
    func createKey(
        _ request: Request,
        _ context: RoleSyncRequestContext,
        allowingPurpose: Bool
    ) async throws -> EditedResponse<JSONBody<CreatedKeyReport>> {
        let caller = try context.requireIdentity()
        let allowed = allowingPurpose ? ["name", "expires_in", "purpose"] : ["name", "expires_in"]
        let members = try await Self.jsonObject(request, allowed: allowed, what: "'name' and optionally 'expires_in'")
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
        let members = try await Self.jsonObject(request, allowed: ["reason"], what: "'reason'", optional: asOwner)
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

    // MARK: Admin

    func listKeys(_ request: Request) async throws -> JSONBody<PageReport<KeyReport>> {
        let page = try await keys.keys(matching: try await keysQuery(request.uri.queryParameters))
        let time = now()
        return JSONBody(PageReport(key: "keys", items: page.keys.map { KeyReport($0, at: time) }, nextCursor: page.nextCursor))
    }

    /// A listing's `q`: at most 200 characters, without NUL (never part of a name, an email or a
    /// key name, and neither SQLite's full-text query nor PostgreSQL's text takes one); `nil` when
    /// nothing is left.
    static func searchText(_ q: String?) throws -> String? {
        guard let q else { return nil }
        guard q.unicodeScalars.count <= 200 else { throw AdminInputError.badRequest("q", "the search text is at most 200 characters") }
        let text = q.replacingOccurrences(of: "\u{0}", with: "")
        return text.isEmpty ? nil : text
    }

    /// The keys listing's query parameters (the admin API's and the dashboard's). `owner` is a user
    /// id or an email (the one user who has it).
    func keysQuery(_ parameters: Parameters) async throws -> KeysQuery {
        var query = KeysQuery()
        query.search = try Self.searchText(parameters.get("q"))
        if let owner = parameters.get("owner") {
            guard !owner.isEmpty, owner.unicodeScalars.count <= 320, !owner.contains("\u{0}") else {
                throw AdminInputError.badRequest("owner", "'owner' is a user id or an email")
            }
            do {
                query.ownerID = try await keys.ownerID(reference: owner)
            } catch let error as OwnerFilterError {
                throw AdminInputError.badRequest("owner", "\(error)")
            }
        }
        query.status = try Self.enumParameter(parameters.get("status"), "status", APIKeyStatus.self)
        query.purpose = try Self.enumParameter(parameters.get("purpose"), "purpose", APIKeyPurpose.self)
        query.sort = try Self.enumParameter(parameters.get("sort"), "sort", KeysQuery.Sort.self) ?? .created
        query.order = try Self.enumParameter(parameters.get("order"), "order", UsersQuery.Order.self) ?? .descending
        query.limit = try Self.limit(parameters.get("limit"))
        query.cursor = try Self.cursor(parameters.get("cursor"))
        return query
    }

    func showKey(_ id: Int64) async throws -> JSONBody<KeyDetailReport> {
        let owned = try await keys.key(id: id)
        return JSONBody(KeyDetailReport(owned, usage: try await keys.usage(of: id), at: now()))
    }

    func offboard(_ id: UserID, _ request: Request, _ context: RoleSyncRequestContext) async throws -> JSONBody<OffboardingReport> {
        let caller = try context.requireIdentity()
        let members = try await Self.jsonObject(request, allowed: ["reason"], what: "'reason'")
        guard case .string(let reason)? = members["reason"], !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw AdminInputError.unprocessable("reason", "'reason' is required: say why the user is offboarded (it is audited)")
        }
        let result = try await sync.offboard(id, reason: reason, by: caller.principal)
        context.logger.notice(
            "user offboarded",
            metadata: ["user_id": "\(id)", "keys_revoked": "\(result.revokedKeys.count)", "actor": "\(caller.principal.actor)"]
        )
        let time = now()
        let owner = KeyOwner(result.user)
        return JSONBody(
            OffboardingReport(
                user: UserDetailReport(try await sync.detail(of: result.user)),
                revokedKeys: result.revokedKeys.map { KeyReport(OwnedKey(key: $0, owner: owner), at: time) },
                sessionsEnded: result.sessionsEnded
            )
        )
    }

    // MARK: Input

    static func keyID(_ context: RoleSyncRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw AdminInputError.badRequest("id", "the key id is a positive integer")
        }
        return id
    }

    /// The body as a JSON object with only `allowed` members (at most ``maximumJSONBody`` bytes);
    /// an empty body is `[:]` when `optional`.
    static func jsonObject(_ request: Request, allowed: [String], what: String, optional: Bool = false) async throws -> [String: ClaimValue] {
        let body = try await request.body.collect(upTo: maximumJSONBody)
        if body.readableBytes == 0, optional { return [:] }
        let members: [String: ClaimValue]
        do {
            guard case .object(let object) = try ClaimValue(json: Data(buffer: body)) else {
                throw AdminInputError.badRequest(nil, "the body must be a JSON object with \(what)")
            }
            members = object
        } catch let error as JSONError {
            throw AdminInputError.badRequest(nil, "the body is not JSON: \(error)")
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw AdminInputError.badRequest(unknown, "unknown field '\(unknown)'; the body takes " + allowed.joined(separator: ", "))
        }
        return members
    }
}

/// `GET /api/keys`: the caller's keys.
struct KeyList: Encodable, Sendable {
    var keys: [KeyReport]
}
