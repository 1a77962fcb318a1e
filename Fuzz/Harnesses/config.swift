// The serve configuration file.
import Foundation
import RoleSyncConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    _ = try? ServeConfiguration.parse(
        yaml: text(start, count),
        file: "/fuzz/rolesync.yaml",
        environment: ["ROLESYNC_SECRET": "s3cret-for-fuzzing-only-0123456789"],
        requiringSecrets: false
    )
    return 0
}
