import Foundation
package import Logging
package import RoleSyncConfig
import RoleSyncGoogle
import RoleSyncGraph
package import RoleSyncHTTPClient
import RoleSyncLDAP
import RoleSyncOkta
package import RoleSyncSCIM

/// One kind of directory as reconciliation reads it: a full listing of its users with their
/// groups, for kinds that support it an incremental listing from a stored cursor, and what the
/// reading cost. A listing that fails anywhere throws a ``DirectoryReadError`` and the run changes
/// nothing.
package protocol DirectorySource: Sendable {
    /// Requests sent and seconds spent throttled, for the run's report and metrics.
    var meter: DirectoryReadMeter { get }
    /// Every user, with their groups and the attribute paths the mapping reads.
    /// - Throws: a ``DirectoryReadError``.
    func snapshot(keeping attributes: [String]) async throws -> DirectorySnapshot
    /// Where the next incremental listing starts, taken *before* a full listing so that nothing
    /// changed during it is missed; `nil` for kinds without incremental listing.
    func startCursor(keeping attributes: [String]) async throws -> String?
    /// What changed since `cursor`, or that only a full listing can tell.
    func changes(since cursor: String, keeping attributes: [String]) async throws -> DirectoryIncrement
}

extension SCIMClient: DirectorySource {
    package func snapshot(keeping attributes: [String]) async throws -> DirectorySnapshot {
        try await DirectorySnapshot.read(from: self, keeping: attributes)
    }

    package func startCursor(keeping attributes: [String]) async throws -> String? { nil }

    package func changes(since cursor: String, keeping attributes: [String]) async throws -> DirectoryIncrement {
        .fullListingNeeded(reason: "SCIM 2.0 has no listing of changes")
    }
}

extension OktaDirectory: DirectorySource {}

extension GraphDirectory: DirectorySource {}

extension GoogleDirectory: DirectorySource {
    package func startCursor(keeping attributes: [String]) async throws -> String? { nil }

    package func changes(since cursor: String, keeping attributes: [String]) async throws -> DirectoryIncrement {
        .fullListingNeeded(reason: "Google's Directory API has no listing of changes")
    }
}

extension LDAPDirectory: DirectorySource {
    package func startCursor(keeping attributes: [String]) async throws -> String? { nil }

    package func changes(since cursor: String, keeping attributes: [String]) async throws -> DirectoryIncrement {
        .fullListingNeeded(reason: "an LDAP directory is listed whole every run")
    }
}

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
            let credential: OktaDirectory.Credential
            if let app = okta {
                credential = .privateKey(clientID: app.clientID, privateKey: app.privateKey, keyID: app.keyID)
            } else if let token {
                credential = .apiToken(token)
            } else {
                return nil
            }
            return OktaDirectory(orgURL: url, credential: credential, transport: transport, pageSize: pageSize, logger: logger, sleep: sleep)
        case .microsoftGraph:
            guard let graph else { return nil }
            let credential: GraphDirectory.Credential
            if let certificate = graph.certificate {
                credential = .certificate(der: certificate.der, privateKey: certificate.privateKey)
            } else if let secret = graph.clientSecret {
                credential = .secret(secret)
            } else {
                return nil
            }
            return GraphDirectory(
                root: url,
                tokenURL: graph.tokenURL,
                clientID: graph.clientID,
                credential: credential,
                transport: transport,
                pageSize: pageSize,
                logger: logger,
                sleep: sleep
            )
        case .googleWorkspace:
            guard let google else { return nil }
            return GoogleDirectory(
                root: url,
                tokenURL: google.tokenURL,
                clientEmail: google.clientEmail,
                privateKey: google.privateKey,
                privateKeyID: google.privateKeyID,
                subject: google.subject,
                customer: google.customer,
                transport: transport,
                pageSize: pageSize,
                logger: logger,
                sleep: sleep
            )
        case .ldap:
            guard let ldap, ldap.bindDN == nil || ldap.bindPassword != nil else { return nil }
            let options = LDAPOptions(url: url, caFile: caFile, settings: ldap, pageSize: pageSize)
            return LDAPDirectory(options: options, logger: logger)
        }
    }
}
