import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// The users of the admin API (`/api/admin/users/...`), each route behind its ``AdminRoute``
/// permission: the list, a user's detail, role and status edits, break-glass overrides, and
/// offboarding.
struct AdminUsersController: Sendable {
    let sync: SyncService
    let now: @Sendable () -> Date

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.on(.listUsers) { request, context in try await self.listUsers(request, context) }
        admin.on(.showUser) { _, context in try await self.showUser(try AdminInput.userID(context)) }
        admin.on(.editUser) { request, context in
            try await self.editUser(try AdminInput.userID(context), request, try context.requireIdentity())
        }
        admin.on(.offboardUser) { request, context in
            try await self.offboard(try AdminInput.userID(context), request, context)
        }
        admin.on(.grantOverride) { request, context in
            try await self.grantOverride(try AdminInput.userID(context), request, try context.requireIdentity())
        }
        admin.on(.endOverride) { request, context in
            try await self.endOverride(try AdminInput.userID(context), request, try context.requireIdentity())
        }
    }

    /// A page of users, or (`format=csv|jsonl`) all of them as a download.
    func listUsers(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let format = try AdminInput.exportFormat(request.uri.queryParameters)
        let users = try AdminInput.usersQuery(request.uri.queryParameters)
        if let format { return Export.users(users, format: format, sync: sync, at: now()).response(context) }
        let page = try await sync.users(matching: users)
        let mappings = sync.mappings.current
        return try JSONBody(
            PageReport(
                key: "users",
                items: page.users.map { UserReport($0, eligibility: Eligibility(of: $0, under: mappings)) },
                nextCursor: page.nextCursor
            )
        ).response(from: request, context: context)
    }

    func showUser(_ id: UserID) async throws -> JSONBody<UserDetailReport> {
        let user = try await sync.user(id: id)
        return JSONBody(UserDetailReport(try await sync.detail(of: user)))
    }

    func editUser(_ id: UserID, _ request: Request, _ caller: Caller) async throws -> JSONBody<UserDetailReport> {
        let members = try await AdminInput.jsonObject(request, allowed: ["role", "status"], what: "'role' and/or 'status'")
        guard !members.isEmpty else {
            throw AdminInputError.badRequest(nil, "the body must change 'role', 'status' or both")
        }
        var role: Role?
        if let value = members["role"] {
            guard case .string(let text) = value, let parsed = Role(rawValue: text) else {
                throw AdminInputError.unprocessable(
                    "role",
                    "'\(value.scalarText ?? value.typeName)' is not a role; roles: "
                        + Role.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            role = parsed
        }
        var status: UserStatus?
        if let value = members["status"] {
            guard case .string(let text) = value, let parsed = UserStatus(rawValue: text) else {
                throw AdminInputError.unprocessable(
                    "status",
                    "'\(value.scalarText ?? value.typeName)' is not a status; statuses: active, inactive"
                )
            }
            status = parsed
        }
        let user = try await sync.update(id, role: role, status: status, by: caller.principal)
        return JSONBody(UserDetailReport(try await sync.detail(of: user)))
    }

    /// `POST /api/admin/users/{id}/override`: `{ "role", "until" | "for", "reason" }`.
    func grantOverride(_ id: UserID, _ request: Request, _ caller: Caller) async throws -> JSONBody<UserDetailReport> {
        let members = try await AdminInput.jsonObject(
            request,
            allowed: ["role", "until", "for", "reason"],
            what: "'role', 'until' or 'for', and 'reason'"
        )
        guard case .string(let roleText)? = members["role"] else {
            throw AdminInputError.unprocessable("role", "'role' is required: one of " + Role.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let role = Role(rawValue: roleText) else {
            throw AdminInputError.unprocessable(
                "role",
                "'\(roleText)' is not a role; roles: " + Role.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        let deadline = try Self.overrideDeadline(until: members["until"], for: members["for"])
        guard case .string(let reason)? = members["reason"] else {
            throw AdminInputError.unprocessable("reason", "'reason' is required: say why the IdP's role must wait")
        }
        let user = try await sync.grantOverride(role, of: id, until: deadline, reason: reason, by: caller.principal)
        return JSONBody(UserDetailReport(try await sync.detail(of: user)))
    }

    /// Exactly one of `until` (a time) and `for` (`90m`, `2h`, or seconds).
    static func overrideDeadline(until: ClaimValue?, for duration: ClaimValue?) throws -> OverrideDeadline {
        switch (until, duration) {
        case (.string(let text)?, nil):
            guard let date = Timestamp.parse(text) else { throw AdminInputError.unprocessable("until", "'until' is \(Timestamp.grammar)") }
            return .until(date)
        case (nil, .string(let text)?):
            // Zero is well-formed: the ledger refuses it (409), as it does a deadline past the maximum.
            guard let seconds = ServeConfiguration.seconds(text) else {
                throw AdminInputError.unprocessable("for", "'for' is a duration: 90m, 2h, or seconds")
            }
            return .duration(seconds)
        case (nil, .number(let seconds)?):
            guard seconds.isFinite, seconds > 0 else { throw AdminInputError.unprocessable("for", "'for' is a positive number of seconds") }
            return .duration(seconds)
        case (nil, nil):
            throw AdminInputError.unprocessable("until", "give 'until' (a time) or 'for' (a duration, at most the configured maximum)")
        case (_?, _?):
            throw AdminInputError.unprocessable("for", "give 'until' or 'for', not both")
        case (let value?, nil):
            throw AdminInputError.unprocessable("until", "'until' is \(Timestamp.grammar), not a \(value.typeName)")
        case (nil, let value?):
            throw AdminInputError.unprocessable("for", "'for' is a duration such as 2h, not a \(value.typeName)")
        }
    }

    /// `DELETE /api/admin/users/{id}/override`, optionally with `{ "reason" }`.
    func endOverride(_ id: UserID, _ request: Request, _ caller: Caller) async throws -> JSONBody<UserDetailReport> {
        let members = try await AdminInput.jsonObject(request, allowed: ["reason"], what: "an optional 'reason'", optional: true)
        var reason: String?
        if let value = members["reason"] {
            guard case .string(let text) = value, text.count <= OverridePolicy.maxReasonLength else {
                throw AdminInputError.unprocessable("reason", "'reason' is text of at most \(OverridePolicy.maxReasonLength) characters")
            }
            reason = text
        }
        let user = try await sync.endOverride(of: id, reason: reason, by: caller.principal)
        return JSONBody(UserDetailReport(try await sync.detail(of: user)))
    }

    func offboard(_ id: UserID, _ request: Request, _ context: RoleSyncRequestContext) async throws -> JSONBody<OffboardingReport> {
        let caller = try context.requireIdentity()
        let members = try await AdminInput.jsonObject(request, allowed: ["reason"], what: "'reason'")
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
}
