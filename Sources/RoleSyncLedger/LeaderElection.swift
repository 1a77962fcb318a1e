/// Decides which replica runs a job that must run on one replica at a time: each IdP's scheduled
/// reconciliation. Leadership is sticky: the leader keeps it until it stops, resigns, or loses its
/// connection to whatever coordinates the replicas; a follower asks again on its next poll and
/// takes over then.
package protocol LeaderElection: Sendable {
    /// Whether this replica leads `job` now, trying to become its leader when it does not. When
    /// the coordinator cannot be reached the answer is `false`, and any leadership held is given up
    /// (another replica may have taken it over already).
    func lead(_ job: String) async -> Bool
    /// Gives up every leadership (on shutdown), so another replica takes over at its next poll.
    func resign() async
}

/// One node: it leads every job (SQLite is a single node's ledger).
package struct SingleNodeElection: LeaderElection {
    package init() {}
    package func lead(_ job: String) async -> Bool { true }
    package func resign() async {}
}
