package import AsyncHTTPClient
import Synchronization

/// The HTTP clients one process makes (one per IdP, one per directory), shut down together and
/// once: on the way out of `serve`, after a `reconcile` run, or when start-up fails half-way.
package final class HTTPClients: Sendable {
    private let clients = Mutex<[HTTPClient]>([])

    package init() {}

    /// A new client trusting the system's CAs and, when given, the CA certificates in `caFile`.
    /// - Throws: when `caFile` is not a PEM certificate file.
    package func make(caFile: String? = nil) throws -> HTTPClient {
        let client = try AsyncHTTPClientTransport.makeClient(caFile: caFile)
        clients.withLock { $0.append(client) }
        return client
    }

    /// Shuts every client made so far down; later calls find none left.
    package func shutdown() async {
        for client in taken() { try? await client.shutdown() }
    }

    private func taken() -> [HTTPClient] {
        clients.withLock { made in
            defer { made.removeAll() }
            return made
        }
    }
}
