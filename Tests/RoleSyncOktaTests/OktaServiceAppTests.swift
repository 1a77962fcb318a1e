import Foundation
import Logging
import RoleSyncHTTPClient
import RoleSyncOkta
import RoleSyncTestSupport
import Testing
import _CryptoExtras

/// An Okta API service app instead of an API token: the client credentials grant with a
/// `private_key_jwt` assertion, and DPoP when the app requires it (Okta's default for new apps).
@Suite("Okta directory: a service app's OAuth 2.0 sign-in")
struct OktaServiceAppTests {
    let key: _RSA.Signing.PrivateKey
    let okta: FakeOkta

    init() throws {
        key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        okta = FakeOkta(serviceApp: .init(clientID: "0oa-rolesync", publicKey: key.publicKey))
        okta.with { state in
            state.users = [.init(id: "00u1", login: "ada@example.com"), .init(id: "00u2", login: "bob@example.com", status: "SUSPENDED")]
            state.groups = [.init(id: "00g1", name: "admins", members: ["00u1"])]
        }
    }

    func directory(privateKey: String? = nil, keyID: String? = "rolesync-1") -> OktaDirectory {
        OktaDirectory(
            orgURL: URL(string: "https://example.okta.com")!,
            credential: .privateKey(clientID: "0oa-rolesync", privateKey: privateKey ?? key.pkcs8PEMRepresentation, keyID: keyID),
            transport: okta,
            pageSize: 1,
            logger: Logger(label: "test"),
            sleep: { _ in }
        )
    }

    @Test("One token for the whole listing, sent as Bearer; the assertion names the org's token endpoint")
    func bearer() async throws {
        let snapshot = try await directory().snapshot()
        #expect(snapshot.users.map(\.id) == ["00u1", "00u2"] && snapshot.users[0].groups == ["admins"])
        let requests = okta.with { $0.requests }
        #expect(requests.filter { $0.line.hasPrefix("POST /oauth2/v1/token") }.count == 1)
        let api = requests.filter { $0.line.hasPrefix("GET ") }
        #expect(!api.isEmpty && api.allSatisfy { $0.authorization == "Bearer okta-oauth-token-1" }, "\(api)")
    }

    @Test("An app that requires DPoP: the proof added, Okta's nonce carried, every API request proved with the bound key")
    func dpop() async throws {
        okta.with {
            $0.requireDPoP = true
            $0.dpopNonce = "nonce-from-okta"
        }
        let directory = directory(keyID: nil)
        let snapshot = try await directory.snapshot()
        #expect(snapshot.users.count == 2)
        let requests = okta.with { $0.requests }
        // No proof, refused; a proof without the nonce, refused with one; then the token.
        #expect(requests.filter { $0.line.hasPrefix("POST /oauth2/v1/token") }.count == 3)
        let api = requests.filter { $0.line.hasPrefix("GET ") }
        #expect(!api.isEmpty && api.allSatisfy { $0.authorization == "DPoP okta-oauth-token-1" }, "\(api)")
        #expect(directory.meter.requests == requests.count)
    }

    @Test("A key the app does not hold: the token endpoint's refusal and what to check, never the key")
    func wrongKey() async throws {
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048).pkcs8PEMRepresentation
        do {
            _ = try await directory(privateKey: other).snapshot()
            Issue.record("a refused assertion listed the directory")
        } catch {
            #expect(error == .token(status: 401, detail: "invalid_client: The client_assertion signature is invalid."))
            #expect(error.description.contains("okta.users.read") && !error.description.contains("PRIVATE KEY"))
            #expect(error.code == "okta_token")
        }
        #expect(okta.with { $0.requests.filter { $0.line.hasPrefix("GET ") }.isEmpty })
    }

    @Test("A file that is not an RSA key fails before any request")
    func notAKey() async throws {
        await #expect(throws: OktaError.key("not an RSA private key in PEM (of at least 2048 bits)")) {
            _ = try await directory(privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").snapshot()
        }
        #expect(okta.with { $0.requests.isEmpty })
    }
}
