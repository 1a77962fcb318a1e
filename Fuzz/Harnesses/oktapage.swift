// Pages of Okta's management API as a directory listing reads them: the input is the body every
// request gets (users, groups and each group's members alike), with rate-limit headers and a
// `Link` to the same page, so the listing ends or fails but never traps or loops.
import Foundation
import Logging
import RoleSyncHTTPClient
import RoleSyncOkta

struct Answer: HTTPTransport {
    let body: Data
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        HTTPTransportResponse(
            status: 200,
            headers: [
                "x-rate-limit-remaining": "100", "x-rate-limit-reset": "0",
                "link": "<\(request.url.absoluteString)>; rel=\"self\"",
            ],
            body: body
        )
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let directory = OktaDirectory(
        orgURL: URL(string: "https://example.okta.com")!,
        credential: .apiToken("fuzz"),
        transport: Answer(body: data(start, count)),
        attempts: 1,
        rateLimitedTries: 1,
        logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }),
        sleep: { _ in }
    )
    blocking {
        _ = try? await directory.snapshot(keeping: ["profile.department", "status"])
    }
    return 0
}
