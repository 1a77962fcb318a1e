import Foundation
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
import Logging
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// The Admin Dashboard (`/admin/...`): server-rendered pages over the same services as the admin
/// API. Every page works without script; `app.js` only fetches a listing's results region (the
/// `X-RoleSync-Fragment: results` header) as one types. Each route needs the same permission as its
/// admin API twin; forms are checked by ``FormProtectionMiddleware`` before any handler runs.
struct DashboardController: Sendable {
    let sync: SyncService
    let keys: KeyService
    let keyPages: KeyPageHandlers
    let directories: DirectoryController
    let now: @Sendable () -> Date

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.page(.get, "", .readUsers) { _, _ in
            Response(status: .found, headers: [.location: "/admin/users", .cacheControl: "no-store"])
        }
        admin.page(.get, "users", .readUsers) { request, context in try await self.usersPage(request, context) }
        admin.page(.get, "users/{id}", .readUsers) { request, context in
            try await self.userPage(try PageInput.userID(context), request, context)
        }
        admin.page(.get, "users/{id}/activity", .readAudit) { request, context in
            try await self.userActivityPage(try PageInput.userID(context), request, context)
        }
        admin.page(.post, "users/{id}/role", .editUsers) { request, context in
            try await self.editRole(try PageInput.userID(context), request, context)
        }
        admin.page(.get, "users/{id}/deactivate", .editUsers) { _, context in
            try await self.confirmDeactivation(try PageInput.userID(context), context)
        }
        admin.page(.post, "users/{id}/deactivate", .editUsers) { _, context in
            try await self.changeStatus(try PageInput.userID(context), to: .inactive, context)
        }
        admin.page(.post, "users/{id}/reactivate", .editUsers) { _, context in
            try await self.changeStatus(try PageInput.userID(context), to: .active, context)
        }
        admin.page(.post, "users/{id}/override", .overrideRoles) { request, context in
            try await self.grantOverridePage(try PageInput.userID(context), request, context)
        }
        admin.page(.post, "users/{id}/override/end", .overrideRoles) { request, context in
            try await self.endOverridePage(try PageInput.userID(context), request, context)
        }
        admin.page(.get, "users/{id}/offboard", .offboardUsers) { _, context in
            try await self.confirmOffboarding(try PageInput.userID(context), reason: "", error: nil, context)
        }
        admin.page(.post, "users/{id}/offboard", .offboardUsers) { request, context in
            try await self.offboardPage(try PageInput.userID(context), request, context)
        }
        admin.page(.get, "keys", .readKeys) { request, context in try await self.keyPages.keysPage(request, context) }
        admin.page(.get, "keys/revoke", .revokeKeys) { request, context in
            let ids = try KeyPageHandlers.chosenKeys(request.uri.queryParameters.getAll("id").map { String($0) })
            return try await self.keyPages.confirmBulkRevocation(ids, reason: "", error: nil, context)
        }
        admin.page(.post, "keys/revoke", .revokeKeys) { request, context in try await self.keyPages.bulkRevokePage(request, context) }
        admin.page(.get, "keys/{id}", .readKeys) { request, context in
            let notice = request.uri.queryParameters.get("done") == "revoked" ? "Key revoked: it no longer works anywhere." : nil
            return try await self.keyPages.keyPage(try PageInput.keyID(context), context, notice: notice)
        }
        admin.page(.get, "keys/{id}/revoke", .revokeKeys) { _, context in
            try await self.keyPages.confirmRevocation(try PageInput.keyID(context), asOwner: false, reason: "", error: nil, context)
        }
        admin.page(.post, "keys/{id}/revoke", .revokeKeys) { request, context in
            try await self.keyPages.revokePage(try PageInput.keyID(context), asOwner: false, request, context)
        }
        admin.page(.get, "keys/{id}/roll", .rollKeys) { _, context in
            try await self.keyPages.confirmRoll(try PageInput.keyID(context), asOwner: false, error: nil, context)
        }
        admin.page(.post, "keys/{id}/roll", .rollKeys) { request, context in
            try await self.keyPages.rollPage(try PageInput.keyID(context), asOwner: false, request, context) { rolled, created, notice, context in
                try await self.keyPages.rolledKeyPage(rolled, created: created, notice: notice, context)
            }
        }
        admin.page(.get, "audit", .readAudit) { request, context in try await self.auditPage(request, context) }
        admin.page(.get, "mapping", .readMappings) { _, context in
            PageRenderer.page(
                "mapping",
                MappingPageModel(
                    chrome: try Chrome("Mapping", .mapping, context),
                    mappings: self.sync.mappings.current,
                    shadow: try await self.shadowSection()
                )
            )
        }
        admin.page(.post, "mapping", .readMappings) { request, context in try await self.mappingDryRunPage(request, context) }
        admin.page(.get, "directory", .readDirectory) { _, context in try await self.directoryPage(context) }
        admin.page(.post, "directory/{idp}/dry-run", .dryRunDirectory) { _, context in
            try await self.directoryDryRunPage(context.parameters.get("idp") ?? "", context)
        }
    }

    /// `/admin/directory`, with one IdP's dry run when `dryRun` holds it.
    func directoryPage(
        _ context: RoleSyncRequestContext,
        dryRun: (idp: String, DirectoryPageModel.DryRun)? = nil,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let time = now()
        let report = try await directories.desk?.overview(at: time) ?? DirectoryReport(directories: [])
        let model = DirectoryPageModel(chrome: try Chrome("Directory", .directory, context, error: error), report: report, dryRun: dryRun, now: time)
        return PageRenderer.page("directory", model, status: status)
    }

    /// `POST /admin/directory/{idp}/dry-run`: the page with that IdP's plan, or with why the
    /// directory could not be read.
    func directoryDryRunPage(_ idp: String, _ context: RoleSyncRequestContext) async throws -> Response {
        do {
            let (outcome, _) = try await directories.dryRun(idp)
            return try await directoryPage(context, dryRun: (idp, DirectoryPageModel.dryRun(outcome)))
        } catch let problem as ProblemError {
            return try await directoryPage(context, error: "Dry run of \(idp): \(problem.detail)", status: problem.status)
        }
    }

    func usersPage(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let parameters = PageInput.filledParameters(request)
        let query = try AdminInput.usersQuery(parameters)
        if let format = try AdminInput.exportFormat(parameters) {
            return Export.users(query, format: format, sync: sync, at: now()).response(context)
        }
        let page = try await sync.users(matching: query)
        let model = UsersPageModel(chrome: try Chrome("Users", .users, context), query: query, page: page, mappings: sync.mappings.current)
        return PageRenderer.listing(request, template: "users", fragment: "users-results", model)
    }

    func userPage(
        _ id: UserID,
        _ request: Request,
        _ context: RoleSyncRequestContext,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    )
        async throws -> Response
    {
        let user = try await requireUser(id)
        let detail = try await sync.detail(of: user, recent: 1)
        let keys = try await keys.keys(of: id)
        let activity = UserPageModel.Activity(
            activeSessions: detail.activity.activeSessions,
            lastRefusal: detail.activity.lastRefusal,
            keys: keys,
            keyRequests: try await self.keys.requests(of: keys)
        )
        let model = UserPageModel(
            chrome: try Chrome(user.name ?? user.displayName, .users, context, notice: Self.notice(request, user), error: error),
            user: user,
            eligibility: detail.eligibility,
            activity: activity,
            audit: nil,
            at: now(),
            overrides: try context.requireIdentity().principal.role == .superAdmin ? sync.overridePolicy.maxDuration : nil
        )
        return PageRenderer.page("user", model, status: status)
    }

    func userActivityPage(_ id: UserID, _ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let user = try await requireUser(id)
        let cursor = try AdminInput.cursor(request.uri.queryParameters.get("cursor"))
        let page = try await sync.auditEvents(matching: AuditQuery(userID: id, limit: 50, cursor: cursor))
        let audit = AuditRowsModel(
            tableID: "activity-table",
            page: page,
            people: try await AuditRowsModel.people(of: page, sync),
            url: PageURL("/admin/users/\(id)/activity", []),
            isFirstPage: cursor == nil
        )
        let model = UserPageModel(
            chrome: try Chrome(user.name ?? user.displayName, .users, context),
            user: user,
            eligibility: sync.eligibility(of: user),
            activity: nil,
            audit: audit,
            at: now()
        )
        return PageRenderer.page("user", model)
    }

    /// The notice a redirect after a change asks for (`?done=…`), from a fixed list.
    static func notice(_ request: Request, _ user: User) -> String? {
        let query = request.uri.queryParameters
        switch query.get("done") {
        case "role": return "Role changed to \(user.role.rawValue)."
        case "deactivated": return "Deactivated: their API keys were revoked and their sessions ended."
        case "reactivated": return "Reactivated: they may sign in again."
        case "override":
            return
                "Break-glass override given: \(user.role.rawValue) until \(user.override.map { PageTime($0.until).text } ?? "?"). It is in the audit log."
        case "override-ended": return "Override ended: the mapped role \(user.role.rawValue) is back."
        case "offboarded":
            let keys = query.get("keys").flatMap { Int($0) } ?? 0
            let sessions = query.get("sessions").flatMap { Int($0) } ?? 0
            return
                "Offboarded: \(keys) API key\(keys == 1 ? "" : "s") revoked, \(sessions) session\(sessions == 1 ? "" : "s") ended, account deactivated."
        default: return nil
        }
    }

    func requireUser(_ id: UserID) async throws -> User {
        let user = try await sync.user(id: id)
        return user
    }

    func editRole(_ id: UserID, _ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        guard let text = form.text("role"), let role = Role(rawValue: text) else {
            return try await userPage(id, request, context, error: "Choose a role from the list.", status: .unprocessableContent)
        }
        do {
            _ = try await sync.update(id, role: role, status: nil, by: caller.principal)
        } catch let error as LedgerError {
            return try await userPage(id, request, context, error: error.description, status: error.httpStatus)
        }
        return PageRenderer.seeOther("/admin/users/\(id)?done=role")
    }

    /// The user page's break-glass form: role, `for` (seconds, from the page's choices), reason.
    func grantOverridePage(_ id: UserID, _ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        guard let text = form.text("role"), let role = Role(rawValue: text) else {
            return try await userPage(id, request, context, error: "Choose the override's role from the list.", status: .unprocessableContent)
        }
        guard let seconds = form.text("for").flatMap(Double.init), seconds > 0 else {
            return try await userPage(id, request, context, error: "Choose how long the override lasts.", status: .unprocessableContent)
        }
        do {
            _ = try await sync.grantOverride(role, of: id, until: .duration(seconds), reason: form.text("reason") ?? "", by: caller.principal)
        } catch let error as LedgerError {
            return try await userPage(id, request, context, error: "Not given: \(error.description)", status: error.httpStatus)
        }
        return PageRenderer.seeOther("/admin/users/\(id)?done=override")
    }

    func endOverridePage(_ id: UserID, _ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        do {
            _ = try await sync.endOverride(of: id, reason: form.text("reason"), by: caller.principal)
        } catch let error as LedgerError {
            return try await userPage(id, request, context, error: "Not ended: \(error.description)", status: error.httpStatus)
        }
        return PageRenderer.seeOther("/admin/users/\(id)?done=override-ended")
    }

    func changeStatus(_ id: UserID, to status: UserStatus, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        do {
            _ = try await sync.update(id, role: nil, status: status, by: caller.principal)
        } catch let error as LedgerError {
            throw PageError(error.httpStatus, title: "Not changed", code: error.code, message: error.description)
        }
        return PageRenderer.seeOther("/admin/users/\(id)?done=\(status == .active ? "reactivated" : "deactivated")")
    }

    func confirmDeactivation(_ id: UserID, _ context: RoleSyncRequestContext) async throws -> Response {
        let user = try await requireUser(id)
        let keys = try await keys.keys(of: id).filter { $0.status(at: now()) == .active }
        let name = user.name ?? user.displayName
        let model = ConfirmModel(
            chrome: try Chrome("Deactivate \(name)?", .users, context),
            confirm: .init(
                lead: "\(name) will be signed out everywhere and cannot sign in until an administrator reactivates them.",
                consequences: [
                    "\(keys.count) active API key\(keys.count == 1 ? "" : "s") revoked first, for good (reactivating does not restore them).",
                    "Every session ended.",
                    "Status set to inactive (reason manual): the identity provider cannot lift it.",
                ],
                action: "/admin/users/\(id)/deactivate",
                askReason: false,
                reasonRequired: false,
                reasonHelp: "",
                reason: "",
                button: "Deactivate",
                cancelHref: "/admin/users/\(id)"
            )
        )
        return PageRenderer.page("confirm", model)
    }

    func confirmOffboarding(_ id: UserID, reason: String, error: String?, _ context: RoleSyncRequestContext) async throws -> Response {
        let user = try await requireUser(id)
        let keys = try await keys.keys(of: id).filter { $0.status(at: now()) == .active }
        let sessions = try await sync.sessionCount(of: id)
        let name = user.name ?? user.displayName
        let model = ConfirmModel(
            chrome: try Chrome("Offboard \(name)?", .users, context, error: error),
            confirm: .init(
                lead: "The leaver flow, in one step that cannot be undone in part:",
                consequences: [
                    "Revoke \(keys.count) active API key\(keys.count == 1 ? "" : "s")"
                        + (keys.isEmpty ? "." : ": " + keys.map { "\($0.name) (\($0.prefix))" }.joined(separator: ", ") + "."),
                    "End \(sessions) session\(sessions == 1 ? "" : "s").",
                    "Deactivate the account (reason manual): only an administrator can reactivate it.",
                ],
                action: "/admin/users/\(id)/offboard",
                askReason: true,
                reasonRequired: true,
                reasonHelp: "Required; it is written to the audit log with each revocation.",
                reason: reason,
                button: "Offboard \(name)",
                cancelHref: "/admin/users/\(id)"
            )
        )
        return PageRenderer.page("confirm", model, status: error == nil ? .ok : .unprocessableContent)
    }

    func offboardPage(_ id: UserID, _ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        guard let reason = form.text("reason") else {
            return try await confirmOffboarding(id, reason: "", error: "Give a reason: it is audited.", context)
        }
        let result: Offboarding
        do {
            result = try await sync.offboard(id, reason: reason, by: caller.principal)
        } catch let error as LedgerError {
            return try await confirmOffboarding(id, reason: reason, error: error.description, context)
        }
        context.logger.notice(
            "user offboarded",
            metadata: ["user_id": "\(id)", "keys_revoked": "\(result.revokedKeys.count)", "actor": "\(caller.principal.actor)"]
        )
        return PageRenderer.seeOther("/admin/users/\(id)?done=offboarded&keys=\(result.revokedKeys.count)&sessions=\(result.sessionsEnded)")
    }

    func auditPage(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let parameters = PageInput.filledParameters(request)
        let filters = AuditFiltersModel(
            q: parameters.get("q") ?? "",
            user: parameters.get("user") ?? "",
            action: parameters.get("action"),
            actor: parameters.get("actor") ?? "",
            since: parameters.get("since") ?? "",
            until: parameters.get("until") ?? ""
        )
        let url = PageURL(
            "/admin/audit",
            [
                ("q", filters.q), ("user", filters.user), ("action", parameters.get("action")), ("actor", filters.actor), ("since", filters.since),
                ("until", filters.until),
            ]
        )
        var query: AuditQuery
        var page = AuditPage(events: [], nextCursor: nil)
        var people: [UserID: AuditPerson] = [:]
        var error: String?
        var status = HTTPResponse.Status.ok
        do {
            query = try await AdminInput.auditQuery(parameters, sync: sync, at: now())
            if !filters.user.isEmpty { query.userID = try await sync.user(reference: filters.user).id }
            if let format = try AdminInput.exportFormat(parameters) {
                return Export.audit(query, format: format, sync: sync, at: now()).response(context)
            }
            page = try await sync.auditEvents(matching: query)
            people = try await AuditRowsModel.people(of: page, sync)
        } catch let input as AdminInputError {
            error = "\(input.field.map { "\($0): " } ?? "")\(input.detail)"
            status = input.status
        } catch let ledger as LedgerError {
            error = ledger.description
            status = ledger.httpStatus
        }
        let model = AuditPageModel(
            chrome: try Chrome("Audit", .audit, context, error: error),
            filters: filters,
            audit: AuditRowsModel(
                tableID: "audit-table",
                page: page,
                people: people,
                url: url,
                isFirstPage: parameters.get("cursor") == nil,
                exports: error == nil ? ExportLinks(url) : nil
            )
        )
        return PageRenderer.page("audit", model, status: status)
    }

    /// The Mapping page's shadow section, when candidates are configured or differences recorded.
    func shadowSection() async throws -> MappingPageModel.Shadow? {
        let page = try await sync.shadowDifferences(matching: ShadowQuery(limit: MappingPageModel.Shadow.shown))
        let candidates = sync.mappings.shadow
        guard candidates?.mappings.isEmpty == false || page.total > 0 else { return nil }
        return MappingPageModel.Shadow(candidates: candidates, page: page)
    }

    func mappingDryRunPage(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let form = try await PageForm(request)
        let candidate = form.value("mapping") ?? ""
        let mappings = sync.mappings.current
        guard !candidate.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            let model = MappingPageModel(chrome: try Chrome("Mapping", .mapping, context, error: "Paste a mapping to try."), mappings: mappings)
            return PageRenderer.page("mapping", model, status: .unprocessableContent)
        }
        guard candidate.utf8.count <= AdminInput.maximumMappingBody else {
            let model = MappingPageModel(
                chrome: try Chrome(
                    "Mapping",
                    .mapping,
                    context,
                    error: "A candidate mapping is at most \(AdminInput.maximumMappingBody / 1024) KiB."
                ),
                mappings: mappings,
                candidate: ""
            )
            return PageRenderer.page("mapping", model, status: .contentTooLarge)
        }
        switch try await sync.candidatePlan(candidate) {
        case .success(let plan):
            let model = MappingPageModel(
                chrome: try Chrome("Mapping", .mapping, context),
                mappings: mappings,
                candidate: candidate,
                plan: plan,
                shadow: try await shadowSection()
            )
            return PageRenderer.page("mapping", model)
        case .failure(let invalid):
            let count = invalid.diagnostics.count
            let first = invalid.diagnostics.first.map { " First, at \($0.location.line):\($0.location.column): \($0.message)" } ?? ""
            let model = MappingPageModel(
                chrome: try Chrome(
                    "Mapping",
                    .mapping,
                    context,
                    error: "The candidate mapping has \(count) error\(count == 1 ? "" : "s"); nothing was evaluated.\(first)"
                ),
                mappings: mappings,
                candidate: candidate,
                problems: invalid.diagnostics
            )
            return PageRenderer.page("mapping", model, status: .unprocessableContent)
        }
    }
}

/// `/admin/audit`'s filters, as typed.
struct AuditFiltersModel: Sendable {
    var q: String
    var user: String
    var actions: [Option]
    var actor: String
    var since: String
    var until: String

    init(q: String, user: String, action: String?, actor: String, since: String, until: String) {
        self.q = q
        self.user = user
        actions = Option.list(AuditAction.allCases.map(\.rawValue), selected: action)
        self.actor = actor
        self.since = since
        self.until = until
    }
}

/// `/admin/audit`.
struct AuditPageModel: Sendable {
    var chrome: Chrome
    var filters: AuditFiltersModel
    var audit: AuditRowsModel
}
