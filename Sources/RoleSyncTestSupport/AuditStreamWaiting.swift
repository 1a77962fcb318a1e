package import RoleSyncLedger

extension LedgerReads {
    /// The audit stream after `position` once it holds at least `count` events, or what it holds
    /// after ten seconds. PostgreSQL hands out an event only when every older transaction in the
    /// cluster has ended (decision 135), and other tests write meanwhile: the stream lags, never
    /// skips.
    package func auditStream(
        after position: AuditStreamPosition,
        atLeast count: Int
    ) async throws -> [(event: AuditEvent, position: AuditStreamPosition)] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let events = try await auditStream(after: position, limit: 100)
            if events.count >= count || ContinuousClock.now > deadline { return events }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
