package import Foundation
package import RoleSyncConfig
import RoleSyncEvents
package import RoleSyncHTTPClient
package import RoleSyncLedger

/// Sends one message to one endpoint as the Standard Webhooks specification says: `POST` with
/// `webhook-id`, `webhook-timestamp` and `webhook-signature` (one `v1,` signature per secret), and
/// says what the answer means. It never throws: no answer is an outcome too.
package struct WebhookSender: Sendable {
    package let settings: WebhookSettings
    let transport: any HTTPTransport
    let clock: @Sendable () -> Date

    package init(settings: WebhookSettings, transport: any HTTPTransport, clock: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.transport = transport
        self.clock = clock
    }

    /// What a try came to: its record for the Events page and its outcome.
    package struct Result: Sendable {
        package var attempt: WebhookAttempt
        package var outcome: WebhookRetryPolicy.Outcome
    }

    /// Sends the audit event `event` (its `webhook-id` is `msg_<event id>`, the same on every try and
    /// for every endpoint).
    package func send(_ event: AuditEvent) async -> Result {
        let id = event.id ?? 0
        let body: Data
        do {
            body = try WebhookEnvelope(event).body()
        } catch {
            return failed(eventID: id, started: clock(), error: "the body could not be written: \(error)")
        }
        return await post(webhookID: "msg_\(id)", eventID: id, body: body)
    }

    /// Sends a `ping` (`rolesync events test`): a body of type `ping`, its own `webhook-id`.
    package func ping(at time: Date) async -> Result {
        let body: Data
        do {
            body = try WebhookPing(endpoint: settings.name, time: time).body()
        } catch {
            return failed(eventID: 0, started: clock(), error: "the body could not be written: \(error)")
        }
        return await post(webhookID: "ping_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""), eventID: 0, body: body)
    }

    func post(webhookID: String, eventID: Int64, body: Data) async -> Result {
        let started = clock()
        var headers = WebhookSignature.headers(id: webhookID, timestamp: started, body: body, secrets: settings.secrets).map {
            (name: $0.0, value: $0.1)
        }
        headers.append((name: "content-type", value: "application/json"))
        headers.append((name: "user-agent", value: "RoleSync-Webhooks/1"))
        let begin = ContinuousClock.now
        do {
            let response = try await transport.send(HTTPTransportRequest(method: .post, url: settings.url, headers: headers, body: body))
            let attempt = WebhookAttempt(
                endpoint: settings.name,
                eventID: eventID,
                time: started,
                status: response.status,
                duration: ContinuousClock.now - begin,
                responseStart: WebhookAttempt.start(of: response.body),
                error: nil
            )
            return Result(attempt: attempt, outcome: WebhookRetryPolicy.Outcome(status: response.status))
        } catch {
            var result = failed(eventID: eventID, started: started, error: Self.describe(error))
            result.attempt.duration = ContinuousClock.now - begin
            return result
        }
    }

    func failed(eventID: Int64, started: Date, error: String) -> Result {
        Result(
            attempt: WebhookAttempt(
                endpoint: settings.name,
                eventID: eventID,
                time: started,
                status: nil,
                duration: .zero,
                responseStart: "",
                error: error
            ),
            outcome: .failed(status: nil)
        )
    }

    /// Why no answer came, in a line (at most 200 characters): a timeout, a refused connection, TLS.
    static func describe(_ error: any Error) -> String {
        String(String(describing: error).replacingOccurrences(of: "\n", with: " ").prefix(200))
    }
}
