// ID tokens as the relying party receives them: the validator splits the compact JWS, decodes
// base64url and the JSON header, and refuses it (no key set); the payload's claims are read as the
// ledger would read them once a signature verified.
import Foundation
import RoleSyncJSON
import RoleSyncMapping
import RoleSyncOIDC

let validator = IDTokenValidator(.init(issuer: "https://idp.example.com", clientID: "rolesync", algorithms: Set(JWSAlgorithm.allCases)))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let token = text(start, count)
    _ = try? validator.validate(token, keys: .empty, nonce: "n", now: Date(timeIntervalSince1970: 1_800_000_000))
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count == 3, let payload = Base64URL.decode(parts[1]) {
        _ = try? Claims(json: payload)
    }
    return 0
}
