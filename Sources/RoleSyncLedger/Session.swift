public import Foundation

/// A signed-in browser's session. The token itself is never stored: only its SHA-256.
public struct Session: Sendable, Hashable {
    /// Hex SHA-256 of the token.
    public var tokenHash: String
    public var userID: UserID
    public var createdAt: Date
    /// The absolute end, whatever the activity.
    public var expiresAt: Date
    public var lastSeenAt: Date

    public init(tokenHash: String, userID: UserID, createdAt: Date, expiresAt: Date, lastSeenAt: Date) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastSeenAt = lastSeenAt
    }
}
