public import Foundation
import Synchronization

/// Sign-ins a store defers (``LedgerStore/recordSignIn(of:at:)``): per user, the latest time and
/// how many, until the store writes them in one batch.
public final class PendingSignIns: Sendable {
    private let pending = Mutex<[UserID: (time: Date, count: Int)]>([:])

    public init() {}

    /// Adds one sign-in. - Returns: how many users now wait.
    public func record(_ userID: UserID, at time: Date) -> Int {
        pending.withLock { pending in
            let previous = pending[userID]
            pending[userID] = (max(previous?.time ?? time, time), (previous?.count ?? 0) + 1)
            return pending.count
        }
    }

    /// Takes every waiting sign-in, leaving none.
    public func take() -> [UserID: (time: Date, count: Int)] {
        pending.withLock { pending in
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            return batch
        }
    }

    /// Puts back a batch whose write failed, merged with the sign-ins recorded since.
    public func restore(_ batch: [UserID: (time: Date, count: Int)]) {
        pending.withLock { pending in
            for (id, entry) in batch {
                let newer = pending[id]
                pending[id] = (max(newer?.time ?? entry.time, entry.time), (newer?.count ?? 0) + entry.count)
            }
        }
    }
}
