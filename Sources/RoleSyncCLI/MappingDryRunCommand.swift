import ArgumentParser
import Foundation
import RoleSyncMapping

struct MappingDryRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Evaluate a mapping on one claims set and show the decision and why.",
        discussion: """
            MAPPING is a mapping file, or a folder: then the mapping whose issuer equals the claims' `iss` is used.
            Nothing is written. `--format json` prints one object with the keys allowed, role, covered, rule,
            deactivate, profile, refusal, unknown_claims, role_determined, issuer, mapping, input and trace.
            """
    )

    @Argument(help: "A mapping file, or a folder of mappings.")
    var mapping: String

    @Option(help: ArgumentHelp("A JSON object of claims; '-' reads standard input.", valueName: "file"))
    var claims: String?

    @Option(
        name: .customLong("id-token"),
        help: ArgumentHelp("A compact JWT whose payload is decoded WITHOUT verifying its signature.", valueName: "file")
    )
    var idToken: String?

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        switch (claims, idToken) {
        case (nil, nil): throw ValidationError("give the claims with --claims FILE or --id-token FILE")
        case (.some, .some): throw ValidationError("give either --claims or --id-token, not both")
        default: break
        }
    }

    func run() throws {
        let (input, isFromToken) = try readClaims()
        let loaded = try MappingFiles.load([mapping])
        if loaded.errorCount > 0 {
            loaded.printDiagnostics()
            throw ExitCode(1)
        }
        let chosen: Mapping
        if loaded.files.count == 1, let only = loaded.set.mappings.first {
            chosen = only
        } else {
            guard case .string(let iss)? = input.values["iss"] else {
                throw CLIError("\(mapping) holds several mappings and the claims have no 'iss' to choose one; give a mapping file")
            }
            guard let found = loaded.set.mapping(forIssuer: iss) else {
                throw CLIError("\(mapping): no mapping has issuer '\(iss)' (the claims' iss)")
            }
            chosen = found
        }
        let decision = chosen.evaluate(input, tracing: true)
        switch format {
        case .json:
            Output.line(try DecisionReport.json(decision, input: isFromToken ? "unverified_id_token" : "claims"))
        case .human:
            if isFromToken {
                Output.line("NOTE: the ID token's signature was NOT verified; its payload was decoded for this dry run only.")
                Output.line("")
            }
            Output.line(DecisionReport.human(decision, claims: input))
        }
    }

    private func readClaims() throws -> (Claims, Bool) {
        let (path, isToken) = idToken.map { ($0, true) } ?? (claims ?? "-", false)
        let data: Data
        let name = path == "-" ? "<stdin>" : path
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw CLIError("\(path): cannot read the file (\(describe(error)))")
            }
        }
        if isToken {
            guard let text = String(data: data, encoding: .utf8) else {
                throw CLIError("\(name): not a compact JWT: the file is not text")
            }
            return (try UnverifiedIDToken.claims(from: text, file: name), true)
        }
        do {
            return (try Claims(json: data), false)
        } catch {
            throw CLIError("\(name): \(error)")
        }
    }
}
