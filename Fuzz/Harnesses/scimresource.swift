// SCIM resources pushed with POST or PUT, validated against the User and Group schemas.
import Foundation
import RoleSyncJSON
import RoleSyncSCIM

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard case .object(let body)? = try? ClaimValue(json: data(start, count)) else { return 0 }
    for type in SCIMResourceType.allCases {
        if let valid = try? SCIMResource.validateForCreate(body, type: type) {
            _ = SCIMResource.project(valid, attributes: [], excludedAttributes: [], schema: type.schema)
        }
    }
    return 0
}
