import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
@testable import RoleSyncServer
import Testing

/// The request log line: method, path, status and how long the request took.
@Suite("Request log")
struct RequestLogTests {
    @Test("duration_ms counts whole seconds too: a request of over a second logs over 1,000 ms")
    func durationCountsSeconds() async throws {
        var handler = InMemoryLogHandler()
        handler.logLevel = .debug
        let logger = Logger(label: "test", factory: { [handler] _ in handler })
        let router = Router()
        router.add(middleware: RequestLogMiddleware())
        router.get("slow") { _, _ in
            try await Task.sleep(for: .milliseconds(1_100))
            return "done"
        }
        let app = Application(router: router, logger: logger)
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/slow?code=secret", method: .get)
            #expect(response.status == .ok)
        }
        let line = try #require(handler.entries.first { $0.message == "request" }, "\(handler.entries)")
        let milliseconds = try #require(line.metadata["duration_ms"].flatMap { Int("\($0)") }, "\(line)")
        #expect(milliseconds >= 1_100)
        #expect(milliseconds < 60_000)
        #expect(line.metadata["path"] == "/slow", "the query string is never logged")
    }
}
