package import Foundation
import Synchronization

/// A clock the test moves by hand; pass ``now`` wherever code takes a `() -> Date`.
package final class ManualClock: Sendable {
    private let time: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        time = Mutex(start)
    }

    package var now: Date { time.withLock { $0 } }

    package func advance(_ seconds: TimeInterval) {
        time.withLock { $0 += seconds }
    }
}
