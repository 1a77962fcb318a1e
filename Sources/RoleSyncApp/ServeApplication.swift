import AsyncHTTPClient
import Foundation
package import Hummingbird
package import Logging
package import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
package import RoleSyncPostgres
import RoleSyncReconciler
import RoleSyncSQLite
package import RoleSyncServer
import RoleSyncYAML
import RoleSyncWebhooks
import ServiceLifecycle

/// `rolesync serve`, assembled: the composition root. From a ``ServeConfiguration`` it opens the
/// ledger, loads the mappings, makes one relying party per provider, one reconciler per directory
/// and the SCIM service, hands them to the HTTP server (``ServerContext``), and runs everything
/// until SIGTERM or SIGINT, then shuts down gracefully.
package struct ServeApplication {
    package let configuration: ServeConfiguration
    package let context: ServerContext
    let registry: MappingRegistry
    let clients: HTTPClients
    let reconcilers: [Reconciler]
    /// Delivers audit events to the configured webhook endpoints; `nil` when there are none.
    let webhooks: WebhookDeliverer?
    /// Which replica runs each IdP's scheduled reconciliation: this one alone on SQLite, the holder
    /// of an advisory lock on PostgreSQL.
    let election: any LeaderElection
    /// The PostgreSQL ledger's client, when `database:` is a URL; closed by ``shutdown()``.
    package let postgres: PostgresLedgerStore.Connected?
    /// For `serve --check` on SQLite: the file's migrations, applied and pending, read without
    /// creating or migrating it (the check runs on an in-memory stand-in).
    package let sqliteCheck: (applied: Int, pending: Int, exists: Bool)?
    let logger: Logger

    /// Opens the ledger, loads and checks the mappings, and prepares the providers and directories.
    /// - Parameters:
    ///   - configuration: the validated configuration.
    ///   - metricsExposition: renders `/metrics`; the command line bootstraps swift-metrics.
    ///   - logger: the server's logger.
    ///   - checkOnly: for `serve --check`: a PostgreSQL ledger is connected to and its schema version
    ///     read, but not migrated; a SQLite file is read, never created or migrated.
    /// - Throws: ``ConfigError`` when mappings are invalid, a provider has none, a CA file is not PEM,
    ///   or the PostgreSQL database cannot be reached; or the ledger cannot be opened. Nothing is
    ///   left running then.
    package init(
        configuration: ServeConfiguration,
        metricsExposition: (@Sendable () -> String)?,
        logger: Logger,
        checkOnly: Bool = false
    ) async throws {
        let loaded = try LoadedMappings.load(mappings: configuration.mappings, shadow: configuration.shadow, issuers: [])
        let errors = loaded.errors + configuration.providersWithoutMapping(in: loaded.live.set)
        guard errors.isEmpty else { throw ConfigError.invalid(errors) }
        let clients = HTTPClients()
        // `serve --check` on SQLite reads the file's migrations without creating or migrating it,
        // and checks the rest on an in-memory stand-in.
        let database: LedgerAssembly.Database
        if checkOnly, configuration.postgres == nil {
            let migrations: (applied: [String], pending: [String])
            do {
                migrations = try SQLiteLedgerStore.migrations(path: configuration.database, dryRun: true)
            } catch {
                throw ConfigError.file(configuration.file, "database: \(configuration.database): \(error)")
            }
            sqliteCheck = (migrations.applied.count, migrations.pending.count, FileManager.default.fileExists(atPath: configuration.database))
            database = .memory
        } else {
            sqliteCheck = nil
            database = configuration.ledgerDatabase
        }
        let assembly: LedgerAssembly
        do {
            assembly = try await LedgerAssembly.open(
                database,
                mappings: loaded,
                isConfigurations: true,
                overridePolicy: OverridePolicy(maxDuration: configuration.overrideMaxDuration),
                defersSignIns: true,
                migrating: !checkOnly
            ) { store in
                let lookup = try Self.claimLookup(configuration, store: store, clients: clients)
                return lookup.isEmpty ? nil : lookup
            }
        } catch {
            await clients.shutdown()
            switch error {
            case is ConfigError, is SQLiteStoreError: throw error
            default: throw ConfigError.file(configuration.file, "database: \(error)")
            }
        }
        let postgres = assembly.postgres
        let registry = assembly.registry
        let sync = assembly.service
        let store = assembly.store
        if let settings = configuration.postgres {
            election = PostgresLeaderElection(settings: settings, logger: Logger(label: "rolesync.election"))
        } else {
            election = SingleNodeElection()
        }
        let providers: [OpenIDProvider]
        let reconcilers: [Reconciler]
        let senders: [WebhookSender]
        do {
            // Each endpoint its own client (its own CA file, its own connections): a slow receiver
            // holds no other endpoint's connection. 10 s per try, connection included.
            senders = try configuration.webhooks.map { webhook in
                WebhookSender(
                    settings: webhook,
                    transport: AsyncHTTPClientTransport(client: try Self.client(clients, caFile: webhook.caFile), timeout: .seconds(10))
                )
            }
            // The ledger's endpoints follow the configuration (new ones start at the stream's
            // head; removed ones are kept, marked removed): what every replica and command reads.
            if !checkOnly { try await store.replaceWebhookEndpoints(configuration.webhooks.map(\.endpoint), at: Date()) }
            providers = try configuration.idps.map { idp in
                OpenIDProvider(
                    configuration: Self.providerConfiguration(idp, redirectURI: configuration.redirectURI),
                    transport: AsyncHTTPClientTransport(client: try Self.client(clients, caFile: idp.caFile)),
                    logger: Logger(label: "rolesync.oidc")
                )
            }
            reconcilers = try configuration.idps.filter { $0.directory?.url != nil }.map { idp in
                let client = try Self.client(clients, caFile: idp.directory?.caFile)
                do {
                    return try Reconciler(
                        idp: idp,
                        sync: sync,
                        transport: AsyncHTTPClientTransport(client: client, timeout: .seconds(30), maximumResponseSize: 32 << 20),
                        states: store,
                        logger: Logger(label: "rolesync.reconcile")
                    )
                } catch {
                    throw ConfigError.invalid([Diagnostic(.error, at: idp.location, "\(error)")])
                }
            }
        } catch {
            // Nothing was started yet but the database's client: release it and the HTTP clients.
            await clients.shutdown()
            await postgres?.close()
            throw error
        }
        let pushers = SCIMService.pushers(of: configuration)
        self.configuration = configuration
        self.postgres = postgres
        self.registry = registry
        self.clients = clients
        self.reconcilers = reconcilers
        self.webhooks = senders.isEmpty ? nil : WebhookDeliverer(store: store, senders: senders, logger: Logger(label: "rolesync.webhooks"))
        self.logger = logger
        self.context = ServerContext(
            sync: sync,
            sessions: SessionService(
                store: store,
                idleTimeout: configuration.session.idleTimeout,
                absoluteLifetime: configuration.session.absoluteLifetime
            ),
            providers: ProviderDirectory(providers),
            // Replicas share pending sign-ins, so a callback may reach any of them.
            logins: LoginStateStore(shared: postgres?.store),
            publicURL: configuration.publicURL,
            metricsExposition: metricsExposition,
            scim: pushers.isEmpty
                ? nil : SCIMService(pushers: pushers, directory: store, sync: sync, logger: Logger(label: "rolesync.scim")),
            directories: DirectoryDesk(reconcilers: reconcilers, states: store),
            webhooks: WebhookDesk(store: store, senders: senders),
            keyPolicy: configuration.keys.policy,
            gateways: configuration.gateways.compactMap { gateway in
                guard let clientID = gateway.clientID, let secret = gateway.clientSecret else { return nil }
                return GatewayCredential(name: gateway.name, clientID: clientID, secret: secret)
            },
            forwardAuthGateways: configuration.gateways.compactMap { gateway in
                guard let forwardAuth = gateway.forwardAuth, let secret = forwardAuth.secret else { return nil }
                return ForwardAuthGateway(name: gateway.name, secret: secret, roles: forwardAuth.roles)
            },
            cookieDomain: configuration.session.cookieDomain,
            allowedReturnHosts: configuration.session.allowedReturnHosts
        )
    }

    /// A client for a provider or directory, or the configuration error naming its CA file.
    static func client(_ clients: HTTPClients, caFile: String?) throws -> HTTPClient {
        do {
            return try clients.make(caFile: caFile)
        } catch {
            throw ConfigError.file(caFile ?? "ca_file", "not a PEM certificate file (\(error))")
        }
    }

    /// The relying party's settings from an `idps[]` entry.
    static func providerConfiguration(_ idp: IdentityProviderSettings, redirectURI: URL) -> ProviderConfiguration {
        ProviderConfiguration(
            name: idp.name,
            issuer: idp.issuer,
            clientID: idp.clientID,
            clientSecret: idp.clientSecret,
            scopes: idp.scopes,
            clientAuthentication: clientAuthentication(idp.tokenEndpointAuth),
            fetchUserinfo: idp.userinfo,
            allowsHMAC: idp.allowHMACIDTokens,
            trustedAudiences: Set(idp.trustedAudiences),
            clockSkew: idp.clockSkew,
            redirectURI: redirectURI,
            claimSourceHosts: idp.claimSourceHosts
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
    package func makeApplication() -> some ApplicationProtocol {
        Application(
            router: context.makeRouter(),
            configuration: .init(
                address: .hostname(configuration.listen.host, port: configuration.listen.port),
                serverName: "RoleSync"
            ),
            logger: logger
        )
    }

    /// How long SIGTERM lets requests in flight finish before they are cancelled.
    package static let gracePeriod: Duration = .seconds(20)

    /// Serves until SIGTERM or SIGINT; mappings reload on SIGHUP.
    package func run() async throws {
        let reloader = MappingReloader(
            path: configuration.mappings,
            shadow: configuration.shadow,
            issuers: configuration.idps.map(\.issuer),
            registry: registry,
            logger: logger,
            store: context.sync.store
        )
        var groupConfiguration = ServiceGroupConfiguration(
            // Shut down in reverse: the reloader, then the server, then the last flush of sign-ins
            // and key uses.
            services: [
                .init(
                    service: DeferredWriteFlusher(
                        store: context.sync.store,
                        keyUsage: context.keys.usage,
                        shadow: context.sync.shadow,
                        logger: logger
                    )
                ),
                .init(service: makeApplication()), .init(service: reloader),
                .init(
                    service: LedgerClock(
                        sync: context.sync,
                        keys: context.keys,
                        shadowStore: context.sync.store as? any ShadowStore,
                        shadowRetention: configuration.shadowRetention,
                        webhookStore: context.sync.store as? any WebhookOutboxStore,
                        logger: logger
                    )
                ),
                .init(service: ReconciliationService(reconcilers: reconcilers, election: election, logger: logger)),
            ] + (webhooks.map { [.init(service: $0)] } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // SIGTERM always ends the process: requests still running after the grace period are
        // cancelled (each write is one transaction: nothing half-written), well inside systemd's
        // default 90 s and docs/deployment.md's TimeoutStopSec=30s.
        groupConfiguration.maximumGracefulShutdownDuration = Self.gracePeriod
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.notice(
            "RoleSync serving",
            metadata: [
                "listen": "\(configuration.listen)", "public_url": "\(configuration.publicURL.absoluteString)",
                "idps": "\(configuration.idps.map(\.name).joined(separator: ","))",
                "reconciling": "\(reconcilers.map(\.idp.name).joined(separator: ","))",
                "scim_push": "\(configuration.idps.filter { $0.scimToken != nil }.map(\.name).joined(separator: ","))",
                "gateways": "\(configuration.gateways.map(\.name).joined(separator: ","))",
                "webhooks": "\(configuration.webhooks.map(\.name).joined(separator: ","))",
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

    /// Releases the HTTP clients; ``run()`` does it on its way out, anyone else who made an
    /// application without running it must.
    package func shutdown() async {
        await election.resign()
        await clients.shutdown()
        await postgres?.close()
    }
}
