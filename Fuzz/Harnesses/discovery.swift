// A provider's discovery document, checked against a configured issuer.
import Foundation
import RoleSyncOIDC

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    _ = try? ProviderMetadata(discovery: data(start, count), expectedIssuer: "https://idp.example.com", allowInsecureHTTP: false)
    return 0
}
