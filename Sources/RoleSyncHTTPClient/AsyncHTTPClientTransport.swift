package import AsyncHTTPClient
import Foundation
package import NIOCore
import NIOFoundationCompat
import NIOSSL

/// ``HTTPTransport`` over AsyncHTTPClient: no redirects, a response size limit, a timeout per
/// request, and optionally a private CA to trust for one provider.
package struct AsyncHTTPClientTransport: HTTPTransport {
    package let client: HTTPClient
    package var timeout: TimeAmount
    package var maximumResponseSize: Int

    /// - Parameters:
    ///   - client: the client to send with; its owner shuts it down.
    ///   - timeout: per request, connection included.
    ///   - maximumResponseSize: larger bodies fail the request.
    package init(client: HTTPClient, timeout: TimeAmount = .seconds(10), maximumResponseSize: Int = 1 << 20) {
        self.client = client
        self.timeout = timeout
        self.maximumResponseSize = maximumResponseSize
    }

    /// A client that follows no redirects and trusts the system's roots, plus the PEM
    /// certificates in `caFile` when given.
    /// - Throws: when `caFile` cannot be read as PEM certificates.
    package static func makeClient(caFile: String? = nil) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            tls.additionalTrustRoots = [.certificates(certificates)]
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(10))
        )
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    package func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = request.method == .get ? .GET : .POST
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(outgoing, timeout: timeout)
        let body = try await response.body.collect(upTo: maximumResponseSize)
        // A field sent more than once is one comma-separated list (RFC 9110 §5.3): Okta sends
        // `Link: <…>; rel="self"` and `Link: <…>; rel="next"` as two lines. Set-Cookie, which
        // cannot be joined, keeps its first.
        var headers: [String: String] = [:]
        for header in response.headers {
            let name = header.name.lowercased()
            if let earlier = headers[name] {
                if name != "set-cookie" { headers[name] = earlier + ", " + header.value }
            } else {
                headers[name] = header.value
            }
        }
        return HTTPTransportResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
    }
}
