import Logging
import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncLedger
import RoleSyncReconciler

extension ServeApplication {
    /// How a sign-in reads distributed claims from the IdPs' directories: pushed entries from the
    /// store, live reads with a client of the directory's own (its `ca_file`) and a short timeout,
    /// so a slow directory delays a sign-in by at most ``DirectoryClaimLookup/timeout``.
    static func claimLookup(
        _ configuration: ServeConfiguration,
        store: any DirectoryStore,
        clients: HTTPClients
    ) throws -> DirectoryClaimLookup {
        try DirectoryClaimLookup(
            idps: configuration.idps,
            store: store,
            transport: { idp in
                AsyncHTTPClientTransport(
                    client: try client(clients, caFile: idp.directory?.caFile),
                    timeout: .seconds(3),
                    maximumResponseSize: 4 << 20
                )
            },
            logger: Logger(label: "rolesync.claims")
        )
    }
}
