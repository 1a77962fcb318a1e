import Foundation
import Hummingbird
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping

/// How the caller proved who they are.
enum Credential: String {
    case session
    case token
}

/// A signed-in caller of the admin API, with their role as of this request.
struct Caller {
    var user: User
    var credential: Credential
    var principal: Principal { Principal(actor: .user(user.id), role: user.role) }
}

extension ServerContext {
    /// The largest JSON body a PATCH may have.
    static let maximumJSONBody = 16 * 1024
    /// The largest mapping a dry run takes (a 2,000-rule mapping is about 300 KiB).
    static let maximumMappingBody = 1024 * 1024

    func addAdminRoutes(to router: Router<RoleSyncRequestContext>) {
        admin(router, .listUsers) { request, context, _ in try await self.listUsers(request) }
        admin(router, .showUser) { _, context, _ in try await self.showUser(try Self.userID(context)) }
        admin(router, .editUser) { request, context, caller in
            try await self.editUser(try Self.userID(context), request, caller)
        }
        admin(router, .audit) { request, _, _ in try await self.audit(request) }
        admin(router, .mappings) { _, _, _ in try Self.json(MappingsView(self.sync.mappings.current)) }
        admin(router, .dryRun) { request, _, _ in try await self.dryRun(request) }
    }

    /// Registers one admin route behind authentication, the permission check, CSRF protection for
    /// cookie-authenticated writes, and the mapping of errors to problem details.
    private func admin(
        _ router: Router<RoleSyncRequestContext>,
        _ route: AdminRoute,
        _ handler: @escaping @Sendable (Request, RoleSyncRequestContext, Caller) async throws -> Response
    ) {
        router.on(route.routerPath, method: route.method) { request, context in
            do {
                guard let caller = try await self.authenticate(request) else {
                    return self.problem(
                        context,
                        .unauthorized,
                        "Not signed in",
                        code: "not_signed_in",
                        "Sign in at /auth/login, or send an API token as 'Authorization: Bearer rs_…'."
                    )
                }
                guard route.permission.roles.contains(caller.user.role) else {
                    return self.problem(
                        context,
                        .forbidden,
                        "Not permitted",
                        code: "not_permitted",
                        "The \(caller.user.role.rawValue) role may not do this; it needs "
                            + route.permission.roles.map(\.rawValue).sorted().joined(separator: " or ") + "."
                    )
                }
                if caller.credential == .session, route.method != .get, !self.isSameOrigin(request) {
                    return self.problem(
                        context,
                        .forbidden,
                        "Cross-site request refused",
                        code: "cross_site_request",
                        "A change made with the session cookie must come from this site (Origin or Sec-Fetch-Site)."
                    )
                }
                return try await handler(request, context, caller)
            } catch let error as AdminInputError {
                return ProblemDetails(
                    status: error.status,
                    title: error.status == .badRequest ? "Invalid request" : "Invalid value",
                    code: error.status == .badRequest ? "invalid_request" : "invalid_value",
                    detail: error.detail,
                    field: error.field,
                    requestID: context.id
                ).response()
            } catch let error as LedgerError {
                var problem = ProblemDetails(
                    status: error.httpStatus,
                    title: error.title,
                    code: error.code,
                    detail: error.description,
                    requestID: context.id
                )
                if case .roleManagedByIdP(_, let rule, let file) = error {
                    problem.rule = rule
                    problem.mappingFile = file
                }
                return problem.response()
            } catch LedgerStoreError.invalidCursor {
                return ProblemDetails(
                    status: .badRequest,
                    title: "Invalid request",
                    code: "invalid_request",
                    detail: LedgerStoreError.invalidCursor.description,
                    field: "cursor",
                    requestID: context.id
                ).response()
            } catch let error as HTTPError where error.status == .contentTooLarge {
                return self.problem(context, .contentTooLarge, "Body too large", code: "body_too_large", "The request body is too large.")
            }
        }
    }

    func problem(
        _ context: RoleSyncRequestContext,
        _ status: HTTPResponse.Status,
        _ title: String,
        code: String,
        _ detail: String
    ) -> Response {
        ProblemDetails(status: status, title: title, code: code, detail: detail, requestID: context.id).response()
    }

    /// The caller from an `Authorization: Bearer` token or, without that header, the session cookie.
    /// A malformed or unknown token never falls back to the cookie.
    func authenticate(_ request: Request) async throws -> Caller? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return try await tokens.user(forToken: String(parts[1])).map { Caller(user: $0, credential: .token) }
        }
        return try await signedInUser(request).map { Caller(user: $0, credential: .session) }
    }

    /// Whether a request comes from this site: `Origin` equal to the public URL's origin, or
    /// `Sec-Fetch-Site: same-origin`. Browsers send at least one on every write.
    func isSameOrigin(_ request: Request) -> Bool {
        if let origin = request.headers[.origin] { return origin == publicOrigin }
        if let site = request.headers[.init("Sec-Fetch-Site")!] { return site == "same-origin" }
        return false
    }

    static func userID(_ context: RoleSyncRequestContext) throws -> UserID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw AdminInputError.badRequest("id", "the user id is a positive integer")
        }
        return UserID(id)
    }

    // MARK: Users

    func listUsers(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var users = UsersQuery()
        if let q = query.get("q") {
            guard q.unicodeScalars.count <= 200 else { throw AdminInputError.badRequest("q", "the search text is at most 200 characters") }
            users.search = q.isEmpty ? nil : q
        }
        users.role = try Self.enumParameter(query.get("role"), "role", Role.self)
        users.status = try Self.enumParameter(query.get("status"), "status", UserStatus.self)
        users.sort = try Self.enumParameter(query.get("sort"), "sort", UsersQuery.Sort.self) ?? .name
        users.order = try Self.enumParameter(query.get("order"), "order", UsersQuery.Order.self) ?? .ascending
        users.limit = try Self.limit(query.get("limit"))
        users.cursor = try Self.cursor(query.get("cursor"))
        let page = try await sync.store.users(matching: users)
        let mappings = sync.mappings.current
        return try Self.json(
            PageView(
                name: "users",
                items: page.users.map { UserView(user: $0, eligibility: Eligibility(of: $0, under: mappings), detailed: false) },
                nextCursor: page.nextCursor
            )
        )
    }

    func showUser(_ id: UserID) async throws -> Response {
        guard let user = try await sync.store.user(id: id) else { throw LedgerError.userNotFound("\(id)") }
        return try Self.json(try await detail(of: user))
    }

    func detail(of user: User) async throws -> UserDetailView {
        let counts = try await sync.store.auditCounts(userID: user.id)
        let recent = try await sync.store.auditEvents(matching: AuditQuery(userID: user.id, limit: 20)).events
        let lastRefusal = try await sync.store.auditEvents(
            matching: AuditQuery(userID: user.id, action: .signInRefused, limit: 1)
        ).events.first
        return UserDetailView(
            user: UserView(user: user, eligibility: sync.eligibility(of: user), detailed: true),
            activity: .init(
                signIns: user.signInCount,
                roleChanges: counts[.roleChanged] ?? 0,
                refusals: counts[.signInRefused] ?? 0,
                activeSessions: try await sync.store.sessionCount(userID: user.id),
                lastRefusal: lastRefusal.map(AuditEventView.init)
            ),
            recentActivity: recent.map(AuditEventView.init)
        )
    }

    func editUser(_ id: UserID, _ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maximumJSONBody)
        let members: [String: ClaimValue]
        do {
            guard case .object(let object) = try ClaimValue(json: Data(buffer: body)) else {
                throw AdminInputError.badRequest(nil, "the body must be a JSON object with 'role' and/or 'status'")
            }
            members = object
        } catch let error as JSONError {
            throw AdminInputError.badRequest(nil, "the body is not JSON: \(error)")
        }
        if let unknown = members.keys.sorted().first(where: { $0 != "role" && $0 != "status" }) {
            throw AdminInputError.badRequest(unknown, "unknown field '\(unknown)'; only 'role' and 'status' can be changed")
        }
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
        return try Self.json(try await detail(of: user))
    }

    // MARK: Audit

    func audit(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var audit = AuditQuery()
        if let user = query.get("user") {
            guard let id = Int64(user), id > 0 else { throw AdminInputError.badRequest("user", "'user' is a user id") }
            audit.userID = UserID(id)
        }
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
        let page = try await sync.store.auditEvents(matching: audit)
        return try Self.json(PageView(name: "events", items: page.events.map(AuditEventView.init), nextCursor: page.nextCursor))
    }

    // MARK: Mapping

    func dryRun(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maximumMappingBody)
        guard let yaml = String(validating: body.readableBytesView, as: UTF8.self), !yaml.isEmpty else {
            throw AdminInputError.badRequest(nil, "the body must be a mapping in YAML (UTF-8)")
        }
        let parsed = MappingParser.parse(yaml: yaml, file: "request")
        guard let mapping = parsed.mapping else {
            let errors = parsed.diagnostics.filter { $0.severity == .error }
            let first = errors.first
            return ProblemDetails(
                status: .unprocessableContent,
                title: "Invalid mapping",
                code: "invalid_mapping",
                detail: errors.map { "\($0.location.line):\($0.location.column): \($0.message)" }.joined(separator: "\n"),
                field: first.map { "body:\($0.location.line):\($0.location.column)" }
            ).response()
        }
        let candidate = sync.mappings.current.replacing(with: MappingSet.build([mapping]).set)
        let plan = try await sync.reevaluateAll(under: candidate)
        return try Self.json(PlanReport(plan))
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
        guard let date = RFC3339.parse(text) else {
            throw AdminInputError.badRequest(name, "'\(name)' is an ISO 8601 time such as 2026-11-27T10:00:00Z")
        }
        return date
    }
}
