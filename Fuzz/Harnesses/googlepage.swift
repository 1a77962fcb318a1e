import Foundation
import Logging
import RoleSyncGoogle
import RoleSyncHTTPClient
// Pages of Google Workspace's Directory API as a listing reads them: the input is the body every
// Directory request gets (users, groups and each group's members alike), after a good token, so the
// listing ends or fails but never traps or loops.
import _CryptoExtras

struct Answer: HTTPTransport {
    let body: Data
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        if request.method == .post {
            return HTTPTransportResponse(status: 200, body: Data(#"{"access_token":"fuzz","expires_in":3599}"#.utf8))
        }
        return HTTPTransportResponse(status: 200, body: body)
    }
}

/// One service account key for every input: the assertion must be signed before any page is read.
let key = (try? _RSA.Signing.PrivateKey(keySize: .bits2048))?.pkcs8PEMRepresentation ?? ""

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let directory = GoogleDirectory(
        root: URL(string: "https://admin.googleapis.com")!,
        tokenURL: URL(string: "https://oauth2.googleapis.com/token")!,
        clientEmail: "fuzz@fuzz.iam.gserviceaccount.com",
        privateKey: key,
        privateKeyID: nil,
        subject: "admin@example.com",
        customer: "my_customer",
        transport: Answer(body: data(start, count)),
        attempts: 1,
        logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }),
        sleep: { _ in }
    )
    blocking {
        _ = try? await directory.snapshot(keeping: ["orgUnitPath", "name.givenName"])
    }
    return 0
}
