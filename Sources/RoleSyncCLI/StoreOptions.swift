import ArgumentParser
import Foundation
import Logging
import RoleSyncApp
import RoleSyncConfig
package import RoleSyncLedger
package import RoleSyncMapping
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

    /// What the options, the environment and the configuration (read once; secrets are not
    /// needed outside `serve`) say together: where the ledger and the mappings are.
    struct Resolved {
        /// The SQLite file, or the PostgreSQL database.
        var database: LedgerAssembly.Database
        var mappingsPath: String
        /// The candidate mappings, when any are configured.
        var shadowPath: String?
        /// Whether the mappings are the configuration's own (`--config` or `ROLESYNC_CONFIG`, no
        /// `--mappings`): only then does an issuer without a mapping truly have none.
        var usesConfigurationsMappings: Bool
        /// The longest break-glass override: the configuration's `override.max_duration`, else 8 hours.
        var overridePolicy: OverridePolicy
        /// The configuration's `keys:` policy (none without a configuration).
        var keyPolicy: KeyPolicy

        /// The SQLite file, or the PostgreSQL URL without its password (for messages).
        var databasePath: String {
            switch database {
            case .sqlite(let path): path
            case .postgres(let settings): settings.description
            case .memory: ":memory:"
            }
        }
    }

    /// Reads the configuration (at most once) and resolves every option against it.
    func resolve() throws -> Resolved {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try (config ?? environment["ROLESYNC_CONFIG"]).map {
            try ServeConfiguration.load(path: $0, requiringSecrets: false)
        }
        let ledger: LedgerAssembly.Database
        if let given = database {
            ledger = PostgresSettings.isURL(given) ? .postgres(try Self.settings(given, "--database", ValidationError.init)) : .sqlite(path: given)
        } else if let configuration {
            ledger = configuration.ledgerDatabase
        } else if let text = environment["ROLESYNC_DATABASE"] {
            ledger = PostgresSettings.isURL(text) ? .postgres(try Self.settings(text, "ROLESYNC_DATABASE", CLIError.init)) : .sqlite(path: text)
        } else {
            ledger = .sqlite(path: "rolesync.sqlite")
        }
        let shadowPath: String?
        if let shadow {
            shadowPath = shadow
        } else if mappings == nil, let shadow = configuration?.shadow {
            shadowPath = shadow
        } else {
            shadowPath = environment["ROLESYNC_SHADOW"]
        }
        return Resolved(
            database: ledger,
            mappingsPath: mappings ?? configuration?.mappings ?? environment["ROLESYNC_MAPPINGS"] ?? "mappings",
            shadowPath: shadowPath,
            usesConfigurationsMappings: mappings == nil && configuration != nil,
            overridePolicy: OverridePolicy(maxDuration: configuration?.overrideMaxDuration ?? 8 * 3600),
            keyPolicy: configuration?.keys.policy ?? KeyPolicy()
        )
    }

    /// A PostgreSQL URL's settings, or `error` naming where it came from.
    private static func settings(_ url: String, _ source: String, _ error: (String) -> any Error) throws -> PostgresSettings {
        do {
            return try PostgresSettings(url: url)
        } catch let failure {
            throw error("\(source): \(failure)")
        }
    }

    /// Loads the mappings (printing every diagnostic; any error exits 1) and opens the ledger
    /// through the one assembly `serve` uses: the SQLite file, or the PostgreSQL database (migrated
    /// under its advisory lock, as `serve` does).
    func open() async throws -> Ledger {
        let resolved = try resolve()
        let loaded = try LoadedMappings.load(mappings: resolved.mappingsPath, shadow: resolved.shadowPath, issuers: [])
        if !loaded.errors.isEmpty {
            loaded.live.printDiagnostics()
            loaded.shadow?.printDiagnostics()
            for error in loaded.errors where !loaded.live.diagnostics.contains(error) && loaded.shadow?.diagnostics.contains(error) != true {
                Output.error(error.description)
            }
            throw CLIError("\(resolved.mappingsPath): the mappings have errors (above); fix them first")
        }
        // Failures come back as errors, printed once; PostgresNIO's own warnings would repeat them.
        var postgresLogger = Logger(label: "rolesync.postgres")
        postgresLogger.logLevel = .error
        let assembly: LedgerAssembly
        do {
            assembly = try await LedgerAssembly.open(
                resolved.database,
                mappings: loaded,
                isConfigurations: resolved.usesConfigurationsMappings,
                overridePolicy: resolved.overridePolicy,
                defersSignIns: false,
                postgresLogger: postgresLogger
            )
        } catch {
            if case .sqlite(let path) = resolved.database { throw CLIError("\(path): \(error)") }
            throw CLIError("\(error)")
        }
        return Ledger(assembly: assembly, options: resolved)
    }
}

/// An open ledger: the store and the rules over it, and the options it was opened with.
struct Ledger {
    var assembly: LedgerAssembly
    var options: StoreOptions.Resolved

    var store: any LedgerStore & DirectoryStore & ShadowStore & DirectorySyncStore & WebhookOutboxStore { assembly.store }
    var service: SyncService { assembly.service }
    /// Keeps a PostgreSQL store's client running while the command runs.
    var postgres: PostgresLedgerStore.Connected? { assembly.postgres }
    /// The live mappings and the candidates, as loaded.
    var mappings: LoadedMappings { assembly.mappings }
    /// API keys under the configuration's `keys:` policy.
    var keys: KeyService { KeyService(store: store, policy: options.keyPolicy) }
}

extension Role: ExpressibleByArgument {
    package init?(argument: String) { self.init(rawValue: argument) }
    package static var allValueStrings: [String] { allCases.map(\.rawValue) }
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
