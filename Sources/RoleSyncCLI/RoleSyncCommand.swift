import ArgumentParser

struct RoleSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rolesync",
        abstract: "SSO identity sync and role mapping: decide who may sign in, and with which role.",
        discussion: """
            Exit codes: 0 done (whatever the decision), 1 invalid mapping or input or a refused sign-in or edit, \
            2 usage error.
            """,
        subcommands: [
            ServeCommand.self, MappingCommand.self, ReconcileCommand.self, UsersCommand.self, KeysCommand.self, AuditCommand.self,
            EventsCommand.self, DemoCommand.self, MigrateCommand.self, MigrateDataCommand.self,
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
