public import ArgumentParser
import Foundation
import Logging
import RoleSyncConfig
public import RoleSyncLedger
public import RoleSyncMapping
import RoleSyncPostgres
import RoleSyncReports
import RoleSyncSQLite

/// `--config`, `--database` and `--mappings`, shared by every command that touches the ledger.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A serve configuration whose database and mappings to use (env ROLESYNC_CONFIG); --database and --mappings override it.",
            valueName: "file"
        )
    )
    var config: String?

    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "The ledger: a SQLite file or a postgres:// URL (env ROLESYNC_DATABASE; default rolesync.sqlite).",
            valueName: "file-or-url"
        )
    )
    var database: String?

    @Option(
        name: .customLong("mappings"),
        help: ArgumentHelp("A mapping file or folder (env ROLESYNC_MAPPINGS; default mappings/).", valueName: "path")
    )
    var mappings: String?

    @Option(
        name: .customLong("shadow"),
        help: ArgumentHelp(
            "Candidate mappings to compare with the live ones, a file or folder (env ROLESYNC_SHADOW; default the configuration's shadow:).",
            valueName: "path"
        )
    )
    var shadow: String?

    init() {}

    /// Options given in code (the dry run's own `--database` and `--mappings`).
    init(database: String?, mappings: String?) {
        self.config = nil
        self.database = database
        self.mappings = mappings
        self.shadow = nil
    }

    /// The configuration file, read once; secrets are not needed outside `serve`.
    private var configuration: ServeConfiguration? {
        get throws {
            guard let path = config ?? ProcessInfo.processInfo.environment["ROLESYNC_CONFIG"] else { return nil }
            return try ServeConfiguration.load(path: path, requiringSecrets: false)
        }
    }

    /// The SQLite file, or the PostgreSQL URL without its password (for messages).
    var databasePath: String {
        get throws {
            if let settings = try postgresSettings { return settings.description }
            if let database { return database }
            if let configuration = try configuration { return configuration.database }
            return ProcessInfo.processInfo.environment["ROLESYNC_DATABASE"] ?? "rolesync.sqlite"
        }
    }

    var mappingsPath: String {
        get throws {
            if let mappings { return mappings }
            if let configuration = try configuration { return configuration.mappings }
            return ProcessInfo.processInfo.environment["ROLESYNC_MAPPINGS"] ?? "mappings"
        }
    }

    /// Whether the mappings are the configuration's own (`--config` or `ROLESYNC_CONFIG`, no
    /// `--mappings`): only then does an issuer without a mapping truly have none.
    var usesConfigurationsMappings: Bool {
        get throws {
            guard mappings == nil else { return false }
            return try configuration != nil
        }
    }

    /// The candidate mappings, when any are configured.
    var shadowPath: String? {
        get throws {
            if let shadow { return shadow }
            if mappings == nil, let configuration = try configuration, let shadow = configuration.shadow { return shadow }
            return ProcessInfo.processInfo.environment["ROLESYNC_SHADOW"]
        }
    }

    /// The longest break-glass override: the configuration's `override.max_duration`, else 8 hours.
    var overridePolicy: OverridePolicy {
        get throws { OverridePolicy(maxDuration: try configuration?.overrideMaxDuration ?? 8 * 3600) }
    }

    /// The PostgreSQL database `--database`, `ROLESYNC_DATABASE` or the configuration names, if it
    /// is one.
    var postgresSettings: PostgresSettings? {
        get throws {
            if let database {
                guard PostgresSettings.isURL(database) else { return nil }
                do {
                    return try PostgresSettings(url: database)
                } catch {
                    throw ValidationError("--database: \(error)")
                }
            }
            if let configuration = try configuration { return configuration.postgres }
            if let text = ProcessInfo.processInfo.environment["ROLESYNC_DATABASE"], PostgresSettings.isURL(text) {
                do {
                    return try PostgresSettings(url: text)
                } catch {
                    throw CLIError("ROLESYNC_DATABASE: \(error)")
                }
            }
            return nil
        }
    }

    /// Loads the mappings (printing every diagnostic; any error exits 1) and opens the ledger:
    /// the SQLite file, or the PostgreSQL database (migrated under its advisory lock, as `serve`
    /// does).
    func open() async throws -> Ledger {
        let mappingsPath = try self.mappingsPath
        let loaded = try LoadedMappings.load(mappings: mappingsPath, shadow: try shadowPath, issuers: [])
        if !loaded.errors.isEmpty {
            loaded.live.printDiagnostics()
            loaded.shadow?.printDiagnostics()
            for error in loaded.errors where !loaded.live.diagnostics.contains(error) && loaded.shadow?.diagnostics.contains(error) != true {
                Output.error(error.description)
            }
            throw CLIError("\(mappingsPath): the mappings have errors (above); fix them first")
        }
        let store: any LedgerStore & DirectoryStore & ShadowStore
        var postgres: PostgresLedgerStore.Connected?
        if let settings = try postgresSettings {
            // Failures come back as errors, printed once; PostgresNIO's own warnings would repeat them.
            var logger = Logger(label: "rolesync.postgres")
            logger.logLevel = .error
            do {
                postgres = try await PostgresLedgerStore.open(settings, logger: logger)
            } catch {
                throw CLIError("\(error)")
            }
            store = postgres!.store
        } else {
            let databasePath = try self.databasePath
            do {
                store = try SQLiteLedgerStore(path: databasePath)
            } catch {
                throw CLIError("\(databasePath): \(error)")
            }
        }
        let service = SyncService(
            store: store,
            mappings: MappingRegistry(loaded.live.set, shadow: loaded.shadow?.set, isConfigurations: try usesConfigurationsMappings),
            logger: Logger(label: "rolesync.ledger"),
            overridePolicy: try overridePolicy,
            shadow: ShadowRecorder(store: store, logger: Logger(label: "rolesync.shadow"))
        )
        return Ledger(store: store, service: service, postgres: postgres, mappings: loaded)
    }
}

/// An open ledger: the store and the rules over it.
struct Ledger {
    var store: any LedgerStore & DirectoryStore & ShadowStore
    var service: SyncService
    /// Keeps a PostgreSQL store's client running while the command runs.
    var postgres: PostgresLedgerStore.Connected?
    /// The live mappings and the candidates, as loaded.
    var mappings: LoadedMappings
}

extension Role: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension UserStatus: ExpressibleByArgument {}
extension UsersQuery.Sort: ExpressibleByArgument {}
extension UsersQuery.Order: ExpressibleByArgument {}
extension AuditAction: ExpressibleByArgument {}
extension ShadowDifference.Kind: ExpressibleByArgument {}
extension APIKeyStatus: ExpressibleByArgument {}
extension APIKeyPurpose: ExpressibleByArgument {}
extension KeysQuery.Sort: ExpressibleByArgument {}

/// A time argument, in the one grammar the admin API takes too (``Timestamp/parse(_:)``).
func parseDate(_ text: String, option: String) throws -> Date {
    guard let date = Timestamp.parse(text) else { throw ValidationError("\(option): '\(text)' is not \(Timestamp.grammar)") }
    return date
}

/// Pretty, sorted, slash-preserving JSON: every `--format json` output.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
