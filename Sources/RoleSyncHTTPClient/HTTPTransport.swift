public import Foundation

/// One HTTP request the relying party makes: discovery, JWKS, token and userinfo.
public struct HTTPTransportRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: Data?

    public init(method: Method, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// The answer to an ``HTTPTransportRequest``.
public struct HTTPTransportResponse: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

/// How the relying party talks to a provider. The server uses AsyncHTTPClient
/// (``AsyncHTTPClientTransport``); tests pass a scenario provider instead.
///
/// Implementations follow no redirects, bound the response size, and time out.
public protocol HTTPTransport: Sendable {
    /// Sends a request.
    /// - Throws: when no response arrives (connection, TLS, timeout, size limit). A response with
    ///   any status is returned, not thrown.
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse
}
