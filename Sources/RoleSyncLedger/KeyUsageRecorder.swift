package import Foundation
import Synchronization

/// Counts key uses in memory and hands them to the store in batches, so a busy gateway costs the
/// store one write per flush rather than one per request. `serve` flushes every
/// ``flushInterval`` seconds and on shutdown: last used and the daily counts lag by at most that,
/// and a crash loses at most that window of counts (never a revocation, which is not batched).
package final class KeyUsageRecorder: Sendable {
    /// How often `serve` writes the counted uses: the precision of last used and of usage counts.
    package static let flushInterval: TimeInterval = 10

    private struct Pending {
        var requestsByDay: [Int: Int] = [:]
        var lastUsedAt: Date
    }

    private let pending = Mutex<[Int64: Pending]>([:])

    package init() {}

    /// Counts one use of a key at `time`.
    package func record(keyID: Int64, at time: Date) {
        let day = KeyUsageDay.day(of: time)
        pending.withLock { pending in
            pending[keyID, default: Pending(lastUsedAt: time)].requestsByDay[day, default: 0] += 1
            if let last = pending[keyID]?.lastUsedAt, time > last { pending[keyID]?.lastUsedAt = time }
        }
    }

    /// Whether uses are waiting to be written.
    package var isEmpty: Bool { pending.withLock { $0.isEmpty } }

    /// Writes the counted uses in one transaction. When the store fails, they are counted again
    /// with whatever came meanwhile, and the error is thrown.
    package func flush(to store: any LedgerStore) async throws {
        let taken = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !taken.isEmpty else { return }
        let uses = taken.map { KeyUse(keyID: $0.key, requestsByDay: $0.value.requestsByDay, lastUsedAt: $0.value.lastUsedAt) }
        do {
            try await store.recordKeyUses(uses.sorted { $0.keyID < $1.keyID })
        } catch {
            pending.withLock { pending in
                for (id, use) in taken {
                    var merged = pending[id] ?? Pending(lastUsedAt: use.lastUsedAt)
                    for (day, count) in use.requestsByDay { merged.requestsByDay[day, default: 0] += count }
                    merged.lastUsedAt = max(merged.lastUsedAt, use.lastUsedAt)
                    pending[id] = merged
                }
            }
            throw error
        }
    }
}
