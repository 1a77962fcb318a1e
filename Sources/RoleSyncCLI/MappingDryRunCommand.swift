import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncMapping

struct MappingDryRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Evaluate a mapping on one claims set and show the decision and why.",
        discussion: """
            With --claims or --id-token: MAPPING is a mapping file, or a folder: then the mapping whose issuer equals
            the claims' `iss` is used. With --database: MAPPING (a file or folder) replaces the mappings in force
            (--mappings) for its issuers, and every stored user's last claims are evaluated under both; every user
            whose role, coverage or status would change is listed, with a summary. Nothing is written. `--format json` prints one object with the keys allowed, role, covered, rule,
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

    @Option(
        help: ArgumentHelp(
            "Plan the mapping against every user in this SQLite ledger instead (env ROLESYNC_DATABASE is not used here).",
            valueName: "file"
        )
    )
    var database: String?

    @Option(
        help: ArgumentHelp("With --database: the mappings in force (env ROLESYNC_MAPPINGS; default mappings/).", valueName: "path")
    )
    var mappings: String?

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        switch [claims != nil, idToken != nil, database != nil].filter({ $0 }).count {
        case 0: throw ValidationError("give the claims with --claims FILE or --id-token FILE, or a ledger with --database FILE")
        case 1: break
        default: throw ValidationError("give one of --claims, --id-token or --database")
        }
        if mappings != nil, database == nil { throw ValidationError("--mappings goes with --database") }
    }

    func run() async throws {
        if let database {
            try await LedgerDryRun(mapping: mapping, database: database, mappings: mappings, format: format).run()
            return
        }
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
        guard let idToken else { return (try readClaimsFile(claims ?? "-"), false) }
        let name = idToken == "-" ? "<stdin>" : idToken
        let data = try readInput(idToken)
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(name): not a compact JWT: the file is not text")
        }
        return (try UnverifiedIDToken.claims(from: text, file: name), true)
    }
}
