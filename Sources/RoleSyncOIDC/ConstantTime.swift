/// Comparison of secrets in time that depends on their lengths only.
package enum ConstantTime {
    /// Inlinable so that each caller gets it specialised for its own collections: a generic call
    /// across modules walked `zip`'s iterator through witness tables, byte by byte, and was the
    /// largest single cost of a forward-authentication check (docs/performance.md).
    @inlinable
    package static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
