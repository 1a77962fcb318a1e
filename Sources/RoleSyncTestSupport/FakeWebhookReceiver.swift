import Foundation
package import RoleSyncHTTPClient
import Synchronization

/// A webhook receiver in memory for unit tests (the integration tests use the real reference
/// library, `scripts/peers/webhook-receiver`): it records every request and answers each with the
/// next scripted status, then `2xx`; a scripted `nil` is no answer (the transport throws).
package final class FakeWebhookReceiver: HTTPTransport, Sendable {
    private struct State {
        var script: [Int?] = []
        var requests: [HTTPTransportRequest] = []
    }

    private let state = Mutex(State())
    /// What it answers when the script is used up.
    package let status: Int

    package init(status: Int = 204) {
        self.status = status
    }

    /// The answers to the next requests, in order.
    package func script(_ answers: [Int?]) {
        state.withLock { $0.script = answers }
    }

    /// Every request so far.
    package var requests: [HTTPTransportRequest] { state.withLock { $0.requests } }

    /// The `webhook-id` of every request so far, in order.
    package var webhookIDs: [String] { requests.compactMap { $0.header("webhook-id") } }

    package struct Unreachable: Error, CustomStringConvertible {
        package var description: String { "connection refused (a scripted failure)" }
    }

    package func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        let answer: Int? = state.withLock { state in
            state.requests.append(request)
            return state.script.isEmpty ? status : state.script.removeFirst()
        }
        guard let answer else { throw Unreachable() }
        return HTTPTransportResponse(status: answer, body: Data(#"{"answer":\#(answer)}"#.utf8))
    }
}
