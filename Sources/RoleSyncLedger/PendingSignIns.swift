import Foundation
import Synchronization

/// Sign-ins ``EngineStore`` defers (``LedgerStore/recordSignIn(of:at:)``): per user, the latest time
/// and how many, until it writes them in one batch.
final class PendingSignIns: Sendable {
    private let pending = Mutex<[UserID: SignInTally]>([:])

    /// Adds one sign-in. - Returns: how many users now wait.
    func record(_ userID: UserID, at time: Date) -> Int {
        pending.withLock { pending in
            let previous = pending[userID]
            pending[userID] = SignInTally(time: max(previous?.time ?? time, time), count: (previous?.count ?? 0) + 1)
            return pending.count
        }
    }

    /// Takes every waiting sign-in, leaving none.
    func take() -> [UserID: SignInTally] {
        pending.withLock { pending in
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            return batch
        }
    }

    /// Puts back a batch whose write failed, merged with the sign-ins recorded since.
    func restore(_ batch: [UserID: SignInTally]) {
        pending.withLock { pending in
            for (id, entry) in batch {
                let newer = pending[id]
                pending[id] = SignInTally(time: max(newer?.time ?? entry.time, entry.time), count: (newer?.count ?? 0) + entry.count)
            }
        }
    }
}
