/// Comparisons of secrets in time that depends only on their lengths.
package enum ConstantTime {
    /// Whether two byte strings are equal, every byte compared whatever the first difference.
    ///
    /// Not generic: a generic comparison across modules walked `zip`'s iterator through witness
    /// tables byte by byte (even marked `@inlinable`, the release build called the unspecialised
    /// copy), and was the largest single cost of a forward-authentication check
    /// (docs/performance.md). Here the loop runs over the arrays' own storage.
    package static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var difference: UInt8 = 0
                for index in 0..<x.count { difference |= x[index] ^ y[index] }
                return difference == 0
            }
        }
    }

    /// The same for any two byte collections (a string's UTF-8 view, `Data`), copied into arrays.
    package static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        equal(Array(a), Array(b))
    }
}
