import Foundation
import Hummingbird
import RoleSyncLedger
import RoleSyncReports
import RoleSyncWebhooks

/// The Events page (`/admin/events`, issue 26): reading needs `webhooks:read`; the acts (re-enable,
/// replay since, retry now, a test ping) need `webhooks:manage`, and each but the ping is audited
/// by the ledger. An act answers with a redirect to the page and a notice, so a reload repeats
/// nothing.
struct EventsPageController: Sendable {
    let desk: WebhookDesk?
    let now: @Sendable () -> Date

    /// Messages shown per kind.
    static let limit = 100

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.page(.get, "events", .readWebhooks) { request, context in try await self.page(request, context) }
        admin.page(.post, "events/{name}/replay", .manageWebhooks) { request, context in
            let name = context.parameters.get("name") ?? ""
            let form = try await PageForm(request)
            guard let text = form.text("since"), let since = Timestamp.parse(text) else {
                return try await self.page(
                    request,
                    context,
                    error: "Replay of \(name): give the time to replay from as \(Timestamp.grammar).",
                    status: .unprocessableContent
                )
            }
            let caller = try context.requireIdentity()
            return try await self.acting(name, request, context) {
                _ = try await $0.replay(endpoint: name, since: since, actor: caller.principal.actor, at: self.now())
                return "replayed"
            }
        }
        admin.page(.post, "events/{name}/enable", .manageWebhooks) { request, context in
            let name = context.parameters.get("name") ?? ""
            let caller = try context.requireIdentity()
            return try await self.acting(name, request, context) {
                _ = try await $0.enable(endpoint: name, actor: caller.principal.actor, at: self.now())
                return "enabled"
            }
        }
        admin.page(.post, "events/{name}/messages/{event_id}/retry", .manageWebhooks) { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let eventID = context.parameters.get("event_id").flatMap({ Int64($0) }) else {
                return try await self.page(request, context, error: "No such message.", status: .notFound)
            }
            let caller = try context.requireIdentity()
            return try await self.acting(name, request, context) {
                _ = try await $0.retry(endpoint: name, eventID: eventID, actor: caller.principal.actor, at: self.now())
                return "retry"
            }
        }
        admin.page(.post, "events/{name}/test", .manageWebhooks) { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let desk, let result = await desk.ping(endpoint: name, at: self.now()) else {
                return try await self.page(
                    request,
                    context,
                    error: "No webhook endpoint named '\(name)' is configured on this server.",
                    status: .notFound
                )
            }
            let attempt = result.attempt
            let answer = attempt.status.map { "answered \($0)" } ?? "gave no answer (\(attempt.error ?? "unknown error"))"
            let text =
                "Test ping to \(name): \(answer) in \(attempt.duration.wholeMilliseconds) ms"
                + (attempt.responseStart.isEmpty ? "." : ": \(attempt.responseStart.prefix(120))")
            if case .delivered = result.outcome { return try await self.page(request, context, notice: text) }
            return try await self.page(request, context, error: text, status: .badGateway)
        }
    }

    /// Runs an act; a refusal re-renders the page with why.
    func acting(
        _ name: String,
        _ request: Request,
        _ context: RoleSyncRequestContext,
        _ body: (WebhookDesk) async throws -> String
    ) async throws -> Response {
        guard let desk else { return try await page(request, context, error: "No webhook endpoints.", status: .notFound) }
        do {
            let done = try await body(desk)
            let endpoint = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return PageRenderer.seeOther("/admin/events?done=\(done)&endpoint=\(endpoint)")
        } catch let error as WebhookOutboxError {
            let status: HTTPResponse.Status =
                switch error {
                case .unknownEndpoint, .unknownFailure: .notFound
                case .notDisabled, .removed: .conflict
                }
            return try await page(
                request,
                context,
                error: "\(error.description.prefix(1).uppercased())\(error.description.dropFirst()).",
                status: status
            )
        }
    }

    func page(
        _ request: Request,
        _ context: RoleSyncRequestContext,
        notice: String? = nil,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let parameters = PageInput.filledParameters(request)
        let caller = try context.requireIdentity()
        let statuses = try await desk?.endpoints() ?? []
        let names = Set(statuses.map(\.endpoint.name))
        var problems: [String] = error.map { [$0] } ?? []
        var endpoint = request.method == .get ? parameters.get("endpoint") : nil
        if let name = endpoint, !names.contains(name) {
            problems.append("No webhook endpoint is named '\(name)'.")
            endpoint = nil
        }
        var state: WebhookDesk.MessageState?
        if let text = parameters.get("state") {
            state = WebhookDesk.MessageState(rawValue: text)
            if state == nil { problems.append("'\(text)' is not a message state.") }
        }
        var type: AuditAction?
        if let text = parameters.get("type") {
            type = AuditAction(rawValue: text)
            if type == nil { problems.append("'\(text)' is not an audit action.") }
        }
        let messages = try await desk?.messages(endpoint: endpoint, state: state, type: type, limit: Self.limit) ?? []
        let configured = Set(statuses.map(\.endpoint.name).filter { desk?.isConfigured($0) ?? false })
        let model = EventsPageModel(
            chrome: try Chrome(
                "Events",
                .events,
                context,
                notice: notice ?? Self.notice(parameters.get("done"), endpoint: parameters.get("endpoint")),
                error: problems.isEmpty ? nil : problems.joined(separator: " ")
            ),
            statuses: statuses,
            configured: configured,
            messages: messages,
            filter: (endpoint, state, type),
            limit: Self.limit,
            canManage: caller.permissions.contains(.manageWebhooks),
            now: now()
        )
        return PageRenderer.page("events", model, status: status)
    }

    /// What an act that redirected here did.
    static func notice(_ done: String?, endpoint: String?) -> String? {
        let name = endpoint ?? "the endpoint"
        switch done {
        case "replayed": return "\(name): its messages from that time on will be sent again, in order (audited)."
        case "enabled": return "\(name) is enabled again; its waiting messages are being sent (audited)."
        case "retry": return "\(name): the failed message will be tried once more (audited)."
        default: return nil
        }
    }
}
