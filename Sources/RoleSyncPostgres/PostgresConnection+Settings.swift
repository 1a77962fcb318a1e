package import Logging
package import PostgresNIO
package import RoleSyncConfig

extension PostgresSettings {
    /// The client configuration: TLS as ``tls`` says (never PostgresNIO's `prefer`, which silently
    /// falls back to plain text), the pool at most ``poolSize`` connections.
    /// - Throws: ``PostgresStoreError/unusableSettings(_:)`` when `ca_file` cannot be read.
    package func clientConfiguration() throws -> PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS =
            switch try tlsConfiguration() {
            case nil: .disable
            case let configuration?: .require(configuration)
            }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tlsSetting
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        configuration.options.additionalStartupParameters = [("application_name", "rolesync")]
        return configuration
    }

    /// The TLS configuration ``tls`` asks for; `nil` for `disable`.
    func tlsConfiguration() throws -> TLSConfiguration? {
        switch tls {
        case .disable:
            return nil
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let caFile {
                do {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                } catch {
                    throw PostgresStoreError.unusableSettings("cannot read the CA file \(caFile): \(error)")
                }
            }
            return configuration
        }
    }

    /// Opens one connection and closes it: a wrong password, a refused connection or a TLS failure
    /// is reported at once, with the server's own reason (the pool would retry for a minute).
    func probe(timeout: Duration, logger: Logger) async throws {
        let connection = try await connect(timeout: timeout, logger: logger)
        try? await connection.close()
    }

    /// One connection outside the pool (the probe's, the leader election's), with `startup`'s
    /// parameters besides the application name.
    /// - Throws: ``PostgresStoreError/unreachable(_:reason:)``, or
    ///   ``PostgresStoreError/unusableSettings(_:)`` for an unreadable CA file.
    func connect(timeout: Duration, startup: [(String, String)] = [], logger: Logger) async throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try tlsConfiguration().map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw PostgresStoreError.unusableSettings("TLS: \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.connectTimeout = .init(timeout)
        configuration.options.additionalStartupParameters = [("application_name", "rolesync")] + startup
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw PostgresStoreError.unreachable(description, reason: PostgresStoreError.reason(error))
        }
    }
}

/// Runs `body` with a running client for `settings`, after one connection within `timeout` proved
/// the settings right (PostgresNIO's pool itself retries a minute before failing a query it cannot
/// connect for); the client stops when `body` returns or throws.
/// - Throws: ``PostgresStoreError/unreachable(_:reason:)`` when the database does not answer.
package func withPostgresClient<T: Sendable>(
    _ settings: PostgresSettings,
    logger: Logger,
    timeout: Duration = .seconds(10),
    _ body: @Sendable (PostgresClient) async throws -> T
) async throws -> T {
    try await settings.probe(timeout: timeout, logger: logger)
    let client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        // Let the pool start before the first lease (PostgresNIO warns of a lease before `run()`).
        try? await Task.sleep(for: .milliseconds(5))
        return try await body(client)
    }
}

/// Why the PostgreSQL ledger cannot be used.
package enum PostgresStoreError: Error, Sendable, CustomStringConvertible {
    /// The database did not answer (not running, wrong host, password or TLS).
    case unreachable(String, reason: String)
    /// The database holds a schema from a newer RoleSync.
    case schemaNewer(found: Int, known: Int)
    /// A migration failed; nothing of it was applied.
    case migrationFailed(version: Int, name: String, reason: String)
    case unusableSettings(String)
    /// The database holds a value RoleSync never writes.
    case corrupt(String)

    package var description: String {
        switch self {
        case .unreachable(let target, let reason): "cannot reach the PostgreSQL database \(target): \(reason)"
        case .schemaNewer(let found, let known):
            "the database's schema is version \(found), newer than this RoleSync knows (\(known)); run the RoleSync that migrated it, or a newer one"
        case .migrationFailed(let version, let name, let reason):
            "migration \(version) (\(name)) failed and was rolled back: \(reason)"
        case .unusableSettings(let what): what
        case .corrupt(let what): "the database holds an invalid value: \(what)"
        }
    }

    /// PostgresNIO's errors print a generic text on purpose; their reflection names the SQLSTATE and
    /// the server's message (binds are masked).
    package static func reason(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(psql.serverInfo?[.sqlState] ?? "?"))"
            }
            if psql.code == .sslUnsupported { return "the server does not offer TLS (sslmode asks for it)" }
            if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
            return String(reflecting: psql.code)
        }
        if let transaction = error as? PostgresTransactionError,
            let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError
        {
            return reason(inner)
        }
        return String(describing: error)
    }
}
