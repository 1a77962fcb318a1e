/// Whole units of a `Duration`, for logs and metrics: both of its components count (a 1.5 s
/// request is 1,500 ms, not the 500 its attoseconds alone say).
extension Duration {
    /// Whole milliseconds, rounded down.
    package var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, rounded down.
    package var wholeNanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
