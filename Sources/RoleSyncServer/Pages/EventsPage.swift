import Foundation
import RoleSyncLedger
import RoleSyncReports
import RoleSyncWebhooks

/// `/admin/events`: each webhook endpoint with its state, last delivery, oldest undelivered message
/// and what failed; the messages with every try; and, for a `super_admin`, the acts: retry now,
/// replay since, re-enable, send a test ping (issue 26).
struct EventsPageModel: Sendable {
    struct Fact: Sendable {
        var label: String
        var value: String
    }

    struct Endpoint: Sendable {
        var name: String
        var anchor: String
        var url: String
        var state: String
        var stateClass: String
        var facts: [Fact]
        var disabled: Bool
        var configured: Bool
        var replayAction: String
        var enableAction: String
        var testAction: String
        var replaySince: String
    }

    struct Try: Sendable {
        var time: PageTime
        var answer: String
        var answerClass: String
        var duration: String
        var responseStart: String
    }

    struct Row: Sendable {
        var webhookID: String
        var endpoint: String
        var type: String
        var eventHref: String
        var state: String
        var stateClass: String
        var note: String?
        var tries: [Try]
        var retryAction: String?
    }

    var chrome: Chrome
    var endpoints: [Endpoint]
    /// Stored, not computed: the templates read a model through `Mirror` (stored properties only).
    var hasEndpoints: Bool
    var canManage: Bool
    var endpointOptions: [Option]
    var stateOptions: [Option]
    var typeOptions: [Option]
    var rows: [Row]
    var limit: Int

    init(
        chrome: Chrome,
        statuses: [WebhookDesk.Status],
        configured: Set<String>,
        messages: [WebhookDesk.Message],
        filter: (endpoint: String?, state: WebhookDesk.MessageState?, type: AuditAction?),
        limit: Int,
        canManage: Bool,
        now: Date
    ) {
        self.chrome = chrome
        self.canManage = canManage
        self.limit = limit
        endpoints = statuses.map { Self.endpoint($0, configured: configured.contains($0.endpoint.name), now: now) }
        hasEndpoints = !endpoints.isEmpty
        endpointOptions = statuses.map { Option(value: $0.endpoint.name, label: $0.endpoint.name, selected: $0.endpoint.name == filter.endpoint) }
        stateOptions = WebhookDesk.MessageState.allCases.map { Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == filter.state) }
        typeOptions = AuditAction.allCases.map { Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == filter.type) }
        rows = messages.map { message in
            Row(
                webhookID: message.webhookID,
                endpoint: message.endpoint,
                type: message.event.action.rawValue,
                eventHref: "/admin/audit?action=\(message.event.action.rawValue)",
                state: message.state.rawValue,
                stateClass: Self.stateClass(message.state),
                note: message.retryRequested
                    ? "retry asked for" : message.nextAttemptAt.map { "next try \(DirectoryPageModel.relative($0, now))" },
                tries: message.attempts.map { attempt in
                    Try(
                        time: PageTime(attempt.time),
                        answer: attempt.status.map(String.init) ?? "no answer",
                        answerClass: (200..<300).contains(attempt.status ?? 0) ? "status status-active" : "status status-revoked",
                        duration: "\(attempt.duration.wholeMilliseconds) ms",
                        responseStart: attempt.error ?? String(attempt.responseStart.prefix(120))
                    )
                },
                retryAction: canManage && message.state == .failed && !message.retryRequested
                    ? "/admin/events/\(Self.escaped(message.endpoint))/messages/\(message.event.id ?? 0)/retry" : nil
            )
        }
    }

    static func endpoint(_ status: WebhookDesk.Status, configured: Bool, now: Date) -> Endpoint {
        let endpoint = status.endpoint
        var facts: [Fact] = [
            Fact(
                label: "Receives",
                value: endpoint.actions.count == AuditAction.allCases.count
                    ? "every event" : endpoint.actions.map(\.rawValue).sorted().joined(separator: ", ")
            ),
            Fact(
                label: "Last delivery",
                value: endpoint.lastDeliveredAt.map { "\(PageTime($0).text) (\(DirectoryPageModel.relative($0, now)))" } ?? "never"
            ),
            Fact(
                label: "Waiting",
                value: status.backlog == 0
                    ? "nothing"
                    : "\(status.backlog)\(status.backlogCapped ? "+" : "") message\(status.backlog == 1 ? "" : "s")"
                        + (status.oldestUndelivered.map { ", the oldest from \(DirectoryPageModel.relative($0, now))" } ?? "")
            ),
        ]
        if endpoint.head.attempts > 0, let next = endpoint.head.nextAttemptAt {
            facts.append(
                Fact(
                    label: "Retrying",
                    value:
                        "try \(endpoint.head.attempts + 1) \(DirectoryPageModel.relative(next, now)) (last answer: \(endpoint.head.lastStatus.map(String.init) ?? "no answer"))"
                )
            )
        }
        if let since = endpoint.failingSince {
            facts.append(Fact(label: "Failing since", value: "\(PageTime(since).text) (\(DirectoryPageModel.relative(since, now)))"))
        }
        if status.failed > 0 { facts.append(Fact(label: "Failed messages", value: "\(status.failed) kept (retry each, or replay)")) }
        if endpoint.state == .disabled {
            let why = endpoint.disabledReason == "gone" ? "it answered 410 Gone" : "it failed for longer than its disable_after"
            facts.append(Fact(label: "Disabled", value: (endpoint.disabledAt.map { "\(PageTime($0).text), " } ?? "") + "because \(why)"))
        }
        if !configured, endpoint.state != .removed {
            facts.append(Fact(label: "Note", value: "not in this server's configuration: another replica or an older configuration named it"))
        }
        let name = escaped(endpoint.name)
        return Endpoint(
            name: endpoint.name,
            anchor: "endpoint-\(endpoint.name)",
            url: endpoint.url,
            state: endpoint.state.rawValue,
            stateClass: Self.stateClass(endpoint.state),
            facts: facts,
            disabled: endpoint.state == .disabled,
            configured: configured,
            replayAction: "/admin/events/\(name)/replay",
            enableAction: "/admin/events/\(name)/enable",
            testAction: "/admin/events/\(name)/test",
            replaySince: Timestamp.format(now.addingTimeInterval(-3_600))
        )
    }

    static func stateClass(_ state: WebhookDesk.MessageState) -> String {
        switch state {
        case .delivered: "status status-active"
        case .pending: "status status-inactive"
        case .retrying: "status status-stale"
        case .failed: "status status-revoked"
        }
    }

    static func stateClass(_ state: WebhookEndpointState) -> String {
        switch state {
        case .healthy: "status status-active"
        case .retrying: "status status-stale"
        case .disabled: "status status-revoked"
        case .removed: "status status-inactive"
        }
    }

    /// A name in a path (names are letters, digits, `-`, `_` and `.`, so this changes nothing today).
    static func escaped(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
    }
}
