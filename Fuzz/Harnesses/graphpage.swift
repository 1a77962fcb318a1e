// Pages of Microsoft Graph as a directory listing reads them: the input is the body every Graph
// request gets (users, groups and each group's transitive members alike), after a good token, so
// the listing ends or fails but never traps or loops.
import Foundation
import Logging
import RoleSyncGraph
import RoleSyncHTTPClient

struct Answer: HTTPTransport {
    let body: Data
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        if request.method == .post {
            return HTTPTransportResponse(status: 200, body: Data(#"{"access_token":"fuzz","expires_in":3599}"#.utf8))
        }
        return HTTPTransportResponse(status: 200, body: body)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let directory = GraphDirectory(
        root: URL(string: "https://graph.microsoft.com")!,
        tokenURL: URL(string: "https://login.microsoftonline.com/fuzz/oauth2/v2.0/token")!,
        clientID: "fuzz",
        clientSecret: "fuzz",
        transport: Answer(body: data(start, count)),
        attempts: 1,
        logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }),
        sleep: { _ in }
    )
    blocking {
        _ = try? await directory.snapshot(keeping: ["department", "onPremisesExtensionAttributes.extensionAttribute1"])
    }
    return 0
}
