// A presented API key (introspection's `token`, the admin API's bearer) and a key lifetime
// (`expires_in`): both are checked before any store read, so both see every stranger's input.
import RoleSyncLedger

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = text(start, count)
    if APIKeyFormat.isWellFormed(input), input.hasPrefix(APIKeyFormat.prefix) {
        // A value that passes is exactly a key's shape: what a scanner's pattern finds.
        precondition(input.utf8.count == APIKeyFormat.length, "a well-formed key of the wrong length")
        precondition(input.utf8.dropFirst(4).allSatisfy { $0 < 0x80 }, "a well-formed key with non-ASCII")
        _ = APIKeyFormat.displayPrefix(of: input)
    }
    if let seconds = KeyService.lifetime(input) {
        precondition(seconds >= 0 && seconds.isFinite, "a lifetime that is negative or not finite")
    }
    return 0
}
