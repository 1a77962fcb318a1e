import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncYAML
import RoleSyncReports

extension ServerContext {
    /// The largest JSON body a PATCH may have.
    static let maximumJSONBody = 16 * 1024
    /// The largest mapping a dry run takes (a 2,000-rule mapping is about 300 KiB).
    static let maximumMappingBody = 1024 * 1024

    /// `/api/admin/...`, each route behind the permission ``AdminRoute`` gives it. The caller, the
    /// same-origin check and the problem details come from the API group's middleware.
    func addAdminRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        route(.listUsers, in: admin) { request, _ in try await self.listUsers(request) }
        route(.showUser, in: admin) { _, context in try await self.showUser(try Self.userID(context)) }
        route(.editUser, in: admin) { request, context in
            try await self.editUser(try Self.userID(context), request, try context.requireIdentity())
        }
        route(.audit, in: admin) { request, _ in try await self.audit(request) }
        route(.mappings, in: admin) { _, _ in JSONBody(MappingsView(self.sync.mappings.current)) }
        route(.dryRun, in: admin) { request, _ in try await self.dryRun(request) }
        route(.offboardUser, in: admin) { request, context in
            try await self.offboard(try Self.userID(context), request, context)
        }
        route(.grantOverride, in: admin) { request, context in
            try await self.grantOverride(try Self.userID(context), request, try context.requireIdentity())
        }
        route(.endOverride, in: admin) { request, context in
            try await self.endOverride(try Self.userID(context), request, try context.requireIdentity())
        }
        route(.shadow, in: admin) { request, _ in try await self.shadowReport(request) }
        route(.listKeys, in: admin) { request, _ in try await self.listKeys(request) }
        route(.createKey, in: admin) { request, context in
            try await self.createKey(request, context, allowingPurpose: true)
        }
        route(.showKey, in: admin) { _, context in try await self.showKey(try Self.keyID(context)) }
        route(.revokeKey, in: admin) { request, context in
            try await self.revokeKey(try Self.keyID(context), request, context, asOwner: false)
        }
    }

    /// Registers one admin route at its path, behind the policy that its permission holds.
    private func route<Output: ResponseGenerator>(
        _ route: AdminRoute,
        in admin: RouterGroup<RoleSyncRequestContext>,
        _ handler: @escaping @Sendable (Request, RoleSyncRequestContext) async throws -> Output
    ) {
        admin.group()
            .add(
                middleware: AuthorizationPolicyMiddleware(
                    PermissionPolicy<Caller>(route.permission),
                    deniedError: ProblemError.notPermitted(route.permission)
                )
            )
            .on(RouterPath(String(route.path.dropFirst(AdminRoute.prefix.count))), method: route.method, use: handler)
    }

    static func userID(_ context: RoleSyncRequestContext) throws -> UserID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw AdminInputError.badRequest("id", "the user id is a positive integer")
        }
        return UserID(id)
    }

    // MARK: Users

    func listUsers(_ request: Request) async throws -> JSONBody<PageReport<UserReport>> {
        let users = try Self.usersQuery(request.uri.queryParameters)
        let page = try await sync.users(matching: users)
        let mappings = sync.mappings.current
        return JSONBody(
            PageReport(
                key: "users",
                items: page.users.map { UserReport($0, eligibility: Eligibility(of: $0, under: mappings)) },
                nextCursor: page.nextCursor
            )
        )
    }

    /// The users listing's query parameters (the admin API's and the dashboard's).
    static func usersQuery(_ query: Parameters) throws -> UsersQuery {
        var users = UsersQuery()
        users.search = try Self.searchText(query.get("q"))
        users.role = try Self.enumParameter(query.get("role"), "role", Role.self)
        users.status = try Self.enumParameter(query.get("status"), "status", UserStatus.self)
        users.sort = try Self.enumParameter(query.get("sort"), "sort", UsersQuery.Sort.self) ?? .name
        users.order = try Self.enumParameter(query.get("order"), "order", UsersQuery.Order.self) ?? .ascending
        users.limit = try Self.limit(query.get("limit"))
        users.cursor = try Self.cursor(query.get("cursor"))
        return users
    }

    func showUser(_ id: UserID) async throws -> JSONBody<UserDetailReport> {
        let user = try await sync.user(id: id)
        return JSONBody(UserDetailReport(try await sync.detail(of: user)))
    }

    func editUser(_ id: UserID, _ request: Request, _ caller: Caller) async throws -> JSONBody<UserDetailReport> {
        let members = try await Self.jsonObject(request, allowed: ["role", "status"], what: "'role' and/or 'status'")
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

    // MARK: Break-glass overrides

    /// `POST /api/admin/users/{id}/override`: `{ "role", "until" | "for", "reason" }`.
    func grantOverride(_ id: UserID, _ request: Request, _ caller: Caller) async throws -> JSONBody<UserDetailReport> {
        let members = try await Self.jsonObject(request, allowed: ["role", "until", "for", "reason"], what: "'role', 'until' or 'for', and 'reason'")
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
        let members = try await Self.jsonObject(request, allowed: ["reason"], what: "an optional 'reason'", optional: true)
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

    // MARK: Shadow mapping

    /// `GET /api/admin/mapping/shadow`: who the candidate mappings would change, and why.
    func shadowReport(_ request: Request) async throws -> JSONBody<ShadowReport> {
        let query = try Self.shadowQuery(request.uri.queryParameters)
        let page = try await sync.shadowDifferences(matching: query)
        return JSONBody(ShadowReport(page, candidates: sync.mappings.shadow, query: query))
    }

    static func shadowQuery(_ query: Parameters) throws -> ShadowQuery {
        var shadow = ShadowQuery()
        shadow.since = try Self.time(query.get("since"), "since")
        if let issuer = query.get("issuer") {
            guard !issuer.isEmpty, issuer.count <= 1024 else { throw AdminInputError.badRequest("issuer", "'issuer' is an issuer URL") }
            shadow.issuer = issuer
        }
        shadow.kind = try Self.enumParameter(query.get("kind"), "kind", ShadowDifference.Kind.self)
        shadow.limit = try Self.limit(query.get("limit"))
        return shadow
    }

    // MARK: Audit

    func audit(_ request: Request) async throws -> JSONBody<PageReport<AuditEventReport>> {
        var audit = try Self.auditQuery(request.uri.queryParameters)
        if let user = request.uri.queryParameters.get("user") {
            guard let id = Int64(user), id > 0 else { throw AdminInputError.badRequest("user", "'user' is a user id") }
            audit.userID = UserID(id)
        }
        let page = try await sync.auditEvents(matching: audit)
        return JSONBody(PageReport(key: "events", items: page.events.map(AuditEventReport.init), nextCursor: page.nextCursor))
    }

    /// The audit listing's query parameters but `user` (the API takes an id, the dashboard an id or
    /// an email).
    static func auditQuery(_ query: Parameters) throws -> AuditQuery {
        var audit = AuditQuery()
        audit.action = try Self.enumParameter(query.get("action"), "action", AuditAction.self)
        if let actor = query.get("actor") {
            guard let parsed = Actor(actor) else {
                throw AdminInputError.badRequest(
                    "actor",
                    "'\(actor)' is not an actor: user:ID, idp, reconciler, scim or cli"
                )
            }
            audit.actor = parsed
        }
        audit.since = try Self.time(query.get("since"), "since")
        audit.until = try Self.time(query.get("until"), "until")
        audit.limit = try Self.limit(query.get("limit"))
        audit.cursor = try Self.cursor(query.get("cursor"))
        return audit
    }

    // MARK: Mapping

    func dryRun(_ request: Request) async throws -> JSONBody<PlanReport> {
        let body = try await request.body.collect(upTo: Self.maximumMappingBody)
        guard let yaml = String(validating: body.readableBytesView, as: UTF8.self), !yaml.isEmpty else {
            throw AdminInputError.badRequest(nil, "the body must be a mapping in YAML (UTF-8)")
        }
        let errors: [Diagnostic]
        switch try await candidatePlan(yaml) {
        case .success(let plan): return JSONBody(PlanReport(plan))
        case .failure(let problems): errors = problems.diagnostics
        }
        let first = errors.first
        throw ProblemError(
            .unprocessableContent,
            title: "Invalid mapping",
            code: "invalid_mapping",
            detail: errors.map { "\($0.location.line):\($0.location.column): \($0.message)" }.joined(separator: "\n"),
            field: first.map { "body:\($0.location.line):\($0.location.column)" }
        )
    }

    /// A candidate mapping's errors.
    struct InvalidMapping: Error {
        var diagnostics: [Diagnostic]
    }

    /// What `yaml`, a candidate mapping, would change if it replaced the loaded mapping of its
    /// issuer (the admin API's and the dashboard's dry run), or its errors.
    func candidatePlan(_ yaml: String) async throws -> Result<ReevaluationPlan, InvalidMapping> {
        let parsed = MappingParser.parse(yaml: yaml, file: "request")
        guard let mapping = parsed.mapping else {
            return .failure(InvalidMapping(diagnostics: parsed.diagnostics.filter { $0.severity == .error }))
        }
        let candidate = sync.mappings.current.replacing(with: MappingSet.build([mapping]).set)
        return .success(try await sync.reevaluateAll(under: candidate))
    }

    // MARK: Parameters

    static func enumParameter<T: RawRepresentable & CaseIterable>(_ text: String?, _ name: String, _: T.Type) throws -> T?
    where T.RawValue == String {
        guard let text else { return nil }
        guard let value = T(rawValue: text) else {
            throw AdminInputError.badRequest(
                name,
                "'\(text)' is not a valid \(name); one of: " + T.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        return value
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 50 }
        guard let limit = Int(text), (1...200).contains(limit) else {
            throw AdminInputError.badRequest("limit", "'limit' is an integer from 1 to 200")
        }
        return limit
    }

    static func cursor(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard !text.isEmpty, text.count <= 1024 else {
            throw AdminInputError.badRequest("cursor", "'cursor' is the next_cursor of a previous page")
        }
        return text
    }

    static func time(_ text: String?, _ name: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw AdminInputError.badRequest(name, "'\(name)' is \(Timestamp.grammar)")
        }
        return date
    }
}
