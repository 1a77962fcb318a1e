package import Foundation
package import Logging
package import RoleSyncConfig
import RoleSyncGraph
package import RoleSyncHTTPClient
import RoleSyncOkta
package import RoleSyncSCIM

/// One kind of directory as reconciliation reads it: a full listing of its users with their
/// groups, and what the reading cost. A listing that fails anywhere throws a
/// ``DirectoryReadError`` and the run changes nothing.
package protocol DirectorySource: Sendable {
    /// Requests sent and seconds spent throttled, for the run's report and metrics.
    var meter: DirectoryReadMeter { get }
    /// Every user, with their groups and the attribute paths the mapping reads.
    /// - Throws: a ``DirectoryReadError``.
    func snapshot(keeping attributes: [String]) async throws -> DirectorySnapshot
}

extension SCIMClient: DirectorySource {
    package func snapshot(keeping attributes: [String]) async throws -> DirectorySnapshot {
        try await DirectorySnapshot.read(from: self, keeping: attributes)
    }
}

extension OktaDirectory: DirectorySource {}

extension GraphDirectory: DirectorySource {}

extension DirectorySettings {
    /// The reader of this directory's kind, or `nil` when it has no `url` or lacks its secret.
    package func source(
        transport: any HTTPTransport,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async -> Void
    ) -> (any DirectorySource)? {
        guard let url else { return nil }
        switch kind {
        case .scim:
            guard let token else { return nil }
            return SCIMClient(baseURL: url, token: token, transport: transport, pageSize: pageSize, logger: logger, sleep: sleep)
        case .okta:
            guard let token else { return nil }
            return OktaDirectory(orgURL: url, token: token, transport: transport, pageSize: pageSize, logger: logger, sleep: sleep)
        case .microsoftGraph:
            guard let graph, let secret = graph.clientSecret else { return nil }
            return GraphDirectory(
                root: url,
                tokenURL: graph.tokenURL,
                clientID: graph.clientID,
                clientSecret: secret,
                transport: transport,
                pageSize: pageSize,
                logger: logger,
                sleep: sleep
            )
        }
    }
}
