import AsyncHTTPClient
import Foundation
public import Hummingbird
public import Logging
public import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncReconciler
import RoleSyncSQLite
import ServiceLifecycle

/// `rolesync serve`: the ledger, the providers and the HTTP server, assembled from a
/// ``ServeConfiguration`` and run until SIGTERM or SIGINT, then shut down gracefully.
public struct RoleSyncServer {
    public let configuration: ServeConfiguration
    public let context: ServerContext
    let registry: MappingRegistry
    let clients: [HTTPClient]
    let reconcilers: [Reconciler]
    let logger: Logger

    /// Opens the ledger, loads and checks the mappings, and prepares one relying party per provider.
    /// - Parameters:
    ///   - configuration: the validated configuration.
    ///   - metricsExposition: renders `/metrics`; the command line bootstraps swift-metrics.
    ///   - logger: the server's logger.
    /// - Throws: ``ConfigError`` when mappings are invalid or a provider has none, or the ledger
    ///   cannot be opened.
    public init(
        configuration: ServeConfiguration,
        metricsExposition: (@Sendable () -> String)?,
        logger: Logger
    ) throws {
        let loaded = try MappingFiles.load([configuration.mappings], naming: .relativeToLocation)
        let errors =
            loaded.diagnostics.filter { $0.severity == .error }
            + configuration.providersWithoutMapping(in: loaded.set)
        guard errors.isEmpty else { throw ConfigError.invalid(errors) }
        let store = try SQLiteLedgerStore(path: configuration.database, defersSignIns: true)
        let registry = MappingRegistry(loaded.set)
        var clients: [HTTPClient] = []
        var providers: [OpenIDProvider] = []
        for idp in configuration.idps {
            let client: HTTPClient
            do {
                client = try AsyncHTTPClientTransport.makeClient(caFile: idp.caFile)
            } catch {
                for created in clients { try? created.syncShutdown() }
                throw ConfigError.file(idp.caFile ?? "ca_file", "not a PEM certificate file (\(error))")
            }
            clients.append(client)
            providers.append(
                OpenIDProvider(
                    configuration: ProviderConfiguration(
                        name: idp.name,
                        issuer: idp.issuer,
                        clientID: idp.clientID,
                        clientSecret: idp.clientSecret,
                        scopes: idp.scopes,
                        clientAuthentication: Self.clientAuthentication(idp.tokenEndpointAuth),
                        fetchUserinfo: idp.userinfo,
                        allowsHMAC: idp.allowHMACIDTokens,
                        trustedAudiences: Set(idp.trustedAudiences),
                        clockSkew: idp.clockSkew,
                        redirectURI: configuration.redirectURI
                    ),
                    transport: AsyncHTTPClientTransport(client: client),
                    logger: Logger(label: "rolesync.oidc")
                )
            )
        }
        let sync = SyncService(store: store, mappings: registry, logger: Logger(label: "rolesync.ledger"))
        var reconcilers: [Reconciler] = []
        for idp in configuration.idps where idp.directory?.scimURL != nil {
            let client: HTTPClient
            do {
                client = try AsyncHTTPClientTransport.makeClient(caFile: idp.directory?.caFile)
            } catch {
                for created in clients { try? created.syncShutdown() }
                throw ConfigError.file(idp.directory?.caFile ?? "ca_file", "not a PEM certificate file (\(error))")
            }
            clients.append(client)
            do {
                reconcilers.append(
                    try Reconciler(
                        idp: idp,
                        sync: sync,
                        transport: AsyncHTTPClientTransport(client: client, timeout: .seconds(30), maximumResponseSize: 32 << 20),
                        logger: Logger(label: "rolesync.reconcile")
                    )
                )
            } catch {
                for created in clients { try? created.syncShutdown() }
                throw ConfigError.invalid([Diagnostic(.error, at: idp.location, "\(error)")])
            }
        }
        let pushers = SCIMService.pushers(of: configuration)
        self.configuration = configuration
        self.registry = registry
        self.clients = clients
        self.reconcilers = reconcilers
        self.logger = logger
        self.context = ServerContext(
            sync: sync,
            sessions: SessionService(
                store: store,
                idleTimeout: configuration.session.idleTimeout,
                absoluteLifetime: configuration.session.absoluteLifetime
            ),
            providers: ProviderDirectory(providers),
            publicURL: configuration.publicURL,
            metricsExposition: metricsExposition,
            scim: pushers.isEmpty
                ? nil : SCIMService(pushers: pushers, directory: store, sync: sync, logger: Logger(label: "rolesync.scim"))
        )
    }

    /// The configuration's method, one for one: a method added to either side fails to compile here.
    static func clientAuthentication(_ method: IdentityProviderSettings.TokenEndpointAuth) -> ProviderConfiguration.ClientAuthentication {
        switch method {
        case .clientSecretBasic: .clientSecretBasic
        case .clientSecretPost: .clientSecretPost
        case .none: .none
        }
    }

    /// The Hummingbird application, listening where the configuration says.
    public func makeApplication() -> some ApplicationProtocol {
        Application(
            router: context.makeRouter(),
            configuration: .init(
                address: .hostname(configuration.listen.host, port: configuration.listen.port),
                serverName: "RoleSync"
            ),
            logger: logger
        )
    }

    /// Serves until SIGTERM or SIGINT; mappings reload on SIGHUP.
    public func run() async throws {
        let reloader = MappingReloader(
            path: configuration.mappings,
            issuers: configuration.idps.map(\.issuer),
            registry: registry,
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                // Shut down in reverse: the reloader, then the server, then the last flush of sign-ins.
                services: [
                    .init(service: SignInFlusher(store: context.sync.store, logger: logger)),
                    .init(service: makeApplication()), .init(service: reloader),
                    .init(service: ReconciliationService(reconcilers: reconcilers, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.notice(
            "RoleSync serving",
            metadata: [
                "listen": "\(configuration.listen)", "public_url": "\(configuration.publicURL.absoluteString)",
                "idps": "\(configuration.idps.map(\.name).joined(separator: ","))",
                "reconciling": "\(reconcilers.map(\.idp.name).joined(separator: ","))",
                "scim_push": "\(configuration.idps.filter { $0.scimToken != nil }.map(\.name).joined(separator: ","))",
            ]
        )
        do {
            try await group.run()
        } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }

    /// Releases the HTTP clients; ``run()`` does it on its way out, anyone else who made a server
    /// without running it must.
    public func shutdown() async {
        for client in clients { try? await client.shutdown() }
    }
}
