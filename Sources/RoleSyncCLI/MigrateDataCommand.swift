import ArgumentParser
import Foundation
import Logging
import RoleSyncConfig
import RoleSyncLedgerCopy
import RoleSyncPostgres
import RoleSyncSQLite

/// `rolesync migrate-data`: a single node's SQLite ledger into PostgreSQL, for the move to several
/// replicas.
struct MigrateDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-data",
        abstract: "Copy a SQLite ledger into an empty PostgreSQL database, in one transaction, counts checked.",
        discussion: """
            Copies users, sessions, the audit log, API keys and their usage, and the SCIM directory, ids \
            and all, so sign-ins, sessions and keys go on working. The target's schema is migrated first; \
            a target holding any row is refused. Everything is one PostgreSQL transaction: each table's \
            count is checked against the source before the commit, and any failure leaves the target \
            empty. Stop rolesync serve first (a source that changes during the copy is refused). The \
            password comes from the URL or from --password-env. --dry-run copies and checks everything, \
            then rolls back.
            """
    )

    @Option(
        name: .customLong("from"),
        help: ArgumentHelp("The SQLite ledger: sqlite:PATH (or just the path).", valueName: "sqlite:path")
    )
    var from: String

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp(
            "The PostgreSQL database: postgres://USER@HOST[:PORT]/DB?sslmode=disable|require|verify-full[&sslrootcert=CA].",
            valueName: "url"
        )
    )
    var to: String

    @Option(
        name: .customLong("password-env"),
        help: ArgumentHelp("The environment variable holding the target's password (instead of the URL).", valueName: "name")
    )
    var passwordEnv: String?

    @Flag(name: .customLong("dry-run"), help: "Copy and check everything, then roll back: the target stays empty.")
    var dryRun = false

    func run() async throws {
        let (path, target) = try arguments()
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("--from: \(path): no such file") }
        // The source at this build's schema: migrated as any command that opens it would, except
        // in a dry run, which changes nothing.
        let pending: [String]
        do {
            pending = try SQLiteLedgerStore.migrations(path: path, dryRun: true).pending
            if !pending.isEmpty {
                guard !dryRun else {
                    throw CLIError("\(path) needs \(pending.count) migration(s) first: run rolesync migrate --database \(path)")
                }
                _ = try SQLiteLedgerStore.migrations(path: path, dryRun: false)
                Output.line("\(path): applied \(pending.count) migration(s) first")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(path): \(error)")
        }
        // Failures come back as errors, printed once; PostgresNIO's own warnings would repeat them.
        var logger = Logger(label: "rolesync.postgres")
        logger.logLevel = .error
        let report: LedgerCopy.Report
        do {
            report = try await LedgerCopy.copy(from: path, to: target, dryRun: dryRun, logger: logger)
        } catch {
            throw CLIError("\(error)")
        }
        Output.line("\(path) → \(target.description)")
        let width = report.tables.map(\.name.count).max() ?? 0
        for (name, rows) in report.tables {
            Output.line("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(rows))
        }
        Output.line(
            dryRun
                ? "dry run: \(report.total) rows copied and checked, then rolled back; the target holds none of them"
                : "copied \(report.total) rows in one transaction; every table's count matches the source's"
        )
    }

    /// The source's path and the target's settings.
    func arguments() throws -> (String, PostgresSettings) {
        let path = from.hasPrefix("sqlite:") ? String(from.dropFirst("sqlite:".count)) : from
        guard !path.isEmpty else { throw ValidationError("--from: give sqlite:PATH, the SQLite ledger file") }
        guard !PostgresSettings.isURL(path) else { throw ValidationError("--from: the source is a SQLite ledger file, not a URL") }
        guard PostgresSettings.isURL(to) else { throw ValidationError("--to: give a postgres:// or postgresql:// URL") }
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings(url: to)
        } catch {
            throw ValidationError("--to: \(error)")
        }
        if let passwordEnv {
            guard settings.password == nil else { throw ValidationError("--to has a password and --password-env names another; give one") }
            guard let password = ProcessInfo.processInfo.environment[passwordEnv], !password.isEmpty else {
                throw CLIError("--password-env: \(passwordEnv) is not set")
            }
            settings.password = password
        }
        return (path, settings)
    }
}
