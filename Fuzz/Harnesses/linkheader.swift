// `Link` header fields (RFC 8288) as Okta pages its lists with them: every link parsed, and the
// next page resolved against an org's address.
import Foundation
import RoleSyncOkta

let base = URL(string: "https://example.okta.com/api/v1/users?limit=200")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let field = text(start, count)
    for link in LinkHeader.links(field) {
        precondition(!link.target.isEmpty, "a link without a target")
    }
    _ = LinkHeader.target(field, relation: "next", base: base)
    return 0
}
