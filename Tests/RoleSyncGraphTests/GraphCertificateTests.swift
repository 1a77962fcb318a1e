import Foundation
import Logging
import RoleSyncGraph
import RoleSyncHTTPClient
import RoleSyncJSON
import RoleSyncTestSupport
import Testing
import _CryptoExtras

extension GraphDirectoryTests {
    /// A directory that signs in with a certificate credential.
    func certified(_ graph: FakeGraph, der: Data, key: _RSA.Signing.PrivateKey) -> GraphDirectory {
        GraphDirectory(
            root: URL(string: "https://graph.microsoft.com")!,
            tokenURL: URL(string: "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token")!,
            clientID: "rolesync-app",
            credential: .certificate(der: der, privateKey: key.pkcs8PEMRepresentation),
            transport: graph,
            pageSize: 2,
            attempts: 3,
            logger: Logger(label: "test"),
            sleep: { _ in }
        )
    }

    @Test("A certificate credential: a PS256 client assertion naming the certificate's x5t#S256, the token endpoint and the app; no secret sent")
    func certificate() async throws {
        let graph = tenant()
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let der = Data((0..<600).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        graph.with { $0.certificate = (der, key.publicKey) }
        let snapshot = try await certified(graph, der: der, key: key).snapshot()
        #expect(snapshot.users.count == 4)
        let (header, claims) = try #require(graph.with { $0.assertions.first })
        #expect(header["alg"] == "PS256" && header["typ"] == "JWT" && header["x5t#S256"]?.stringValue == SignedAssertion.thumbprintSHA256(der))
        #expect(claims["aud"] == "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token")
        #expect(claims["iss"] == "rolesync-app" && claims["sub"] == "rolesync-app" && claims["jti"]?.stringValue?.count == 36)
        if case .number(let exp)? = claims["exp"], case .number(let nbf)? = claims["nbf"] {
            #expect(exp - nbf == 600)
        } else {
            Issue.record("no exp or nbf")
        }
    }

    @Test("A certificate the app does not hold: Entra's AADSTS700027 and what to check, never the key")
    func unknownCertificate() async throws {
        let graph = tenant()
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        graph.with { $0.certificate = (Data("registered".utf8), key.publicKey) }
        do {
            _ = try await certified(graph, der: Data("another certificate".utf8), key: key).snapshot()
            Issue.record("the token endpoint should refuse")
        } catch {
            let text = "\(error)"
            #expect(
                text.contains("HTTP 401: invalid_client: AADSTS700027") && text.contains("the certificate uploaded to the app registration"),
                "\(text)"
            )
            #expect(!text.contains("PRIVATE KEY"))
        }
    }
}
