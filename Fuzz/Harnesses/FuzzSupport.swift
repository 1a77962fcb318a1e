// Shared by every harness: each harness file defines LLVMFuzzerTestOneInput, which libFuzzer calls
// with one input; a crash, a hang or a memory blow-up in it is a finding. Inputs are bytes; most
// parsers take text, so invalid UTF-8 is passed on as the server would receive it (decoded with
// replacement characters).
import Foundation

/// The input as text.
func text(_ start: UnsafeRawPointer, _ count: Int) -> String {
    String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
}

/// The input as bytes.
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
