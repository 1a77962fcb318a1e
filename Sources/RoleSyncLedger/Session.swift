package import Foundation

/// A signed-in browser's session. The token itself is never stored: only its SHA-256.
package struct Session: Sendable, Hashable {
    /// Hex SHA-256 of the token.
    package var tokenHash: String
    package var userID: UserID
    package var createdAt: Date
    /// The absolute end, whatever the activity.
    package var expiresAt: Date
    package var lastSeenAt: Date

    package init(tokenHash: String, userID: UserID, createdAt: Date, expiresAt: Date, lastSeenAt: Date) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastSeenAt = lastSeenAt
    }
}
