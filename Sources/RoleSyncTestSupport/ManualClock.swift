public import Foundation
import Synchronization

/// A clock the test moves by hand; pass ``now`` wherever code takes a `() -> Date`.
public final class ManualClock: Sendable {
    private let time: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        time = Mutex(start)
    }

    public var now: Date { time.withLock { $0 } }

    public func advance(_ seconds: TimeInterval) {
        time.withLock { $0 += seconds }
    }
}
