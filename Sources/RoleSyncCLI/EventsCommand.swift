import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncEvents
import RoleSyncHTTPClient
import RoleSyncLedger
import RoleSyncReports
import RoleSyncWebhooks

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Webhook endpoints: secrets, state, messages, a test message, replay, retry and re-enable.",
        discussion: """
            rolesync serve posts each audit event to the endpoints under webhooks: in its \
            configuration, signed as the Standard Webhooks specification says (docs/events.md). \
            These commands read and steer what the ledger keeps of them; serve does the sending.
            """,
        subcommands: [
            EventsSecretCommand.self, EventsListCommand.self, EventsMessagesCommand.self, EventsTestCommand.self,
            EventsReplayCommand.self, EventsRetryCommand.self, EventsEnableCommand.self,
        ]
    )
}

struct EventsSecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Print a new endpoint secret (whsec_ and 32 random bytes in base64), for secret_env and the receiver.",
        discussion: """
            Put it in the variable an endpoint's secret_env names and give the same string to the \
            receiver's Standard Webhooks library. To rotate, set the variable to the new secret, a \
            space, and the old one: each request then carries both signatures until the receiver \
            has the new secret and the old one is removed.
            """
    )

    func run() async throws {
        Output.line(WebhookSecret.generate())
    }
}

/// The ledger's endpoints through the desk; senders only where a command sends (`test`).
private func desk(_ ledger: Ledger, senders: [WebhookSender] = []) -> WebhookDesk {
    WebhookDesk(store: ledger.store, senders: senders)
}

/// Maps the outbox's refusals to one-line errors.
private func refusing<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as WebhookOutboxError {
        throw CLIError(error.description)
    }
}

struct EventsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Each webhook endpoint: its state, its last delivery, and what waits for it."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func run() async throws {
        let ledger = try await store.open()
        let now = Date()
        let statuses = try await desk(ledger).endpoints()
        switch format {
        case .json:
            Output.line(try jsonText(["endpoints": statuses.map { WebhookEndpointReport($0, configured: $0.endpoint.state != .removed, at: now) }]))
        case .human:
            guard !statuses.isEmpty else {
                Output.line("no webhook endpoints in this ledger (rolesync serve adds those under webhooks: in its configuration)")
                return
            }
            for status in statuses {
                let endpoint = status.endpoint
                var line = "\(endpoint.name)  \(endpoint.state.rawValue)  \(endpoint.url)"
                line += "  last delivery: " + (endpoint.lastDeliveredAt.map(Timestamp.format) ?? "never")
                line += "  waiting: \(status.backlog)\(status.backlogCapped ? "+" : "")"
                if let oldest = status.oldestUndelivered { line += " (oldest \(Self.age(now.timeIntervalSince(oldest))) old)" }
                if status.failed > 0 { line += "  failed: \(status.failed)" }
                if endpoint.head.attempts > 0, let next = endpoint.head.nextAttemptAt {
                    line += "  retrying: try \(endpoint.head.attempts + 1) at \(Timestamp.format(next))"
                    if let status = endpoint.head.lastStatus { line += " (last answer \(status))" }
                }
                if endpoint.state == .disabled {
                    line += "  disabled " + (endpoint.disabledAt.map(Timestamp.format) ?? "") + " (\(endpoint.disabledReason ?? "failing"))"
                }
                Output.line(line)
            }
        }
    }

    /// `42s`, `5m`, `3h`, `2d`.
    static func age(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        if s < 120 { return "\(s)s" }
        if s < 7_200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3_600)h" }
        return "\(s / 86_400)d"
    }
}

extension WebhookDesk.MessageState: ExpressibleByArgument {}

struct EventsMessagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages",
        abstract: "Webhook messages, newest event first, with every try: pending, retrying, delivered or failed."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Only this endpoint's messages.")
    var endpoint: String?

    @Option(help: "Only messages in this state: pending, retrying, delivered or failed.")
    var state: WebhookDesk.MessageState?

    @Option(help: ArgumentHelp("Only messages of this audit action, e.g. key.revoked.", valueName: "action"))
    var type: AuditAction?

    @Option(help: "At most this many (1–500, default 50).")
    var limit = 50

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        guard (1...500).contains(limit) else { throw ValidationError("--limit must be between 1 and 500") }
    }

    func run() async throws {
        let ledger = try await store.open()
        let desk = desk(ledger)
        if let endpoint, try await ledger.store.webhookEndpoints().contains(where: { $0.name == endpoint }) == false {
            throw CLIError(WebhookOutboxError.unknownEndpoint(endpoint).description)
        }
        let messages = try await desk.messages(endpoint: endpoint, state: state, type: type, limit: limit)
        switch format {
        case .json:
            Output.line(try jsonText(["messages": messages.map(WebhookMessageReport.init)]))
        case .human:
            for message in messages {
                var line = "\(message.webhookID)  \(message.endpoint)  \(message.event.action.rawValue)  \(message.state.rawValue)"
                if let next = message.nextAttemptAt { line += " (next try \(Timestamp.format(next)))" }
                if message.retryRequested { line += " (retry requested)" }
                Output.line(line)
                for attempt in message.attempts {
                    let answer = attempt.status.map { "\($0)" } ?? "no answer: \(attempt.error ?? "")"
                    let body = attempt.responseStart.isEmpty ? "" : "  \(attempt.responseStart.prefix(80))"
                    Output.line("    \(Timestamp.format(attempt.time))  \(answer)  \(attempt.duration.wholeMilliseconds) ms\(body)")
                }
            }
            Output.line(plural(messages.count, "message"))
        }
    }
}

struct EventsTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a signed ping to an endpoint of the configuration and print its answer.",
        discussion: """
            Reads the endpoint from --config (or ROLESYNC_CONFIG) and its secret from the variable \
            its secret_env names. The ping is signed like every message but carries type "ping" and \
            a webhook-id of its own; nothing is written to the ledger. Exits 1 unless the answer is 2xx.
            """
    )

    @Argument(help: "The endpoint's name under webhooks:.")
    var name: String

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("The serve configuration naming the endpoint (env ROLESYNC_CONFIG).", valueName: "file")
    )
    var config: String?

    func run() async throws {
        guard let path = config ?? ProcessInfo.processInfo.environment["ROLESYNC_CONFIG"] else {
            throw ValidationError("test needs the serve configuration: --config FILE (or env ROLESYNC_CONFIG)")
        }
        let configuration = try ServeConfiguration.load(path: path, requiringSecrets: false)
        guard let settings = configuration.webhooks.first(where: { $0.name == name }) else {
            let names = configuration.webhooks.map(\.name)
            throw CLIError(
                "\(path): no webhook endpoint is named '\(name)'"
                    + (names.isEmpty ? " (there are none)" : " (configured: \(names.joined(separator: ", "))))")
            )
        }
        guard !settings.secrets.isEmpty else {
            throw CLIError("\(path): webhooks '\(name)': the environment variable \(settings.secretEnv) is not set; the ping must be signed")
        }
        let clients = HTTPClients()
        let result: WebhookSender.Result
        do {
            let client = try clients.make(caFile: settings.caFile)
            result = await WebhookSender(settings: settings, transport: AsyncHTTPClientTransport(client: client, timeout: .seconds(10))).ping(
                at: Date()
            )
        } catch {
            await clients.shutdown()
            throw CLIError("\(settings.caFile ?? "ca_file"): not a PEM certificate file (\(error))")
        }
        await clients.shutdown()
        let attempt = result.attempt
        let duration = "\(attempt.duration.wholeMilliseconds) ms"
        guard let status = attempt.status else {
            throw CLIError("\(name): \(settings.url.absoluteString) gave no answer after \(duration): \(attempt.error ?? "unknown error")")
        }
        let body = attempt.responseStart.isEmpty ? "" : ": \(attempt.responseStart)"
        guard case .delivered = result.outcome else {
            throw CLIError("\(name): \(settings.url.absoluteString) answered \(status) in \(duration)\(body)")
        }
        Output.line("\(name): \(settings.url.absoluteString) answered \(status) in \(duration)\(body)")
    }
}

struct EventsReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send an endpoint's messages again, from the first event at or after a time (audited).",
        discussion: """
            The endpoint's cursor goes back; rolesync serve then sends every event it receives from \
            there on, in order, with the same webhook-ids as before (receivers deduplicate on them).
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "The endpoint's name.")
    var endpoint: String

    @Option(help: "From this date or date-time (2026-11-27 or 2026-11-27T08:00:00Z).")
    var since: String

    func validate() throws { _ = try parseDate(since, option: "--since") }

    func run() async throws {
        let ledger = try await store.open()
        let from = try parseDate(since, option: "--since")
        let replayed = try await refusing { try await desk(ledger).replay(endpoint: endpoint, since: from, actor: .cli, at: Date()) }
        Output.line("\(endpoint): messages from \(Timestamp.format(from)) on will be sent again (cursor after event \(replayed.cursor.eventID))")
    }
}

struct EventsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Try a failed message once more, out of order (audited).",
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "The endpoint's name.")
    var endpoint: String

    @Option(help: ArgumentHelp("The failed message's audit event id (msg_ID).", valueName: "id"))
    var event: Int64

    func run() async throws {
        let ledger = try await store.open()
        _ = try await refusing { try await desk(ledger).retry(endpoint: endpoint, eventID: event, actor: .cli, at: Date()) }
        Output.line("\(endpoint): msg_\(event) will be tried once more by rolesync serve")
    }
}

struct EventsEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Re-enable a disabled endpoint (audited); its waiting messages are then sent, from where it stopped."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The endpoint's name.")
    var name: String

    func run() async throws {
        let ledger = try await store.open()
        let enabled = try await refusing { try await desk(ledger).enable(endpoint: name, actor: .cli, at: Date()) }
        Output.line("\(name): enabled; messages after event \(enabled.cursor.eventID) will be sent")
    }
}
