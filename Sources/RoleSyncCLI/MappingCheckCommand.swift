import ArgumentParser
import RoleSyncConfig
import RoleSyncMapping

struct MappingCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate mapping files or folders.",
        discussion: """
            Errors and warnings go to standard error as `file:line:col: error: message`.
            Exits 1 when any file has an error; warnings alone exit 0.
            """
    )

    @Argument(help: "Mapping files, or folders whose *.yaml and *.yml files are mappings.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one mapping file or folder") }
    }

    func run() throws {
        let loaded = try MappingFiles.load(paths)
        loaded.printDiagnostics()
        let valid = loaded.set.mappings.count
        Output.line(
            "checked \(plural(loaded.files.count, "file")): \(valid) valid, "
                + "\(plural(loaded.errorCount, "error")), \(plural(loaded.warningCount, "warning"))"
        )
        if loaded.errorCount > 0 { throw ExitCode(1) }
    }
}

extension MappingFiles {
    /// Prints diagnostics to standard error in `file:line:col: severity: message` form.
    func printDiagnostics() {
        for diagnostic in diagnostics {
            Output.error(diagnostic.description)
        }
    }
}
