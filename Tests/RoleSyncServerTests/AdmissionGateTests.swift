import RoleSyncServer
import Synchronization
import Testing

/// Admin changes are admitted two at a time, so they cannot crowd sign-ins off the two cores.
@Suite("Admission gate")
struct AdmissionGateTests {
    final class Counter: Sendable {
        let state = Mutex((now: 0, most: 0, done: 0))
    }

    @Test("No more than the limit run at once, and every waiter gets its turn")
    func bounded() async throws {
        let gate = AdmissionGate(limit: 2)
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    await gate.enter()
                    counter.state.withLock {
                        $0.now += 1
                        $0.most = max($0.most, $0.now)
                    }
                    for _ in 0..<50 { await Task.yield() }
                    counter.state.withLock {
                        $0.now -= 1
                        $0.done += 1
                    }
                    await gate.leave()
                }
            }
        }
        let state = counter.state.withLock { $0 }
        #expect(state.most == 2)
        #expect(state.done == 12)
        #expect(state.now == 0)
    }

    @Test("A place is freed when nobody waits, so the next comer enters at once")
    func freed() async throws {
        let gate = AdmissionGate(limit: 1)
        await gate.enter()
        await gate.leave()
        await gate.enter()
        await gate.leave()
        let entered = Mutex(false)
        await gate.enter()
        let waiter = Task {
            await gate.enter()
            entered.withLock { $0 = true }
            await gate.leave()
        }
        for _ in 0..<100 { await Task.yield() }
        #expect(!entered.withLock { $0 }, "the second request waits while the first holds the place")
        await gate.leave()
        await waiter.value
        #expect(entered.withLock { $0 })
    }
}
