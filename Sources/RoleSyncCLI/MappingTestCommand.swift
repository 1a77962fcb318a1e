import ArgumentParser
import RoleSyncConfig
import RoleSyncMapping

struct MappingTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests: cases of mapping files.",
        discussion: """
            Prints each case as PASS or FAIL with what differed, then `N passed, M failed`.
            Exits 1 when a case fails or a file does not validate.
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
        var passed = 0
        var failed = 0
        for mapping in loaded.set.mappings {
            let results = MappingTestRunner.run(mapping)
            Output.line("\(mapping.file) (\(plural(results.count, "case")))")
            if results.isEmpty { Output.line("  no tests: add cases under 'tests:'") }
            for result in results {
                if result.isPassed {
                    passed += 1
                    Output.line("  PASS  \(result.name)")
                } else {
                    failed += 1
                    Output.line("  FAIL  \(result.name)  (line \(result.location.line))")
                    for failure in result.failures {
                        Output.line("        \(failure)")
                    }
                }
            }
        }
        let invalid = loaded.files.count - loaded.set.mappings.count
        if invalid > 0 {
            Output.line("\(plural(invalid, "file")) had errors (above); \(invalid == 1 ? "its" : "their") tests were not run")
        }
        Output.line("\(passed) passed, \(failed) failed")
        if failed > 0 || loaded.errorCount > 0 { throw ExitCode(1) }
    }
}
