// SCIM PATCH bodies (RFC 7644 §3.5.2), applied to a fixed user and group.
import Foundation
import RoleSyncJSON
import RoleSyncSCIM

let user: [String: ClaimValue] = [
    "id": "u1", "userName": "ada@example.com", "active": true,
    "emails": .array([.object(["value": "ada@example.com", "type": "work"])]),
    "name": .object(["givenName": "Ada"]),
]
let group: [String: ClaimValue] = ["id": "g1", "displayName": "eng", "members": .array([.object(["value": "u1"])])]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let patch = try? SCIMPatch(json: data(start, count)) else { return 0 }
    var target = user
    try? patch.apply(to: &target, schema: SCIMResourceType.user.schema)
    var other = group
    try? patch.apply(to: &other, schema: SCIMResourceType.group.schema)
    return 0
}
