// The claims reader: JSON → Claims, then every path the mappings use is resolved.
import Foundation
import RoleSyncJSON
import RoleSyncMapping

let paths = ["groups", "email", "realm_access.roles", "resource_access.rolesync.roles", "https://example.com/claims/groups"]
    .compactMap(ClaimPath.init)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let claims = try? Claims(json: data(start, count)) else { return 0 }
    for path in paths { _ = path.resolve(in: claims) }
    _ = claims.jsonText
    return 0
}
