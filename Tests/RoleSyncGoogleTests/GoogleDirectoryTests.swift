import Foundation
import Logging
import RoleSyncGoogle
import RoleSyncJSON
import RoleSyncSCIM
import RoleSyncTestSupport
import Synchronization
import Testing
import _CryptoExtras

/// The waits a client asked for.
final class Waits: Sendable {
    let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

@Suite("Google Workspace directory")
struct GoogleDirectoryTests {
    static let tokenURL = "https://oauth2.googleapis.com/token"
    let waits = Waits()
    let key: _RSA.Signing.PrivateKey
    let google: FakeGoogle

    init() throws {
        key = try FakeGoogle.serviceAccountKey(tokenURI: Self.tokenURL).key
        google = FakeGoogle(publicKey: key.publicKey)
        google.with { state in
            state.users = [
                .init(id: "101", primaryEmail: "ada@example.com", orgUnitPath: "/Engineering"),
                .init(id: "102", primaryEmail: "bob@example.com", suspended: true),
                .init(id: "103", primaryEmail: "cy@example.com", archived: true),
                .init(id: "104", primaryEmail: "dee@example.com"),
            ]
            state.groups = [
                // Admins holds Platform, which holds ada; Platform and Ops nest in a circle.
                .init(id: "g-admins", email: "admins@example.com", name: "Admins", members: ["g-platform"]),
                .init(id: "g-platform", email: "platform@example.com", name: "Platform", members: ["101", "g-ops"]),
                .init(id: "g-ops", email: "ops@example.com", name: "Ops", members: ["104", "g-platform"]),
                .init(id: "g-all", email: "all@example.com", name: "All Staff", members: ["customer"]),
            ]
        }
    }

    func directory(pageSize: Int = 2, subject: String = "admin@example.com", privateKey: String? = nil) -> GoogleDirectory {
        let waits = self.waits
        return GoogleDirectory(
            root: URL(string: "https://admin.googleapis.com")!,
            tokenURL: URL(string: Self.tokenURL)!,
            clientEmail: "rolesync@project.iam.gserviceaccount.com",
            privateKey: privateKey ?? key.pkcs8PEMRepresentation,
            privateKeyID: "0123456789abcdef",
            subject: subject,
            customer: "my_customer",
            transport: google,
            pageSize: pageSize,
            attempts: 3,
            logger: Logger(label: "test"),
            sleep: { waits.append($0) }
        )
    }

    @Test(
        "Every user and group, paged by pageToken; derived (nested) members count; the whole account's group holds everyone; suspended and archived are inactive"
    )
    func fullListing() async throws {
        let directory = directory()
        let snapshot = try await directory.snapshot(keeping: ["orgUnitPath"])
        let users = Dictionary(uniqueKeysWithValues: snapshot.users.map { ($0.id, $0) })
        #expect(users.keys.sorted() == ["101", "102", "103", "104"] && snapshot.groupCount == 4)
        let ada = try #require(users["101"])
        #expect(ada.groups == ["Admins", "All Staff", "Ops", "Platform"], "Admins through Platform; Ops through its circle")
        #expect(ada.groupIDs == ["g-admins", "g-all", "g-ops", "g-platform"])
        #expect(ada.groupExternalIDs == ["admins@example.com", "all@example.com", "ops@example.com", "platform@example.com"])
        #expect(ada.userName == "ada@example.com" && ada.email == "ada@example.com" && ada.name == "Ada")
        #expect(ada.attributes["orgUnitPath"] == .string("/Engineering"))
        #expect(users["102"]?.isActive == false && users["103"]?.isActive == false && users["104"]?.isActive == true)
        #expect(users["102"]?.groups == ["All Staff"])
        let requests = google.with { $0.requests }
        #expect(requests.first == "POST /token" && google.with { $0.tokensIssued } == 1, "one token for the run")
        #expect(requests.contains("GET /admin/directory/v1/users?customer=my_customer&maxResults=2&projection=basic&pageToken=2"))
        #expect(requests.contains { $0.hasPrefix("GET /admin/directory/v1/groups/g-admins/members?includeDerivedMembership=true") })
        #expect(directory.meter.requests == requests.count)
    }

    @Test("The assertion is RS256 over the service account, the administrator, the read-only scopes and the token endpoint, for an hour")
    func assertion() throws {
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        let jwt = try GoogleDirectory.assertion(
            issuer: "rolesync@project.iam.gserviceaccount.com",
            subject: "admin@example.com",
            audience: Self.tokenURL,
            keyID: "kid-1",
            privateKey: key.pkcs8PEMRepresentation,
            at: time
        )
        let parts = jwt.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let header = try ClaimValue(json: try #require(FakeGoogleTestSupport.base64URL(parts[0])))
        let claims = try ClaimValue(json: try #require(FakeGoogleTestSupport.base64URL(parts[1])))
        #expect(header == .object(["alg": "RS256", "typ": "JWT", "kid": "kid-1"]))
        #expect(
            claims
                == .object([
                    "iss": "rolesync@project.iam.gserviceaccount.com", "sub": "admin@example.com", "aud": .string(Self.tokenURL),
                    "scope":
                        "https://www.googleapis.com/auth/admin.directory.user.readonly https://www.googleapis.com/auth/admin.directory.group.readonly",
                    "iat": 1_800_000_000, "exp": 1_800_003_600,
                ])
        )
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(FakeGoogleTestSupport.base64URL(parts[2])))
        #expect(key.publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5))
    }

    @Test("An administrator the delegation does not cover: the token endpoint's words and what to check, never the key or the assertion")
    func delegationRefused() async throws {
        await #expect(throws: GoogleError.self) { _ = try await directory(subject: "someone@example.com").snapshot() }
        do {
            _ = try await directory(subject: "someone@example.com").snapshot()
        } catch {
            let text = "\(error)"
            #expect(text.contains("HTTP 401: unauthorized_client") && text.contains("domain-wide delegation"), "\(text)")
            #expect(!text.contains("PRIVATE KEY") && !text.contains("eyJ"))
        }
    }

    @Test("A key that is not an RSA key fails before anything is sent")
    func badKey() async throws {
        await #expect(throws: GoogleError.key("not an RSA private key in PEM (of at least 2048 bits)")) {
            _ = try await directory(privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").snapshot()
        }
        #expect(google.with { $0.requests }.isEmpty)
    }

    @Test("403 rateLimitExceeded and 429 back off and the listing completes; past every try it fails, naming the request", arguments: [false, true])
    func rateLimits(with429: Bool) async throws {
        google.with {
            $0.rateLimited = 2
            $0.with429 = with429
        }
        let directory = directory()
        let snapshot = try await directory.snapshot()
        #expect(snapshot.users.count == 4 && waits.all.count == 2 && directory.meter.throttledSeconds > 0)
        google.with { $0.rateLimited = 10 }
        await #expect(throws: GoogleError.throttled(path: "/admin/directory/v1/users?customer=my_customer&maxResults=2&projection=basic", tries: 3)) {
            _ = try await self.directory().snapshot()
        }
    }

    @Test("A group's members failing fails the listing, naming the page")
    func failingPage() async throws {
        google.with { $0.failing = (text: "/groups/g-ops/members", status: 404) }
        do {
            _ = try await directory().snapshot()
            Issue.record("the listing should fail")
        } catch {
            #expect(error.code == "google_status")
            #expect("\(error)".contains("/admin/directory/v1/groups/g-ops/members") && "\(error)".contains("HTTP 404: backendError"), "\(error)")
        }
    }
}

/// Base64url, for reading assertions back.
enum FakeGoogleTestSupport {
    static func base64URL(_ text: String) -> Data? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base)
    }
}
