// A provider's key set: every key parsed, unusable ones skipped with a reason.
import Foundation
import RoleSyncOIDC

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = data(start, count)
    blocking {
        _ = try? await KeySet.parse(input, allowed: Set(JWSAlgorithm.allCases), fetchedAt: Date(timeIntervalSince1970: 0))
    }
    return 0
}
