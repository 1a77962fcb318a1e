import Synchronization

/// Why a directory could not be read whole, whatever its kind: the run that asked changes nothing.
/// `description` names the request that failed and never the credential.
package protocol DirectoryReadError: Error, Sendable, CustomStringConvertible {
    /// A short, stable code for metrics and JSON (`scim_status`, `okta_rate_limited`).
    var code: String { get }
}

/// What reading a directory cost: requests sent and seconds spent waiting on its rate limits.
/// Shared by the pages of one run; every kind's client counts into it.
package final class DirectoryReadMeter: Sendable {
    private let counts = Mutex((requests: 0, throttled: Duration.zero))

    package init() {}

    package func request() { counts.withLock { $0.requests += 1 } }
    package func throttled(_ wait: Duration) { counts.withLock { $0.throttled += wait } }

    package var requests: Int { counts.withLock { $0.requests } }
    package var throttledSeconds: Double {
        let wait = counts.withLock { $0.throttled }
        return Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
    }
}

extension SCIMError: DirectoryReadError {}
