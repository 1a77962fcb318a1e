import ArgumentParser
import Foundation
import RoleSyncBuildInfo
import RoleSyncReports

struct RoleSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rolesync",
        abstract: "SSO identity sync and role mapping: decide who may sign in, and with which role.",
        discussion: """
            Exit codes: 0 done (whatever the decision), 1 invalid mapping or input or a refused sign-in or edit, \
            2 usage error.
            """,
        version: "rolesync \(BuildInfo.description)",
        subcommands: [
            ServeCommand.self, MappingCommand.self, ReconcileCommand.self, UsersCommand.self, KeysCommand.self, AuditCommand.self,
            EventsCommand.self, ReviewsCommand.self, DemoCommand.self, MigrateCommand.self, MigrateDataCommand.self,
        ]
    )
}

struct MappingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping",
        abstract: "Validate, test and try out role mappings.",
        subcommands: [
            MappingCheckCommand.self, MappingTestCommand.self, MappingDryRunCommand.self, MappingShadowReportCommand.self,
            MappingPromoteCommand.self,
        ]
    )
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case human
    case json
}

/// How a listing prints: a page (`human`, `json`), or every row its filters select (`csv`, `jsonl`),
/// as the admin API's `format=csv|jsonl` exports them.
enum ListFormat: String, ExpressibleByArgument, CaseIterable {
    case human
    case json
    case csv
    case jsonl

    /// The export format, for `csv` and `jsonl`.
    var export: ExportFormat? { ExportFormat(rawValue: rawValue) }

    static let help = ArgumentHelp(
        "human or json (a page); csv or jsonl: every matching row, --limit and --cursor aside (RFC 4180 CSV with a header, formulas neutralised; one JSON object a line).",
        valueName: "format"
    )
}

extension Export {
    /// Prints the export on standard output, a page at a time.
    func print() async throws {
        try await write { text in FileHandle.standardOutput.write(Data(text.utf8)) }
    }
}
