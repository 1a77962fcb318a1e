import ArgumentParser
import Foundation
import Logging
import RoleSyncConfig
import RoleSyncPostgres
import RoleSyncSQLite

/// `rolesync migrate`: brings the ledger's schema to this release's, ahead of a rollout.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the ledger's schema migrations (SQLite or PostgreSQL), or list them with --dry-run.",
        discussion: """
            Migrations are versioned and applied once: on PostgreSQL under an advisory lock, so replicas \
            starting together and this command never run one twice. A ledger migrated by a newer RoleSync \
            is refused. The database comes from --database (a SQLite file or a postgres:// URL) or from \
            --config (database and database_password_env).
            """
    )

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("A serve configuration whose database to migrate (env ROLESYNC_CONFIG).", valueName: "file")
    )
    var config: String?

    @Option(
        name: .customLong("database"),
        help: ArgumentHelp("A SQLite ledger file or a postgres:// URL (env ROLESYNC_DATABASE).", valueName: "file-or-url")
    )
    var database: String?

    @Flag(name: .customLong("dry-run"), help: "List the migrations that would be applied; change nothing.")
    var dryRun = false

    func run() async throws {
        let target = try self.target()
        switch target {
        case .sqlite(let path):
            let result: (applied: [String], pending: [String])
            do {
                result = try SQLiteLedgerStore.migrations(path: path, dryRun: dryRun)
            } catch {
                throw CLIError("\(path): \(error)")
            }
            report(where: path, found: "\(result.applied.count) of \(result.applied.count + result.pending.count) migrations", steps: result.pending)
        case .postgres(let settings):
            // Failures come back as errors, printed once; PostgresNIO's own warnings would repeat them.
            var quiet = Logger(label: "rolesync.postgres")
            quiet.logLevel = .error
            let logger = quiet
            let dryRun = self.dryRun
            let report: PostgresMigrator.Report
            do {
                report = try await withPostgresClient(settings, logger: logger) { client in
                    try await PostgresMigrator.migrate(client, dryRun: dryRun, logger: logger)
                }
            } catch {
                throw CLIError("\(error)")
            }
            self.report(
                where: settings.description,
                found: "schema version \(report.found) of \(report.latest)",
                steps: report.migrations.map { "\($0.version): \($0.name)" }
            )
        }
    }

    private func report(where target: String, found: String, steps: [String]) {
        Output.line("\(target): \(found)")
        if steps.isEmpty {
            Output.line("up to date: nothing to apply")
            return
        }
        for step in steps { Output.line("  \(dryRun ? "would apply" : "applied") \(step)") }
        Output.line(dryRun ? "dry run: nothing was changed" : "migrated: \(steps.count) applied")
    }

    enum Target {
        case sqlite(String)
        case postgres(PostgresSettings)
    }

    func target() throws -> Target {
        let environment = ProcessInfo.processInfo.environment
        if let text = database ?? (config == nil && environment["ROLESYNC_CONFIG"] == nil ? environment["ROLESYNC_DATABASE"] : nil) {
            guard PostgresSettings.isURL(text) else { return .sqlite(text) }
            do {
                return .postgres(try PostgresSettings(url: text))
            } catch {
                throw ValidationError("--database: \(error)")
            }
        }
        guard let path = config ?? environment["ROLESYNC_CONFIG"] else { return .sqlite("rolesync.sqlite") }
        // The IdPs' and gateways' secrets are not needed here; the database's password is.
        let configuration = try ServeConfiguration.load(path: path, requiringSecrets: false)
        if let postgres = configuration.postgres {
            if postgres.password == nil, let name = configuration.databasePasswordEnv {
                throw CLIError("\(path): database_password_env names \(name), which is not set")
            }
            return .postgres(postgres)
        }
        return .sqlite(configuration.database)
    }
}
