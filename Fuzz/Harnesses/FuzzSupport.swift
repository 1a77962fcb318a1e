// Shared by every harness: libFuzzer calls LLVMFuzzerTestOneInput, which each harness file defines
// through `fuzzTarget`. Inputs are bytes; most parsers take text, so invalid UTF-8 is passed on as
// the parser would receive it (decoded with replacement characters).
import Foundation

/// The harness body for one input; it must not throw, and a crash or hang is a finding.
func text(_ start: UnsafeRawPointer, _ count: Int) -> String {
    String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
}

func data(_ start: UnsafeRawPointer, _ count: Int) -> Data {
    Data(bytes: start, count: count)
}

/// Runs async work to completion from libFuzzer's synchronous callback.
func blocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}
