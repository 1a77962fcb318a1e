import Foundation
import Hummingbird
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncReports
import RoleSyncWebhooks

/// The webhook endpoints on the admin API (issue 26): each endpoint's state and backlog
/// (`GET /api/admin/webhooks`), the messages with every try (`GET /api/admin/webhooks/messages`),
/// and the operator's acts, each audited by the ledger: replay since a time, re-enable, retry a
/// failed message; and a signed test `ping`.
struct WebhooksController: Sendable {
    let desk: WebhookDesk?
    let now: @Sendable () -> Date

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.on(.webhooks) { _, _ in JSONBody(try await overview()) }
        admin.on(.webhookMessages) { request, _ in
            let query = request.uri.queryParameters
            let state = try AdminInput.enumParameter(query["state"].map(String.init), "state", WebhookDesk.MessageState.self)
            let type = try AdminInput.enumParameter(query["type"].map(String.init), "type", AuditAction.self)
            let limit = try AdminInput.limit(query["limit"].map(String.init))
            let endpoint = query["endpoint"].map(String.init)
            if let endpoint { _ = try await known(endpoint, field: "endpoint") }
            let messages = try await desk?.messages(endpoint: endpoint, state: state, type: type, limit: limit) ?? []
            return JSONBody(["messages": messages.map(WebhookMessageReport.init)])
        }
        admin.on(.webhookReplay) { request, context in
            let name = context.parameters.get("name") ?? ""
            // The endpoint first: a name that is not one answers 404 whatever the body says.
            _ = try await known(name, field: "name")
            let members = try await AdminInput.jsonObject(request, allowed: ["since"], what: "'since'")
            guard case .string(let text)? = members["since"], let since = Timestamp.parse(text) else {
                throw AdminInputError.unprocessable("since", "'since' is \(Timestamp.grammar)")
            }
            let caller = try context.requireIdentity()
            _ = try await acting { try await desk?.replay(endpoint: name, since: since, actor: caller.principal.actor, at: now()) }
            context.logger.notice(
                "webhook endpoint replayed",
                metadata: ["endpoint": "\(name)", "since": "\(text)", "actor": "\(caller.principal.actor)"]
            )
            return JSONBody(try await known(name, field: "name"))
        }
        admin.on(.webhookEnable) { _, context in
            let name = context.parameters.get("name") ?? ""
            let caller = try context.requireIdentity()
            _ = try await acting { try await desk?.enable(endpoint: name, actor: caller.principal.actor, at: now()) }
            context.logger.notice("webhook endpoint re-enabled", metadata: ["endpoint": "\(name)", "actor": "\(caller.principal.actor)"])
            return JSONBody(try await known(name, field: "name"))
        }
        admin.on(.webhookRetry) { _, context in
            let name = context.parameters.get("name") ?? ""
            guard let text = context.parameters.get("event_id"), let eventID = Int64(text), eventID > 0 else {
                throw AdminInputError.badRequest("event_id", "'event_id' is a failed message's audit event id")
            }
            let caller = try context.requireIdentity()
            let failure = try await acting { try await desk?.retry(endpoint: name, eventID: eventID, actor: caller.principal.actor, at: now()) }
            context.logger.notice(
                "webhook message retry requested",
                metadata: ["endpoint": "\(name)", "event_id": "\(eventID)", "actor": "\(caller.principal.actor)"]
            )
            return EditedResponse(status: .accepted, response: JSONBody(RetryReport(failure: failure)))
        }
        admin.on(.webhookTest) { _, context in
            let name = context.parameters.get("name") ?? ""
            guard let desk, desk.isConfigured(name), let result = await desk.ping(endpoint: name, at: now()) else {
                throw Self.notFound(name, field: "name")
            }
            return JSONBody(TestReport(result))
        }
    }

    func overview() async throws -> [String: [WebhookEndpointReport]] {
        let time = now()
        let statuses = try await desk?.endpoints() ?? []
        return ["endpoints": statuses.map { WebhookEndpointReport($0, configured: desk?.isConfigured($0.endpoint.name) ?? false, at: time) }]
    }

    /// The endpoint's report. - Throws: 404 naming `field` when the ledger has no such endpoint.
    func known(_ name: String, field: String) async throws -> WebhookEndpointReport {
        let time = now()
        guard let status = try await desk?.endpoints().first(where: { $0.endpoint.name == name }) else { throw Self.notFound(name, field: field) }
        return WebhookEndpointReport(status, configured: desk?.isConfigured(name) ?? false, at: time)
    }

    static func notFound(_ name: String, field: String) -> ProblemError {
        ProblemError(
            .notFound,
            title: "No such webhook endpoint",
            code: "webhook_not_found",
            detail: "no webhook endpoint is named '\(name)'",
            field: field
        )
    }

    /// Runs an operator's act, its refusals as problems: 404 for what does not exist, 409 for an
    /// endpoint in the wrong state.
    func acting<T>(_ body: () async throws -> T?) async throws -> T {
        do {
            guard let value = try await body() else { throw Self.notFound("", field: "name") }
            return value
        } catch let error as WebhookOutboxError {
            switch error {
            case .unknownEndpoint(let name): throw Self.notFound(name, field: "name")
            case .unknownFailure:
                throw ProblemError(
                    .notFound,
                    title: "No such failed message",
                    code: "webhook_failure_not_found",
                    detail: error.description,
                    field: "event_id"
                )
            case .notDisabled, .removed:
                throw ProblemError(.conflict, title: "Not possible in this state", code: "webhook_state", detail: error.description, field: "name")
            }
        }
    }

    struct RetryReport: Encodable {
        let failure: WebhookFailure
        enum CodingKeys: String, CodingKey {
            case endpoint
            case eventID = "event_id"
            case webhookID = "webhook_id"
            case retryRequested = "retry_requested"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(failure.endpoint, forKey: .endpoint)
            try c.encode(failure.eventID, forKey: .eventID)
            try c.encode("msg_\(failure.eventID)", forKey: .webhookID)
            try c.encode(failure.retryRequested, forKey: .retryRequested)
        }
    }

    /// A test ping's answer: the status (or why none came), how long it took, the answer's start.
    struct TestReport: Encodable {
        let result: WebhookSender.Result
        init(_ result: WebhookSender.Result) { self.result = result }
        enum CodingKeys: String, CodingKey {
            case delivered, status, error
            case durationMS = "duration_ms"
            case responseStart = "response_start"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            if case .delivered = result.outcome { try c.encode(true, forKey: .delivered) } else { try c.encode(false, forKey: .delivered) }
            try c.encode(result.attempt.status, forKey: .status)
            try c.encode(result.attempt.duration.wholeMilliseconds, forKey: .durationMS)
            try c.encode(result.attempt.responseStart, forKey: .responseStart)
            try c.encode(result.attempt.error, forKey: .error)
        }
    }
}
