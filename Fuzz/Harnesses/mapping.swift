// The mapping language: YAML → Mapping, then evaluated on fixed claims with and without a trace.
import Foundation
import RoleSyncJSON
import RoleSyncMapping

let claims = Claims([
    "iss": "https://idp.example.com", "sub": "00u1", "email": "ada@example.com", "email_verified": true,
    "groups": .array(["eng-web", "Everyone", "rolesync-mcp-admins", "finance-ops"].map(ClaimValue.string)),
    "department": "Finance", "title": .string(String(repeating: "a", count: 40)),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let result = MappingParser.parse(yaml: text(start, count), file: "fuzz.yaml")
    if let mapping = result.mapping {
        _ = mapping.evaluate(claims, tracing: false)
        _ = mapping.evaluate(claims, tracing: true)
    }
    return 0
}
