import Foundation
import Hummingbird
import NIOCore
import RoleSyncHTTPClient
import RoleSyncOIDC
import RoleSyncTestSupport

/// The scenario provider served over HTTP on 127.0.0.1 by Hummingbird, so the relying party talks
/// to it through AsyncHTTPClient exactly as it would to a real provider.
final class LoopbackProvider: Sendable {
    let scenario: ScenarioProvider
    let issuer: String
    private let task: Task<Void, any Error>

    private init(scenario: ScenarioProvider, issuer: String, task: Task<Void, any Error>) {
        self.scenario = scenario
        self.issuer = issuer
        self.task = task
    }

    /// Starts a provider on a free port.
    static func start(keys: [String]) async throws -> LoopbackProvider {
        let scenario = ScenarioProvider(issuer: "http://127.0.0.1:0", keys: keys)
        let router = Router()
        let forward: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let issuer = scenario.with { $0.issuer }
            let url = URL(string: issuer + request.uri.description)!
            let forwarded = HTTPTransportRequest(
                method: request.method == .post ? .post : .get,
                url: url,
                headers: request.headers.map { ($0.name.rawName, $0.value) },
                body: Data(buffer: body)
            )
            let (status, text) = scenario.answer(forwarded)
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        router.get("**", use: forward)
        router.post("**", use: forward)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }
        )
        let task = Task { try await app.run() }
        var port = 0
        for await value in ports { port = value }
        let issuer = "http://127.0.0.1:\(port)"
        scenario.move(to: issuer)
        return LoopbackProvider(scenario: scenario, issuer: issuer, task: task)
    }

    func stop() {
        task.cancel()
    }
}
