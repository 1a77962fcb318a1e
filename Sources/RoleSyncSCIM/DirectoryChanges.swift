/// What changed in a directory since a cursor, as an incremental listing reads it: each user that
/// changed, whole (every group it is in now, nested ones included), and the users deleted.
package struct DirectoryChanges: Sendable {
    /// Users added, changed, or whose memberships changed: each as a full listing would show them.
    package var users: [DirectoryUser]
    /// Directory ids of users deleted since the cursor.
    package var removedIDs: [String]
    /// Where the next incremental listing starts.
    package var cursor: String

    package init(users: [DirectoryUser], removedIDs: [String], cursor: String) {
        self.users = users
        self.removedIDs = removedIDs
        self.cursor = cursor
    }
}

/// An incremental listing's answer.
package enum DirectoryIncrement: Sendable {
    /// The changes since the cursor.
    case changes(DirectoryChanges)
    /// Only a full listing can tell what changed: the directory forgot the cursor, or a change
    /// touches people the increment does not name (a group renamed, deleted or nested anew).
    case fullListingNeeded(reason: String)
}

extension DirectoryIncrement {
    /// The changes, unless a full listing is needed.
    package var changes: DirectoryChanges? {
        if case .changes(let changes) = self { changes } else { nil }
    }

    /// Why a full listing is needed, if it is.
    package var fullListingReason: String? {
        if case .fullListingNeeded(let reason) = self { reason } else { nil }
    }
}
