package import Foundation

/// One HTTP request the relying party makes: discovery, JWKS, token and userinfo.
package struct HTTPTransportRequest: Sendable {
    package enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    package var method: Method
    package var url: URL
    package var headers: [(name: String, value: String)]
    package var body: Data?

    package init(method: Method, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of a header, by case-insensitive name.
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// The answer to an ``HTTPTransportRequest``.
package struct HTTPTransportResponse: Sendable {
    package var status: Int
    /// Header names in lower case.
    package var headers: [String: String]
    package var body: Data

    package init(status: Int, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

/// How the relying party talks to a provider. The server uses AsyncHTTPClient
/// (``AsyncHTTPClientTransport``); tests pass a scenario provider instead.
///
/// Implementations follow no redirects, bound the response size, and time out.
package protocol HTTPTransport: Sendable {
    /// Sends a request.
    /// - Throws: when no response arrives (connection, TLS, timeout, size limit). A response with
    ///   any status is returned, not thrown.
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse
}
