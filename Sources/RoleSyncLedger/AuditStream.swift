/// Where a reader of the audit log as a stream stands (`rolesync audit --follow`): after the event
/// `eventID`, written by a transaction whose place in the commit order is `commit`.
///
/// A stream must hand out every committed event once, in the order readers can know, and never skip
/// one that commits late. Event ids alone do not give that on an engine with concurrent writers: on
/// PostgreSQL a transaction may take id 100, then commit after another has committed id 101. So an
/// engine with concurrent writers orders the stream by the writing transaction's id (`xid8`) and
/// hands out only events of transactions older than every transaction still running; one whose
/// writers commit one at a time (SQLite) leaves `commit` at 0 and orders by id.
package struct AuditStreamPosition: Sendable, Hashable, Comparable {
    /// The writing transaction's place in the commit order (PostgreSQL: its `xid8`); 0 where ids
    /// already are in commit order.
    package var commit: UInt64
    package var eventID: Int64

    package init(commit: UInt64, eventID: Int64) {
        self.commit = commit
        self.eventID = eventID
    }

    /// Before every event: a stream from here reads the whole log.
    package static let start = AuditStreamPosition(commit: 0, eventID: 0)

    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.commit, lhs.eventID) < (rhs.commit, rhs.eventID)
    }
}

extension AuditQuery {
    /// Whether `event` is one this query's user, action and actor select (its time bounds, limit and
    /// cursor are a listing's, not a stream's).
    package func selects(_ event: AuditEvent) -> Bool {
        (userID == nil || event.userID == userID) && (action == nil || event.action == action)
            && (actor == nil || event.actor == actor)
    }
}
