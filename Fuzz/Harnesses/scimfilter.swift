// SCIM filters (RFC 7644 §3.4.2.2), then matched against a fixed user.
import Foundation
import RoleSyncJSON
import RoleSyncSCIM

let resource: [String: ClaimValue] = [
    "userName": "ada@example.com", "externalId": "00u1", "active": true, "displayName": "Ada",
    "emails": .array([.object(["value": "ada@example.com", "type": "work", "primary": true])]),
    "name": .object(["givenName": "Ada", "familyName": "Lovelace"]),
    "meta": .object(["lastModified": "2026-11-27T10:00:00Z"]), "groups": .array([.object(["value": "g1", "display": "eng"])]),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let filter = try? SCIMFilter(parsing: text(start, count)) else { return 0 }
    _ = filter.matches(resource, caseExact: { $0 == "externalId" })
    return 0
}
