package import Foundation
package import Synchronization

/// The access token a directory run keeps (Microsoft Graph's, Google's), shared by the copies of
/// its reader: the value and when it expires. Never printed.
package final class TokenSlot: Sendable {
    package let slot = Mutex<(value: String, expires: Date)?>(nil)

    package init() {}
}
