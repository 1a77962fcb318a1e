public import Foundation

/// A bearer token for the admin API, bound to one user: it acts with that user's current role,
/// and dies with their deactivation. Only its SHA-256 is stored; the token itself is shown once.
public struct APIToken: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var userID: UserID
    /// What it is for (`ci`, `dashboard`), unique per user only by convention.
    public var name: String
    /// The first characters of the token (`rs_ab12cd34`), enough to recognise it in a list.
    public var prefix: String
    public var tokenHash: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?

    public init(
        id: Int64,
        userID: UserID,
        name: String,
        prefix: String,
        tokenHash: String,
        createdAt: Date,
        expiresAt: Date?,
        lastUsedAt: Date?
    ) {
        self.id = id
        self.userID = userID
        self.name = name
        self.prefix = prefix
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }

    /// Whether the token has expired at `time`.
    public func isExpired(at time: Date) -> Bool {
        expiresAt.map { time >= $0 } ?? false
    }
}
